"""A local DogStatsD listener: a real UDP socket on 127.0.0.1 that parses what it receives the way the Agent
reads the text protocol (`name:value|type[|@rate][|#tags]`, newline-separated in one datagram).

The demo's velocity scene, `assets validate --emulator` and the tests point the companion module
(genesys_cloud_velocity) at it with DD_AGENT_HOST/DD_DOGSTATSD_PORT, exactly as an integration is pointed at an
Agent. `metrics` holds dicts shaped like the check's submissions (name, type, value, tags), so the local monitor
evaluation reads both alike; `datagrams` keeps the raw bytes for the tests that assert what left the process.
"""

import socket
import threading

TYPES = {'c': 'count', 'g': 'gauge', 'd': 'distribution', 'h': 'histogram', 'ms': 'histogram', 's': 'set'}


class DogStatsdListener:
    def __init__(self, host='127.0.0.1', port=0):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # A burst of a few hundred datagrams must not overflow the default receive buffer while this thread waits
        # for the GIL (the kernel caps the request at net.core.rmem_max).
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        self._socket.bind((host, port))
        self._socket.settimeout(0.2)
        self.host, self.port = self._socket.getsockname()
        self.datagrams = []
        self.metrics = []
        self.malformed = []
        self._lock = threading.Lock()
        self._received = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name='dogstatsd-listener', daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._socket.close()

    @property
    def env(self):
        """The environment that points a DogStatsD client (the companion, the `datadog` package) here."""
        return {'DD_AGENT_HOST': self.host, 'DD_DOGSTATSD_PORT': str(self.port)}

    def wait_for(self, predicate, timeout=10.0):
        """Block until predicate(metrics) holds (UDP is asynchronous); returns whether it did."""
        with self._received:
            return self._received.wait_for(lambda: predicate(self.metrics), timeout)

    def wait_lines(self, count, timeout=10.0):
        return self.wait_for(lambda metrics: len(metrics) + len(self.malformed) >= count, timeout)

    def take(self):
        """The metrics received so far, and forget them (one evaluation window)."""
        with self._lock:
            taken, self.metrics = self.metrics, []
        return taken

    def _serve(self):
        while not self._stop.is_set():
            try:
                data = self._socket.recv(65535)
            except (socket.timeout, OSError):
                continue
            with self._received:
                self.datagrams.append(data)
                for line in data.decode('utf-8', 'replace').split('\n'):
                    if line:
                        metric = parse_line(line)
                        (self.metrics if metric else self.malformed).append(metric or line)
                self._received.notify_all()


def parse_line(line):
    """One DogStatsD metric line -> {'name', 'type', 'value', 'tags'}, or None when it is not one."""
    head, _, rest = line.partition('|')
    name, sep, value = head.rpartition(':')
    if not sep or not name or not rest:
        return None
    parts = rest.split('|')
    kind = TYPES.get(parts[0])
    if kind is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    tags = []
    for part in parts[1:]:
        if part.startswith('#'):
            tags = [t for t in part[1:].split(',') if t]
    return {'name': name, 'type': kind, 'value': number, 'tags': tags}

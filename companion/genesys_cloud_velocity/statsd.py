"""A DogStatsD sender that never blocks the caller: lines go to a bounded in-memory queue, a daemon thread packs
them into datagrams and sends them over a non-blocking UDP (or Unix datagram) socket.

The wire format is DogStatsD's text protocol (`name:value|type|#tag:value,...`, several lines per datagram
separated by newlines). Written here rather than taken from the `datadog` package so that recording a request
costs one deque append and nothing else on the caller's thread, and so the module has no dependency at all.
"""

import atexit
import collections
import os
import socket
import threading
import weakref

MAX_DATAGRAM = 1432  # fits one Ethernet MTU over UDP: never fragmented, never over the Agent's 8 KB buffer
MAX_QUEUED = 50000  # lines; past it new lines are dropped (and counted) rather than growing memory
FLUSH_INTERVAL = 1.0  # seconds between background flushes
WAKE_AT = 200  # queued lines that wake the flusher early

_senders = weakref.WeakSet()


def agent_address(host=None, port=None, url=None):
    """(family, address) of the Agent's DogStatsD: arguments first, then DD_DOGSTATSD_URL, DD_AGENT_HOST and
    DD_DOGSTATSD_PORT, then localhost:8125 (the Agent's defaults)."""
    url = url or (None if host or port else os.environ.get('DD_DOGSTATSD_URL'))
    if url and url.startswith('unix://'):
        return socket.AF_UNIX, url[len('unix://'):]
    if url and url.startswith('udp://'):
        host_part, _, port_part = url[len('udp://'):].rpartition(':')
        host, port = host or host_part, port or port_part
    host = host or os.environ.get('DD_AGENT_HOST') or 'localhost'
    try:
        port = int(port or os.environ.get('DD_DOGSTATSD_PORT') or 8125)
    except ValueError:
        port = 8125
    return socket.AF_INET, (host, port)


class Sender:
    """Queue DogStatsD lines; send them from a background thread (or on `flush()`)."""

    def __init__(self, host=None, port=None, url=None, flush_interval=FLUSH_INTERVAL, max_queued=MAX_QUEUED):
        self.family, self.address = agent_address(host, port, url)
        self.flush_interval = flush_interval
        self.max_queued = max_queued
        self.dropped = 0  # lines dropped because the queue was full
        self.send_errors = 0  # datagrams the socket refused (no Agent, buffer full): dropped, never retried
        self.sent_datagrams = 0
        self._queue = collections.deque()
        self._lock = threading.Lock()  # one flusher at a time
        self._wake = threading.Event()
        self._socket = None
        self._resolved = None
        self._thread = None
        self._pid = None
        _senders.add(self)

    def submit(self, line):
        """Queue one line. Called on the application's thread: no I/O, no lock in the common case."""
        queue = self._queue
        if len(queue) >= self.max_queued:
            self.dropped += 1
            return
        queue.append(line)
        if self._pid != os.getpid():  # first use, or a forked child whose flusher thread did not survive
            self._start()
        elif len(queue) >= WAKE_AT:
            self._wake.set()

    def flush(self):
        """Send everything queued now, from the calling thread (tests, shutdown)."""
        with self._lock:
            lines = []
            while True:
                try:
                    lines.append(self._queue.popleft())
                except IndexError:
                    break
            for datagram in pack(lines):
                self._send(datagram)

    def close(self):
        self.flush()
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    # -- background -------------------------------------------------------------------------------------------

    def _start(self):
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._socket = None  # a forked child gets its own socket
            self._thread = threading.Thread(target=self._run, name='genesys-velocity-statsd', daemon=True)
            self._thread.start()

    def _run(self):
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # pragma: no cover - the flusher must outlive any surprise
                self.send_errors += 1

    def _send(self, datagram):
        try:
            if self._socket is None:
                self._socket = socket.socket(self.family, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
                if self.family == socket.AF_INET:
                    # Resolved here, on the flusher's thread, so a slow DNS never holds up the application.
                    info = socket.getaddrinfo(self.address[0], self.address[1], socket.AF_UNSPEC, socket.SOCK_DGRAM)
                    family, _, _, _, resolved = info[0]
                    if family != socket.AF_INET:
                        self._socket.close()
                        self._socket = socket.socket(family, socket.SOCK_DGRAM)
                        self._socket.setblocking(False)
                    self._resolved = resolved
                else:
                    self._resolved = self.address
            self._socket.sendto(datagram, self._resolved)
            self.sent_datagrams += 1
        except OSError:
            # No Agent listening (Unix socket absent), unresolvable host, full socket buffer: drop the datagram.
            self.send_errors += 1
            if self._socket is not None and self._resolved is None:
                self._socket.close()
                self._socket = None


def pack(lines, limit=MAX_DATAGRAM):
    """Join lines into newline-separated datagrams of at most `limit` bytes (a longer line goes alone)."""
    datagram = bytearray()
    for line in lines:
        data = line.encode('utf-8')
        if datagram and len(datagram) + 1 + len(data) > limit:
            yield bytes(datagram)
            datagram = bytearray()
        if datagram:
            datagram += b'\n'
        datagram += data
    if datagram:
        yield bytes(datagram)


@atexit.register
def _flush_all():  # the last second of an integration's life is often the busiest one
    for sender in list(_senders):
        try:
            sender.flush()
        except Exception:  # pragma: no cover
            pass

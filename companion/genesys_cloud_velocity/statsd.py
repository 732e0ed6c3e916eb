"""A DogStatsD sender that never blocks the application: one per process and Agent address, shared by every
recorder, created on first use and made anew in a forked child.

The application's thread only appends a line to a bounded deque. A daemon thread (one per sender) packs lines into
datagrams and sends them over a non-blocking UDP or Unix datagram socket. The Agent's host name is resolved by a
short-lived resolver thread, cached and resolved again every `RESOLVE_EVERY` seconds, so a DNS that is slow or never
answers delays the sender's lines (kept, bounded) and never a caller: nothing the application calls takes a lock that
a thread doing I/O can hold. `flush()` and the exit flush post a marker and wait for it at most `timeout` seconds
(1 s by default); what could not be sent by then is counted in `dropped`.

Fork: `os.register_at_fork` gives a child fresh queues, locks, threads and sockets and none of the parent's unsent
lines (the parent still sends those): gunicorn, celery, uwsgi and multiprocessing workers each report their own
requests exactly once.

The wire format is DogStatsD's text protocol (`name:value|type|#tag:value,...`, newline-separated lines in one
datagram). Written here rather than taken from the `datadog` package's DogStatsd: recording costs one deque append
on the caller's thread (`make bench` prints both), the guarantees above are this module's own, and the companion
keeps no dependency at all.
"""

import atexit
import collections
import os
import socket
import sys
import threading
import time

from ._log import log, warn_once

MAX_DATAGRAM = 1432  # fits one Ethernet MTU over UDP: never fragmented, never over the Agent's 8 KB buffer
MAX_QUEUED = 50000  # lines; past it new lines are dropped (and counted) rather than growing memory
FLUSH_INTERVAL = 1.0  # seconds between background flushes
WAKE_AT = 200  # queued lines that wake the flusher early
RESOLVE_EVERY = 60.0  # seconds a resolved Agent address is used before it is resolved again (in the background)
RETRY_RESOLVE = 5.0  # seconds after a failed resolution before the next one
FLUSH_TIMEOUT = 1.0  # default bound of an explicit flush() and of the exit flush, in seconds
THREAD_NAME = 'genesys-velocity-statsd'

_senders = {}  # (family, address) -> Sender: one per process and Agent address
_registry_lock = threading.Lock()  # guards _senders only; never held during I/O
settings = {'exit_timeout': FLUSH_TIMEOUT, 'flush_timeout': FLUSH_TIMEOUT}
_pid = os.getpid()  # the process the senders' threads and queues belong to


def agent_address(host=None, port=None, url=None):
    """(family, address) of the Agent's DogStatsD: arguments first, then DD_DOGSTATSD_URL, DD_AGENT_HOST and
    DD_DOGSTATSD_PORT, then localhost:8125 (the Agent's defaults)."""
    url = url or (None if host or port else os.environ.get('DD_DOGSTATSD_URL'))
    if url and url.startswith('unix://'):
        return socket.AF_UNIX, url[len('unix://'):]
    if url and url.startswith('udp://'):
        host_part, _, port_part = url[len('udp://'):].rpartition(':')
        host, port = host or host_part, port or port_part
    host = str(host or os.environ.get('DD_AGENT_HOST') or 'localhost').strip('[]')
    try:
        port = int(port or os.environ.get('DD_DOGSTATSD_PORT') or 8125)
        if not 0 < port < 65536:
            raise ValueError(port)
    except (TypeError, ValueError):
        warn_once(('agent', 'port', str(port)), 'DogStatsD port %r is not a port number; using 8125', port)
        port = 8125
    return socket.AF_INET, (host, port)


def sender_for(host=None, port=None, url=None):
    """The process's sender for this Agent address (made on first use)."""
    key = agent_address(host, port, url)
    sender = _senders.get(key)
    if sender is None:
        with _registry_lock:
            sender = _senders.get(key)
            if sender is None:
                sender = _senders[key] = Sender(*key)
    return sender


def senders():
    return list(_senders.values())


class _Marker:
    """Put in the queue by flush(): set once every line queued before it was sent or dropped."""

    __slots__ = ('done', 'sent_all')

    def __init__(self):
        self.done = threading.Event()
        self.sent_all = False


class Sender:
    """Queue DogStatsD lines; a background thread sends them. Use `sender_for()`: one per address."""

    def __init__(self, family, address, flush_interval=FLUSH_INTERVAL, max_queued=MAX_QUEUED):
        self.family, self.address = family, address
        self.flush_interval = flush_interval
        self.max_queued = max_queued
        self._reset()

    def _reset(self):
        """Fresh state: at creation and in a forked child (whose threads did not survive the fork)."""
        self.dropped = 0  # lines not sent: queue full, Agent address unknown, or still queued at exit
        self.send_errors = 0  # datagrams the socket refused (no Agent, buffer full): dropped, never retried
        self.bad_lines = 0  # lines that were not valid text: dropped alone
        self.sent_datagrams = 0
        self.sent_lines = 0
        self.resolutions = 0  # lookups of the Agent's host name started (one per RESOLVE_EVERY, or per retry)
        self.resolve_errors = 0
        self._queue = collections.deque()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()  # only guards starting the thread: never held during I/O
        self._thread = None
        self._socket = None
        self._socket_family = None
        self._pending = []  # lines taken from the queue, waiting for the Agent's address (sender thread only)
        self._resolved = None  # (family, sockaddr) of the Agent, from the last successful resolution
        self._resolved_at = None
        self._failed_at = None  # monotonic time of the last failed resolution
        self._resolving = False

    # -- the application's side: no I/O, no lock but the one-time start --------------------------------------

    def submit(self, line):
        if _pid != os.getpid():  # a fork that bypassed os.register_at_fork (a C extension calling fork())
            _after_fork_in_child()
        queue = self._queue
        if len(queue) >= self.max_queued:
            self.dropped += 1
            return
        queue.append(line)
        if self._thread is None:
            self._start()
        elif len(queue) >= WAKE_AT:
            self._wake.set()

    def flush(self, timeout=None):
        """Ask the sender thread to send what is queued now; wait at most `timeout` seconds (default 1 s,
        `configure(flush_timeout=...)`). Returns True when everything queued before the call was sent."""
        if timeout is None:
            timeout = settings['flush_timeout']
        marker = self.post_marker()
        return marker is None or (marker.done.wait(max(0.0, timeout)) and marker.sent_all)

    def post_marker(self):
        if not self._queue and not self._pending:
            return None
        marker = _Marker()
        self._queue.append(marker)
        if self._thread is None:
            self._start()
        self._wake.set()
        return marker

    def unsent(self):
        """Lines queued or waiting for the Agent's address (approximate while the sender thread runs)."""
        return sum(1 for item in list(self._queue) if not isinstance(item, _Marker)) + len(self._pending)

    def _start(self):
        with self._start_lock:
            if self._thread is not None:
                return
            thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            thread.start()
            self._thread = thread
        _flush_when_multiprocessing_child_exits()

    # -- the sender thread ------------------------------------------------------------------------------------

    def _run(self):
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self._drain()
            except Exception:  # pragma: no cover - the sender must outlive any surprise
                self.send_errors += 1

    def _drain(self):
        lost_before = self.dropped + self.bad_lines
        queue, lines, markers = self._queue, self._pending, []
        while True:
            try:
                item = queue.popleft()
            except IndexError:
                break
            if isinstance(item, _Marker):
                markers.append(item)
            else:
                lines.append(item)
        if len(lines) > self.max_queued:  # waiting for an address: keep the newest, count the rest
            self.dropped += len(lines) - self.max_queued
            del lines[:len(lines) - self.max_queued]
        if lines:
            address = self._address()
            if address is None and not self._resolving:  # the host cannot be resolved: these lines cannot go
                self.dropped += len(lines)
                lines.clear()
            elif address is not None:
                self._send_all(lines, address)
                lines.clear()
        if lines:  # still resolving: the markers wait with the lines (flush() gives up at its timeout)
            queue.extendleft(reversed(markers))
            return
        sent_all = self.dropped + self.bad_lines == lost_before
        for marker in markers:
            marker.sent_all = sent_all
            marker.done.set()

    def _send_all(self, lines, address):
        family, sockaddr = address
        if self._socket is None or self._socket_family != family:
            if self._socket is not None:
                self._socket.close()
            try:
                self._socket = socket.socket(family, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
                self._socket_family = family
            except OSError:
                self._socket = None
                self.send_errors += 1
                self.dropped += len(lines)
                return
        for datagram, count in self._pack(lines):
            try:
                self._socket.sendto(datagram, sockaddr)
                self.sent_datagrams += 1
                self.sent_lines += count
            except OSError:  # no Agent (Unix socket absent), full socket buffer: drop the datagram
                self.send_errors += 1
                self.dropped += count

    def _pack(self, lines):
        for datagram, count, bad in pack_counted(lines):
            self.bad_lines += bad
            if datagram:
                yield datagram, count

    def _address(self):
        """The Agent's (family, sockaddr), or None while unknown. Never blocks on DNS: a numeric address is taken
        at once, a name is resolved by a resolver thread, and a cached address is used until the next one."""
        if self.family == socket.AF_UNIX:
            return socket.AF_UNIX, self.address
        now = time.monotonic()
        if self._resolved is None and self._resolved_at is None:
            numeric = _numeric(self.address)
            if numeric is not None:
                self._resolved, self._resolved_at = numeric, float('inf')  # an IP address never changes
                return numeric
        stale = self._resolved_at is None or now - self._resolved_at >= RESOLVE_EVERY
        may_retry = self._failed_at is None or now - self._failed_at >= RETRY_RESOLVE
        if stale and may_retry and not self._resolving:
            self._resolving = True
            self.resolutions += 1
            threading.Thread(target=self._resolve, name=f'{THREAD_NAME}-resolve', daemon=True).start()
        return self._resolved

    def _resolve(self):
        pid = os.getpid()
        try:
            info = socket.getaddrinfo(self.address[0], self.address[1], socket.AF_UNSPEC, socket.SOCK_DGRAM)
            resolved = info[0][0], info[0][4]
        except (OSError, UnicodeError, IndexError):
            resolved = None
        if pid != os.getpid():  # pragma: no cover - forked while resolving: this answer is the parent's
            return
        if resolved is None:
            self.resolve_errors += 1
            self._failed_at = time.monotonic()
        else:
            self._resolved, self._resolved_at, self._failed_at = resolved, time.monotonic(), None
        self._resolving = False
        self._wake.set()


def _numeric(address):
    try:
        info = socket.getaddrinfo(address[0], address[1], socket.AF_UNSPEC, socket.SOCK_DGRAM, 0,
                                  socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        return None
    return (info[0][0], info[0][4]) if info else None


def pack_counted(lines, limit=MAX_DATAGRAM):
    """Yield (datagram, lines in it, bad lines skipped) with newline-joined lines of at most `limit` bytes (a
    longer line goes alone). A line that is not valid UTF-8 text (a lone surrogate) is skipped alone."""
    datagram, count, bad = bytearray(), 0, 0
    for line in lines:
        try:
            data = line.encode('utf-8')
        except (UnicodeError, AttributeError):
            bad += 1
            continue
        if datagram and len(datagram) + 1 + len(data) > limit:
            yield bytes(datagram), count, bad
            datagram, count, bad = bytearray(), 0, 0
        if datagram:
            datagram += b'\n'
        datagram += data
        count += 1
    if datagram or bad:
        yield bytes(datagram), count, bad


def pack(lines, limit=MAX_DATAGRAM):
    """Join lines into newline-separated datagrams of at most `limit` bytes."""
    for datagram, _, _ in pack_counted(lines, limit):
        if datagram:
            yield datagram


def flush_all(timeout=None):
    """Flush every sender of the process within one shared deadline. Returns (everything sent, lines still
    queued when the deadline passed)."""
    if timeout is None:
        timeout = settings['flush_timeout']
    deadline = time.monotonic() + max(0.0, timeout)
    markers = [(s, s.post_marker()) for s in senders()]
    sent_all, unsent = True, 0
    for sender, marker in markers:
        if marker is None:
            continue
        if not marker.done.wait(max(0.0, deadline - time.monotonic())):
            sent_all, unsent = False, unsent + sender.unsent()
        elif not marker.sent_all:
            sent_all = False
    return sent_all, unsent


_finalizer_pid = None


def _flush_when_multiprocessing_child_exits():
    """A multiprocessing child ends with os._exit, which skips atexit: its own exit hook flushes instead."""
    global _finalizer_pid
    util = sys.modules.get('multiprocessing.util')
    if util is None or _finalizer_pid == os.getpid():
        return
    _finalizer_pid = os.getpid()
    try:
        import multiprocessing

        if multiprocessing.parent_process() is not None:
            util.Finalize(None, _flush_at_exit, exitpriority=0)
    except Exception:  # pragma: no cover
        pass


def _after_fork_in_child():
    global _registry_lock, _pid
    _pid = os.getpid()
    _registry_lock = threading.Lock()
    for sender in list(_senders.values()):
        if sender._socket is not None:
            try:
                sender._socket.close()  # the child's copy of the parent's descriptor
            except OSError:  # pragma: no cover
                pass
        resolved = sender._resolved, sender._resolved_at  # data, not a thread: the child may use it
        sender._reset()
        sender._resolved, sender._resolved_at = resolved


os.register_at_fork(after_in_child=_after_fork_in_child)


@atexit.register
def _flush_at_exit():  # the last second of an integration's life is often its busiest one
    try:
        started = time.monotonic()
        _, unsent = flush_all(settings['exit_timeout'])
        lost = []
        for sender in senders():
            left = sender.unsent() if unsent else 0
            sender.dropped += left
            if sender.dropped:
                lost.append(f'{sender.dropped} to {_describe(sender)} ({left} still queued at exit)')
        if lost:
            log.warning('genesys_cloud_velocity: DogStatsD lines not sent in this process: %s; exit flush took %.2f s',
                        ', '.join(lost), time.monotonic() - started)
    except Exception:  # pragma: no cover
        pass


def _describe(sender):
    if sender.family == socket.AF_UNIX:
        return f'unix://{sender.address}'
    return f'{sender.address[0]}:{sender.address[1]}'

"""One channel's WebSocket, read by its own daemon thread (websocket-client, which the Agent ships).

The thread connects to the channel's connectUri, hands every notification to LiveState with the connection's
generation, and reconnects with jittered exponential backoff when the socket closes, goes silent for longer
than `heartbeat_timeout` (heartbeats arrive on `channel.metadata`), or the server announces
`v2.system.socket_closing` (then at once: the platform gives about a minute). A handshake refused with
401/403/404/410 means the channel is gone (expired, or removed when a 21st was created): the thread stops and
the check creates a new channel on its next run. Times here are real (monotonic): the thread waits on events,
never on the check's clock.
"""

import json
import random
import threading
import time

import websocket

from .topics import METADATA_TOPIC, PING, SOCKET_CLOSING

CONNECT_TIMEOUT = 10.0
READ_TICK = 1.0  # seconds between checks of the stop flag and of silence while no frame arrives
HEARTBEAT_TIMEOUT = 95.0  # heartbeats are said to come every ~30 s (UNVERIFIED): three missed ones
BACKOFF_MIN, BACKOFF_MAX = 1.0, 60.0
STABLE_AFTER = 60.0  # a connection that lasted this long resets the backoff
GONE_STATUSES = (401, 403, 404, 410)
HEARTBEAT_TEXTS = ('websocket heartbeat',)


class ChannelConnection:
    def __init__(self, key, connect_uri, state, log, heartbeat_timeout=HEARTBEAT_TIMEOUT, connect_options=None):
        self.key = key
        self.uri = connect_uri
        self.state = state
        self.log = log
        self.heartbeat_timeout = heartbeat_timeout
        self.connect_options = dict(connect_options or {})
        self.generation = 0  # connections made so far; values are live only for the current one
        self.connected = False
        self.gone = False  # the server refused the channel: it no longer exists
        self.failures = 0  # consecutive failed connection attempts
        self.reconnects = 0
        self.last_error = ''
        self._ws = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pong = threading.Event()
        self._heard = threading.Event()  # anything received since the last ping
        self._thread = threading.Thread(target=self._run, name=f'genesys-notifications-{key}', daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self, wait=5.0):
        self._stop.set()
        self._wake.set()
        self._abort()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(wait)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- the check's thread ---------------------------------------------------------------------

    def ping(self) -> bool:
        """Send `{"message": "ping"}`; the server answers after what it had already sent (a sync barrier)."""
        with self._lock:
            ws = self._ws if self.connected else None
        if ws is None:
            return False
        self._pong.clear()
        self._heard.clear()
        try:
            ws.send(PING)
        except (OSError, websocket.WebSocketException):
            return False
        return True

    def wait_pong(self, deadline) -> str:
        """'synced' (answered), 'alive' (no answer, other frames arrived), or 'stalled' (nothing at all)."""
        if self._pong.wait(max(0.0, deadline - time.monotonic())):
            return 'synced'
        return 'alive' if self._heard.is_set() else 'stalled'

    def reconnect(self):
        """Drop the socket (it stalled): the thread connects again and a new generation starts."""
        self._abort()

    def _abort(self):
        with self._lock:
            ws = self._ws
        if ws is not None:
            try:
                ws.abort()
            except Exception:  # already closed
                pass

    # -- the connection's thread ------------------------------------------------------------------

    def _run(self):
        delay = BACKOFF_MIN
        while not self._stop.is_set():
            try:
                # UTF-8 is checked by json.loads below; websocket-client's own check is pure Python per byte
                # (8x the CPU of the rest of a frame's handling).
                ws = websocket.create_connection(self.uri, timeout=CONNECT_TIMEOUT, enable_multithread=True,
                                                 skip_utf8_validation=True, redirect_limit=0,
                                                 **self.connect_options)
            except websocket.WebSocketBadStatusException as e:
                if getattr(e, 'status_code', None) in GONE_STATUSES:
                    self.gone = True
                    self.last_error = f'the channel is gone (HTTP {e.status_code} on connect)'
                    self.log.info('notifications: channel %s: %s', self.key, self.last_error)
                    return
                delay = self._failed(f'HTTP {getattr(e, "status_code", "?")} on connect', delay)
                continue
            except (OSError, websocket.WebSocketException) as e:
                delay = self._failed(f'{type(e).__name__}: {e}', delay)
                continue
            status = getattr(ws.handshake_response, 'status', 101)
            if status != 101:
                # websocket-client follows redirects to any host and scheme (wss to ws included) unless told not
                # to; with none followed, a redirect comes back as a finished handshake that is not an upgrade.
                ws.close(timeout=1)
                delay = self._failed(f'the server answered HTTP {status} instead of upgrading (a redirect is never '
                                     'followed)', delay)
                continue
            with self._lock:
                self._ws = ws
                self.generation += 1
                self.connected = True
                if self.generation > 1:
                    self.reconnects += 1
            self.failures = 0
            started = time.monotonic()
            reason = self._read(ws)
            with self._lock:
                self.connected = False
                self._ws = None
            try:
                ws.close(timeout=1)
            except Exception:
                pass
            if self._stop.is_set():
                return
            self.last_error = reason
            self.log.info('notifications: channel %s: %s; reconnecting', self.key, reason)
            if reason == SOCKET_CLOSING or time.monotonic() - started > STABLE_AFTER:
                delay = BACKOFF_MIN
                continue  # maintenance: reconnect at once, within the minute the platform allows
            delay = self._backoff(delay)

    def _failed(self, what, delay):
        self.failures += 1
        self.last_error = what
        self.log.debug('notifications: channel %s: connection failed (%s)', self.key, what)
        return self._backoff(delay)

    def _backoff(self, delay):
        self._wake.wait(delay * random.uniform(0.5, 1.0))
        return min(BACKOFF_MAX, delay * 2)

    def _read(self, ws) -> str:
        ws.settimeout(READ_TICK)
        last = time.monotonic()
        while not self._stop.is_set():
            try:
                opcode, text = ws.recv_data()
            except websocket.WebSocketTimeoutException:
                if time.monotonic() - last > self.heartbeat_timeout:
                    return f'no heartbeat for {self.heartbeat_timeout:.0f}s'
                continue
            except (OSError, websocket.WebSocketException, ValueError) as e:
                return f'socket closed ({type(e).__name__})'
            last = time.monotonic()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return 'closed by the server'
            if opcode not in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY) or not text:
                continue
            self._heard.set()
            try:
                message = json.loads(text)
            except (ValueError, UnicodeDecodeError):
                self.log.debug('notifications: channel %s: a frame that is not JSON skipped', self.key)
                continue
            if not isinstance(message, dict):
                continue
            topic = message.get('topicName')
            if topic == METADATA_TOPIC:
                body = message.get('eventBody') if isinstance(message.get('eventBody'), dict) else {}
                if str(body.get('message', '')).lower() not in HEARTBEAT_TEXTS:
                    self._pong.set()  # anything but a heartbeat on channel.metadata answers our ping
                continue
            if topic == SOCKET_CLOSING:
                return SOCKET_CLOSING
            self.state.apply(message, (self.key, self.generation), self.log)
        return 'stopped'

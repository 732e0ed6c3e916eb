"""Hostile stand-ins for the Datadog API (real HTTP servers, stdlib, thread, port 0), recording every request.

- `Redirector(target)`: answers every request with a redirect (302, or `status`) to the same path on `target`
  (another host: 127.0.0.2 is not 127.0.0.1), the way a misconfigured proxy or a hostile server would.
- `Echo(status)`: answers every request with `status` and a body that echoes the request headers, padded so
  that the first secret header value straddles character 500 of the body (a `body[:500]` cut before scrubbing
  would print a prefix of it), plus `extra` text (e.g. the OAuth client secret, as a proxy log line would).
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HostileServer:
    def __init__(self, host='127.0.0.1'):
        self.requests = []  # (method, path, headers with lower-case names)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _Handler)
        self._server.daemon_threads = True
        self._server.hostile = self
        self._thread = None

    def __enter__(self):
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f'http://{host}:{port}'

    def record(self, method, path, headers):
        with self._lock:
            self.requests.append((method, path, {k.lower(): v for k, v in headers.items()}))

    def answer(self, method, path, headers):
        """-> (status, extra headers, body bytes)"""
        raise NotImplementedError


class Redirector(HostileServer):
    def __init__(self, target, status=302, host='127.0.0.1'):
        super().__init__(host)
        self.target, self.status = target.rstrip('/'), status

    def answer(self, method, path, headers):
        return self.status, {'Location': self.target + path}, b''


class Echo(HostileServer):
    def __init__(self, status, extra='', host='127.0.0.1'):
        super().__init__(host)
        self.status, self.extra = status, extra

    def answer(self, method, path, headers):
        secret_first = sorted(headers.items(), key=lambda kv: not kv[0].lower().startswith('dd-'))
        echoed = '; '.join(f'{k}: {v}' for k, v in secret_first)
        lead = '{"errors": ["proxy error, your request was: '
        name = len(secret_first[0][0]) + 2 if secret_first else 0
        pad = 'x' * max(0, 490 - len(lead) - name)  # the first DD-* value starts at character 490
        body = f'{lead}{pad}{echoed} {self.extra}"]}}'
        return self.status, {'Content-Type': 'application/json'}, body.encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def _serve(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        server = self.server.hostile
        headers = dict(self.headers.items())
        server.record(self.command, self.path, headers)
        status, extra, body = server.answer(self.command, self.path, headers)
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format, *args):
        pass


def leaked(text, secrets, prefix=8):
    """The secrets of which `text` holds the whole value or any `prefix`-character prefix (a cut one)."""
    return [s for s in secrets if s and s[:prefix] in (text or '')]



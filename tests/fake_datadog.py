"""A local fake of the Datadog API: a real HTTP server (stdlib, thread, port 0) that records every request.

Intake answers like Datadog: POST /api/v2/logs -> 202 {}, POST /api/v1/events -> 202 {"status": "ok",
"event": {...}}, POST /api/v2/series -> 202 {"errors": []}, POST /api/v1/check_run -> 202 {"status": "ok"}.
/api/v1/dashboard and /api/v1/monitor have a small in-memory CRUD (list, create with an id, get/put/delete by
id). Requests without a DD-API-KEY header get 403 like the real API. `fail_next(n, status=500)` makes the next n
requests fail.

Tests get one from the `fake_datadog` fixture (tests/conftest.py); subclass FakeDatadog to change its answers.
"""

import gzip
import itertools
import json
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict  # lower-case names
    body: bytes
    json: object = None
    status: int = 0  # what the fake answered
    extra: dict = field(default_factory=dict)

    @property
    def api_key(self):
        return self.headers.get('dd-api-key')


class FakeDatadog:
    def __init__(self, host='127.0.0.1', port=0):
        self.requests = []
        self.dashboards = {}
        self.monitors = {}
        self._ids = itertools.count(1000)
        self._failures = []  # statuses for the next requests
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self
        self._thread = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
                                        name='fake-datadog', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f'http://{host}:{port}'

    # -- test helpers --------------------------------------------------------------------------------

    def fail_next(self, n=1, status=500):
        with self._lock:
            self._failures.extend([status] * n)

    def reset(self):
        with self._lock:
            self.requests.clear()
            self._failures.clear()

    def by_path(self, path, method='POST'):
        with self._lock:
            return [r for r in self.requests if r.path == path and r.method == method]

    @property
    def logs(self):
        """Every log item received on /api/v2/logs (flattened)."""
        items = []
        for r in self.by_path('/api/v2/logs'):
            if isinstance(r.json, list):
                items.extend(r.json)
            elif isinstance(r.json, dict):
                items.append(r.json)
        return items

    @property
    def events(self):
        return [r.json for r in self.by_path('/api/v1/events')]

    @property
    def series(self):
        return [s for r in self.by_path('/api/v2/series') for s in (r.json or {}).get('series', [])]

    @property
    def service_checks(self):
        """Every service check accepted on /api/v1/check_run (flattened)."""
        return [sc for r in self.accepted('/api/v1/check_run') for sc in (r.json or [])]

    def accepted(self, path, method='POST'):
        """The requests on `path` the fake answered with a 2xx."""
        return [r for r in self.by_path(path, method) if 200 <= r.status < 300]

    # -- request handling ----------------------------------------------------------------------------

    def handle(self, method, raw_path, headers, body):
        parts = urlsplit(raw_path)
        headers = {k.lower(): v for k, v in headers.items()}
        decoded = _decode(body, headers.get('content-encoding', ''))
        try:
            parsed = json.loads(decoded) if decoded else None
        except ValueError:
            parsed = None
        record = RecordedRequest(method, parts.path, parse_qs(parts.query), headers, decoded, parsed)
        with self._lock:
            self.requests.append(record)
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, payload = failure, {'errors': [f'Simulated failure ({failure})']}
        elif not headers.get('dd-api-key'):
            status, payload = 403, {'errors': ['Forbidden']}
        elif parsed is None and method in ('POST', 'PUT') and decoded:
            status, payload = 400, {'errors': ['Malformed JSON']}
        else:
            status, payload = self._route(method, parts.path, parsed)
        record.status = status
        return status, payload

    def _route(self, method, path, body):
        if path == '/api/v2/logs' and method == 'POST':
            return 202, {}
        if path == '/api/v1/events' and method == 'POST':
            event = dict(body or {})
            event.update(id=next(self._ids), url='https://app.datadoghq.com/event/event?id=1')
            return 202, {'status': 'ok', 'event': event}
        if path == '/api/v2/series' and method == 'POST':
            return 202, {'errors': []}
        if path == '/api/v1/check_run' and method == 'POST':
            return 202, {'status': 'ok'}
        for prefix, store in (('/api/v1/dashboard', self.dashboards), ('/api/v1/monitor', self.monitors)):
            if path == prefix or path.startswith(prefix + '/'):
                return self._crud(method, path[len(prefix):].strip('/'), body, store, prefix)
        return 404, {'errors': ['Not found']}

    def _crud(self, method, item_id, body, store, prefix):
        is_dashboard = prefix.endswith('dashboard')
        with self._lock:
            if not item_id:
                if method == 'GET':
                    items = list(store.values())
                    return 200, ({'dashboards': items} if is_dashboard else items)
                if method == 'POST':
                    new_id = (f'abc-{next(self._ids)}-xyz' if is_dashboard else next(self._ids))
                    item = dict(body or {}, id=new_id)
                    store[str(new_id)] = item
                    return 200, item
                return 405, {'errors': ['Method not allowed']}
            if item_id not in store:
                return 404, {'errors': ['Not found']}
            if method == 'GET':
                return 200, store[item_id]
            if method == 'PUT':
                store[item_id] = dict(body or {}, id=store[item_id]['id'])
                return 200, store[item_id]
            if method == 'DELETE':
                store.pop(item_id)
                return 200, ({'deleted_dashboard_id': item_id} if is_dashboard else {'deleted_monitor_id': item_id})
        return 405, {'errors': ['Method not allowed']}


def _decode(body, encoding):
    encoding = encoding.lower()
    if not body:
        return body
    if 'gzip' in encoding:
        return gzip.decompress(body)
    if 'deflate' in encoding:
        return zlib.decompress(body)
    return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def _serve(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        status, payload = self.server.fake.handle(self.command, self.path, dict(self.headers.items()), body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format, *args):
        pass

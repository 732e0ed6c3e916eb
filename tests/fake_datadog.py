"""A local fake of the Datadog API: a real HTTP server (stdlib, thread, port 0) that records every request.

Intake answers like Datadog: POST /api/v2/logs -> 202 {}, POST /api/v1/events -> 202 {"status": "ok",
"event": {...}}, POST /api/v2/series -> 202 {"errors": []}, POST /api/v1/check_run -> 202 {"status": "ok"}.
/api/v1/dashboard and /api/v1/monitor have a small in-memory CRUD (list, create with an id, get/put/delete by
id). Requests without a DD-API-KEY header get 403 like the real API. `fail_next(n, status=500)` makes the next n
requests fail.

GET /api/v1/query (metrics history, also needs DD-APPLICATION-KEY) answers from the points a test seeded with
`add_points(metric, tags, [(epoch_seconds, value)])`: `agg:metric{tag:value,...} by {tag,...}` with optional
`.as_count()` and `.rollup(method, seconds)`; each series is rolled up into buckets of the rollup interval (or
the raw points), then series of the same group are combined with `agg`; only points in [from, to] count.

Tests get one from the `fake_datadog` fixture (tests/conftest.py); subclass FakeDatadog to change its answers.
"""

import gzip
import itertools
import json
import re
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
        self._points = []  # (metric, tags dict, epoch seconds, value) answered by /api/v1/query
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

    def add_points(self, metric, tags, points):
        """Seed metric history: tags {'oauth_client_name': 'CRM sync'}, points [(epoch seconds, value)]."""
        with self._lock:
            self._points.extend((metric, dict(tags), float(t), float(v)) for t, v in points)

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
        elif parts.path == '/api/v1/query' and method == 'GET':
            status, payload = (self._query(record.query) if headers.get('dd-application-key')
                               else (403, {'errors': ['Forbidden']}))
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

    def _query(self, params):
        text = (params.get('query') or [''])[0]
        match = QUERY.match(text.replace(' ', ''))
        try:
            start, end = float(params['from'][0]), float(params['to'][0])
        except (KeyError, ValueError):
            return 400, {'errors': ['from and to are required']}
        if not match:
            return 400, {'errors': [f'Error parsing query: {text}']}
        agg, metric, scope, by, tail = match.groups()
        rollup = re.search(r'\.rollup\((\w+)(?:,(\d+))?\)', tail or '')
        method, step = (rollup.group(1), int(rollup.group(2) or 60)) if rollup else (None, 0)
        wanted = dict(t.split(':', 1) for t in scope.split(',') if ':' in t)
        group_tags = [t for t in (by or '').split(',') if t]
        per_series = {}
        with self._lock:
            points = [p for p in self._points if p[0] == metric and start <= p[2] <= end
                      and all(p[1].get(k) == v for k, v in wanted.items())]
        for _, tags, t, v in points:
            bucket = t - t % step if step else t
            per_series.setdefault(tuple(sorted(tags.items())), {}).setdefault(bucket, []).append(v)
        groups = {}
        for tags, buckets in per_series.items():
            tags = dict(tags)
            key = tuple(f'{g}:{tags.get(g, "N/A")}' for g in group_tags)
            for bucket, values in buckets.items():
                groups.setdefault(key, {}).setdefault(bucket, []).append(_combine(method or agg, values))
        series = []
        for key, buckets in sorted(groups.items()):
            pointlist = [[t * 1000.0, _combine(agg, values)] for t, values in sorted(buckets.items())]
            series.append({'metric': metric, 'scope': ','.join(key) or '*', 'tag_set': list(key),
                           'pointlist': pointlist, 'interval': step or 1, 'length': len(pointlist),
                           'aggr': agg, 'expression': text})
        return 200, {'status': 'ok', 'res_type': 'time_series', 'query': text, 'from_date': int(start * 1000),
                     'to_date': int(end * 1000), 'series': series}

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


QUERY = re.compile(r'^(sum|max|min|avg):([\w.]+)\{([^}]*)\}(?:by\{([^}]*)\})?(.*)$')


def _combine(method, values):
    if method == 'max':
        return max(values)
    if method == 'min':
        return min(values)
    if method == 'avg':
        return sum(values) / len(values)
    return sum(values)


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

"""The emulator: one ThreadingHTTPServer answering the login path and /api/v2 like Genesys Cloud.

Every request goes through the same pipeline: route match -> count -> bearer token -> rate limit ->
faults -> permissions -> JSON body -> handler. The Notifications API's WebSocket side is notifications.py.
"""

import json
import socket
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from datadog_checks.genesys_cloud.clock import Clock

from . import control
from .data.usage import usage_history
from .errors import ApiError, error_body, new_correlation_id
from .faults import Faults
from .jobs import JobStore
from .notifications import NotificationService
from .org import OrgOptions, SyntheticOrg
from .paging import uri
from .permissions import Permissions
from .ratelimit import RateLimiter, too_many_requests
from .routing import Request, Response, load_routes
from .tokens import TokenStore

_DROP = object()  # the pipeline's answer when a fault drops the connection


class Emulator:
    def __init__(self, org=None, client_id=None, client_secret=None, clock=None, rate_limit_per_minute=300,
                 token_ttl=86400, host='127.0.0.1', port=0, legacy_ratelimit_headers=False, job_polls=1,
                 log_requests=False, routes=None):
        if isinstance(org, SyntheticOrg):
            if client_id and client_id != org.check_client.id:
                raise ValueError('client_id must be the org check client id when an org is given')
            clock = clock or org.clock
        else:
            clock = clock or Clock()
            options = org or OrgOptions()
            if client_id:
                options = replace(options, check_client_id=client_id)
            org = SyntheticOrg(options, clock)
        self.org = org
        self.clock = clock
        self.client_id = org.check_client.id
        self.client_secret = client_secret or org.check_client_secret
        self.credentials = {self.client_id: self.client_secret}  # more clients may be added by tests
        self.host = host
        self.port = port
        self.legacy_ratelimit_headers = legacy_ratelimit_headers
        self.log_requests = log_requests
        self.router = load_routes()
        self.extra_routes = routes  # a Router of test-only routes, matched before the real ones
        self.tokens = TokenStore(clock, token_ttl)
        self.rate_limiter = RateLimiter(clock, rate_limit_per_minute)
        self.permissions = Permissions()
        self.faults = Faults(known_targets=self._route_keys)
        self.jobs = JobStore(clock, running_polls=job_polls)
        self.requests = Counter()  # 'METHOD /route/template' -> requests received (429s included)
        self.rate_limited = Counter()  # same keys, requests answered 429 by the limiter
        self.unmatched = Counter()  # 'METHOD /concrete/path' with no route (answered 404)
        self._counter_lock = threading.Lock()
        self.notifications = NotificationService(self)  # channels and their WebSocket server
        self._server = None
        self._thread = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self):
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), _Handler)
        self._server.emulator = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
                                        name='genesys-emulator', daemon=True)
        self._thread.start()
        self.notifications.start(self.host)
        return self

    def stop(self):
        if self._server is None:
            return
        self.notifications.stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f'http://{self.host}:{self.port}'

    # -- counters -------------------------------------------------------------------------------

    def reset_counters(self):
        with self._counter_lock:
            self.requests.clear()
            self.rate_limited.clear()
            self.unmatched.clear()

    def stats(self):
        with self._counter_lock:
            return {'requests': dict(self.requests), 'rateLimited': dict(self.rate_limited),
                    'unmatched': dict(self.unmatched), 'now': self.clock.now().isoformat()}

    def _count(self, counter, key):
        with self._counter_lock:
            counter[key] += 1

    # -- pipeline -------------------------------------------------------------------------------

    def dispatch(self, method, raw_path, headers, body):
        """(status, headers, body bytes), or _DROP. Public so benchmarks can bypass the socket."""
        seen = {}
        answer = self._dispatch(method, raw_path, headers, body, seen)
        request = seen.get('request')
        token = getattr(request, 'token', None)
        if token is not None and request.path.startswith('/api/'):
            # The Usage API reports what each client really asked (the check's own client included).
            status = 0 if answer is _DROP else answer[0]
            usage_history(self.org).record(token.client_id, self.clock.now().date(), request.template, method,
                                           status)
        return answer

    def _dispatch(self, method, raw_path, headers, body, seen):
        parts = urlsplit(raw_path)
        path = parts.path
        correlation_id = new_correlation_id()
        out_headers = {'inin-correlation-id': correlation_id}
        if path.startswith(control.PREFIX):
            return self._control(method, path, body, out_headers)
        route, path_params = self._match(method, path)
        if route is None:
            self._count(self.unmatched, f'{method} {path}')
            message = f'HTTP 404 Not Found: {method} {path}'
            return 404, out_headers, _dump(error_body(404, 'not.found', message, correlation_id))
        self._count(self.requests, route.key)
        query_all = parse_qs(parts.query, keep_blank_values=True)
        request = Request(method, path, route.template, path_params, {k: v[0] for k, v in query_all.items()},
                          query_all, headers, None, body, self.org, self.clock, self, route=route,
                          correlation_id=correlation_id)
        seen['request'] = request
        fault = None
        try:
            if route.auth:
                request.token = self._authenticate(headers)
                self._limit(route, request.token, out_headers)
            fault = self.faults.take(route.key, path.startswith('/api/'))
            if fault is not None:
                applied = self._apply_fault(fault, request)
                if applied is _DROP:
                    return _DROP
                if applied is not None:
                    return applied
            self.permissions.check(route.permissions)
            request.json = _parse_json(headers, body)
            result = route.handler(request)
        except ApiError as exc:
            out_headers.update(exc.headers)
            return exc.status, out_headers, _dump(exc.body(correlation_id))
        except Exception:  # a handler bug must look like a platform 500, not kill the server thread
            traceback.print_exc(file=sys.stderr)
            return 500, out_headers, _dump(error_body(500, context_id=correlation_id))
        status, payload = 200, result
        if isinstance(result, Response):
            status, payload = result.status, result.body
            out_headers.update(result.headers)
        encoded = b'' if payload is None else _dump(payload)
        if fault is not None and fault.wrong_shape:
            status, encoded = 200, _dump({'unexpected': True})
        if fault is not None and fault.malformed:
            status, encoded = 200, (encoded or b'{"entities": [')[: max(1, len(encoded) // 2)]
        if fault is not None and fault.paging_loop and status == 200 and isinstance(payload, dict):
            encoded = _dump(loop_paging(fault.paging_loop, request, payload))
        if fault is not None and fault.corrupt and status == 200 and payload is not None:
            payload = json.loads(encoded)
            fault.corrupted += sum(corrupt_item(payload, **change) for change in fault.corrupt)
            encoded = _dump(payload)
        return status, out_headers, encoded

    def _match(self, method, path):
        if self.extra_routes is not None:
            route, path_params = self.extra_routes.match(method, path)
            if route is not None:
                return route, path_params
        return self.router.match(method, path)

    def _route_keys(self):
        routers = [self.router] + ([self.extra_routes] if self.extra_routes is not None else [])
        return {r.key for router in routers for r in router.routes()}

    def _control(self, method, path, body, out_headers):
        try:
            status, payload = control.handle(self, method, path, _parse_json({}, body))
        except ApiError as exc:
            status, payload = exc.status, exc.body(out_headers['inin-correlation-id'])
        return status, out_headers, _dump(payload)

    def _authenticate(self, headers):
        scheme, _, value = (headers.get('Authorization') or '').strip().partition(' ')
        if scheme.lower() != 'bearer' or not value.strip():
            raise ApiError(401, 'bad.credentials', 'No authentication bearer token specified in authorization header.')
        token = self.tokens.validate(value.strip())
        if token is None:
            raise ApiError(401, 'bad.credentials', 'Invalid login credentials.')
        return token

    def _limit(self, route, token, out_headers):
        try:
            self.rate_limiter.hit(token.value)
        except ApiError:
            self._count(self.rate_limited, route.key)
            raise
        finally:
            if self.legacy_ratelimit_headers:
                out_headers.update(self.rate_limiter.legacy_headers(token.value))

    def _apply_fault(self, fault, request):
        if fault.latency:
            time.sleep(fault.latency)  # real time on purpose: this exercises client timeouts
        if fault.slow and hasattr(self.clock, 'advance'):
            self.clock.advance(fault.slow)  # a slow answer on the shared FakeClock: no test waits for it
        if fault.drop_connection:
            return _DROP
        if fault.stuck_job:
            request.job_fault = 'stuck'
        if fault.failed_job:
            request.job_fault = 'failed'
        if fault.paging_loop and 'pageNumber' in request.query:
            # A listing that ignores pageNumber: the same page again ('self', 'growing') or two pages in turn.
            number = request.query['pageNumber']
            request.asked_page = int(number) if number.isdigit() else 1
            served = str(2 - request.asked_page % 2) if fault.paging_loop == 'cycle' else '1'
            request.query['pageNumber'] = served
            request.query_all['pageNumber'] = [served]
        if fault.echo_authorization:
            body = request.body.decode('utf-8', 'replace') if request.body else ''
            raise ApiError(400, 'bad.request', '.' * fault.echo_padding + 'Invalid header: Authorization: '
                           + (request.headers.get('Authorization') or '') + ' ' + body)
        if fault.status == 200 and fault.html:  # a captive portal or proxy sign-in page instead of the answer
            page = b'<html><head><title>Sign in</title></head><body><form>Accept the terms</form></body></html>'
            return 200, {'Content-Type': 'text/html'}, page
        if fault.status is not None and fault.status >= 400 and fault.html:
            page = f'<html><body><h1>{fault.status} Bad Gateway</h1><p>upstream error</p></body></html>'.encode()
            headers = {'Content-Type': 'text/html'}
            if fault.retry_after is not None:
                headers['Retry-After'] = str(fault.retry_after)
            return fault.status, headers, page
        if fault.status == 429:
            raise too_many_requests(fault.retry_after if fault.retry_after is not None else 1)
        if fault.status is not None and fault.status >= 400:
            headers = {'Retry-After': str(fault.retry_after)} if fault.retry_after else {}
            raise ApiError(fault.status, headers=headers)
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as the client's session would get from the platform
    server_version = 'GenesysCloudEmulator'
    disable_nagle_algorithm = True  # headers and body go out as two writes; Nagle would delay each answer 40 ms

    def _serve(self):
        emulator = self.server.emulator
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        outcome = emulator.dispatch(self.command, self.path, self.headers, body)
        if outcome is _DROP:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status, headers, payload = outcome
        self.send_response(status)
        if 'Content-Type' not in headers:
            self.send_header('Content-Type', 'application/json')
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format, *args):
        if self.server.emulator.log_requests:
            super().log_message(format, *args)


def corrupt_item(payload, path, set=None, drop=()):
    """Change one item of an answer in place (an item of the wrong shape among good ones); False when the
    answer has no such item."""
    target = payload
    for step in path:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(target, dict):
        return False
    target.update(set or {})
    for key in drop:
        target.pop(key, None)
    return True


def loop_paging(mode, request, payload):
    """Rewrite a listing's paging so it never ends: what a broken API (or proxy cache) can answer."""
    payload = dict(payload)
    if mode == 'self':
        payload['nextUri'] = uri(request)
        if isinstance(payload.get('cursors'), dict):
            payload['cursors'] = {**payload['cursors'], 'after': request.query.get('after') or 'cursor-1'}
    elif mode == 'cycle':
        other = None if request.query.get('loop') else 'b'
        payload['nextUri'] = uri(request, loop=other)
        if isinstance(payload.get('cursors'), dict):
            payload['cursors'] = {**payload['cursors'],
                                  'after': 'cursor-a' if request.query.get('after') == 'cursor-b' else 'cursor-b'}
    if 'pageCount' in payload or mode == 'growing':
        number = getattr(request, 'asked_page', None) or int(request.query.get('pageNumber') or 1)
        payload['pageCount'] = number + 1  # always one more page than the one just read
        payload['nextUri'] = payload.get('nextUri') or uri(request, pageNumber=number + 1)
    return payload


def _parse_json(headers, body):
    content_type = (headers.get('Content-Type') or '').lower()
    if not body or 'x-www-form-urlencoded' in content_type:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, 'bad.request', 'The request could not be understood by the server due to malformed '
                       'syntax.') from None


def _dump(payload) -> bytes:
    return json.dumps(payload, separators=(',', ':'), ensure_ascii=False).encode('utf-8')


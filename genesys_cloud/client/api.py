"""The one Genesys Cloud Platform API client every collector uses.

It owns what must be done the same way everywhere: the bearer token, retries, Retry-After, pacing under a
request budget shared by all collectors, paging, and counting every request it spends of the org's limits.
"""

import random
import re
from collections import Counter, deque
from urllib.parse import urlsplit

from ..clock import Clock
from .auth import TokenManager
from .errors import (
    ApiUnreachable,
    AuthenticationError,
    BadRequest,
    GenesysApiError,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
)
from .headers import retry_after as _retry_after
from .paging import PageGuard

_ID_SEGMENT = re.compile(r'^(?:[0-9a-fA-F-]{16,}|\d+|[A-Za-z0-9_-]*\d[A-Za-z0-9_-]{11,})$')
_PERMISSIONS = re.compile(r'\[([^\]]+)\]')


class RequestBudgetExhausted(Exception):
    """The check spent its `max_requests_per_minute`, a collector its share of it, or the run its time; the
    remaining work waits for a later run."""


class GenesysClient:
    def __init__(
        self,
        http,
        api_url,
        login_url,
        client_id,
        client_secret,
        clock=None,
        log=None,
        max_requests_per_minute=60,
        max_retries=2,
        timeout=None,
        on_token=None,
    ):
        self._http = http
        self._api_url = api_url.rstrip('/')
        self._clock = clock or Clock()
        self._log = log
        self.request_counts = Counter()
        self._tokens = TokenManager(
            http, login_url, client_id, client_secret, self._clock, timeout, before_request=self._spend,
            on_token=on_token,
        )
        self._timeout = timeout
        self.max_requests_per_minute = max_requests_per_minute
        self.max_retries = max_retries
        self._sent = deque()  # monotonic send times within the last minute, for pacing
        self._deadline = None
        self._allowance = None  # requests the running collector may still send (its share of the run's budget)
        self.rate_limited_counts = Counter()
        self.failed_counts = Counter()
        self.succeeded = 0
        self._extra_secrets = []

    @classmethod
    def from_settings(cls, api_url, login_url, client_id, client_secret, http=None, **kwargs):
        """A client with default HTTP options (tests, benchmarks, the demo's emulator). Toolkit commands that talk
        to Genesys use GenesysCloudCheck.genesys_client() instead, which honours the instance's HTTP options."""
        if http is None:
            from datadog_checks.base.utils.http import RequestsWrapper

            http = RequestsWrapper({}, {})
        return cls(http, api_url, login_url, client_id, client_secret, **kwargs)

    # -- run bookkeeping -------------------------------------------------------------------------

    def begin_run(self, time_budget: float) -> None:
        """Start a check run: waits (Retry-After, pacing, backoff) must end within `time_budget` seconds."""
        self._deadline = self._clock.monotonic() + time_budget
        self._allowance = None
        self.request_counts.clear()
        self.rate_limited_counts.clear()
        self.failed_counts.clear()
        self.succeeded = 0

    def _time_left(self) -> float:
        if self._deadline is None:
            return float('inf')
        return self._deadline - self._clock.monotonic()

    @property
    def token_requests(self) -> int:
        return self._tokens.requests_made

    @property
    def secrets(self) -> list:
        """The client secret, the bearer tokens it holds or held, and whatever else was registered (a Datadog
        key the caller sends through the API): what no output may show."""
        return self._tokens.secrets + self._extra_secrets

    def register_secret(self, secret) -> None:
        if secret and secret not in self._extra_secrets:
            self._extra_secrets.append(secret)

    def scrub(self, text) -> str:
        """`text` with every secret replaced; done before any truncation, so no part of a secret survives."""
        text = str(text)
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, '********')
        return text

    def requests_available(self) -> int:
        """Requests the budget allows now without waiting (max_requests_per_minute minus the last minute's)."""
        self._forget_old_sends()
        return max(0, self.max_requests_per_minute - len(self._sent)) if self.max_requests_per_minute else 10**9

    def allow(self, requests) -> None:
        """Let the next collector send at most `requests` (None: no share of its own)."""
        self._allowance = requests

    # -- requests --------------------------------------------------------------------------------

    def get(self, path, params=None, endpoint=None):
        return self.request('GET', path, params=params, endpoint=endpoint)

    def post(self, path, body=None, params=None, endpoint=None):
        return self.request('POST', path, params=params, body=body, endpoint=endpoint)

    def put(self, path, body=None, params=None, endpoint=None):
        return self.request('PUT', path, params=params, body=body, endpoint=endpoint)

    def patch(self, path, body=None, params=None, endpoint=None):
        return self.request('PATCH', path, params=params, body=body, endpoint=endpoint)

    def delete(self, path, params=None, endpoint=None):
        return self.request('DELETE', path, params=params, endpoint=endpoint)

    def request(self, method, path, params=None, body=None, endpoint=None):
        method = method.upper()
        path = _relative(path)
        endpoint = endpoint or f'{method} {endpoint_template(path)}'
        attempt = 0
        reauthenticated = False
        while True:
            response = self._send(method, path, params, body, endpoint)
            status = response.status_code
            if status == 401 and not reauthenticated:
                # The token may have been revoked or expired early: get a fresh one, once.
                self._tokens.invalidate()
                reauthenticated = True
                continue
            if status == 429:
                self.rate_limited_counts[endpoint] += 1
                wait = _retry_after(response)
                if wait is not None and attempt < self.max_retries and wait <= self._time_left():
                    attempt += 1
                    self._log_debug('%s: rate limited, waiting %.0fs as Retry-After asks', endpoint, wait)
                    self._clock.sleep(wait)
                    continue
                raise RateLimited(endpoint, self._error_message(response, 'rate limit exceeded'), retry_after=wait)
            if status >= 500 and attempt < self.max_retries and self._backoff(attempt, endpoint):
                attempt += 1
                continue
            return self._parse(response, endpoint)

    def _send(self, method, path, params, body, endpoint):
        attempt = 0
        while True:
            token = self._tokens.token
            headers = {'Authorization': f'Bearer {token}', 'Accept': 'application/json'}
            options = {'extra_headers': headers, 'persist': True}
            if params:
                options['params'] = params
            if body is not None:
                options['json'] = body
            if self._timeout:
                options['timeout'] = self._timeout
            self._spend(endpoint)
            try:
                return getattr(self._http, method.lower())(self._api_url + path, **options)
            except Exception as e:  # connection refused, read timeout, dropped connection
                if attempt < self.max_retries and self._backoff(attempt, endpoint):
                    attempt += 1
                    continue
                self.failed_counts[endpoint] += 1
                raise ApiUnreachable(endpoint, f'no response ({type(e).__name__})') from None

    def _parse(self, response, endpoint):
        status = response.status_code
        if 200 <= status < 300:
            if status == 204 or not response.content:
                self.succeeded += 1
                return None
            try:
                data = response.json()
            except ValueError:
                self.failed_counts[endpoint] += 1
                raise MalformedResponse(endpoint, 'the response body is not valid JSON', status=status) from None
            self.succeeded += 1
            return data
        self.failed_counts[endpoint] += 1
        message = self._error_message(response, response.reason or 'error')
        code = _error_code(response)
        if status == 401:
            raise AuthenticationError(endpoint, message, status=status, code=code)
        if status == 403:
            raise PermissionDenied(endpoint, message, status=status, code=code, permissions=_permissions(message))
        if status == 404:
            raise NotFound(endpoint, message, status=status, code=code)
        if status >= 500:
            raise ServerError(endpoint, message, status=status, code=code)
        if status == 400:
            raise BadRequest(endpoint, message, status=status, code=code)
        raise GenesysApiError(endpoint, message, status=status, code=code)

    def _error_message(self, response, default):
        message = _error_body(response).get('message')
        return self.scrub(message)[:300] if message else default

    def _backoff(self, attempt, endpoint) -> bool:
        """Sleep before a retry (exponential, jittered); False when the run's time budget does not allow it."""
        delay = min(8.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.5)
        if delay > self._time_left():
            return False
        self._log_debug('%s: retrying in %.1fs', endpoint, delay)
        self._clock.sleep(delay)
        return True

    def _spend(self, endpoint) -> None:
        """Before every request (token requests too): stop when the run's time or the collector's share is
        spent, pace under max_requests_per_minute, and count it."""
        if self._time_left() <= 0:
            raise RequestBudgetExhausted(f'{endpoint}: the run\'s time budget is spent')
        if self._allowance is not None:
            if self._allowance <= 0:
                raise RequestBudgetExhausted(f'{endpoint}: this collector\'s share of the run\'s request budget '
                                             f'is spent')
            self._allowance -= 1
        self._pace(endpoint)
        self.request_counts[endpoint] += 1
        self._sent.append(self._clock.monotonic())

    def _forget_old_sends(self):
        now = self._clock.monotonic()
        while self._sent and now - self._sent[0] >= 60:
            self._sent.popleft()

    def _pace(self, endpoint) -> None:
        """Keep the whole check under max_requests_per_minute, sleeping when that fits the run."""
        if not self.max_requests_per_minute:
            return
        now = self._clock.monotonic()
        self._forget_old_sends()
        if len(self._sent) < self.max_requests_per_minute:
            return
        wait = 60 - (now - self._sent[0])
        if wait > self._time_left():
            raise RequestBudgetExhausted(f'{endpoint}: max_requests_per_minute reached')
        self._clock.sleep(wait)
        self._pace(endpoint)

    def _log_debug(self, *args):
        if self._log:
            self._log.debug(*args)

    # -- paging ----------------------------------------------------------------------------------

    def iter_pages(self, path, params=None, page_size=100, method='GET', body=None, items_key='entities'):
        """pageNumber/pageCount paging (users, queues, licences, routing activity...)."""
        params = dict(params or {})
        seen = set()
        guard = PageGuard(f'{method.upper()} {endpoint_template(path)}')
        page_number = 0
        while True:
            page_number += 1
            guard.visit(page_number)
            params.update(pageSize=page_size, pageNumber=page_number)
            data = self.request(method, path, params=params, body=body) or {}
            items = data.get(items_key) or []
            new = list(_unique(items, seen))
            yield from new
            page_count = data.get('pageCount')
            if page_count is not None:
                if not isinstance(page_count, (int, float)) or page_number >= page_count:
                    return
            elif len(items) < page_size:
                return
            guard.page(data, len(new), page_size)

    def iter_next_uri(self, path, params=None, method='GET', body=None, items_key='entities', max_pages=None,
                      strict=False):
        """Follow `nextUri` (a path relative to the API host) for as long as the response has one.

        strict: a page without an `items_key` list is a MalformedResponse, never an empty listing.
        max_pages: read at most that many pages (the caller knows its listing is short)."""
        endpoint = f'{method.upper()} {endpoint_template(path)}'
        seen = set()
        guard = PageGuard(endpoint)
        for _ in range(max_pages or 10**9):
            guard.visit((path, sorted((params or {}).items())))
            data = self.request(method, path, params=params, body=body)
            if strict and not (isinstance(data, dict) and isinstance(data.get(items_key), list)):
                raise MalformedResponse(endpoint, f'the answer has no `{items_key}` list')
            if not isinstance(data, dict):
                return
            items = data.get(items_key)
            new = list(_unique(items if isinstance(items, list) else [], seen))
            yield from new
            next_uri = data.get('nextUri')
            if not next_uri or not isinstance(next_uri, str):
                return
            guard.page(data, len(new))
            path, params = _relative(next_uri), None

    def iter_cursor(self, path, params=None, cursor_param='after', cursor_path=('cursors', 'after'),
                    method='GET', body=None, items_key='entities'):
        """Cursor paging: the cursor from `cursor_path` in one response is sent as `cursor_param`."""
        params = dict(params or {})
        seen = set()
        guard = PageGuard(f'{method.upper()} {endpoint_template(path)}')
        while True:
            guard.visit(params.get(cursor_param))
            data = self.request(method, path, params=params, body=body) or {}
            items = data.get(items_key) if isinstance(data, dict) else None
            new = list(_unique(items if isinstance(items, list) else [], seen))
            yield from new
            cursor = data
            for key in cursor_path:
                cursor = cursor.get(key) if isinstance(cursor, dict) else None
            if not cursor:
                return
            guard.page(data, len(new))
            params[cursor_param] = cursor


def endpoint_template(path: str) -> str:
    """`/api/v2/routing/queues/5f0a...` -> `/api/v2/routing/queues/{id}`, for bounded counter tags."""
    path = urlsplit(path).path
    return '/'.join('{id}' if _ID_SEGMENT.match(part) else part for part in path.split('/'))


def _relative(path: str) -> str:
    parts = urlsplit(path)
    if parts.scheme:  # an absolute nextUri: keep only what follows the host
        return parts.path + (f'?{parts.query}' if parts.query else '')
    return path if path.startswith('/') else '/' + path


def _unique(items, seen):
    """Yield items once each, even when paging shifts under us (an entity added while we page)."""
    for item in items:
        key = item.get('id') if isinstance(item, dict) else None
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        yield item


def _error_body(response):
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(response):
    return _error_body(response).get('code')


def _permissions(message):
    match = _PERMISSIONS.search(message or '')
    if not match:
        return ()
    return tuple(p.strip() for p in match.group(1).split(',') if p.strip())

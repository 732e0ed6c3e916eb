"""Turn one API request (method, URL, status, seconds, response headers) into DogStatsD lines.

The metric names and tags are the contract shared with the check's api_usage metrics and the dashboards
(docs/companion.md): `genesys_cloud.velocity.requests` (count), `.latency` (distribution, seconds),
`.rate_limited` (count of 429s), `.retry_after` (distribution, seconds), tagged `oauth_client_id`,
`oauth_client_name`, `template_uri`, `http_method` (lower case, as the check sends it), `status_class` and, on
4xx/5xx only, `status_code`. Only the path template leaves the process: never a query string, a body, a header
value or a concrete id.
"""

import base64
import os
import re

from .statsd import Sender
from .templates import Normaliser, path_of

PREFIX = 'genesys_cloud.velocity.'
REQUESTS, LATENCY, RATE_LIMITED, RETRY_AFTER = (f'{PREFIX}{m}' for m in
                                                ('requests', 'latency', 'rate_limited', 'retry_after'))
MAX_TAG_LENGTH = 200
MAX_RETRY_AFTER = 86400  # a Retry-After beyond a day is not a rate limit answer we trust
UNKNOWN = 'unknown'
NO_ANSWER = 'error'  # status_class when no HTTP answer came back (timeout, refused connection, TLS failure)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f,|#]+')  # commas split tags; `|` and `#` are DogStatsD separators
_TOKEN_PATH = '/oauth/token'

_shared = {}


def shared_sender():
    """One sender per process (and per Agent address) for every instrumented client."""
    key = os.environ.get('DD_DOGSTATSD_URL'), os.environ.get('DD_AGENT_HOST'), os.environ.get('DD_DOGSTATSD_PORT')
    sender = _shared.get(key)
    if sender is None:
        sender = _shared[key] = Sender()
    return sender


_normaliser = None


def shared_normaliser():
    global _normaliser
    if _normaliser is None:
        _normaliser = Normaliser()
    return _normaliser


def clean(value):
    text = _UNSAFE.sub(' ', '' if value is None else str(value)).strip()
    return re.sub(r'\s+', ' ', text) or UNKNOWN


def tag(key, value):
    return f'{key}:{clean(value)}'[:MAX_TAG_LENGTH]


class Velocity:
    """Records the requests of one OAuth client. Every public method swallows its own errors (counted in
    `internal_errors`): instrumentation must never break the integration it measures."""

    def __init__(self, client_id=None, name=None, sender=None, normaliser=None, tags=()):
        self.client_id = client_id
        self.name = name
        self.sender = sender or shared_sender()
        self.normaliser = normaliser or shared_normaliser()
        self.extra_tags = [tag(*t.split(':', 1)) if ':' in t else clean(t) for t in tags]
        self.internal_errors = 0
        self._tag_cache = {}

    def observe(self, method, url, status, seconds, headers=None, template=None, authorization=None):
        """Record one request. `status` None means no HTTP answer. `headers`: the response headers (only
        Retry-After is read). `authorization`: the request's header, read only on the token request to learn
        the client id (never the secret) when none was configured."""
        try:
            if self.client_id is None and authorization and _TOKEN_PATH in url:
                self.client_id = client_id_from_basic(authorization)
            self._observe(method, url, status, seconds, headers, template)
        except Exception:
            self.internal_errors += 1

    def _observe(self, method, url, status, seconds, headers, template):
        template = self.normaliser.template(url, template)
        key = (template, method, status, self.client_id, self.name)
        tags = self._tag_cache.get(key)
        if tags is None:
            tags = self._tags(template, method, status)
            if len(self._tag_cache) > 4096:
                self._tag_cache.clear()
            self._tag_cache[key] = tags
        submit = self.sender.submit
        submit(f'{REQUESTS}:1|c|#{tags}')
        if seconds is not None and seconds >= 0:
            submit(f'{LATENCY}:{seconds:.6f}|d|#{tags}')
        if status == 429:
            submit(f'{RATE_LIMITED}:1|c|#{tags}')
            wait = retry_after_seconds(_header(headers, 'Retry-After'))
            if wait is not None:
                submit(f'{RETRY_AFTER}:{wait:g}|d|#{tags}')

    def _tags(self, template, method, status):
        client_id = self.client_id or UNKNOWN
        tags = [tag('oauth_client_id', client_id), tag('oauth_client_name', self.name or client_id),
                tag('template_uri', template), tag('http_method', (method or UNKNOWN).lower())]
        if isinstance(status, int) and 100 <= status <= 599:
            tags.append(f'status_class:{status // 100}xx')
            if status >= 400:
                tags.append(f'status_code:{status}')
        else:
            tags.append(f'status_class:{NO_ANSWER}')
        return ','.join(tags + self.extra_tags)

    def flush(self):
        try:
            self.sender.flush()
        except Exception:
            self.internal_errors += 1


def retry_after_seconds(value):
    """Retry-After as seconds, or None when absent or not a sane delay (the header is untrusted input; the
    HTTP-date form is not what Genesys sends and is ignored)."""
    if value is None:
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER else None


def client_id_from_basic(authorization):
    """The client id of a `Basic base64(id:secret)` header; the secret is dropped at once."""
    scheme, _, encoded = str(authorization).partition(' ')
    if scheme.lower() != 'basic':
        return None
    try:
        client_id = base64.b64decode(encoded.strip(), validate=True).decode('utf-8').partition(':')[0]
    except (ValueError, UnicodeDecodeError):
        return None
    return client_id or None


def _header(headers, name):
    if not headers:
        return None
    getter = getattr(headers, 'get', None)
    if getter is None:
        return None
    value = getter(name)
    if value is None and isinstance(headers, dict):  # a plain dict is case-sensitive
        value = next((v for k, v in headers.items() if str(k).lower() == name.lower()), None)
    return value


def is_api_url(url):
    """Genesys Cloud API or token URLs: what a requests session instrumentation counts."""
    path = path_of(url)
    return path.startswith('/api/v2/') or path.rstrip('/') == _TOKEN_PATH

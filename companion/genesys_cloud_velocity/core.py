"""Turn one API request (method, URL, status, seconds, response headers) into DogStatsD lines.

The metric names and tags are the contract shared with the check's api_usage metrics and the dashboards
(docs/companion.md): `genesys_cloud.velocity.requests` (count), `.latency` (distribution, seconds),
`.rate_limited` (count of 429s), `.retry_after` (distribution, seconds), tagged `oauth_client_id`,
`oauth_client_name`, `template_uri`, `http_method` (lower case, as the check sends it), `status_class` and, on
4xx/5xx only, `status_code`. Only the path template leaves the process: never a query string, a body, a header
value or a concrete id. Only requests to Genesys Cloud hosts are counted (the 18 regions' API and login hosts,
and hosts the customer names, such as a gateway in front of Genesys).
"""

import base64
import math
import re

from ._log import warn_once
from .statsd import sender_for
from .templates import Normaliser, path_of

PREFIX = 'genesys_cloud.velocity.'
REQUESTS, LATENCY, RATE_LIMITED, RETRY_AFTER = (f'{PREFIX}{m}' for m in
                                                ('requests', 'latency', 'rate_limited', 'retry_after'))
MAX_TAG_LENGTH = 200
MAX_RETRY_AFTER = 86400  # a Retry-After beyond a day is not a rate limit answer we trust
UNKNOWN = 'unknown'
NO_ANSWER = 'error'  # status_class when no HTTP answer came back (timeout, refused connection, TLS failure)
# Commas split tags; `|` and `#` are DogStatsD separators; control characters, line separators and bidi controls
# (which reorder what a dashboard shows) never belong in a tag.
_UNSAFE = re.compile('[\x00-\x1f\x7f-\x9f,|#\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+')
_TOKEN_PATH = '/oauth/token'

# The 18 Genesys Cloud regions (PureCloudPlatformClientV2 269.0.0, purecloud_region_hosts.py): the API host is
# api.<domain>, the login host login.<domain>. Only these, and hosts the customer names, are counted.
REGION_DOMAINS = (
    'mypurecloud.com', 'use2.us-gov-pure.cloud', 'usw2.pure.cloud', 'cac1.pure.cloud', 'sae1.pure.cloud',
    'mxc1.pure.cloud', 'mypurecloud.ie', 'euw2.pure.cloud', 'mypurecloud.de', 'euc2.pure.cloud',
    'edee1.eusc-pure.cloud', 'mec1.pure.cloud', 'aps1.pure.cloud', 'apse1.pure.cloud', 'mypurecloud.com.au',
    'mypurecloud.jp', 'apne2.pure.cloud', 'apne3.pure.cloud',
)
GENESYS_HOSTS = frozenset(f'{kind}.{domain}' for domain in REGION_DOMAINS for kind in ('api', 'login'))

def shared_sender():
    """The sender of the Agent address DD_DOGSTATSD_URL / DD_AGENT_HOST / DD_DOGSTATSD_PORT name now."""
    return sender_for()


_normaliser = None


def shared_normaliser():
    global _normaliser
    if _normaliser is None:
        _normaliser = Normaliser()
    return _normaliser


def clean(value):
    """A tag value: DogStatsD separators and control characters removed, and always encodable as UTF-8 (a lone
    surrogate, from a name decoded with surrogateescape, becomes `?`)."""
    text = '' if value is None else str(value)
    text = text.encode('utf-8', 'replace').decode('utf-8')
    text = _UNSAFE.sub(' ', text).strip()
    return re.sub(r'\s+', ' ', text) or UNKNOWN


def tag(key, value):
    return f'{key}:{clean(value)}'[:MAX_TAG_LENGTH]


def extra_tags(tags, where='instrument'):
    """`tags` as DogStatsD tags: an iterable of `key:value` or bare strings (a single string is one tag).
    Anything else is ignored with one warning."""
    if tags is None:
        return []
    if isinstance(tags, (str, bytes)):
        tags = [tags]
    try:
        items = list(tags)
    except TypeError:
        warn_once((where, 'tags'), '%s(tags=...) takes a list of "key:value" strings, not a %s; ignored', where,
                  type(tags).__name__)
        return []
    result = []
    for item in items:
        if isinstance(item, bytes):
            item = item.decode('utf-8', 'replace')
        if not isinstance(item, str) or not item.strip():
            warn_once((where, 'tag-item'), '%s(tags=...): a tag that is not a non-empty string (%s) is ignored',
                      where, type(item).__name__)
            continue
        result.append(tag(*item.split(':', 1)) if ':' in item else clean(item)[:MAX_TAG_LENGTH])
    return result


def text_argument(value, where, name):
    """A client id or name: text, or None (ignored with one warning) when it is not a string or a number."""
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace') or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    warn_once((where, name), '%s(%s=...) takes a string, not a %s; ignored', where, name, type(value).__name__)
    return None


def host_key(value):
    """A host the customer names (`gateway.example.com`, `gateway.example.com:8443` or a URL) -> lower-case
    `host` or `host:port`, or None."""
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if '://' in text:
        text = text.split('://', 1)[1]
    text = text.split('/', 1)[0].rsplit('@', 1)[-1]
    return text or None


def host_keys(hosts, where='instrument'):
    if hosts is None:
        return frozenset()
    if isinstance(hosts, (str, bytes)):
        hosts = [hosts]
    try:
        items = list(hosts)
    except TypeError:
        warn_once((where, 'genesys_hosts'), '%s(genesys_hosts=...) takes a list of host names; ignored', where)
        return frozenset()
    keys = {host_key(h) for h in items}
    if None in keys:
        warn_once((where, 'genesys_hosts-item'), '%s(genesys_hosts=...): an entry that is not a host name is '
                  'ignored', where)
        keys.discard(None)
    return frozenset(keys)


def netloc_of(url):
    """Lower-case `host[:port]` of an absolute URL, or None for a bare path."""
    scheme = url.find('://')
    if scheme < 0:
        return None
    rest = url[scheme + 3:]
    for mark in ('/', '?', '#'):
        cut = rest.find(mark)
        if cut >= 0:
            rest = rest[:cut]
    return rest.rsplit('@', 1)[-1].lower()


def is_genesys_host(netloc, named=frozenset()):
    """A Genesys Cloud API or login host of one of the 18 regions, or a host the customer named (by host, or by
    host:port)."""
    if netloc is None:
        return False
    host = netloc
    if netloc.startswith('['):
        host = netloc[:netloc.find(']') + 1]
    elif netloc.count(':') == 1:
        host = netloc.split(':', 1)[0]
    return host.rstrip('.') in GENESYS_HOSTS or netloc in named or host in named


class Velocity:
    """Records the requests of one OAuth client. Every public method swallows its own errors (counted in
    `internal_errors`): instrumentation must never break the integration it measures."""

    def __init__(self, client_id=None, name=None, sender=None, normaliser=None, tags=(), genesys_hosts=()):
        self.client_id = text_argument(client_id, 'instrument', 'client_id')
        self.name = text_argument(name, 'instrument', 'name')
        self.sender = sender or shared_sender()
        self.normaliser = normaliser or shared_normaliser()
        self.extra_tags = extra_tags(tags)
        self.genesys_hosts = host_keys(genesys_hosts)  # hosts in front of Genesys the customer named
        self.internal_errors = 0
        self._tag_cache = {}

    def is_genesys(self, url):
        """Whether an absolute URL goes to Genesys Cloud: a region's API or login host, or a named host."""
        return is_genesys_host(netloc_of(url), self.genesys_hosts)

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
        if seconds is not None and 0 <= seconds < math.inf:
            submit(f'{LATENCY}:{seconds:.6f}|d|#{tags}')
        if status == 429:
            submit(f'{RATE_LIMITED}:1|c|#{tags}')
            wait = retry_after_seconds(_header(headers, 'Retry-After'))
            if wait is not None:
                submit(f'{RETRY_AFTER}:{wait:g}|d|#{tags}')

    def _tags(self, template, method, status):
        client_id = self.client_id or UNKNOWN
        method = method if isinstance(method, str) and method else UNKNOWN
        tags = [tag('oauth_client_id', client_id), tag('oauth_client_name', self.name or client_id),
                tag('template_uri', template), tag('http_method', method.lower())]
        if isinstance(status, int) and 100 <= status <= 599:
            tags.append(f'status_class:{status // 100}xx')
            if status >= 400:
                tags.append(f'status_code:{status}')
        else:
            tags.append(f'status_class:{NO_ANSWER}')
        return ','.join(tags + self.extra_tags)

    def flush(self, timeout=None):
        """Send what this recorder's sender holds; wait at most `timeout` seconds (default 1 s). Returns whether
        everything was sent."""
        try:
            return self.sender.flush(timeout)
        except Exception:
            self.internal_errors += 1
            return False


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


def is_api_path(url):
    """Genesys Cloud API or token paths: with a Genesys host, what a requests session instrumentation counts."""
    path = path_of(url)
    return path.startswith('/api/v2/') or path.rstrip('/') == _TOKEN_PATH

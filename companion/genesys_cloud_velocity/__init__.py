"""Per-request API velocity of a Genesys Cloud integration, sent to the Datadog Agent's DogStatsD.

One line of setup:

    import genesys_cloud_velocity; genesys_cloud_velocity.instrument(api_client, name='crm-sync')

`api_client` is the official SDK's `PureCloudPlatformClientV2.ApiClient` or any `requests.Session`. For any
other HTTP client, call `record(...)` after each request. See docs/companion.md for the metric contract.
"""

import logging
import numbers

from . import statsd
from .__about__ import __version__
from ._log import warn_once
from .core import (
    LATENCY,
    RATE_LIMITED,
    REQUESTS,
    RETRY_AFTER,
    Velocity,
    host_keys,
    is_genesys_host,
    netloc_of,
    text_argument,
)
from .statsd import sender_for

__all__ = ['instrument', 'record', 'flush', 'configure', 'Velocity', 'REQUESTS', 'LATENCY', 'RATE_LIMITED',
           'RETRY_AFTER', '__version__']

log = logging.getLogger(__name__)
_recorders = {}
MAX_RECORDERS = 1000  # distinct (client, name, address, tags) of record(): past it, the oldest are forgotten
_config = {'genesys_hosts': frozenset()}


def configure(genesys_hosts=None, flush_timeout=None, exit_timeout=None, **unknown):
    """Process-wide settings. `genesys_hosts`: hosts in front of Genesys Cloud (a proxy, an API gateway) whose
    requests count, beside the 18 regions' API and login hosts. `flush_timeout`/`exit_timeout`: the longest an
    explicit flush() and the flush at exit wait for the Agent, in seconds (1 s each by default). Never raises."""
    _ignore_unknown('configure', unknown)
    if genesys_hosts is not None:
        _config['genesys_hosts'] = host_keys(genesys_hosts, 'configure')
    for key, value in (('flush_timeout', flush_timeout), ('exit_timeout', exit_timeout)):
        if value is None:
            continue
        seconds = _seconds(value)
        if seconds is None:
            warn_once(('configure', key), 'configure(%s=...) takes seconds (a number >= 0); ignored', key)
        else:
            statsd.settings[key] = seconds


def instrument(client, client_id=None, name=None, tags=(), host=None, port=None, genesys_hosts=(), *args,
               **unknown):
    """Instrument `client` (SDK ApiClient or requests.Session) and return its `Velocity` recorder.

    `client_id`: the OAuth client id; when omitted it is read from the token request (the id part of its Basic
    credentials, the secret is never kept). `name`: how dashboards show the integration (default: the id).
    `tags`: extra `key:value` tags. `host`/`port`: the Agent's DogStatsD, when DD_AGENT_HOST/DD_DOGSTATSD_PORT
    (default localhost:8125) do not say it. `genesys_hosts`: hosts in front of Genesys a requests session talks
    to (a gateway); the regions' own hosts always count. Never raises: an unknown client type or argument logs
    one warning and is left alone.
    """
    try:
        if args:
            warn_once(('instrument', 'args'), 'instrument() takes its options by name; %d extra positional '
                      'argument(s) ignored', len(args))
        _ignore_unknown('instrument', unknown)
        velocity = Velocity(client_id=client_id, name=name, tags=tags, sender=_sender('instrument', host, port),
                            genesys_hosts=host_keys(genesys_hosts) | _config['genesys_hosts'])
    except Exception as e:  # pragma: no cover - each argument is checked above; this is the last guard
        log.warning('genesys_cloud_velocity: instrument() could not set up a recorder: %s', type(e).__name__)
        velocity = Velocity()
    try:
        if hasattr(client, 'get_http_client') and hasattr(client, 'set_http_client'):
            from .sdk import instrument_api_client

            instrument_api_client(client, velocity)
        elif callable(getattr(client, 'send', None)) and hasattr(client, 'mount'):
            from .session import instrument_session

            instrument_session(client, velocity)
        else:
            log.warning('genesys_cloud_velocity: cannot instrument a %s; call record() after each request',
                        type(client).__name__)
    except Exception as e:  # setup must not take the integration down either
        log.warning('genesys_cloud_velocity: instrumentation of a %s failed: %s', type(client).__name__, e)
    return velocity


def record(method, url, status, seconds=None, client_id=None, name=None, headers=None, template=None, tags=(),
           host=None, port=None, *args, **unknown):
    """Record one request made with any other client. `status` None: no HTTP answer. `seconds`: from sending the
    request to its answer. `headers`: the response headers (only Retry-After is read). `template`: the path
    template when the caller knows it. A URL with a host counts only on a Genesys Cloud host (see configure());
    a bare path counts. Never raises: a wrong argument is ignored with one warning."""
    try:
        if args:
            warn_once(('record', 'args'), 'record() takes its options by name; %d extra positional argument(s) '
                      'ignored', len(args))
        _ignore_unknown('record', unknown)
        if isinstance(url, bytes):
            url = url.decode('utf-8', 'replace')
        if not isinstance(url, str):
            warn_once(('record', 'url'), 'record(url=...) takes a string, not a %s; the request is not recorded',
                      type(url).__name__)
            return
        netloc = netloc_of(url)
        if netloc is not None and not is_genesys_host(netloc, _config['genesys_hosts']):
            return  # another service's request
        if not isinstance(method, str):
            warn_once(('record', 'method'), 'record(method=...) takes a string, not a %s; sent as unknown',
                      type(method).__name__)
            method = None
        status = _status(status)
        latency = _seconds(seconds)
        if seconds is not None and latency is None:
            warn_once(('record', 'seconds'), 'record(seconds=...) takes a number of seconds >= 0; the latency '
                      'of such a request is not sent')
        if headers is not None and not callable(getattr(headers, 'get', None)):
            warn_once(('record', 'headers'), 'record(headers=...) takes a mapping, not a %s; ignored',
                      type(headers).__name__)
            headers = None
        if template is not None and not isinstance(template, str):
            warn_once(('record', 'template'), 'record(template=...) takes a string; ignored')
            template = None
        client_id = text_argument(client_id, 'record', 'client_id')
        name = text_argument(name, 'record', 'name')
        tag_key = _hashable(tags)
        key = (client_id, name, host, port, tag_key) if _hashable((host, port)) is not None else (client_id, name)
        velocity = _recorders.get(key)
        if velocity is None:
            if len(_recorders) >= MAX_RECORDERS:
                _recorders.pop(next(iter(_recorders)))
            velocity = _recorders[key] = Velocity(client_id=client_id, name=name, tags=tags,
                                                  sender=_sender('record', host, port))
        velocity.observe(method, url, status, latency, headers, template=template)
    except Exception:  # pragma: no cover - each argument is checked above; this is the last guard
        pass


def flush(timeout=None):
    """Send what every recorder of the process has queued (whatever Agent address each names); wait at most
    `timeout` seconds (default 1 s, see configure()). Returns True when everything was sent. The background
    thread also sends every second, and at exit within `exit_timeout`."""
    try:
        seconds = None if timeout is None else _seconds(timeout)
        if timeout is not None and seconds is None:
            warn_once(('flush', 'timeout'), 'flush(timeout=...) takes seconds (a number >= 0); the default is used')
        return statsd.flush_all(seconds)[0]
    except Exception:  # pragma: no cover
        return False


def _sender(where, host, port):
    if host is not None and not isinstance(host, str):
        warn_once((where, 'host'), '%s(host=...) takes a host name, not a %s; DD_AGENT_HOST is used', where,
                  type(host).__name__)
        host = None
    if port is not None and (isinstance(port, bool) or not isinstance(port, (int, str))):
        warn_once((where, 'port'), '%s(port=...) takes a port number, not a %s; DD_DOGSTATSD_PORT is used', where,
                  type(port).__name__)
        port = None
    return sender_for(host=host or None, port=port or None)


def _ignore_unknown(where, unknown):
    if unknown:
        warn_once((where, 'unknown', tuple(sorted(unknown))), '%s() has no option %s; ignored', where,
                  ', '.join(sorted(unknown)))


def _status(status):
    if status is None or isinstance(status, bool):
        return None if status is None else _bad_status()
    if isinstance(status, int):
        return status
    try:
        return int(str(status).strip())
    except (TypeError, ValueError):
        return _bad_status()


def _bad_status():
    warn_once(('record', 'status'), 'record(status=...) takes an HTTP status code or None; sent as no answer')
    return None


def _seconds(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    value = float(value)
    return value if 0 <= value < float('inf') else None


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value

"""Per-request API velocity of a Genesys Cloud integration, sent to the Datadog Agent's DogStatsD.

One line of setup:

    import genesys_cloud_velocity; genesys_cloud_velocity.instrument(api_client, name='crm-sync')

`api_client` is the official SDK's `PureCloudPlatformClientV2.ApiClient` or any `requests.Session`. For any
other HTTP client, call `record(...)` after each request. See docs/companion.md for the metric contract.
"""

import logging

from .__about__ import __version__
from .core import LATENCY, RATE_LIMITED, REQUESTS, RETRY_AFTER, Velocity, shared_sender
from .statsd import Sender

__all__ = ['instrument', 'record', 'flush', 'Velocity', 'REQUESTS', 'LATENCY', 'RATE_LIMITED', 'RETRY_AFTER',
           '__version__']

log = logging.getLogger(__name__)
_recorders = {}


def instrument(client, client_id=None, name=None, tags=(), host=None, port=None):
    """Instrument `client` (SDK ApiClient or requests.Session) and return its `Velocity` recorder.

    `client_id`: the OAuth client id; when omitted it is read from the token request (the id part of its Basic
    credentials, the secret is never kept). `name`: how dashboards show the integration (default: the id).
    `host`/`port`: the Agent's DogStatsD, when DD_AGENT_HOST/DD_DOGSTATSD_PORT (default localhost:8125) do not
    say it. Never raises: an unknown client type logs one warning and is left alone.
    """
    sender = Sender(host=host, port=port) if host or port else None
    velocity = Velocity(client_id=client_id, name=name, tags=tags, sender=sender)
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


def record(method, url, status, seconds, client_id=None, name=None, headers=None, template=None):
    """Record one request made with any other client. `status` None: no HTTP answer. `headers`: the response
    headers (only Retry-After is read). `template`: the path template when the caller knows it."""
    try:
        key = (client_id, name)
        velocity = _recorders.get(key)
        if velocity is None:
            velocity = _recorders[key] = Velocity(client_id=client_id, name=name)
        velocity.observe(method, url, status, seconds, headers, template=template)
    except Exception:
        pass


def flush():
    """Send what is queued now (the background thread does it every second, and at exit)."""
    try:
        shared_sender().flush()
    except Exception:
        pass

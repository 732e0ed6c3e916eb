# Validation a schema cannot express. Each error names the option, so the Agent's message says what to fix.
from urllib.parse import urlsplit

from ..regions import UnknownRegion, resolve_domain


def instance_region(value, *, field, **kwargs):
    if value is not None:
        try:
            resolve_domain(value)
        except UnknownRegion as e:
            raise ValueError(str(e)) from None
    return value


def _url(value):
    if value not in (None, ''):
        parts = urlsplit(str(value))
        if parts.scheme not in ('http', 'https') or not parts.netloc:
            raise ValueError(f'must be an http(s) URL such as https://api.mypurecloud.com, got {value!r}')
    return value


def instance_api_url(value, *, field, **kwargs):
    return _url(value)


def instance_login_url(value, *, field, **kwargs):
    return _url(value)


def instance_max_requests_per_minute(value, *, field, **kwargs):
    if isinstance(value, int) and value < 1:
        raise ValueError('must be at least 1')
    return value

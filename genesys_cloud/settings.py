"""Instance settings the check needs before it can talk to Genesys Cloud, validated with clear errors.

The config models (generated from spec.yaml) check types and required options; this adds what a schema
cannot say: the region must be a real Genesys Cloud region and URL overrides must be URLs.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from datadog_checks.base import ConfigurationError

from . import regions

DEFAULT_MAX_REQUESTS_PER_MINUTE = 60


@dataclass(frozen=True)
class Settings:
    client_id: str
    client_secret: str
    domain: str
    api_url: str
    login_url: str
    max_requests_per_minute: int

    @classmethod
    def from_instance(cls, instance: dict) -> 'Settings':
        for option in ('client_id', 'client_secret'):
            value = instance.get(option)
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(f'`{option}` is required: the OAuth client (Client Credentials grant)')
        try:
            domain = regions.resolve_domain(instance.get('region') or regions.DEFAULT_REGION)
        except regions.UnknownRegion as e:
            raise ConfigurationError(f'`region`: {e}') from None
        api_url = _url(instance, 'api_url') or regions.api_url(domain)
        login_url = _url(instance, 'login_url') or regions.login_url(domain)
        budget = instance.get('max_requests_per_minute', DEFAULT_MAX_REQUESTS_PER_MINUTE)
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
            raise ConfigurationError('`max_requests_per_minute` must be a positive whole number')
        return cls(instance['client_id'].strip(), instance['client_secret'], domain, api_url, login_url, budget)


def _url(instance, option):
    value = instance.get(option)
    if value in (None, ''):
        return None
    parts = urlsplit(str(value))
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        raise ConfigurationError(
            f'`{option}` must be an http(s) URL such as https://api.mypurecloud.com, got {value!r}'
        )
    return str(value).rstrip('/')

"""The one outbound policy for every request the toolkit sends to Datadog.

Used by the Agent-less sender, `assets deploy`, `flows send-test` and `report limits --datadog`:
- **Where the keys go**: the configured site's hosts (`https://api.<site>`, `https://http-intake.logs.<site>`:
  every `*.<site>`), or the one host of an explicit `--dd-url`. Plain http only to a loopback host (a local
  intake, the tests' fake): the keys never cross a network in clear text.
- **Redirects are never followed.** A 3xx answer is an error that names the host it pointed to; no second
  request is sent, so no `DD-API-KEY` / `DD-APPLICATION-KEY` header reaches another host (urllib3 strips only
  `Authorization` and cookies on a cross-host redirect, not Datadog's headers).
- **Errors are scrubbed** of every secret the process knows (redaction.SECRETS: both Datadog keys, the OAuth
  client secret, bearer tokens) before they are cut short, whatever prints them.
"""

import re
from urllib.parse import urlsplit

from datadog_checks.genesys_cloud.settings import is_loopback

from .redaction import SECRETS, scrub

DEFAULT_SITE = 'datadoghq.com'
DD_HEADERS = frozenset({'dd-api-key', 'dd-application-key'})
_SITE = re.compile(r'^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$')


class OutboundRefused(ValueError):
    """The destination breaks the policy (a bad site or URL): nothing was sent."""


def normalize_site(site):
    """'https://app.datadoghq.eu/' -> 'datadoghq.eu'; raises OutboundRefused on something that is not a site."""
    text = str(site or DEFAULT_SITE).strip().lower()
    for prefix in ('https://', 'http://'):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = text.rstrip('/')
    for prefix in ('app.', 'api.'):
        if text.startswith(prefix):
            text = text[len(prefix):]
    if not _SITE.match(text):
        raise OutboundRefused(f'DD_SITE {site!r} is not a Datadog site such as datadoghq.com or datadoghq.eu')
    return text


class Destination:
    """Where this process may send Datadog keys: a site's hosts, or the one host of `url`."""

    def __init__(self, site=None, url=None):
        self.site = normalize_site(site)
        self.url = None
        if url:
            parts = urlsplit(str(url).strip())
            if parts.scheme not in ('http', 'https') or not parts.hostname:
                raise OutboundRefused(f'--dd-url must be an http(s) URL such as https://api.datadoghq.com, got '
                                      f'{scrub(url, 100)!r}')
            if parts.username or parts.password:
                raise OutboundRefused('--dd-url must not carry credentials: the keys come from DD_API_KEY/DD_APP_KEY')
            if parts.scheme == 'http' and not is_loopback(parts.hostname):
                raise OutboundRefused(f'--dd-url {parts.scheme}://{parts.hostname}: plain http only to a loopback '
                                      'host; the Datadog keys never travel in clear text (use https)')
            self.url = f'{parts.scheme}://{parts.netloc}{parts.path.rstrip("/")}'
            self.host = parts.hostname.lower()
        else:
            self.host = f'api.{self.site}'

    @property
    def base_url(self):
        return self.url or f'https://api.{self.site}'

    def allows(self, url):
        """True when `url` is a place the keys may go (used on every Location a server answers with)."""
        parts = urlsplit(str(url))
        host = (parts.hostname or '').lower()
        if self.url:
            return host == self.host and parts.scheme == urlsplit(self.url).scheme
        return parts.scheme == 'https' and (host == self.site or host.endswith('.' + self.site))

    def __str__(self):
        return self.url or self.site

    # -- datadog-api-client -------------------------------------------------------------------------

    def configuration(self, api_key, app_key=None, timeout=15.0, retries=0):
        """A datadog-api-client Configuration under this policy (keys registered for scrubbing)."""
        from datadog_api_client import Configuration
        from datadog_api_client.rest import ClientRetry
        from urllib3.util import Retry

        SECRETS.add(api_key, app_key)
        configuration = Configuration(host=self.url) if self.url else Configuration()
        if not self.url:
            configuration.server_variables['site'] = self.site
        configuration.api_key['apiKeyAuth'] = api_key
        if app_key is not None:  # an empty one: the client refuses to send (ApiValueError)
            configuration.api_key['appKeyAuth'] = app_key
        configuration.request_timeout = timeout
        # redirect=False: urllib3 hands the 3xx back instead of sending the request (and its DD-* headers)
        # to the Location; the client then raises ApiException(status=3xx), which `describe` names.
        configuration.retry_policy = ClientRetry(
            total=retries, read=False, redirect=False, backoff_factor=1 if retries else 0,
            remove_headers_on_redirect=Retry.DEFAULT_REMOVE_HEADERS_ON_REDIRECT | DD_HEADERS)
        return configuration

    def describe(self, error, limit=300):
        """An ApiException (or any error) -> one scrubbed line: status, reason, the refused redirect, the body."""
        status = getattr(error, 'status', None)
        if status is None or not hasattr(error, 'body'):
            return scrub(f'no answer from {self} ({type(error).__name__})', limit)
        headers = getattr(error, 'headers', None) or {}
        if 300 <= int(status or 0) < 400:
            return scrub(f'HTTP {status}: {redirect_note(self, headers.get("Location"))}', limit)
        body = error.body
        if isinstance(body, bytes):
            body = body.decode('utf-8', 'replace')
        if isinstance(body, dict):
            body = '; '.join(str(x) for x in body.get('errors') or []) or body
        text = f'HTTP {status} {error.reason or ""}'.strip()
        if body:
            text += f': {body}'
        return scrub(text, limit)  # scrubbed first, then cut: no part of a secret survives the cut


def redirect_note(destination, location):
    """What to say about a refused redirect: only the host it pointed to (its path may carry anything)."""
    target = urlsplit(str(location or '')).hostname or 'an unnamed location'
    same = ' (same host)' if location and destination.allows(location) else ''
    return (f'a redirect to {target}{same} was not followed: the Datadog keys go only to {destination}; '
            'point DD_SITE or --dd-url at the final address')

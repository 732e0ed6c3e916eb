"""Client-credentials access token, cached until shortly before it expires."""

from .errors import ApiUnreachable, AuthenticationError, LoginFailed
from .headers import retry_after

TOKEN_PATH = '/oauth/token'
TOKEN_ENDPOINT = f'POST {TOKEN_PATH}'
RENEW_BEFORE_EXPIRY = 300  # seconds: renew early so a long run never holds an expired token...
RENEW_SHARE = 0.2  # ...but never more than this share of the lifetime early: a 300 s token lives 240 s, not 0
# Genesys lets an OAuth client's token lifetime be set from 300 to 172,800 seconds; an absurd answer is bounded
# (a token kept for at least MIN_LIFETIME: at worst one 401 and re-login, never a token per call).
MIN_LIFETIME, MAX_LIFETIME, DEFAULT_LIFETIME = 30.0, 172800.0, 86400.0
NOT_LOGIN_SERVICE = ('check login_url (the login service of the org\'s region, e.g. https://login.mypurecloud.com) '
                     'and any proxy or captive portal between the check and Genesys Cloud')


class TokenManager:
    def __init__(self, http, login_url, client_id, client_secret, clock, timeout=None, before_request=None,
                 on_token=None):
        self._http = http
        self._url = login_url.rstrip('/') + TOKEN_PATH
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._timeout = timeout
        self._token = None
        self._previous = None
        self._renew_at = 0.0
        self.requests_made = 0
        # The client's budget: token requests are paced, counted and bounded like any other request.
        self._before_request = before_request
        self._on_token = on_token  # told of every new token, so logs and messages can scrub it

    @property
    def token(self) -> str:
        if self._token is None or self._clock.time() >= self._renew_at:
            self._fetch()
        return self._token

    @property
    def secrets(self) -> list:
        return [s for s in (self._client_secret, self._token, self._previous) if s]

    def invalidate(self) -> None:
        self._remember()
        self._token = None

    def _remember(self):
        if self._token:
            self._previous = self._token  # an error body may still echo the token that was just replaced

    def _fetch(self) -> None:
        options = {'data': {'grant_type': 'client_credentials'}, 'auth': (self._client_id, self._client_secret)}
        if self._timeout:
            options['timeout'] = self._timeout
        if self._before_request is not None:
            self._before_request(TOKEN_ENDPOINT)
        self.requests_made += 1
        try:
            response = self._http.post(self._url, persist=True, **options)
        except Exception as e:  # requests' connection errors and timeouts
            raise ApiUnreachable(TOKEN_ENDPOINT, f'cannot reach the login service ({type(e).__name__})') from None
        status = response.status_code
        if status == 429:
            raise LoginFailed(TOKEN_ENDPOINT, 'the login service refused the token request (rate limited)',
                              status=status, retry_after=retry_after(response),
                              advice='too many token requests for this OAuth client (is another Agent or runner '
                                     'using it?); retried after Retry-After on a later run')
        if status >= 500:
            raise LoginFailed(TOKEN_ENDPOINT, 'the login service answered with a server error', status=status,
                              advice=f'retried on the next run; if it persists, {NOT_LOGIN_SERVICE}')
        if status != 200:
            raise AuthenticationError(TOKEN_ENDPOINT, 'the OAuth client credentials were rejected', status=status)
        try:
            body = response.json()
        except ValueError:
            kind = (response.headers.get('Content-Type') or 'unknown').split(';')[0].strip()[:40]
            raise LoginFailed(TOKEN_ENDPOINT, f'the answer is not a token but a {kind} page', status=status,
                              advice=NOT_LOGIN_SERVICE) from None
        token = body.get('access_token') if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise LoginFailed(TOKEN_ENDPOINT, 'the answer is JSON without an access_token', status=status,
                              advice=NOT_LOGIN_SERVICE)
        try:
            lifetime = float(body.get('expires_in') or DEFAULT_LIFETIME)
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        lifetime = min(max(lifetime, MIN_LIFETIME), MAX_LIFETIME) if lifetime == lifetime else DEFAULT_LIFETIME
        self._remember()
        self._token = token
        if self._on_token is not None:
            self._on_token(token)
        self._renew_at = self._clock.time() + lifetime - min(RENEW_BEFORE_EXPIRY, lifetime * RENEW_SHARE)

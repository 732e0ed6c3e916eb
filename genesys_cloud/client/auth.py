"""Client-credentials access token, cached until shortly before it expires."""

from .errors import ApiUnreachable, AuthenticationError, MalformedResponse, RateLimited, ServerError

TOKEN_PATH = '/oauth/token'
RENEW_BEFORE_EXPIRY = 300  # seconds: renew early so a long run never holds an expired token


class TokenManager:
    def __init__(self, http, login_url, client_id, client_secret, clock, timeout=None, counter=None):
        self._http = http
        self._url = login_url.rstrip('/') + TOKEN_PATH
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._timeout = timeout
        self._token = None
        self._expires_at = 0.0
        self.requests_made = 0
        self._counter = counter  # the client's per-endpoint request counter, so token calls are counted too

    @property
    def token(self) -> str:
        if self._token is None or self._clock.time() >= self._expires_at - RENEW_BEFORE_EXPIRY:
            self._fetch()
        return self._token

    def invalidate(self) -> None:
        self._token = None

    def _fetch(self) -> None:
        options = {'data': {'grant_type': 'client_credentials'}, 'auth': (self._client_id, self._client_secret)}
        if self._timeout:
            options['timeout'] = self._timeout
        self.requests_made += 1
        if self._counter is not None:
            self._counter[f'POST {TOKEN_PATH}'] += 1
        try:
            response = self._http.post(self._url, persist=True, **options)
        except Exception as e:  # requests' connection errors and timeouts
            raise ApiUnreachable(f'POST {TOKEN_PATH}', f'cannot reach the login service ({type(e).__name__})') from None
        if response.status_code == 429:
            raise RateLimited(f'POST {TOKEN_PATH}', 'token requests are rate limited',
                              retry_after=_retry_after(response))
        if response.status_code >= 500:
            raise ServerError(f'POST {TOKEN_PATH}', 'login service error', status=response.status_code)
        if response.status_code != 200:
            raise AuthenticationError(
                f'POST {TOKEN_PATH}', 'the OAuth client credentials were rejected', status=response.status_code
            )
        try:
            body = response.json()
            token = body['access_token']
            lifetime = float(body.get('expires_in') or 3600)
        except (ValueError, KeyError, TypeError):
            raise MalformedResponse(f'POST {TOKEN_PATH}', 'the token response was not the expected JSON') from None
        self._token = token
        self._expires_at = self._clock.time() + lifetime


def _retry_after(response):
    try:
        return max(0.0, float(response.headers.get('Retry-After')))
    except (TypeError, ValueError):
        return None

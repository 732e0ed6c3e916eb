"""What can go wrong when talking to Genesys Cloud, each with the advice an admin needs."""


class GenesysApiError(Exception):
    """A request that did not produce usable data. `str()` is one log line: endpoint, what, what to do."""

    advice = ''

    def __init__(self, endpoint: str, message: str, status=None, code=None, advice=None):
        self.endpoint = endpoint
        self.message = message
        self.status = status
        self.code = code
        if advice is not None:
            self.advice = advice
        super().__init__(str(self))

    def __str__(self):
        status = f'HTTP {self.status} ' if self.status else ''
        text = f'{self.endpoint}: {status}{self.message}'
        return f'{text}; {self.advice}' if self.advice else text


class AuthenticationError(GenesysApiError):
    advice = 'check client_id/client_secret and that the OAuth client uses the Client Credentials grant and is active'


class LoginFailed(AuthenticationError):
    """The token endpoint answered, but not with a token (a captive portal's page, JSON without a token, 429 or 5xx):
    the check cannot work, whatever the status says."""

    def __init__(self, endpoint, message, status=None, advice=None, retry_after=None):
        self.retry_after = retry_after
        super().__init__(endpoint, message, status=status, advice=advice)


class PermissionDenied(GenesysApiError):
    def __init__(self, endpoint, message, status=403, code=None, permissions=()):
        self.permissions = tuple(permissions)
        advice = (
            f'add one of these permissions to the OAuth client\'s role: {", ".join(self.permissions)}'
            if self.permissions
            else 'add the missing permission to the OAuth client\'s role'
        )
        super().__init__(endpoint, message, status, code, advice)


class NotFound(GenesysApiError):
    advice = 'the endpoint or entity does not exist in this org or region'


class RateLimited(GenesysApiError):
    def __init__(self, endpoint, message, retry_after=None, status=429, code=None):
        self.retry_after = retry_after
        super().__init__(endpoint, message, status, code, 'will retry after the Retry-After delay on a later run')


class ServerError(GenesysApiError):
    advice = 'Genesys Cloud answered with a server error; will retry on the next run'


class ApiUnreachable(GenesysApiError):
    advice = 'check network access, proxy settings and api_url/region'


class MalformedResponse(GenesysApiError):
    advice = 'the response was not the expected JSON; will retry on the next run'


class PagingLoop(MalformedResponse):
    advice = ('the listing\'s paging repeats itself or never ends; it was abandoned and is retried on the next '
              'collection')


class BadRequest(GenesysApiError):
    advice = 'the request was rejected as invalid; this is a bug in the integration, please report it'

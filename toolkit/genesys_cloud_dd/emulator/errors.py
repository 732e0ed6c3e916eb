"""Genesys Cloud error bodies and the exception route handlers raise to send one."""

import uuid

# Codes the real platform uses for each status when a more specific one is not known.
DEFAULT_CODES = {
    400: 'bad.request',
    401: 'bad.credentials',
    403: 'missing.any.permissions',
    404: 'not.found',
    408: 'request.timeout',
    409: 'conflict',
    429: 'too.many.requests.retry.after',
    500: 'internal.server.error',
    502: 'bad.gateway',
    503: 'service.unavailable',
    504: 'gateway.timeout',
}

DEFAULT_MESSAGES = {
    400: 'The request could not be understood by the server due to malformed syntax.',
    401: 'No authentication bearer token specified in authorization header.',
    404: 'The requested resource was not found.',
    500: 'The server encountered an unexpected condition which prevented it from fulfilling the request.',
    502: 'The server received an invalid response from an upstream server.',
    503: 'Service Unavailable - The server is currently unavailable (because it is overloaded or down for '
    'maintenance).',
    504: 'The server did not receive a timely response from an upstream server.',
}


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def error_body(status, code=None, message=None, context_id=None, details=None, errors=None):
    """The ErrorBody JSON (SDK model ErrorBody) every API error answers with."""
    return {
        'message': message or DEFAULT_MESSAGES.get(status, f'HTTP {status}'),
        'code': code or DEFAULT_CODES.get(status, 'error'),
        'status': status,
        'contextId': context_id or new_correlation_id(),
        'details': list(details or []),
        'errors': list(errors or []),
    }


def rate_limit_message(seconds) -> str:
    return f'Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds'


class ApiError(Exception):
    """Raised by handlers (and the pipeline) to answer with an ErrorBody."""

    def __init__(self, status, code=None, message=None, details=None, headers=None):
        super().__init__(message or code or status)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = dict(headers or {})

    def body(self, context_id):
        return error_body(self.status, self.code, self.message, context_id, self.details)


def bad_request(message, field=None, error_code='bad.request'):
    details = [{'errorCode': error_code, 'fieldName': field}] if field else []
    return ApiError(400, 'bad.request', message, details=details)


def not_found(message='The requested resource was not found.'):
    return ApiError(404, 'not.found', message)

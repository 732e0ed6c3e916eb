"""Genesys Cloud API client: auth, retries, paging, async jobs, errors."""

from .api import GenesysClient, RequestBudgetExhausted, endpoint_template
from .errors import (
    ApiUnreachable,
    AuthenticationError,
    BadRequest,
    GenesysApiError,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
)
from .jobs import DONE, FAILED, RUNNING, AsyncJob, JobFailed

__all__ = [
    'ApiUnreachable',
    'AsyncJob',
    'AuthenticationError',
    'BadRequest',
    'DONE',
    'FAILED',
    'GenesysApiError',
    'GenesysClient',
    'JobFailed',
    'MalformedResponse',
    'NotFound',
    'PermissionDenied',
    'RateLimited',
    'RequestBudgetExhausted',
    'RUNNING',
    'ServerError',
    'endpoint_template',
]

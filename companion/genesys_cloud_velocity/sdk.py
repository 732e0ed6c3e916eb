"""The official Python SDK (PureCloudPlatformClientV2, read at 269.0.0).

Its transport is urllib3 behind `ApiClient.get_http_client()`; `ApiClient.set_http_client()` accepts any
`AbstractHttpClient`, so a wrapper around the current client times every call, token requests included. Non-2xx
answers surface as `ApiException` (status, headers) raised from inside the client, which is why a wrapper is
used rather than the post-request hook (it never sees them). The path template comes from
`ApiClient.__call_api(resource_path, ...)`, which receives it before the path parameters are substituted: the
instance's method is wrapped to remember it for the current thread.

The SDK's urllib3 pool retries by itself: its `Retry()` honours Retry-After on 429, 503 and 413, sleeping and
sending again up to 10 times, so the client only sees the last answer. Genesys counts every attempt against
the limit, so the pool's Retry is swapped for a subclass that records each answered attempt it retries. Each
attempt is timed on its own: the clock restarts when the Retry's `sleep()` (the Retry-After wait, or a backoff)
returns, so a retry's wait is never reported as latency.

Every request of an instrumented ApiClient is counted, whatever its host: the ApiClient's host is the one the
customer configured for Genesys (a region's, or a gateway in front of it).
"""

import threading
import time

_current = threading.local()


def instrument_api_client(api_client, velocity):
    from PureCloudPlatformClientV2.abstract_http_client import AbstractHttpClient

    http_client = api_client.get_http_client()
    if getattr(http_client, 'velocity', None) is not None:  # instrumented already: re-point, never wrap twice
        http_client.velocity = velocity
        return api_client

    class TimedHttpClient(AbstractHttpClient):
        """Delegates to the SDK's own client; records each request after it answers (or fails)."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.velocity = velocity

        def set_timeout(self, timeout):
            self.inner.set_timeout(timeout)

        def set_pre_request_hook(self, hook):
            self.inner.set_pre_request_hook(hook)

        def set_post_request_hook(self, hook):
            self.inner.set_post_request_hook(hook)

        def request(self, options):
            _current.attempt_start = time.perf_counter()  # restarted after each retry's sleep
            try:
                response = self.inner.request(options)
            except Exception as e:
                if not _retries_exhausted(e):  # else every attempt was recorded by the counting Retry
                    self._record(options, getattr(e, 'status', None) or None, getattr(e, 'headers', None))
                raise
            self._record(options, getattr(response, 'status', None), _headers(response))
            return response

        def _record(self, options, status, headers):
            elapsed = _attempt_seconds()
            try:
                auth = (options.headers or {}).get('Authorization') if self.velocity.client_id is None else None
                self.velocity.observe(options.method, options.url, status, elapsed, headers,
                                      template=getattr(_current, 'template', None), authorization=auth)
            except Exception:
                self.velocity.internal_errors += 1

    wrapper = TimedHttpClient(http_client)
    api_client.set_http_client(wrapper)
    _count_retried_attempts(http_client, wrapper)
    call = getattr(api_client, '_ApiClient__call_api', None)
    if call is not None:
        def call_api(resource_path, *args, **kwargs):
            outer = getattr(_current, 'template', None)
            if outer is None:  # the SDK's 401 retry calls again with the substituted path: keep the template
                _current.template = resource_path
            try:
                return call(resource_path, *args, **kwargs)
            finally:
                if outer is None:
                    _current.template = None

        api_client._ApiClient__call_api = call_api
    return api_client


def _count_retried_attempts(http_client, wrapper):
    pool_manager = getattr(getattr(http_client, 'rest_client', None), 'pool_manager', None)
    kwargs = getattr(pool_manager, 'connection_pool_kw', None)
    retries = kwargs.get('retries') if isinstance(kwargs, dict) else None
    increment = getattr(type(retries), 'increment', None)
    sleep = getattr(type(retries), 'sleep', None)
    if increment is None or sleep is None:
        return

    class CountingRetry(type(retries)):
        def increment(self, method=None, url=None, response=None, *args, **kwargs):
            velocity = wrapper.velocity  # read at each attempt: a second instrument() re-points the wrapper
            if response is not None:  # an answered attempt about to be retried (a refused connection is not)
                try:
                    velocity.observe(method, url or '', getattr(response, 'status', None), _attempt_seconds(),
                                     getattr(response, 'headers', None),
                                     template=getattr(_current, 'template', None))
                except Exception:
                    velocity.internal_errors += 1
            return increment(self, method, url, response, *args, **kwargs)

        def sleep(self, *args, **kwargs):
            try:
                return sleep(self, *args, **kwargs)
            finally:
                _current.attempt_start = time.perf_counter()  # the next attempt starts now: the wait is no latency

    counting = retries.new()
    counting.__class__ = CountingRetry  # Retry.new() builds type(self), so every later attempt stays counted
    kwargs['retries'] = counting
    pool_manager.clear()  # pools made before instrumentation keep the old Retry: let them be made again


def _attempt_seconds():
    start = getattr(_current, 'attempt_start', None)
    return None if start is None else time.perf_counter() - start


def _retries_exhausted(error):
    reason = getattr(error, 'reason', None)
    return type(error).__name__ == 'MaxRetryError' and type(reason).__name__ == 'ResponseError'


def _headers(response):
    try:
        return response.getheaders()
    except Exception:
        return None

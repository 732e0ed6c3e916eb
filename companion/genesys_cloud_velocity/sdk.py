"""The official Python SDK (PureCloudPlatformClientV2, read at 269.0.0).

Its transport is urllib3 behind `ApiClient.get_http_client()`; `ApiClient.set_http_client()` accepts any
`AbstractHttpClient`, so a wrapper around the current client times every call, token requests included. Non-2xx
answers surface as `ApiException` (status, headers) raised from inside the client, which is why a wrapper is
used rather than the post-request hook (it never sees them). The path template comes from
`ApiClient.__call_api(resource_path, ...)`, which receives it before the path parameters are substituted: the
instance's method is wrapped to remember it for the current thread.
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
            start = time.perf_counter()
            try:
                response = self.inner.request(options)
            except Exception as e:
                self._record(options, getattr(e, 'status', None) or None, start, getattr(e, 'headers', None))
                raise
            self._record(options, getattr(response, 'status', None), start, _headers(response))
            return response

        def _record(self, options, status, start, headers):
            elapsed = time.perf_counter() - start
            try:
                auth = (options.headers or {}).get('Authorization') if self.velocity.client_id is None else None
                self.velocity.observe(options.method, options.url, status, elapsed, headers,
                                      template=getattr(_current, 'template', None), authorization=auth)
            except Exception:
                self.velocity.internal_errors += 1

    api_client.set_http_client(TimedHttpClient(http_client))
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


def _headers(response):
    try:
        return response.getheaders()
    except Exception:
        return None

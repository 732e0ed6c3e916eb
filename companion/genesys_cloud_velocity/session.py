"""Any `requests.Session`: its `send` (every request, redirects included, goes through it) is wrapped on the
instance. Only Genesys Cloud API and token URLs are counted, so a session shared with other services works."""

import time

from .core import is_api_url


def instrument_session(session, velocity):
    current = session.send
    if getattr(current, 'velocity', None) is not None:
        current.velocity = velocity
        return session

    def send(request, **kwargs):
        start = time.perf_counter()
        try:
            response = current(request, **kwargs)
        except Exception:
            _record(send.velocity, request, None, start, None)
            raise
        _record(send.velocity, request, response.status_code, start, response.headers)
        return response

    send.velocity = velocity
    session.send = send
    return session


def _record(velocity, request, status, start, headers):
    elapsed = time.perf_counter() - start
    try:
        if not is_api_url(request.url):
            return
        auth = request.headers.get('Authorization') if velocity.client_id is None else None
        velocity.observe(request.method, request.url, status, elapsed, headers, authorization=auth)
    except Exception:
        velocity.internal_errors += 1

"""Any `requests.Session`: its `send` (every request, redirects included, goes through it) is wrapped on the
instance. Only Genesys Cloud API and token URLs are counted (`/api/v2/...` and `/oauth/token` on a region's API or
login host, or on a host the customer named), so a session shared with other services works: Datadog's own
`/api/v2/series`, a helpdesk's `/api/v2/tickets` or an identity provider's `/oauth/token` are not Genesys, and their
Basic credentials are never read."""

import time

from .core import is_api_path


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
        url = request.url
        if not (velocity.is_genesys(url) and is_api_path(url)):
            return
        auth = request.headers.get('Authorization') if velocity.client_id is None else None
        velocity.observe(request.method, url, status, elapsed, headers, authorization=auth)
    except Exception:
        velocity.internal_errors += 1

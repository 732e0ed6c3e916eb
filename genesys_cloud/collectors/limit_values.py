"""Effective limit values per namespace (`GET /api/v2/organizations/limits/namespaces/{ns}`), read through one
per-instance cache so org_limits and object_limits never both spend a request on the same answer.

org_limits reads fresh (max_age 0) and so refreshes the cache every collection; object_limits accepts an answer
up to VALUES_MAX_AGE old: a value only changes through a limit change request, which org_limits announces.
"""

from ..client import MalformedResponse, NotFound

BASE = '/api/v2/organizations/limits'
CACHE_KEY = 'limit_values'  # in CollectorContext.shared: namespace -> (read at, listing or None)
VALUES_MAX_AGE = 14400
ENDPOINT = f'GET {BASE}/namespaces/{{namespaceName}}'  # one counter and log name for every namespace


def namespace_listing(ctx, namespace, max_age=0):
    """The namespace's LimitsEntityListing, or None when the org does not have the namespace (404)."""
    cache = ctx.shared.setdefault(CACHE_KEY, {})
    now = ctx.clock.time()
    cached = cache.get(namespace)
    if cached is not None and max_age > 0 and 0 <= now - cached[0] <= max_age:
        return cached[1]
    try:
        listing = ctx.client.get(f'{BASE}/namespaces/{namespace}', endpoint=ENDPOINT)
    except NotFound:
        listing = None
    if listing is not None and not (isinstance(listing, dict) and isinstance(listing.get('entities'), list)):
        raise MalformedResponse(ENDPOINT, 'the answer has no `entities` list')
    cache[namespace] = (now, listing)
    return listing


def values_of(listing) -> dict:
    """key -> value of a LimitsEntityListing, skipping entries without a string key or a numeric value."""
    values = {}
    for limit in (listing or {}).get('entities') or []:
        if not isinstance(limit, dict):
            continue
        key, value = limit.get('key'), limit.get('value')
        if isinstance(key, str) and isinstance(value, (int, float)) and not isinstance(value, bool):
            values[key] = value
    return values

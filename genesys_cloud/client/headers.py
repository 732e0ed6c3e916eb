"""Headers from the API are untrusted: a Retry-After of `1e9`, `inf` or `nan` must not park a collector forever."""

import math

MAX_RETRY_AFTER = 3600.0  # seconds: no answer may stop a collector for longer than an hour


def retry_after(response):
    """Seconds the response asks us to wait, bounded to [0, MAX_RETRY_AFTER]; None when absent or unusable."""
    try:
        value = float(response.headers.get('Retry-After'))
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    return min(max(0.0, value), MAX_RETRY_AFTER)

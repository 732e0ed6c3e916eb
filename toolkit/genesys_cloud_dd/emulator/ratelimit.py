"""Per-token request limit over a sliding 60 s window of the emulator clock (platform.api default 300)."""

import math
import threading
from collections import defaultdict, deque

from .errors import ApiError, rate_limit_message

WINDOW_SECONDS = 60.0


class RateLimiter:
    def __init__(self, clock, per_minute):
        self.clock = clock
        self.per_minute = per_minute
        self._hits = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key):
        """Record one request for `key`, or raise the real 429 when the window is full."""
        if not self.per_minute:
            return
        now = self.clock.time()
        with self._lock:
            window = self._hits[key]
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            if len(window) >= self.per_minute:
                wait = max(1, math.ceil(window[0] + WINDOW_SECONDS - now))
                raise too_many_requests(wait)
            window.append(now)

    def legacy_headers(self, key):
        """The inin-ratelimit-* headers Genesys removed in 2021, for clients that must ignore them."""
        now = self.clock.time()
        with self._lock:
            window = self._hits.get(key) or ()
            reset = max(0, math.ceil(window[0] + WINDOW_SECONDS - now)) if window else 0
            return {'inin-ratelimit-count': str(len(window)), 'inin-ratelimit-allowed': str(self.per_minute),
                    'inin-ratelimit-reset': str(reset)}

    def reset(self):
        with self._lock:
            self._hits.clear()


def too_many_requests(seconds):
    return ApiError(429, 'too.many.requests.retry.after', rate_limit_message(seconds),
                    headers={'Retry-After': str(seconds)})

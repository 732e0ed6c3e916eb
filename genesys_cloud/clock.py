"""Time source shared by the check and the emulator.

Collectors never call time.time() directly: the 30-minute licence rule, day boundaries and closed
intervals must be testable without waiting, so tests hand the check and the emulator one FakeClock.
"""

import threading
import time
from datetime import datetime, timedelta, timezone


def iso_utc(when) -> str:
    """A datetime (any zone) or epoch seconds, as the ISO-8601 UTC the Genesys API reads and writes in intervals
    and dates: `2026-11-28T20:31:38.000Z` (milliseconds, Z). Persisted cursors use it too, so they sort as text."""
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(when, tz=timezone.utc)
    when = when.astimezone(timezone.utc)
    return when.strftime('%Y-%m-%dT%H:%M:%S.') + f'{when.microsecond // 1000:03d}Z'


class Clock:
    """Real wall-clock time."""

    def time(self) -> float:
        return time.time()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=timezone.utc)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock(Clock):
    """A clock that only moves when told to (sleep() advances it instead of blocking)."""

    def __init__(self, start=None):
        if start is None:
            start = datetime(2026, 11, 18, 14, 0, tzinfo=timezone.utc)
        if isinstance(start, datetime):
            start = start.timestamp()
        self._now = float(start)
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.time()

    def advance(self, seconds: float = 0, **delta) -> None:
        seconds += timedelta(**delta).total_seconds()
        with self._lock:
            self._now += seconds

    def set(self, when) -> None:
        if isinstance(when, datetime):
            when = when.timestamp()
        with self._lock:
            self._now = float(when)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)

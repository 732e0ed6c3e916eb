"""Rate-limit records (a trackable limit reached 90 %): ground truth for the rate-limit aggregates query.

Records come from data/traffic.py's per-minute streams (one per client and minute at 90 % of its limit in
force, one per Data Action and minute whose concurrent executions reach 90 %), so they agree with the daily
usage and its 429s; they only become visible once the emulator clock has passed them, so they "arrive" as
tests move the clock. `late(...)` inserts a record whose time is already in the past, as a bucket that the
platform publishes late. Whether `entityId` is the OAuth client id is UNVERIFIED (reference 4.4): the emulator
uses client ids for clients and the Data Action's id for actions.
"""

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .traffic import traffic
from .usage import usage_history

# (namespace, limitName, default value) of the trackable limits the emulator records (reference 4.2 / 4.3).
TRACKED_LIMITS = (
    ('platform.api', 'client.credentials.token.rate.per.minute', 300),
    ('platform.api', 'token.rate.per.minute', 300),
    ('platform.api', 'org.app.user.rate.per.minute', 3000),
    ('dataactions', 'actions.concurrent.executions.max', 50),
)


@dataclass(frozen=True)
class RateLimitRecord:
    time: datetime
    namespace: str
    limit_name: str
    entity_id: str
    max: int
    count: int


class RateLimitHistory:
    def __init__(self, org):
        self.org = org
        self.start = org.anchor - timedelta(days=org.options.days)
        self._days = {}
        self._late = []
        self._lock = threading.Lock()

    def _day(self, day):
        if day not in self._days:
            self._days[day] = [RateLimitRecord(r.time, r.namespace, r.limit_name, r.entity_id, r.max, r.count)
                               for r in traffic(self.org).records(day, usage_history(self.org).background_total)]
        return self._days[day]

    def records(self, start: datetime, end: datetime):
        """Records visible now with start <= time < end."""
        now = self.org.clock.now()
        end = min(end, now + timedelta(microseconds=1))
        out = []
        day = max(start, self.start).date()
        with self._lock:
            while day <= end.date():
                out.extend(r for r in self._day(day) if start <= r.time < end and r.time <= now)
                day += timedelta(days=1)
            out.extend(r for r in self._late if start <= r.time < end and r.time <= now)
        return sorted(out, key=lambda r: r.time)

    def late(self, when, namespace, limit_name, entity_id, count, max_value=None):
        """Publish a record at a past time `when` (a late bucket). Returns it."""
        value = max_value if max_value is not None else next(
            (v for ns, name, v in TRACKED_LIMITS if ns == namespace and name == limit_name), 300)
        record = RateLimitRecord(when.astimezone(timezone.utc), namespace, limit_name, entity_id, value, count)
        with self._lock:
            self._late.append(record)
        return record


def ratelimit_history(org) -> RateLimitHistory:
    return org.ext(RateLimitHistory)

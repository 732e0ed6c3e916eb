"""Rate-limit records (a trackable limit reached 90 %): ground truth for the rate-limit aggregates query.

Records are drawn per hour of the org's history from the seed, and only become visible once the emulator
clock has passed them, so they "arrive" as tests move the clock. `late(...)` inserts a record whose time is
already in the past, as a bucket that the platform publishes late. Whether `entityId` is the OAuth client id is
UNVERIFIED (reference 4.4); the emulator mostly uses client ids, and sometimes an id that is no client.
"""

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# (namespace, limitName, limit value) of trackable limits (keys from reference 4.2 / 4.3; values are defaults).
TRACKED_LIMITS = (
    ('platform.api', 'client.credentials.token.rate.per.minute', 300),
    ('platform.api', 'token.rate.per.minute', 300),
    ('platform.api', 'org.app.user.rate.per.minute', 3000),
    ('dataactions', 'actions.concurrent.executions.max', 50),
)
HOURLY_PROBABILITY = 0.35


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
        self._hours = {}
        self._late = []
        self._lock = threading.Lock()

    def _hour(self, hour_start):
        if hour_start not in self._hours:
            rng = self.org.rng(f'ratelimits:{hour_start.isoformat()}')
            records = []
            if rng.random() < HOURLY_PROBABILITY:
                with self.org.lock:
                    clients = [c.id for c in self.org.oauth_clients if not c.is_check_client]
                for _ in range(rng.randint(1, 3)):
                    namespace, limit_name, value = rng.choice(TRACKED_LIMITS)
                    if namespace == 'dataactions' or not clients:
                        entity = f'{rng.getrandbits(64):016x}-action'  # a Data Action, not a client
                    else:
                        entity = rng.choice(clients)
                    when = hour_start + timedelta(seconds=rng.randrange(3600))
                    records.append(RateLimitRecord(when, namespace, limit_name, entity, value, rng.randint(1, 40)))
            self._hours[hour_start] = records
        return self._hours[hour_start]

    def records(self, start: datetime, end: datetime):
        """Records visible now with start <= time < end."""
        now = self.org.clock.now()
        end = min(end, now + timedelta(microseconds=1))
        out = []
        hour = max(start, self.start).replace(minute=0, second=0, microsecond=0)
        with self._lock:
            while hour < end:
                out.extend(r for r in self._hour(hour) if start <= r.time < end and r.time <= now)
                hour += timedelta(hours=1)
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

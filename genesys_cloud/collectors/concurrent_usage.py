"""Concurrent licence usage: users logged in now, and the billing period's billable peak.

No endpoint returns concurrent licence usage (reference 7.3), so the collector estimates it: a user is logged
in when their system presence is anything but OFFLINE; every user counts (supervisors and admins too).

Query: GET /api/v2/users?state=active&expand=presence&pageSize=500, paged: ceil(users / 500) requests per
sample (10,000 users: 20; 20,000 users: 40), every 10 minutes by default. `expand=presence` is an SDK value
(Java GetUsersRequest.expandValues) and User.presence.presenceDefinition.systemPresence carries the presence
(Python SDK models/user.py, user_presence.py, presence_definition.py). Rejected alternatives:
- POST /api/v2/analytics/users/aggregates/query (tSystemPresence) takes at most 100 userId predicates: 100
  requests for 10,000 users, and it reports time spent per interval, not who is logged in now.
- POST /api/v2/analytics/routing/activity/query (oUserPresences) counts queue members only: supervisors,
  admins and agents in no queue, who all consume a concurrent licence, are missing.
- GET /api/v2/users/presences/purecloud/bulk takes at most 50 ids: 200 requests for 10,000 users, plus the
  user list to know the ids.

The 30-minute rule (Genesys ignores peaks shorter than 30 minutes; the minutes need not be contiguous):
each sample's count stands for the time until the next sample (at most two intervals: longer gaps, such as
an Agent outage, are not credited). For every level L the collector adds up the time the count was at or
above L within the billing period; the billable peak is the highest L whose total reaches 30 minutes.
The per-level totals live in the persistent cache, so a restart continues the period. If the cache is lost
the peak restarts from the next sample (an under-estimate for that period, never a double count). The period
starts on `billing.billing_period_start_day` (default the 1st) at 00:00 UTC; the totals reset then.
"""

from datetime import datetime, timezone

from typing_extensions import NotRequired, TypedDict

from .base import Collector, pages
from .licensing_support import (
    BILLABLE_MINUTES,
    SHARED_CONCURRENT,
    SHARED_USER_IDS,
    PagedScan,
    billing_period,
    system_presence,
)


class Sample(TypedDict):
    t: float
    n: int


class PeakRecord(TypedDict):
    period: str
    levels: dict[str, float]
    peak: int
    last: NotRequired[Sample]


class ConcurrentUsageCollector(Collector):
    name = 'concurrent_usage'
    permissions = ()  # GET /api/v2/users lists no permission

    @classmethod
    def minimum_requests(cls, size):
        return pages(size.users, cls.default('page_size'))

    def __init__(self, ctx):
        super().__init__(ctx)
        params = {'state': 'active', 'expand': 'presence'}
        self.scan = PagedScan(self.client, self.clock, '/api/v2/users', params, self.config.page_size)
        record = self.state.get('peak', shape=PeakRecord) or {}
        if record.get('last'):  # after a restart billing has the last estimate before this collector is due
            self._share(record['last']['n'], record['peak'], record['period'])

    def collect(self):
        presences = self.scan.run(lambda u: (u['id'], system_presence(u)) if u.get('id') else None)
        now = self.clock.time()
        # The notifications transport plans user topics from this listing instead of paging the users again.
        self.ctx.shared[SHARED_USER_IDS] = {'at': now, 'ids': [i for i in presences if isinstance(i, str)]}
        logged_in = sum(1 for p in presences.values() if p and p != 'OFFLINE')
        unknown = sum(1 for p in presences.values() if not p)
        if unknown:
            self.log.debug('concurrent_usage: %d users came without a presence; counted as logged out', unknown)
        peak, period = self._record(now, logged_in)
        self.gauge('license.concurrent.users', logged_in)
        self.gauge('license.concurrent.peak', peak)
        self._share(logged_in, peak, period)

    def _share(self, users, peak, period):
        self.ctx.shared[SHARED_CONCURRENT] = {'users': users, 'peak': peak, 'period': period}

    def _record(self, now, count):
        start_day = self.ctx.config.billing.billing_period_start_day  # the billing period's, also for the peak
        start, _ = billing_period(datetime.fromtimestamp(now, tz=timezone.utc), start_day)
        period = start.isoformat()
        record = self.state.get('peak', shape=PeakRecord) or {}
        last = record.get('last')
        if record.get('period') != period:
            if record.get('period'):
                self._period_closed(record)
            record = {'period': period, 'levels': {}, 'peak': 0}
        if last and last.get('n', 0) > 0:
            # The previous sample's count held from its time until now, within this period, for at most two
            # intervals. Only time after the persisted sample is credited, so nothing is counted twice.
            begin = max(float(last['t']), start.timestamp())
            end = min(now, float(last['t']) + 2 * self.interval)
            if end > begin:
                levels = record['levels']
                key = str(int(last['n']))
                levels[key] = levels.get(key, 0.0) + (end - begin)
        record['last'] = {'t': now, 'n': count}
        record['peak'] = billable_peak(record['levels'])
        self.state.set('peak', record)
        return record['peak'], period

    def _period_closed(self, record):
        self.event(
            title=f'Genesys Cloud billing period closed: estimated concurrent peak {record.get("peak", 0)}',
            text=(f'The billing period that started {record["period"]} ended. The estimated billable concurrent '
                  f'peak (30-minute rule) was {record.get("peak", 0)} users; the peak restarts from 0.'),
            aggregation_key='genesys_cloud.license.concurrent.peak',
        )


def billable_peak(levels) -> int:
    """Highest level whose total time at or above it reaches 30 minutes (levels: {str(count): seconds})."""
    total = 0.0
    for level, seconds in sorted(((int(k), v) for k, v in levels.items()), reverse=True):
        total += seconds
        if total >= BILLABLE_MINUTES * 60:
            return level
    return 0

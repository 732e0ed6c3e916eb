"""What the licence, concurrent-usage and billing collectors share: the billing period, resumable paging,
presence spelling and the linear month-end projection."""

from datetime import datetime, timezone

from ..client import MalformedResponse, RequestBudgetExhausted
from ..client.paging import PageGuard
from ..periods import add_months

# ctx.shared keys the billing collector reads (filled by the collectors that run before it in a run).
SHARED_ASSIGNED = 'licensing.assigned'  # {licence id: users holding it}
SHARED_CONCURRENT = 'licensing.concurrent'  # {'users': n, 'peak': n, 'period': iso}
SHARED_USER_IDS = 'users.active'  # {'at': t, 'ids': [...]}: the active users concurrent_usage listed

BILLABLE_MINUTES = 30  # Genesys ignores concurrent peaks shorter than 30 minutes (need not be contiguous)
PROJECTION_ANCHOR = 86400  # level series (peaks, assigned) project from the trend after the period's first day


def billing_period(now: datetime, start_day: int = 1):
    """(start, end) of the billing period holding `now`: from day `start_day` 00:00 UTC to the same day next month.

    start_day is `billing.billing_period_start_day` (1-28, checked by the config model): one setting for the
    concurrent peak's reset and the projections."""
    now = now.astimezone(timezone.utc)
    start = datetime(now.year, now.month, start_day, tzinfo=timezone.utc)
    if now < start:
        start = add_months(start, -1)
    return start, add_months(start, 1)


def system_presence(user) -> str:
    """OFFLINE, ON_QUEUE... from a user's expanded presence, whichever spelling the answer uses
    ("On Queue" or ON_QUEUE); '' when the expand was not honoured (the API resolves expands best effort)."""
    presence = (user.get('presence') or {}).get('presenceDefinition') or {}
    value = presence.get('systemPresence') or ''
    return str(value).strip().upper().replace(' ', '_')


class PagedScan:
    """Pages a pageNumber/pageCount listing in full, resuming where it stopped when the check's request budget
    (max_requests_per_minute) ran out mid-way, so a large org's pages are never fetched twice for one scan.

    Any other error starts the scan afresh next time; so does a scan older than `max_age` seconds.
    """

    def __init__(self, client, clock, path, params, page_size, max_age=600):
        self.client = client
        self.clock = clock
        self.path = path
        self.params = dict(params)
        self.page_size = page_size
        self.max_age = max_age
        self._scan = None
        self.pages = 0  # pages the last complete scan took

    def run(self, reduce):
        """reduce(entity) -> (key, value) or None; returns {key: value} over every page."""
        scan = self._scan
        if scan is None or self.clock.time() - scan['started'] > self.max_age:
            scan = self._scan = {'started': self.clock.time(), 'page': 1, 'items': {}, 'pages': 0,
                                 'guard': PageGuard(f'GET {self.path}')}
        guard = scan['guard']
        try:
            while True:
                params = {**self.params, 'pageSize': self.page_size, 'pageNumber': scan['page']}
                data = self.client.get(self.path, params=params)
                guard.visit(scan['page'])  # after the answer: a page deferred for budget is asked again
                scan['pages'] += 1
                entities = data.get('entities') if isinstance(data, dict) else None
                if not isinstance(entities, list):
                    # Never report zero users because a body came back without its listing.
                    raise MalformedResponse(f'GET {self.path}', 'the answer has no `entities` list')
                before = len(scan['items'])
                for entity in entities:
                    found = reduce(entity) if isinstance(entity, dict) else None
                    if found is not None:
                        scan['items'][found[0]] = found[1]  # keyed: a user shifted across pages counts once
                page_count = data.get('pageCount')
                if not entities or (page_count is not None and scan['page'] >= page_count) or (
                        page_count is None and len(entities) < self.page_size):
                    break
                guard.page(data, len(scan['items']) - before, self.page_size)
                scan['page'] += 1
        except RequestBudgetExhausted:
            raise  # keep the pages fetched so far: the next run continues from scan['page']
        except BaseException:
            self._scan = None
            raise
        self._scan = None
        self.pages = scan['pages']
        return scan['items']


def linear_projection(value, now, period_start, period_end, anchor=None, cumulative=False):
    """Where `value` will stand at the end of the billing period if it keeps its trend (linear).

    cumulative (AI tokens): run rate since the period start, value x period length / time elapsed.
    level (billable peak, assigned licences; `anchor` = (time, value) recorded once 24 h into the period):
    value + growth per second since the anchor x seconds left; the current value until the anchor exists,
    and never below the current value (billing counts the highest level reached).
    """
    total = (period_end - period_start).total_seconds()
    elapsed = min(max((now - period_start).total_seconds(), 0.0), total)
    left = total - elapsed
    if cumulative:
        return value * total / max(elapsed, 3600.0)
    if not anchor or now.timestamp() <= anchor[0]:
        return value
    slope = (value - anchor[1]) / (now.timestamp() - anchor[0])
    return max(value, value + slope * left)

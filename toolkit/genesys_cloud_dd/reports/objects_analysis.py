"""Object limits over time: the daily history of each object count against its limit, the linear trend, and the
date the count reaches the limit at that rate.

Pure functions (no I/O): limits.py turns Datadog's daily series into ObjectHistory, limits_charts.py and
limits_story.py read the same Outlook, so the chart, its CSV and the text state one forecast.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from .. import numbers as n

REACHED = 'reached'
HORIZON_DAYS = 5 * 365  # a reach date further out than this is no forecast, only "not within five years"


@dataclass
class ObjectHistory:
    tags: dict  # namespace, limit_key, object_type and, for per-parent limits, parent_name
    counts: list = field(default_factory=list)  # [(date, value)] daily maximum, days with data only, sorted
    limits: list = field(default_factory=list)  # [(date, value)] the limit each day it was reported, sorted

    @property
    def count(self):
        return self.counts[-1][1]

    @property
    def limit(self):
        return self.limits[-1][1]

    def limit_on(self, day):
        """The limit reported on `day`, else the last one before it (else the first one reported)."""
        before = [v for d, v in self.limits if d <= day]
        return before[-1] if before else self.limits[0][1]

    def over_since(self):
        """The first day of the latest run of days with the count at or over the limit in force, or None."""
        since = None
        for day, value in self.counts:
            since = (since or day) if value >= self.limit_on(day) else None
        return since


@dataclass
class Trend:
    origin: date  # day 0 of the fit
    intercept: float  # objects on day 0
    slope: float  # objects per day

    def at(self, day):
        return self.intercept + self.slope * (day - self.origin).days


@dataclass
class Outlook:
    history: ObjectHistory
    utilization: float  # latest count over latest limit
    trend: Trend = None  # None with fewer than two days of data
    reach: object = None  # a date, REACHED (at or over the limit now), or None (not growing, or not in 5 years)

    @property
    def growth_per_week(self):
        return None if self.trend is None else 7 * self.trend.slope


def fit(points):
    """Least squares line through [(date, value)]; days without a point are simply absent (gaps are ignored).
    None with fewer than two distinct days."""
    if len({d for d, _ in points}) < 2:
        return None
    origin = points[0][0]
    xs = [(d - origin).days for d, _ in points]
    ys = [v for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return Trend(origin, my - slope * mx, slope)


def forecast(counts, limit, horizon_days=HORIZON_DAYS):
    """(trend, reach) for a daily count history against the latest limit. reach: REACHED when the latest count is
    at or over the limit; None when the count is flat or falling (or the trend reaches the limit only after
    `horizon_days`); else the first day on which the fitted line is at the limit (never before the day after
    the last data point: a line that "reached" it in the past while the count has not is due now)."""
    trend = fit(counts)
    last = counts[-1][0]
    if counts[-1][1] >= limit:
        return trend, REACHED
    # Slopes below a millionth of an object a day are rounding noise in a flat series.
    if trend is None or trend.slope <= 1e-6:
        return trend, None
    days = (limit - trend.intercept) / trend.slope
    reach = trend.origin + timedelta(days=math.ceil(round(days, 6)))
    reach = max(reach, last + timedelta(days=1))
    if (reach - last).days > horizon_days:
        return trend, None
    return trend, reach


def outlooks(histories):
    """Every object with a count and a limit, nearest its limit first (utilization, then the sooner reach)."""
    out = []
    for h in histories:
        if not h.counts or not h.limits or h.limit <= 0:
            continue
        trend, reach = forecast(h.counts, h.limit)
        out.append(Outlook(h, h.count / h.limit, trend, reach))
    out.sort(key=lambda o: (-o.utilization, _reach_order(o), label(o.history.tags)))
    return out


def urgency(outlook):
    """Sort key for "most urgent first": over the limit, then the soonest reach date, then utilization."""
    return (_reach_order(outlook), -outlook.utilization, label(outlook.history.tags))


def _reach_order(o):
    if o.reach == REACHED:
        return (0, date.min)
    return (1, o.reach) if o.reach else (2, date.max)


def label(tags):
    """"data table rows of 'Customers'", "queues": the objects a limit counts, as a reader says them."""
    what = n.unit_name((tags.get('object_type') or tags.get('limit_key') or 'object').replace('_', ' '))
    return f"{what} of '{tags['parent_name']}'" if tags.get('parent_name') else what


def share(o):
    """'87.8 %': the utilization as every chart, title and sentence of the pack writes it."""
    return f'{n.amount(100 * o.utilization, 1)} %'


def outlook_phrase(o):
    """'growing 70 a week, reaching the limit around 2027-02-25' and the other cases, for text and titles."""
    growth = o.growth_per_week
    if o.reach == REACHED:
        since = o.history.over_since()
        return 'at or over the limit' + (f' since {n.iso(since)}' if since else '')
    if growth is None:
        return 'one day of history, no trend yet'
    if isinstance(o.reach, date):
        return f'growing {n.amount(growth, 1)} a week, reaching the limit around {n.iso(o.reach)}'
    if growth > 0:
        return f'growing {n.amount(growth, 1)} a week, not reaching the limit within five years at that rate'
    return 'not growing' + (f' ({n.amount(growth, 1)} a week)' if round(growth, 1) else '')


def headline(o):
    """The one message of the history chart, about its most urgent object."""
    what, h = label(o.history.tags), o.history
    if o.reach == REACHED:
        return f'{what}: {n.count(h.count)} of {n.count(h.limit)}, ' + outlook_phrase(o)
    if isinstance(o.reach, date):
        return f'{what} reach their limit of {n.count(h.limit)} around {n.iso(o.reach)}'
    return f'{what}: {n.count(h.count)} of {n.count(h.limit)} ({share(o)}), ' + outlook_phrase(o)

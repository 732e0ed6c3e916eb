"""Billing periods and calendar boundaries: one rule for the check, both evidence packs and the emulator.

The current period. A contract lists its billing periods with `status` Open|Closed and `dateStart`/`dateEnd`
(reference 7.2). Which one is current at `now`:
1. among the periods whose [start, end) holds `now` (end exclusive), the one whose status is Open;
2. otherwise the first of them, whatever its status says.
A period that closes late (still Open for hours after its end, while the next one has begun) is therefore not
current after its end: status decides only between periods that hold `now`, so the 1st of a month reads the
period that opened that day, never the one that just ended. No period holding `now` means no current period:
nothing is reported for it rather than last period's numbers.

Period ends. The API writes `dateEnd` either as the next period's first day (exclusive, what the emulator
serves) or as the period's last day (inclusive, the reference's sample: 2025-06-01 to 2025-06-30). Both become
an exclusive end: a date-only end equal to the next period's start, or one whole number of months after the
start, is exclusive; any other date-only end is the last day and the period ends the day after. A date-time end
is exclusive as written (23:59:59 is rounded up to the next second).

Projections. A projection to the end of a period is made only once enough of it has elapsed to have a trend:
at least PROJECTION_MIN_HOURS and PROJECTION_MIN_SHARE of the period (both; 24 h of a calendar month). Before
that it is withheld (the gauges are not sent, the packs say why), so no projection monitor fires on the first
day of a period.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

PROJECTION_MIN_HOURS = 24
PROJECTION_MIN_SHARE = 0.03

_DATE = re.compile(r'^\d{4}-\d{2}-\d{2}$')


@dataclass(frozen=True)
class Period:
    id: str
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    status: str


def month_start(when: datetime) -> datetime:
    when = when.astimezone(timezone.utc)
    return datetime(when.year, when.month, 1, tzinfo=timezone.utc)


def add_months(when: datetime, months: int) -> datetime:
    """The same day and time `months` later (day clamped to 28 by callers that need month ends)."""
    index = when.year * 12 + when.month - 1 + months
    return when.replace(year=index // 12, month=index % 12 + 1)


def _instant(value):
    """(datetime UTC, date_only) of an API date or date-time; ValueError when it is neither."""
    if not isinstance(value, str):
        raise ValueError(f'not a date: {value!r}')
    text = value.strip()
    if _DATE.match(text):
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc), True
    parsed = datetime.fromisoformat(text.replace('Z', '+00:00'))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc), False


def _whole_months_after(start: datetime, end: datetime) -> bool:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months > 0 and end.day == start.day


def _exclusive(start, end, following) -> bool:
    """Whether a date-only end is already exclusive (see the module docstring)."""
    if following is not None and end in (following, following - timedelta(days=1)):
        return end == following
    return _whole_months_after(start, end)


def parse_periods(raw, on_skip=None) -> list:
    """Periods of a contract's `billingPeriods` (or billing period details), sorted by start, ends exclusive.

    An entry without an id or with dates that are not dates is skipped; on_skip(entry, reason) hears of it."""
    parsed = []
    for entry in raw if isinstance(raw, list) else []:
        try:
            if not isinstance(entry, dict) or not isinstance(entry.get('id'), str) or not entry['id']:
                raise ValueError('no id')
            start, _ = _instant(entry.get('dateStart'))
            end, date_only = _instant(entry.get('dateEnd'))
        except (ValueError, TypeError, OverflowError) as e:
            if on_skip:
                on_skip(entry, str(e))
            continue
        status = entry.get('status') if isinstance(entry.get('status'), str) else ''
        parsed.append((entry['id'], start, end, date_only, status))
    parsed.sort(key=lambda p: p[1])
    periods = []
    for index, (pid, start, end, date_only, status) in enumerate(parsed):
        following = parsed[index + 1][1] if index + 1 < len(parsed) else None
        if date_only and not _exclusive(start, end, following):
            end = end + timedelta(days=1)  # the period's last day
        elif not date_only and (end.hour, end.minute, end.second) == (23, 59, 59):
            end = end.replace(microsecond=0) + timedelta(seconds=1)
        periods.append(Period(pid, start, end, status))
    return periods


def current_period(periods, now: datetime):
    """The period current at `now` by the rule in this module's docstring, or None. Any objects with `start`,
    `end` (exclusive) and `status` will do (the packs keep their charges on theirs)."""
    holding = [p for p in periods if p.start <= now < p.end]
    return next((p for p in holding if p.status == 'Open'), holding[0] if holding else None)


def projection_ready(now: datetime, start: datetime, end: datetime) -> bool:
    """Whether enough of [start, end) has elapsed to project to its end (see PROJECTION_MIN_*)."""
    elapsed = (now - start).total_seconds()
    total = (end - start).total_seconds()
    return elapsed >= PROJECTION_MIN_HOURS * 3600 and total > 0 and elapsed >= PROJECTION_MIN_SHARE * total


def projection_ready_at(start: datetime, end: datetime) -> datetime:
    """The first instant projection_ready() holds for [start, end)."""
    needed = max(PROJECTION_MIN_HOURS * 3600, PROJECTION_MIN_SHARE * (end - start).total_seconds())
    return start + timedelta(seconds=needed)


def month_to_date_days(today: date):
    """(first, last) complete UTC days of the current month, or None on the 1st (no complete day yet): the month
    to date starts again at 00:00 UTC on the 1st."""
    if today.day == 1:
        return None
    return today.replace(day=1), today - timedelta(days=1)

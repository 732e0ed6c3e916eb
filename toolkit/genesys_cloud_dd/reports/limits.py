"""`report limits`: the evidence pack for a limit-increase request, in the terms a Genesys reviewer reads.

A per-minute limit is argued only with per-minute evidence: Genesys's rate-limit events (a trackable limit
reached 90 %, pulled per hour so the pack can say how long), 429 answers per client and URL template, Data Action
bursts, and, when Datadog holds them, the companion module's per-minute request counts and the daily history of
object counts against object limits, with the date each count reaches its limit at its trend. Daily usage shows
trend and mix only. Every limit is shown with the value it had on each date (change requests walked back), and
"N of M days" counts only days that have data.
"""

import os
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone

from datadog_checks.genesys_cloud.client import ApiUnreachable, AuthenticationError, GenesysApiError

from .. import numbers as n
from . import charts, limits_charts, pull
from . import limits_story as story
from .datadog_history import (
    OBJECT_TAGS,
    OBJECTS_COUNT,
    OBJECTS_LIMIT,
    VELOCITY_429,
    VELOCITY_REQUESTS,
    DatadogHistoryError,
)
from .document import write_documents
from .limits_analysis import USAGE_FIELDS, analyse, limit_timeline
from .objects_analysis import ObjectHistory
from .progress import Progress

DD_DAYS = 7  # per-minute history asked from Datadog, one query per day and metric
OBJECT_DAYS = 30  # object counts: at least this many days (daily, one query per metric), or the whole period


@dataclass
class LimitsData:
    first: date
    last: date
    usage: list = field(default_factory=list)  # pull.UsageDay (per client, template, method)
    ratelimits: list = field(default_factory=list)  # pull.RateLimitHour
    limits: dict = field(default_factory=dict)  # namespace -> key -> (value, default)
    change_requests: list = field(default_factory=list)
    client_names: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # what could not be pulled, and why
    missing: set = field(default_factory=set)  # the pulls that failed (their absence proves nothing)
    velocity: list = None  # datadog_history.Series of requests per minute per client, None = not asked
    velocity_429: list = None  # per minute per client and template
    velocity_days: tuple = ()  # (first, last) of the per-minute history
    objects: list = None  # [objects_analysis.ObjectHistory]: daily object counts vs limits, None = not asked
    object_days: tuple = ()  # (first, last) of the object history
    mitigations: list = field(default_factory=list)  # what the integration already does, as the customer says
    requested_value: int = None
    action_names: dict = None  # Data Action id -> name, from the action analytics; None = not asked or refused
    action_names_capped: bool = False  # more actions had records than were asked about

    @property
    def days(self):
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @property
    def days_with_data(self):
        return sorted({r.day for r in self.usage} | {r.day for r in self.ratelimits})


@dataclass
class Result:
    files: list
    chart_series: dict  # chart file -> series drawn
    bindings: list
    summary: list  # lines printed at the end
    headline: object = None  # limits_analysis.Headline
    paragraph: str = ''


def pull_limits(client, days, today, sleep, progress=True, stream=None, history=None, dd_days=DD_DAYS) -> LimitsData:
    """History of the `days` complete UTC days before `today` (the Usage API never has the current day); with a
    datadog_history.MetricsHistory, the last `dd_days` of per-minute velocity and the object counts too."""
    last = today - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    data = LimitsData(first, last)
    chunks = len(list(pull.day_chunks(first, last)))
    bar = Progress(chunks * 2 + 1 + (1 if history else 0), 'Pulling history', stream=stream, enabled=progress)
    data.usage = _guard(data, 'daily usage per OAuth client', lambda: pull.usage_days(client, first, last, sleep, bar),
                        [])
    data.ratelimits = _guard(data, story.RATELIMIT_PULL, lambda: pull.ratelimit_hours(client, first, last, bar),
                             [])
    actions = [r for r in data.ratelimits if r.namespace == 'dataactions']
    if actions:
        found = _guard(data, story.ACTION_PULL, lambda: pull.action_names(client, actions), None)
        if found:
            data.action_names, data.action_names_capped = found
    data.limits = _guard(data, 'limit values', lambda: pull.limit_values(client), {})
    data.change_requests = _guard(data, 'limit change requests', lambda: pull.change_requests(client), [])
    data.client_names = _guard(data, 'OAuth client names', lambda: pull.oauth_client_names(client), {})
    if history:
        _pull_datadog(data, history, max(first, last - timedelta(days=min(dd_days, days) - 1)), last)
        bar.step('Datadog metric history')
    bar.done = bar.total - 1
    bar.step('done')
    return data


def _pull_datadog(data, history, first, last):
    data.velocity_days = (first, last)
    try:
        data.velocity = history.per_minute(
            f'sum:{VELOCITY_REQUESTS}{{*}} by {{oauth_client_id,oauth_client_name}}.as_count().rollup(sum, 60)',
            first, last)
        data.velocity_429 = history.per_minute(
            f'sum:{VELOCITY_429}{{*}} by {{oauth_client_name,template_uri}}.as_count().rollup(sum, 60)', first, last)
    except DatadogHistoryError as e:
        data.velocity = data.velocity_429 = None
        data.notes.append(f'per-minute velocity from Datadog: not available ({e})')
    data.object_days = (min(data.first, last - timedelta(days=OBJECT_DAYS - 1)), last)
    try:
        data.objects = _object_histories(history, *data.object_days)
    except DatadogHistoryError as e:
        data.notes.append(f'object counts from Datadog: not available ({e})')
    if not data.velocity and data.velocity is not None:
        data.notes.append(f'per-minute velocity: Datadog holds no {VELOCITY_REQUESTS} for '
                          f'{n.iso(first)}..{n.iso(last)} (is the companion module installed?)')


def _object_histories(history, first, last):
    """The daily maximum of each object count and its limit over [first, last]: one query per metric for the
    whole window (a daily rollup is at most 366 points a series), joined on the four object tags."""
    by = ','.join(OBJECT_TAGS)
    start, end = pull.midnight_utc(first), pull.midnight_utc(last) + timedelta(days=1) - timedelta(seconds=1)
    counts = history.query(f'max:{OBJECTS_COUNT}{{*}} by {{{by}}}.rollup(max, 86400)', start, end)
    limits = history.query(f'max:{OBJECTS_LIMIT}{{*}} by {{{by}}}.rollup(max, 86400)', start, end)
    limit_of = {_object_key(s.tags): _daily(s.points, first, last) for s in limits}
    out = []
    for s in counts:
        daily, limit = _daily(s.points, first, last), limit_of.get(_object_key(s.tags))
        if daily and limit:
            out.append(ObjectHistory({t: s.tags[t] for t in OBJECT_TAGS if s.tags.get(t)}, daily, limit))
    return out


def _daily(points, first, last):
    """[(UTC day, max)] of the days in [first, last] that have a point (a bucket is the day it starts)."""
    days = {}
    for when, value in points:
        day = when.astimezone(timezone.utc).date()
        if first <= day <= last:
            days[day] = max(value, days.get(day, value))
    return sorted(days.items())


def _object_key(tags):
    return tuple(tags.get(t, '') for t in OBJECT_TAGS)


def _guard(data, what, pull_fn, empty):
    try:
        return pull_fn()
    except (AuthenticationError, ApiUnreachable):
        raise  # nothing else would work either
    except GenesysApiError as e:
        data.notes.append(f'{what}: not available ({e})')
        data.missing.add(what)
        return empty


# -- writing -------------------------------------------------------------------------------------------

def write_report(data, out_dir, org_label='') -> Result:
    """The pack: the story (report.md, self-contained report.html), the charts with their CSVs, the pulls' CSVs."""
    os.makedirs(out_dir, exist_ok=True)
    ev = analyse(data)
    files, chart_series = limits_charts.draw(ev, out_dir)
    write_tables(ev, out_dir, files)
    text = story.paragraph(ev)
    summary = story.summary_lines(ev)
    files[:0] = write_documents(story.document(ev, org_label, text, summary, chart_series), out_dir)
    return Result(files, chart_series, ev.bindings, summary, ev.headline, ' '.join(text))


def write_tables(ev, out_dir, files):
    """The numbers behind the text: every usage row, every rate-limit hour with the limit in force, every limit."""
    data, names = ev.data, ev.names
    rows = sorted(data.usage, key=lambda r: (r.day, r.client_id, r.template_uri, r.http_method))
    files.append(charts.write_csv(os.path.join(out_dir, story.USAGE_CSV),
                                  ('date', 'oauth_client_id', 'oauth_client_name', 'template_uri', 'http_method')
                                  + USAGE_FIELDS,
                                  [[r.day.isoformat(), r.client_id, r.client_name, r.template_uri, r.http_method]
                                   + [getattr(r, f) for f in USAGE_FIELDS] for r in rows]))
    files.append(charts.write_csv(
        os.path.join(out_dir, story.RATELIMITS_CSV),
        ('hour_utc', 'date', 'namespace', 'limit_name', 'entity_id', 'entity_name', 'records', 'effective_limit',
         'limit_estimated_by_genesys'),
        [[r.hour.strftime('%Y-%m-%dT%H:00Z'), r.day.isoformat(), r.namespace, r.limit_name, r.entity_id,
          names.get(r.entity_id, ''), r.count, limit_timeline(data, r.namespace, r.limit_name).at(r.day) or '', r.max]
         for r in sorted(data.ratelimits, key=lambda r: (r.hour, r.namespace, r.limit_name, r.entity_id))]))
    limit_rows = []
    for namespace, keys in sorted(data.limits.items()):
        for key, (value, default) in keys.items():
            line = limit_timeline(data, namespace, key)
            limit_rows.append([namespace, key, value, default, story.changes(line)])
    files.append(charts.write_csv(os.path.join(out_dir, story.LIMITS_CSV), ('namespace', 'key', 'value', 'default',
                                                                       'changes'), limit_rows))
    check_rows = []
    for check in ev.checks:
        verdict = ('contradicted' if check.contradictions else 'holds') if check.checked else 'not checked'
        check_rows.append([check.name, check.rule, check.checked, check.unit, verdict, check.reason, ''])
        check_rows += [[check.name, '', '', '', 'contradiction', '', c] for c in check.contradictions]
    files.append(charts.write_csv(os.path.join(out_dir, story.CONSISTENCY_CSV),
                                  ('check', 'rule', 'checked', 'unit', 'verdict', 'note', 'contradiction'), check_rows))

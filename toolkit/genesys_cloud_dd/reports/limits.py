"""`report limits`: the evidence pack for a limit-increase request, in the terms a Genesys reviewer reads.

A per-minute limit is argued only with per-minute evidence: Genesys's rate-limit events (a trackable limit
reached 90 %, pulled per hour so the pack can say how long), 429 answers per client and URL template, Data Action
bursts, and, when Datadog holds them, the companion module's per-minute request counts and the object counts
against object limits. Daily usage shows trend and mix only. Every limit is shown with the value it had on each
date (change requests walked back), and "N of M days" counts only days that have data.
"""

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from datadog_checks.genesys_cloud.client import ApiUnreachable, AuthenticationError, GenesysApiError

from . import charts, pull
from . import numbers as n
from .datadog_history import (
    OBJECT_TAGS,
    OBJECTS_COUNT,
    OBJECTS_LIMIT,
    VELOCITY_429,
    VELOCITY_REQUESTS,
    DatadogHistoryError,
)
from .document import Document, write_documents
from .effective_limits import timeline
from .progress import Progress

CLIENT_LIMIT = ('platform.api', 'client.credentials.token.rate.per.minute')  # per token (one per client), a minute
DEFAULT_CLIENT_LIMIT = 300
NEAR = 0.9  # Genesys records a limit at 90 %; the per-minute evidence uses the same threshold
DD_DAYS = 7  # per-minute history asked from Datadog, one query per day and metric
USAGE_CSV, RATELIMITS_CSV, LIMITS_CSV = 'usage_daily.csv', 'ratelimits_hourly.csv', 'limits.csv'
USAGE_FIELDS = ('requests', 'status200', 'status300', 'status400', 'status429', 'status500')


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
    velocity: list = None  # datadog_history.Series of requests per minute per client, None = not asked
    velocity_429: list = None  # per minute per client and template
    velocity_days: tuple = ()  # (first, last) of the per-minute history
    objects: list = None  # [{tags..., count, limit}] latest object counts vs limits
    mitigations: list = field(default_factory=list)  # what the integration already does, as the customer says
    requested_value: int = None

    @property
    def days(self):
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @property
    def days_with_data(self):
        return sorted({r.day for r in self.usage} | {r.day for r in self.ratelimits})


@dataclass
class Binding:
    entity_id: str
    entity_name: str
    is_client: bool
    namespace: str
    limit_name: str
    limit_value: int  # the effective value on the last day it was hit
    days_hit: int
    hours_hit: int
    records: int
    last_hit: date
    other_limits: list  # [(limit_name, days)] of the limits it hit less often


@dataclass
class Headline:
    namespace: str
    limit_name: str
    value: int  # effective on the last day it was hit
    clients: list  # ids of the OAuth clients that reached it, most days first
    days_hit: int
    days_with_data: int
    hours_hit: int
    longest_hours: int
    longest_day: date
    records: int
    last_hit: date


@dataclass
class Result:
    files: list
    chart_series: dict  # chart file -> series drawn
    bindings: list
    summary: list  # lines printed at the end
    headline: Headline = None
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
    data.ratelimits = _guard(data, 'rate-limit aggregates', lambda: pull.ratelimit_hours(client, first, last, bar),
                             [])
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
    try:
        start = _utc(last)
        by = ','.join(OBJECT_TAGS)
        counts = history.query(f'max:{OBJECTS_COUNT}{{*}} by {{{by}}}', start, start + timedelta(days=1))
        limits = history.query(f'max:{OBJECTS_LIMIT}{{*}} by {{{by}}}', start, start + timedelta(days=1))
        limit_of = {_object_key(s.tags): s.points[-1][1] for s in limits if s.points}
        data.objects = [dict(s.tags, count=s.points[-1][1], limit=limit_of[_object_key(s.tags)])
                        for s in counts if s.points and limit_of.get(_object_key(s.tags))]
    except DatadogHistoryError as e:
        data.notes.append(f'object counts from Datadog: not available ({e})')
    if not data.velocity and data.velocity is not None:
        data.notes.append(f'per-minute velocity: Datadog holds no {VELOCITY_REQUESTS} for '
                          f'{n.iso(first)}..{n.iso(last)} (is the companion module installed?)')


def _utc(day):
    from datetime import datetime, timezone

    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _object_key(tags):
    return tuple(tags.get(t, '') for t in OBJECT_TAGS)


def _guard(data, what, pull_fn, empty):
    try:
        return pull_fn()
    except (AuthenticationError, ApiUnreachable):
        raise  # nothing else would work either
    except GenesysApiError as e:
        data.notes.append(f'{what}: not available ({e})')
        return empty


# -- analysis ------------------------------------------------------------------------------------------

def client_names(data):
    names = dict(data.client_names)
    for row in data.usage:
        names.setdefault(row.client_id, row.client_name)
    return names


def usage_by_client(data):
    """{client_id: {day: Counter}} and totals per client (templates summed)."""
    daily = defaultdict(lambda: defaultdict(Counter))
    for row in data.usage:
        for name in USAGE_FIELDS:
            daily[row.client_id][row.day][name] += getattr(row, name)
    totals = {cid: sum((c for c in days.values()), Counter()) for cid, days in daily.items()}
    return daily, totals


def limit_timeline(data, namespace, key):
    fallback = next((r.max for r in data.ratelimits if r.namespace == namespace and r.limit_name == key and r.max),
                    DEFAULT_CLIENT_LIMIT if (namespace, key) == CLIENT_LIMIT else None)
    return timeline(data.limits, data.change_requests, namespace, key, fallback)


def _longest_run(hours):
    """(length, first hour) of the longest run of consecutive hours."""
    best, best_start, run, start, previous = 0, None, 0, None, None
    for hour in sorted(hours):
        if previous is not None and hour - previous == timedelta(hours=1):
            run += 1
        else:
            run, start = 1, hour
        if run > best:
            best, best_start = run, start
        previous = hour
    return best, best_start


def bindings(data):
    """For each entity with rate-limit records: the limit it reached on the most days (then most records)."""
    names = client_names(data)
    hits = defaultdict(lambda: defaultdict(lambda: {'days': set(), 'hours': set(), 'records': 0}))
    for r in data.ratelimits:
        entry = hits[r.entity_id][(r.namespace, r.limit_name)]
        entry['days'].add(r.day)
        entry['hours'].add(r.hour)
        entry['records'] += r.count
    out = []
    for entity, limits in hits.items():
        ranked = sorted(limits.items(), key=lambda kv: (-len(kv[1]['days']), -kv[1]['records'], kv[0]))
        (namespace, limit_name), top = ranked[0]
        last_hit = max(top['days'])
        value = limit_timeline(data, namespace, limit_name).at(last_hit)
        out.append(Binding(entity, names.get(entity, entity), entity in names, namespace, limit_name,
                           int(value or 0), len(top['days']), len(top['hours']), top['records'], last_hit,
                           [(k[1], len(v['days'])) for k, v in ranked[1:]]))
    out.sort(key=lambda b: (-b.days_hit, -b.records, b.entity_name))
    return out


def headline(data, found):
    """The limit that binds for OAuth clients on the most days (the one to ask Genesys to raise)."""
    clients = [b for b in found if b.is_client]
    if not clients:
        return None
    per_limit = defaultdict(list)
    for b in clients:
        per_limit[(b.namespace, b.limit_name)].append(b)
    records = [r for r in data.ratelimits if r.entity_id in {b.entity_id for b in clients}]

    def hit(key):
        return [r for r in records if (r.namespace, r.limit_name) == key]

    # The limit that is the most-hit one for the most clients, then on the most days, then with the most events.
    (namespace, limit_name) = max(per_limit, key=lambda k: (len(per_limit[k]), len({r.day for r in hit(k)}),
                                                           sum(r.count for r in hit(k)), k == CLIENT_LIMIT))
    rows = hit((namespace, limit_name))
    hours = {r.hour for r in rows}
    longest, start = _longest_run(hours)
    last_hit = max(r.day for r in rows)
    days_of = defaultdict(set)
    for r in rows:
        days_of[r.entity_id].add(r.day)
    names = client_names(data)
    return Headline(namespace, limit_name, int(limit_timeline(data, namespace, limit_name).at(last_hit) or 0),
                    sorted(days_of, key=lambda c: (-len(days_of[c]), names.get(c, c))),
                    len({r.day for r in rows}), len(data.days_with_data), len(hours), longest, start.date(),
                    sum(r.count for r in rows), last_hit)


def limit_unit(key):
    if key.endswith('.per.minute'):
        return 'a minute'
    if key.endswith('.per.second'):
        return 'a second'
    if 'concurrent' in key:
        return 'at once'
    return ''


def velocity_by_client(data, names):
    """{client label: {day: (busiest minute requests, minutes at >= 90 % of the limit then)}} from Datadog."""
    line = limit_timeline(data, *CLIENT_LIMIT)
    label_of = dict(names)
    out = defaultdict(dict)
    for series in data.velocity or []:
        label = series.tags.get('oauth_client_name') or label_of.get(series.tags.get('oauth_client_id'), '') or \
            series.tags.get('oauth_client_id') or 'unknown client'
        per_day = defaultdict(list)
        for when, value in series.points:
            per_day[when.date()].append(value)
        for day, values in per_day.items():
            limit = line.at(day) or DEFAULT_CLIENT_LIMIT
            busiest, near = out[label].get(day, (0, 0))
            out[label][day] = (max(busiest, max(values)), near + sum(1 for v in values if v >= NEAR * limit))
    return out


# -- writing -------------------------------------------------------------------------------------------

def _top(ranked, per_day_fn, label_fn, limit=charts.TOP):
    series = [(label_fn(k), per_day_fn([k])) for k in ranked[:limit]]
    if ranked[limit:]:
        series.append((f'{len(ranked) - limit} others', per_day_fn(ranked[limit:])))
    return series


def write_report(data, out_dir, org_label='') -> Result:
    os.makedirs(out_dir, exist_ok=True)
    names = client_names(data)
    daily, totals = usage_by_client(data)
    with_data = data.days_with_data
    axis = [d for d in data.days if with_data and d >= with_data[0]] or data.days
    files, chart_series = [], {}
    found = bindings(data)
    top = headline(data, found)
    paragraph, evidence = [], []

    def chart(name, draw, *args, **kwargs):
        path = os.path.join(out_dir, name)
        chart_series[path] = draw(path, *args, **kwargs)
        files.extend([path, os.path.splitext(path)[0] + '.csv'])
        return name

    # 1. The binding limit, per day and client, with its raises marked.
    markers = []
    if top:
        line = limit_timeline(data, top.namespace, top.limit_name)
        raises = [r for r in line.raises if axis[0] <= r.day <= axis[-1]]
        markers = [(r.day, f'limit raised {n.count(r.before)} \u2192 {n.count(r.after)}') for r in raises]
        markers += [(d, f'requested {n.count(v)} ({s})') for d, v, s in line.open_requests if axis[0] <= d <= axis[-1]]
        ids = top.clients
        per = defaultdict(Counter)
        for r in data.ratelimits:
            if (r.namespace, r.limit_name) == (top.namespace, top.limit_name):
                per[r.entity_id][r.day] += r.count
        name = chart('binding_limit.png', charts.daily_bars, axis,
                     _top(ids, lambda cs: [sum(per[c][d] for c in cs) for d in axis], lambda c: names.get(c, c)),
                     f'{top.limit_name} reached 90 % on {top.days_hit} of {n.plural(top.days_with_data, "day")} '
                     f'with data', 'rate-limit events per day',
                     subtitle=f'{top.namespace}; limit in force per client: {_in_force(line, axis, top.limit_name)}; '
                              f'events per OAuth client (Genesys rate-limit aggregates)',
                     markers=markers)
        evidence.append(name)

    # 2. Per-minute requests from the companion module (Datadog), against the limit in force that day.
    velocity = velocity_by_client(data, names) if data.velocity else {}
    busiest = None
    if velocity:
        vdays = [d for d in data.days if data.velocity_days[0] <= d <= data.velocity_days[1]]
        ranked = sorted(velocity, key=lambda c: (-max(v[0] for v in velocity[c].values()), c))
        busiest = max(((c, d, v[0]) for c in velocity for d, v in velocity[c].items()), key=lambda t: (t[2], t[1]))
        line = limit_timeline(data, *CLIENT_LIMIT)
        limit_then = line.at(busiest[1]) or DEFAULT_CLIENT_LIMIT
        near_minutes = sum(v[1] for c in velocity for v in velocity[c].values())
        chart('busiest_minute.png', charts.daily_lines, vdays,
              [(c, [velocity[c].get(d, (None,))[0] for d in vdays]) for c in ranked[:charts.TOP]],
              f'Busiest minute: {busiest[0]} sent {n.count(busiest[2])} requests on {n.iso(busiest[1])}, '
              f'{_versus(busiest[2], limit_then)} limit of {n.count(limit_then)} a minute',
              'requests in the busiest minute of the day',
              subtitle=f'{n.plural(near_minutes, "minute")} at {NEAR:.0%} of the limit or more; companion module '
                       f'per-minute counts ({VELOCITY_REQUESTS}) from Datadog',
              limit=(f'{CLIENT_LIMIT[1]} in force', [line.at(d) or DEFAULT_CLIENT_LIMIT for d in vdays]))

    # 3. 429s per day and client, then per client and URL template.
    ranked_clients = sorted(totals, key=lambda cid: (-totals[cid]['requests'], cid))
    throttled = sorted((c for c in ranked_clients if totals[c]['status429']),
                       key=lambda c: (-totals[c]['status429'], c))
    total_429 = sum(t['status429'] for t in totals.values())
    days_429 = sorted({d for c in daily for d, v in daily[c].items() if v['status429']})
    chart('status_429.png', charts.daily_bars, axis,
          _top(throttled, lambda cs: [sum(daily[c][d]['status429'] for c in cs) for d in axis],
               lambda c: names.get(c, c)),
          f'{n.count(total_429)} HTTP 429 answers on {len(days_429)} of {n.plural(len(with_data), "day")}'
          + (f', {n.percent(totals[throttled[0]]["status429"], total_429)} to {names.get(throttled[0])}'
             if throttled else ''),
          '429 answers per day', subtitle='per OAuth client (Genesys Usage API, daily aggregates)',
          empty_text='no 429 answers in this period')
    by_endpoint = Counter()
    for row in data.usage:
        if row.status429:
            by_endpoint[(row.client_id, row.http_method, row.template_uri)] += row.status429
    top_endpoints = sorted(by_endpoint.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    if top_endpoints:
        (c0, m0, t0), v0 = top_endpoints[0]
        chart('status_429_endpoints.png', charts.ranked_bars,
              [f'{names.get(c, c)}: {m} {t}' for (c, m, t), _ in top_endpoints], [v for _, v in top_endpoints],
              f'Most 429 answers: {m0} {t0} by {names.get(c0, c0)} ({n.count(v0)}, {n.percent(v0, total_429)} of all)',
              '429 answers in the period',
              subtitle='per OAuth client, HTTP method and URL template (Genesys Usage API)',
              csv_header=('oauth_client_name', 'oauth_client_id', 'http_method', 'template_uri', 'status429'),
              csv_rows=[(names.get(c, c), c, m, t, v) for (c, m, t), v in top_endpoints])

    # 4. Data Action bursts: limits of entities that are not OAuth clients, in the dataactions namespace.
    actions = [r for r in data.ratelimits if r.namespace == 'dataactions']
    if actions:
        per_limit = defaultdict(Counter)
        for r in actions:
            per_limit[r.limit_name][r.day] += r.count
        action_days = {r.day for r in actions}
        first_limit = sorted(per_limit)[0]
        chart('data_action_bursts.png', charts.daily_bars, axis,
              [(k, [per_limit[k][d] for d in axis]) for k in sorted(per_limit)],
              f'Data Actions reached 90 % of {first_limit} on {len(action_days)} of '
              f'{n.plural(len(with_data), "day")}', 'rate-limit events per day',
              subtitle=f'{len({r.entity_id for r in actions})} actions, {len({r.hour for r in actions})} hours in '
                       f'total; limit {n.count(limit_timeline(data, "dataactions", first_limit).at(axis[-1]) or 0)} '
                       f'(Genesys rate-limit aggregates)')

    # 5. Every trackable limit reached, per day: the binding one is not alone.
    by_limit = defaultdict(Counter)
    for r in data.ratelimits:
        by_limit[r.limit_name][r.day] += r.count
    chart('ratelimit_events.png', charts.daily_bars, axis,
          [(k, [by_limit[k][d] for d in axis])
           for k in sorted(by_limit, key=lambda k: (-sum(by_limit[k].values()), k))],
          f'{n.plural(len(by_limit), "limit")} reached 90 % at least once'
          + (f'; {top.limit_name} on the most days' if top else ''), 'rate-limit events per day',
          subtitle='all entities (OAuth clients, Data Actions, users); Genesys rate-limit aggregates',
          empty_text='no trackable limit reached 90 % in this period')

    # 6. Object counts against object limits (the check's object_limits collector, from Datadog).
    if data.objects:
        rows = sorted(data.objects, key=lambda o: (-o['count'] / o['limit'], o.get('object_type', '')))[:15]
        high = [o for o in data.objects if o['count'] >= 0.8 * o['limit']]
        chart('object_limits.png', charts.ranked_bars,
              [_object_label(o) for o in rows], [100.0 * o['count'] / o['limit'] for o in rows],
              f'{n.plural(len(high), "object limit")} at 80 % or more'
              + (': ' + ', '.join(f'{o.get("object_type") or o.get("limit_key")} {n.percent(o["count"], o["limit"])}'
                                  for o in rows[:3] if o in high) if high else ''),
              'percent of the limit in use', suffix=' %',
              subtitle=f'latest {OBJECTS_COUNT} against {OBJECTS_LIMIT} (object_limits collector, from Datadog)',
              reference=('the limit (100 %)', 100), integer=False,
              csv_header=('namespace', 'limit_key', 'object_type', 'parent_name', 'count', 'limit', 'percent'),
              csv_rows=[(o.get('namespace', ''), o.get('limit_key', ''), o.get('object_type', ''),
                         o.get('parent_name', ''), o['count'], o['limit'], 100.0 * o['count'] / o['limit'])
                        for o in rows])

    # 7. Daily requests: trend and mix only (a per-minute limit is never compared with daily totals).
    request_series = _top(ranked_clients, lambda cs: [sum(daily[c][d]['requests'] for c in cs) for d in axis],
                          lambda c: names.get(c, c))
    day_totals = [sum(daily[c][d]['requests'] for c in daily) for d in axis]
    chart('requests_per_client.png', charts.daily_bars, axis, request_series, _trend_title(axis, day_totals, with_data),
          'requests per day', subtitle='trend and mix per OAuth client (Genesys Usage API); context only: the '
                                       'limits are per minute', empty_text='no usage in this period')

    # Numbers behind the text.
    _write_tables(data, out_dir, names, files)

    # The one-paragraph story.
    paragraph = _paragraph(data, top, names, totals, busiest, velocity, top_endpoints, actions)
    summary = _summary_lines(data, found, names)
    doc = _document(data, org_label, paragraph, summary, chart_series, top, names, totals, daily, ranked_clients)
    files[:0] = write_documents(doc, out_dir)
    return Result(files, chart_series, found, summary, top, ' '.join(paragraph))


def _in_force(line, axis, key):
    """'300 a minute' or '300 a minute until 2026-10-14, 600 from 2026-10-15' over the days shown."""
    unit = limit_unit(key)
    parts, previous = [], None
    for day in axis:
        value = line.at(day)
        if value != previous:
            parts.append((day, value))
            previous = value
    if len(parts) == 1:
        return f'{n.count(parts[0][1] or 0)} {unit}'
    text = [f'{n.count(parts[0][1] or 0)} {unit} until {n.iso(parts[1][0] - timedelta(days=1))}']
    text += [f'{n.count(v or 0)} from {n.iso(d)}' for d, v in parts[1:]]
    return ', '.join(text)


def _versus(value, limit):
    return 'above its' if value > limit else 'at its' if value >= NEAR * limit else 'below its'


def _object_label(o):
    parent = f' ({o["parent_name"]})' if o.get('parent_name') else ''
    return f'{o.get("object_type") or o.get("limit_key")}{parent}: {n.count(o["count"])} of {n.count(o["limit"])}'


def _trend_title(axis, totals, with_data):
    pairs = [(d, t) for d, t in zip(axis, totals) if d in set(with_data)]
    if len(pairs) < 14:
        return f'{n.count(sum(totals))} requests in {n.plural(len(pairs), "day")} with data'
    first = sum(t for _, t in pairs[:7]) / 7
    last = sum(t for _, t in pairs[-7:]) / 7
    change = (last - first) / first if first else 0
    direction = 'grew' if change > 0.05 else 'fell' if change < -0.05 else 'held steady'
    return (f'Daily requests {direction}' + (f' {abs(change):.0%}' if direction != 'held steady' else '')
            + f': {n.count(first)} a day in the first week with data, {n.count(last)} in the last')


def _clients_text(names_):
    if len(names_) <= 4:
        return ' and '.join([', '.join(names_[:-1]), names_[-1]] if len(names_) > 1 else names_)
    return f'{", ".join(names_[:3])} and {len(names_) - 3} more'


def _paragraph(data, top, names, totals, busiest, velocity, top_endpoints, actions):
    """The summary a reviewer reads first: each sentence names the file that proves it."""
    out = []
    with_data = len(data.days_with_data)
    if top:
        line = limit_timeline(data, top.namespace, top.limit_name)
        raised = ''
        if line.raises:
            last = line.raises[-1]
            raised = (f', raised from {n.count(last.before)} to {n.count(last.after)} on {n.iso(last.day)}'
                      + (' and still reached after the raise'
                         if any(r.day >= last.day for r in data.ratelimits
                                if (r.namespace, r.limit_name) == (top.namespace, top.limit_name)) else ''))
        out.append(f'The limit that binds is {top.namespace} {top.limit_name} ({n.count(top.value)} requests '
                   f'{limit_unit(top.limit_name)} per OAuth client on {n.iso(top.last_hit)}{raised}). Genesys recorded '
                   f'it at 90 % or more for {_clients_text([names.get(c, c) for c in top.clients])} on '
                   f'{top.days_hit} of the {n.plural(with_data, "day")} with data, in '
                   f'{n.plural(top.hours_hit, "hour")} in total; the longest '
                   f'run was {n.plural(top.longest_hours, "consecutive hour")}, on {n.iso(top.longest_day)} '
                   f'[binding_limit.png, {RATELIMITS_CSV}].')
    else:
        out.append(f'No OAuth client reached a trackable limit at 90 % in the {n.plural(with_data, "day")} with data '
                   f'[{RATELIMITS_CSV}].')
    ids = set(top.clients) if top else set(totals)
    c429 = sum(totals[c]['status429'] for c in ids if c in totals)
    creq = sum(totals[c]['requests'] for c in ids if c in totals)
    if c429:
        worst = top_endpoints[0] if top_endpoints else None
        out.append(f'{"These clients" if top else "The OAuth clients"} received {n.count(c429)} HTTP 429 answers, '
                   f'{n.percent(c429, creq, 2)} of their {n.count(creq)} requests'
                   + (f'; the most on {worst[0][1]} {worst[0][2]} ({names.get(worst[0][0], worst[0][0])}, '
                      f'{n.count(worst[1])})' if worst else '') + ' [status_429.png, status_429_endpoints.csv].')
    if busiest:
        line = limit_timeline(data, *CLIENT_LIMIT)
        near = sum(v[1] for c in velocity for v in velocity[c].values())
        out.append(f'Per minute (companion module, {n.iso(data.velocity_days[0])} to {n.iso(data.velocity_days[1])}): '
                   f'the busiest minute was {n.count(busiest[2])} requests by {busiest[0]} on {n.iso(busiest[1])}, '
                   f'against a limit of {n.count(line.at(busiest[1]) or DEFAULT_CLIENT_LIMIT)}; '
                   f'{n.plural(near, "minute")} at 90 % of the limit or more [busiest_minute.png].')
    elif data.velocity is None:
        out.append('Per-minute request counts are not included (the companion module\'s genesys_cloud.velocity.* in '
                   'Datadog, read with --datadog); the rate-limit events above are Genesys\'s own per-minute '
                   'evidence.')
    if actions:
        how_many = n.plural(len({r.entity_id for r in actions}), 'action')
        out.append(f'Data Actions reached 90 % of their limits on {len({r.day for r in actions})} of the '
                   f'{n.plural(with_data, "day")} with data, across {how_many} [data_action_bursts.png].')
    if data.mitigations:
        out.append('What the integration already does: ' + '; '.join(data.mitigations) + '.')
    else:
        out.append('What the integration already does: not stated (add it with --mitigation, e.g. "retries 429s '
                   'after Retry-After with exponential backoff").')
    if top:
        requested, basis = _requested(data, top, busiest)
        out.append(f'Requested: {top.limit_name} = {n.count(requested)} ({basis}).')
    return out


def _requested(data, top, busiest):
    if data.requested_value:
        return data.requested_value, 'the value this request asks for'
    line = limit_timeline(data, top.namespace, top.limit_name)
    pending = [v for _, v, _ in line.open_requests if v and v > top.value]
    if pending:
        return pending[-1], 'the open change request'
    if busiest and (top.namespace, top.limit_name) == CLIENT_LIMIT:
        value = int(-(-busiest[2] * 1.25 // 50) * 50)
        return max(value, top.value + 50), 'the busiest minute observed plus 25 % headroom, rounded up to 50'
    return top.value * 2, 'twice the current value; set --requested-value'


def _summary_lines(data, found, names):
    span = len(data.days_with_data)
    summary = []
    for b in (b for b in found if b.is_client):
        also = ', '.join(f'{k} on {n.plural(d, "day")}' for k, d in b.other_limits)
        others = f'; also {also}' if also else ''
        summary.append(f'{b.entity_name}: {b.namespace} {b.limit_name} (limit {n.count(b.limit_value)} when last '
                       f'reached, {n.iso(b.last_hit)}) reached on {b.days_hit} of {n.plural(span, "day")} with data '
                       f'({n.percent(b.days_hit, span)}), {n.plural(b.hours_hit, "hour")}, '
                       f'{n.plural(b.records, "event")}{others}')
    other = defaultdict(lambda: {'entities': set(), 'days': set(), 'records': 0})
    for r in data.ratelimits:
        if r.entity_id not in names:
            entry = other[(r.namespace, r.limit_name)]
            entry['entities'].add(r.entity_id)
            entry['days'].add(r.day)
            entry['records'] += r.count
    for (namespace, limit_name), entry in sorted(other.items()):
        summary.append(f'{n.plural(len(entry["entities"]), "entity", "entities")} that are not OAuth clients '
                       f'(Data Actions, users...): {namespace} {limit_name} reached on {len(entry["days"])} of '
                       f'{n.plural(span, "day")} with data, {n.plural(entry["records"], "event")}')
    if not found:
        summary.append(f'No rate-limit events in the {n.plural(span, "day")} with data: no trackable limit reached '
                       f'90 %.')
    return summary


def _write_tables(data, out_dir, names, files):
    rows = sorted(data.usage, key=lambda r: (r.day, r.client_id, r.template_uri, r.http_method))
    files.append(charts.write_csv(os.path.join(out_dir, USAGE_CSV),
                                  ('date', 'oauth_client_id', 'oauth_client_name', 'template_uri', 'http_method')
                                  + USAGE_FIELDS,
                                  [[r.day.isoformat(), r.client_id, r.client_name, r.template_uri, r.http_method]
                                   + [getattr(r, f) for f in USAGE_FIELDS] for r in rows]))
    files.append(charts.write_csv(
        os.path.join(out_dir, RATELIMITS_CSV),
        ('hour_utc', 'date', 'namespace', 'limit_name', 'entity_id', 'entity_name', 'records', 'effective_limit',
         'limit_estimated_by_genesys'),
        [[r.hour.strftime('%Y-%m-%dT%H:00Z'), r.day.isoformat(), r.namespace, r.limit_name, r.entity_id,
          names.get(r.entity_id, ''), r.count, limit_timeline(data, r.namespace, r.limit_name).at(r.day) or '', r.max]
         for r in sorted(data.ratelimits, key=lambda r: (r.hour, r.namespace, r.limit_name, r.entity_id))]))
    limit_rows = []
    for namespace, keys in sorted(data.limits.items()):
        for key, (value, default) in keys.items():
            line = limit_timeline(data, namespace, key)
            limit_rows.append([namespace, key, value, default, _changes(line)])
    files.append(charts.write_csv(os.path.join(out_dir, LIMITS_CSV), ('namespace', 'key', 'value', 'default',
                                                                       'changes'), limit_rows))


def _changes(line):
    parts = [f'{n.iso(r.day)}: {n.count(r.before)} -> {n.count(r.after)}' for r in line.raises]
    if line.raised_before_history:
        parts.insert(0, 'raised above the default before the last 365 days of change requests')
    parts += [f'{n.iso(d)}: {n.count(v or 0)} requested ({s})' for d, v, s in line.open_requests]
    return '; '.join(parts)


def _document(data, org_label, paragraph, summary, chart_series, top, names, totals, daily, ranked_clients):
    charts_ = {os.path.basename(p) for p in chart_series}
    with_data = data.days_with_data
    doc = Document('API limit increase: evidence' + (f' for {org_label}' if org_label else ''))
    doc.text(f'Period: {n.iso(data.first)} to {n.iso(data.last)}, complete UTC days; '
             + (f'{n.plural(len(with_data), "day")} have data, from {n.iso(with_data[0])}. ' if with_data else
                'no day has data. ')
             + 'Sources: Genesys Cloud rate-limit aggregates (hourly), Usage API (daily, per client and URL '
               'template), Limits API and change requests'
             + ('; Datadog metric history (per minute).' if data.velocity is not None else '.'))
    doc.heading('Summary')
    doc.text(' '.join(paragraph))
    if data.notes:
        doc.bullets([f'Not included: {note}' for note in data.notes])
    sections = [
        ('binding_limit.png', 'The binding limit, per day and client',
         'Each bar counts the rate-limit events Genesys recorded when a client reached 90 % of the limit; dashed '
         'lines mark raises and open change requests.'),
        ('busiest_minute.png', 'Busiest minute per day against the limit in force',
         'From the companion module\'s per-minute request counts; the dashed step is the limit in force that day.'),
        ('status_429.png', 'HTTP 429 answers per day and client', ''),
        ('status_429_endpoints.png', '429 answers per client and URL template', ''),
        ('data_action_bursts.png', 'Data Action bursts', 'Data Actions are limited per action, not per client.'),
        ('ratelimit_events.png', 'Every trackable limit reached', ''),
        ('object_limits.png', 'Object counts against object limits', ''),
        ('requests_per_client.png', 'Daily requests: trend and mix',
         'Daily totals show growth and who sends the traffic; they say nothing about a per-minute limit.'),
    ]
    for name, heading, text in sections:
        if name in charts_:
            doc.heading(heading)
            if text:
                doc.text(text)
            doc.image(name, heading)
            doc.text(f'Numbers: {name[:-4]}.csv')
    doc.heading('Which limit binds, for which client')
    doc.bullets(summary)
    doc.heading('OAuth clients')
    doc.table(('client', 'requests', 'busiest day', 'requests that day', '429 answers', 'days with 429s'),
              [(names.get(c, c), n.count(totals[c]['requests']), *_peak(daily[c]), n.count(totals[c]['status429']),
                sum(1 for d in daily[c].values() if d['status429'])) for c in ranked_clients])
    doc.heading('Limits in force')
    doc.table(('namespace', 'key', 'value today', 'default', 'changes'),
              [(ns, key, n.count(value) if value is not None else '', n.count(default) if default is not None
                else '', _changes(limit_timeline(data, ns, key)))
               for ns, key, value, default in _relevant_limits(data)])
    doc.heading('Limit change requests (last 365 days)')
    if data.change_requests:
        doc.table(('created', 'namespace', 'key', 'value then', 'requested', 'status', 'completed'),
                  [(str(r.get('dateCreated', ''))[:10], r.get('namespace', ''), r.get('key', ''),
                    n.amount(r.get('currentValue')), n.amount(r.get('requestedValue')), r.get('status', ''),
                    str(r.get('dateCompleted') or '')[:10]) for r in data.change_requests])
    else:
        doc.text('None.')
    doc.heading('Files')
    doc.bullets([f'{USAGE_CSV}: requests and status codes per day, OAuth client, URL template and method',
                 f'{RATELIMITS_CSV}: rate-limit events per hour, limit and entity, with the limit in force',
                 f'{LIMITS_CSV}: every limit value, its default and its changes',
                 'one CSV per chart, of the same name'])
    return doc


def _peak(days):
    if not days:
        return '', '0'
    day = max(days, key=lambda d: (days[d]['requests'], d))
    return n.iso(day), n.count(days[day]['requests'])


def _relevant_limits(data):
    """platform.api, namespaces with rate-limit records, and any raised value."""
    hit = {r.namespace for r in data.ratelimits}
    rows = []
    for namespace, keys in sorted(data.limits.items()):
        for key, (value, default) in keys.items():
            if namespace == 'platform.api' or namespace in hit or value != default:
                rows.append((namespace, key, value, default))
    return rows

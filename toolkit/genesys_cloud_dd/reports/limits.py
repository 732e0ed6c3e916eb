"""`report limits`: the evidence pack for a limit-increase request.

Pulls daily usage per OAuth client (usage aggregates jobs), rate-limit records per day and limit
(rate-limit aggregates), the org's limit values and defaults, and the change requests of the last year;
writes report.md, report.html, PNG charts and CSVs, and says which limit binds for which client, how often.
"""

import csv
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from datadog_checks.genesys_cloud.client import ApiUnreachable, AuthenticationError, GenesysApiError

from . import charts, pull
from .document import Document
from .progress import Progress

FLAT_LIMIT = ('platform.api', 'client.credentials.token.rate.per.minute')  # per token (one per client), per minute
DEFAULT_FLAT_LIMIT = 300
USAGE_CSV, RATELIMITS_CSV, LIMITS_CSV = 'usage_daily.csv', 'ratelimits_daily.csv', 'limits.csv'
USAGE_FIELDS = ('requests', 'status200', 'status300', 'status400', 'status429', 'status500')


@dataclass
class LimitsData:
    first: date
    last: date
    usage: list = field(default_factory=list)  # pull.UsageDay
    ratelimits: list = field(default_factory=list)  # pull.RateLimitDay
    limits: dict = field(default_factory=dict)  # namespace -> key -> (value, default)
    change_requests: list = field(default_factory=list)
    client_names: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # what could not be pulled, and why

    @property
    def days(self):
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass
class Binding:
    entity_id: str
    entity_name: str
    is_client: bool
    namespace: str
    limit_name: str
    limit_value: int
    days_hit: int
    records: int
    other_limits: list  # [(limit_name, days)] of the limits it hit less often


@dataclass
class Result:
    files: list
    chart_series: dict  # chart file -> series drawn
    bindings: list
    summary: list  # lines printed at the end


def pull_limits(client, days, today, sleep, progress=True, stream=None) -> LimitsData:
    """History of the `days` complete UTC days before `today` (the Usage API never has the current day)."""
    last = today - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    data = LimitsData(first, last)
    chunks = len(list(pull.day_chunks(first, last)))
    bar = Progress(chunks * 2 + 1, 'Pulling history', stream=stream, enabled=progress)
    data.usage = _guard(data, 'daily usage per OAuth client', lambda: pull.usage_days(client, first, last, sleep, bar),
                        [])
    data.ratelimits = _guard(data, 'rate-limit aggregates', lambda: pull.ratelimit_days(client, first, last, bar), [])
    data.limits = _guard(data, 'limit values', lambda: pull.limit_values(client), {})
    data.change_requests = _guard(data, 'limit change requests', lambda: pull.change_requests(client), [])
    data.client_names = _guard(data, 'OAuth client names', lambda: pull.oauth_client_names(client), {})
    bar.done = bar.total - 1
    bar.step('done')
    return data


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
    """{client_id: {day: UsageDay-like dict}} and totals per client."""
    daily = defaultdict(lambda: defaultdict(Counter))
    for row in data.usage:
        for name in USAGE_FIELDS:
            daily[row.client_id][row.day][name] += getattr(row, name)
    totals = {cid: sum((c for c in days.values()), Counter()) for cid, days in daily.items()}
    return daily, totals


def flat_limit(data):
    value = (data.limits.get(FLAT_LIMIT[0]) or {}).get(FLAT_LIMIT[1], (None, None))[0]
    return int(value or DEFAULT_FLAT_LIMIT)


def bindings(data):
    """For each entity with rate-limit records: the limit it reached on the most days (then most records)."""
    names = client_names(data)
    hits = defaultdict(lambda: defaultdict(lambda: {'days': set(), 'records': 0, 'max': 0}))
    for r in data.ratelimits:
        entry = hits[r.entity_id][(r.namespace, r.limit_name)]
        entry['days'].add(r.day)
        entry['records'] += r.count
        entry['max'] = max(entry['max'], r.max)
    out = []
    for entity, limits in hits.items():
        ranked = sorted(limits.items(), key=lambda kv: (-len(kv[1]['days']), -kv[1]['records'], kv[0]))
        (namespace, limit_name), top = ranked[0]
        value = top['max'] or (data.limits.get(namespace) or {}).get(limit_name, (0, 0))[0] or 0
        out.append(Binding(entity, names.get(entity, entity), entity in names, namespace, limit_name, int(value),
                           len(top['days']), top['records'], [(k[1], len(v['days'])) for k, v in ranked[1:]]))
    out.sort(key=lambda b: (-b.days_hit, -b.records, b.entity_name))
    return out


# -- writing -------------------------------------------------------------------------------------------

def write_report(data, out_dir, org_label='') -> Result:
    os.makedirs(out_dir, exist_ok=True)
    names = client_names(data)
    daily, totals = usage_by_client(data)
    days = data.days
    span = len(days)
    files, chart_series = [], {}

    # CSVs: the numbers behind every chart.
    path = os.path.join(out_dir, USAGE_CSV)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(('date', 'oauth_client_id', 'oauth_client_name') + USAGE_FIELDS)
        for row in sorted(data.usage, key=lambda r: (r.day, r.client_id)):
            writer.writerow([row.day.isoformat(), row.client_id, row.client_name]
                            + [getattr(row, n) for n in USAGE_FIELDS])
    files.append(path)
    path = os.path.join(out_dir, RATELIMITS_CSV)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(('date', 'namespace', 'limit_name', 'entity_id', 'entity_name', 'records', 'limit_value'))
        for r in sorted(data.ratelimits, key=lambda r: (r.day, r.namespace, r.limit_name, r.entity_id)):
            writer.writerow([r.day.isoformat(), r.namespace, r.limit_name, r.entity_id, names.get(r.entity_id, ''),
                             r.count, r.max])
    files.append(path)
    path = os.path.join(out_dir, LIMITS_CSV)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(('namespace', 'key', 'value', 'default'))
        for namespace, keys in sorted(data.limits.items()):
            for key, (value, default) in keys.items():
                writer.writerow([namespace, key, value, default])
    files.append(path)

    # Charts.
    ranked = sorted(totals, key=lambda cid: (-totals[cid]['requests'], cid))
    top, rest = ranked[:charts.TOP_CLIENTS], ranked[charts.TOP_CLIENTS:]

    def per_day(client_ids, metric):
        return [sum(daily[c][d][metric] for c in client_ids) for d in days]

    request_series = [(names.get(c, c), per_day([c], 'requests')) for c in top]
    if rest:
        request_series.append((f'{len(rest)} other clients', per_day(rest, 'requests')))
    limit = flat_limit(data)
    chart = os.path.join(out_dir, 'requests_per_client.png')
    chart_series[chart] = charts.requests_per_client(
        chart, days, request_series,
        (f'{FLAT_LIMIT[1]} = {limit}/min ({limit * 1440:,}/day if perfectly flat)', limit * 1440))
    throttled = [c for c in ranked if totals[c]['status429']]
    series_429 = [(names.get(c, c), per_day([c], 'status429')) for c in throttled[:charts.TOP_CLIENTS]]
    if throttled[charts.TOP_CLIENTS:]:
        series_429.append((f'{len(throttled) - charts.TOP_CLIENTS} other clients',
                           per_day(throttled[charts.TOP_CLIENTS:], 'status429')))
    chart_429 = os.path.join(out_dir, 'status_429.png')
    chart_series[chart_429] = charts.stacked_bars(chart_429, days, series_429, 'HTTP 429 responses per day',
                                                  '429 responses', 'no 429 responses in this period')
    by_limit = defaultdict(Counter)
    for r in data.ratelimits:
        by_limit[r.limit_name][r.day] += r.count
    limit_series = [(name, [by_limit[name][d] for d in days]) for name in sorted(by_limit)]
    chart_rl = os.path.join(out_dir, 'ratelimit_events.png')
    chart_series[chart_rl] = charts.stacked_bars(chart_rl, days, limit_series,
                                                 'Rate-limit records per day (a limit reached 90 %)',
                                                 'records', 'no rate-limit records in this period')
    day_totals = {d: sum(daily[c][d]['requests'] for c in daily) for d in days}
    day_429 = {d: sum(daily[c][d]['status429'] for c in daily) for d in days}
    peaks = sorted(days, key=lambda d: (-day_totals[d], d))[:10]
    chart_peak = os.path.join(out_dir, 'peak_days.png')
    chart_series[chart_peak] = charts.peak_days(chart_peak, [d.isoformat() for d in peaks],
                                                [day_totals[d] for d in peaks], [day_429[d] for d in peaks])
    files.extend(chart_series)

    # The summary: which limit binds for which client, how often.
    found = bindings(data)
    summary = []
    for b in (b for b in found if b.is_client):
        others = f'; also {", ".join(f"{n} on {d} days" for n, d in b.other_limits)}' if b.other_limits else ''
        summary.append(f'{b.entity_name}: {b.namespace} {b.limit_name} (limit {b.limit_value}) reached on '
                       f'{b.days_hit} of {span} days ({b.days_hit / span:.0%}), {b.records} records{others}')
    # Entities that are not OAuth clients (Data Actions...) can be hundreds: one line per limit.
    other = defaultdict(lambda: {'entities': set(), 'days': set(), 'records': 0})
    for r in data.ratelimits:
        if r.entity_id not in names:
            entry = other[(r.namespace, r.limit_name)]
            entry['entities'].add(r.entity_id)
            entry['days'].add(r.day)
            entry['records'] += r.count
    for (namespace, limit_name), entry in sorted(other.items()):
        summary.append(f'{len(entry["entities"])} entities that are not OAuth clients (Data Actions, users...): '
                       f'{namespace} {limit_name} reached on {len(entry["days"])} of {span} days, '
                       f'{entry["records"]} records')
    if not found:
        summary.append(f'No rate-limit records in the {span} days: no trackable limit reached 90 %.')

    doc = Document('API limits evidence pack' + (f': {org_label}' if org_label else ''))
    doc.text(f'Period: {data.first.isoformat()} to {data.last.isoformat()} ({span} complete UTC days; the '
             f'Usage API never includes the current day). Source: Genesys Cloud Usage API (aggregates jobs), '
             f'rate-limit aggregates, Limits API.')
    total_requests = sum(t['requests'] for t in totals.values())
    total_429 = sum(t['status429'] for t in totals.values())
    doc.bullets([
        f'{total_requests:,} API requests from {len(totals)} OAuth clients; {total_429:,} answered 429 '
        f'({total_429 / max(total_requests, 1):.2%}).',
        f'{sum(r.count for r in data.ratelimits):,} rate-limit records on '
        f'{len({r.day for r in data.ratelimits})} of {span} days.',
    ] + [f'Not included: {note}' for note in data.notes])
    doc.heading('Which limit binds, for which client')
    doc.bullets(summary)
    doc.heading('Daily requests per OAuth client against the limit')
    doc.text(f'The dashed line is {FLAT_LIMIT[1]} ({limit}/min per token) over a whole day at a perfectly flat '
             f'rate: days far below it still hit the limit when traffic comes in bursts (see the 429s and '
             f'rate-limit records).')
    doc.image('requests_per_client.png', 'Daily requests per OAuth client')
    doc.heading('HTTP 429 responses')
    doc.image('status_429.png', 'HTTP 429 responses per day and client')
    doc.heading('Rate-limit records by limit')
    doc.image('ratelimit_events.png', 'Rate-limit records per day and limit')
    doc.heading('Peak days')
    doc.image('peak_days.png', 'The ten busiest days')
    doc.table(('day', 'requests', '429s', 'rate-limit records'),
              [(d.isoformat(), f'{day_totals[d]:,}', f'{day_429[d]:,}',
                sum(r.count for r in data.ratelimits if r.day == d)) for d in peaks])
    doc.heading('OAuth clients')
    doc.table(('client', 'id', 'requests', 'peak day', 'peak requests', '429s', 'days with 429s'),
              [(names.get(c, c), c, f'{totals[c]["requests"]:,}', _peak(daily[c])[0], f'{_peak(daily[c])[1]:,}',
                f'{totals[c]["status429"]:,}', sum(1 for d in daily[c].values() if d['status429']))
               for c in ranked])
    doc.heading('Limit values')
    shown = _relevant_limits(data)
    doc.table(('namespace', 'key', 'value', 'default', 'raised'),
              [(ns, key, value, default, 'yes' if value != default else '') for ns, key, value, default in shown])
    doc.heading('Limit change requests (last 365 days)')
    if data.change_requests:
        doc.table(('created', 'namespace', 'key', 'current', 'requested', 'status', 'completed'),
                  [(str(r.get('dateCreated', ''))[:10], r.get('namespace', ''), r.get('key', ''),
                    _num(r.get('currentValue')), _num(r.get('requestedValue')), r.get('status', ''),
                    str(r.get('dateCompleted') or '')[:10]) for r in data.change_requests])
    else:
        doc.text('None.')
    doc.heading('Files')
    doc.bullets([f'{USAGE_CSV}: requests and status codes per day and OAuth client',
                 f'{RATELIMITS_CSV}: rate-limit records per day, limit and entity',
                 f'{LIMITS_CSV}: every limit value and its default'])
    for name, content in (('report.md', doc.markdown()), ('report.html', doc.html())):
        path = os.path.join(out_dir, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(content)
        files.insert(0, path)
    return Result(files, chart_series, found, summary)


def _peak(days):
    if not days:
        return '', 0
    day = max(days, key=lambda d: (days[d]['requests'], d))
    return day.isoformat(), days[day]['requests']


def _relevant_limits(data):
    """platform.api, namespaces with rate-limit records, and any raised value."""
    hit = {r.namespace for r in data.ratelimits}
    rows = []
    for namespace, keys in sorted(data.limits.items()):
        for key, (value, default) in keys.items():
            if namespace == 'platform.api' or namespace in hit or value != default:
                rows.append((namespace, key, value, default))
    return rows


def _num(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if value is not None else ''

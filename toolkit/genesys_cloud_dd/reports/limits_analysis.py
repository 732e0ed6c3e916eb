"""What the limits pack concludes from the pulled history: which limit binds, for whom, how often and how long.

Pure functions of LimitsData (no I/O), so the text, the charts and the tests read the same facts.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from .effective_limits import timeline
from .objects_analysis import outlooks

CLIENT_LIMIT = ('platform.api', 'client.credentials.token.rate.per.minute')  # per token (one per client), a minute
DEFAULT_CLIENT_LIMIT = 300
NEAR = 0.9  # Genesys records a limit at 90 %; the per-minute evidence uses the same threshold
USAGE_FIELDS = ('requests', 'status200', 'status300', 'status400', 'status429', 'status500')


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


def longest_run(times, step=timedelta(hours=1)):
    """(length, first time) of the longest run of consecutive times `step` apart (hours, minutes)."""
    best, best_start, run, start, previous = 0, None, 0, None, None
    for hour in sorted(times):
        if previous is not None and hour - previous == step:
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
    longest, start = longest_run(hours)
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


def throttled_minutes(data):
    """{client label: [minute starts with at least one 429]} from the companion's per-minute 429 counts."""
    out = defaultdict(set)
    for series in data.velocity_429 or []:
        label = series.tags.get('oauth_client_name') or 'unknown client'
        out[label].update(when.replace(second=0, microsecond=0) for when, value in series.points if value > 0)
    return {label: sorted(minutes) for label, minutes in out.items() if minutes}


@dataclass
class Evidence:
    """Every fact the pack states, computed once."""
    data: object
    names: dict
    daily: dict  # client -> day -> Counter
    totals: dict  # client -> Counter
    with_data: list  # days that have data
    axis: list  # days shown: the first day with data to the last day asked
    bindings: list
    headline: object  # Headline or None
    ranked_clients: list  # by requests
    throttled: list  # clients with 429s, most first
    total_429: int
    days_429: list
    top_endpoints: list  # [((client, method, template), 429s)]
    actions: list  # rate-limit records of the dataactions namespace
    velocity: dict  # client label -> day -> (busiest minute, minutes near the limit)
    busiest: tuple  # (client label, day, requests) or None
    near_minutes: int
    minutes_429: dict  # client label -> [minutes with 429s]
    objects: list  # objects_analysis.Outlook, nearest their limit first


def analyse(data) -> Evidence:
    names = client_names(data)
    daily, totals = usage_by_client(data)
    with_data = data.days_with_data
    axis = [d for d in data.days if with_data and d >= with_data[0]] or data.days
    found = bindings(data)
    ranked_clients = sorted(totals, key=lambda cid: (-totals[cid]['requests'], cid))
    throttled = sorted((c for c in ranked_clients if totals[c]['status429']),
                       key=lambda c: (-totals[c]['status429'], c))
    by_endpoint = Counter()
    for row in data.usage:
        if row.status429:
            by_endpoint[(row.client_id, row.http_method, row.template_uri)] += row.status429
    velocity = velocity_by_client(data, names) if data.velocity else {}
    busiest = max(((c, d, v[0]) for c in velocity for d, v in velocity[c].items()), key=lambda t: (t[2], t[1]),
                  default=None)
    return Evidence(
        data=data, names=names, daily=daily, totals=totals, with_data=with_data, axis=axis, bindings=found,
        headline=headline(data, found), ranked_clients=ranked_clients, throttled=throttled,
        total_429=sum(t['status429'] for t in totals.values()),
        days_429=sorted({d for c in daily for d, v in daily[c].items() if v['status429']}),
        top_endpoints=sorted(by_endpoint.items(), key=lambda kv: (-kv[1], kv[0]))[:12],
        actions=[r for r in data.ratelimits if r.namespace == 'dataactions'],
        velocity=velocity, busiest=busiest, near_minutes=sum(v[1] for c in velocity for v in velocity[c].values()),
        minutes_429=throttled_minutes(data), objects=outlooks(data.objects or []))

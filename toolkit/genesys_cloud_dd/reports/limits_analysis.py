"""What the limits pack concludes from the pulled history: which limit binds, for whom, how often and how long.

Pure functions of LimitsData (no I/O), so the text, the charts and the tests read the same facts.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from .effective_limits import timeline
from .objects_analysis import outlooks

CLIENT_LIMIT = ('platform.api', 'client.credentials.token.rate.per.minute')  # per token (one per client), a minute
DEFAULT_CLIENT_LIMIT = 300
NEAR = 0.9  # Genesys records a limit at 90 %; the per-minute evidence uses the same threshold
USAGE_CSV, RATELIMITS_CSV = 'usage_daily.csv', 'ratelimits_hourly.csv'
RATELIMIT_PULL_NAME = 'rate-limit aggregates'  # limits_story.RATELIMIT_PULL: the pull's name in data.missing
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
class Check:
    """An invariant between two sources: the rule, how many items it was checked on, and every contradiction
    (shown in the pack, never hidden). checked == 0 with a reason: the check could not be made."""
    name: str
    rule: str
    unit: str  # what was checked: 'client-day', 'action'
    checked: int = 0
    contradictions: list = field(default_factory=list)  # one sentence each
    reason: str = ''  # why it could not be checked

    @property
    def holds(self):
        return self.checked > 0 and not self.contradictions


def per_minute_events(data, names):
    """{(client id, day, namespace, limit name): events} of the per-minute limits OAuth clients reached."""
    events = Counter()
    for r in data.ratelimits:
        if r.entity_id in names and r.limit_name.endswith('.per.minute'):
            events[(r.entity_id, r.day, r.namespace, r.limit_name)] += r.count
    return events


def minimum_requests(events, limit):
    """The fewest requests `events` minutes at 90 % or more of a per-minute `limit` take."""
    return events * math.ceil(NEAR * limit)


def requests_check(data, names, daily):
    """Daily requests (Usage API) against the minutes at >= 90 % of a per-minute limit (rate-limit events): each
    event is a minute with at least 90 % of the limit's requests, so a day's requests are at least
    events x 90 % of the limit."""
    check = Check('Daily requests against minutes at 90 % of a per-minute limit',
                  'On each day, an OAuth client\'s requests (Usage API) are at least its rate-limit events of a '
                  'per-minute limit (Genesys records one when a minute reaches 90 %) times 90 % of that limit',
                  'client-day')
    if 'daily usage per OAuth client' in data.missing:
        check.reason = 'the daily usage could not be read'
        return check
    for (client, day, namespace, limit_name), count in sorted(per_minute_events(data, names).items()):
        value = limit_timeline(data, namespace, limit_name).at(day) or DEFAULT_CLIENT_LIMIT
        need, got = minimum_requests(count, value), daily[client][day]['requests'] if client in daily else 0
        check.checked += 1
        if got < need:
            check.contradictions.append(
                f'{names.get(client, client)} on {day.isoformat()}: {count:,} minutes at 90 % of {value:,} a minute '
                f'({limit_name}) take at least {need:,} requests; the Usage API counts {got:,}')
    if not check.checked:
        check.reason = 'no OAuth client reached a per-minute limit'
    return check


def velocity_check(data, names, velocity):
    """The companion module's minutes at >= 90 % of the client limit against Genesys's rate-limit events: the
    companion counts only the requests it instruments, so per client and day it can see fewer such minutes than
    Genesys records, never more."""
    check = Check('Companion minutes at 90 % against Genesys rate-limit events',
                  'Per OAuth client and day, the minutes the companion module counted at 90 % of the limit or more '
                  'are no more than the rate-limit events Genesys recorded for that client (the companion sees only '
                  'the requests it instruments)', 'client-day')
    if not velocity:
        check.reason = 'no per-minute counts from Datadog'
        return check
    if RATELIMIT_PULL_NAME in data.missing:
        check.reason = 'the rate-limit events could not be read'
        return check
    by_name = {}
    for cid, name in names.items():
        by_name.setdefault(name, cid)
    events = Counter()
    for (client, day, _namespace, _limit), count in per_minute_events(data, names).items():
        events[(client, day)] += count
    for label, days in sorted(velocity.items()):
        client = by_name.get(label, label)
        for day, (_busiest, near) in sorted(days.items()):
            if not near:
                continue
            check.checked += 1
            if near > events[(client, day)]:
                check.contradictions.append(
                    f'{label} on {day.isoformat()}: the companion counted {near:,} minutes at 90 % of the limit or '
                    f'more; Genesys recorded {events[(client, day)]:,} rate-limit events')
    if not check.checked:
        check.reason = 'the companion counted no minute at 90 % of the limit'
    return check


def actions_check(data):
    """Data Actions counted in the rate-limit events against the actions the Data Action analytics list."""
    ids = sorted({r.entity_id for r in data.ratelimits if r.namespace == 'dataactions'})
    check = Check('Data Actions counted against Data Actions listed',
                  'Every Data Action id in the rate-limit events is an action the Data Action analytics list as '
                  'executing in the hour of its first event', 'action')
    if not ids:
        check.reason = 'no Data Action reached a limit'
    elif data.action_names is None:
        check.reason = 'the Data Action analytics could not be read'
    else:
        asked = ids if not data.action_names_capped else [i for i in ids if i in data.action_names]
        check.checked = len(asked)
        check.contradictions = [f'{i}: in the rate-limit events, not in the Data Action analytics' for i in asked
                                if i not in data.action_names]
        if data.action_names_capped:
            check.reason = f'only the first {len(asked)} of {len(ids)} actions were looked up'
    return check


@dataclass
class Request:
    value: int
    basis: str  # where the measured peak comes from, in words
    rule: str  # how the value follows from it


HEADROOM = 1.25
ROUND_TO = 50


def round_up(value, step=ROUND_TO):
    return int(math.ceil(value / step) * step)


def requested(data, top, busiest, daily, names):
    """The value to ask for and why: given, an open change request, or derived from the measured peak (the
    busiest minute from the companion module, else the least the Genesys evidence proves) with HEADROOM."""
    if data.requested_value:
        return Request(data.requested_value, 'the value this request asks for (--requested-value)', '')
    line = limit_timeline(data, top.namespace, top.limit_name)
    pending = [v for _, v, _ in line.open_requests if v and v > top.value]
    if pending:
        return Request(int(pending[-1]), 'the open change request', '')
    rule = f'the rule: the measured peak plus {round(100 * (HEADROOM - 1))} % headroom, rounded up to {ROUND_TO}'
    if busiest and (top.namespace, top.limit_name) == CLIENT_LIMIT:
        who, day, peak = busiest
        basis = (f'measured peak: {peak:,} requests in one minute, by {who} on {day.isoformat()} (the companion '
                 f'module\'s busiest minute) [busiest_minute.png]')
        return Request(max(round_up(peak * HEADROOM), top.value + ROUND_TO), basis, rule)
    # Without per-minute counts: in a minute above the limit the requests over it are answered 429, and such
    # minutes are among the minutes at >= 90 %: a day's 429s spread over its events is the least excess its
    # busiest minute had (assuming those 429s came from this limit).
    best = None
    for (client, day, namespace, limit_name), count in per_minute_events(data, names).items():
        if (namespace, limit_name) != (top.namespace, top.limit_name) or client not in daily:
            continue
        value = line.at(day) or top.value
        r429 = daily[client][day]['status429']
        peak = value + math.ceil(r429 / count) if r429 else math.ceil(NEAR * value)
        if best is None or (peak, day) > (best[0], best[2]):
            best = (peak, client, day, count, r429, value)
    if best is None:
        return Request(top.value * 2, 'no measured peak', 'twice the current value; set --requested-value')
    peak, client, day, count, r429, value = best
    who = names.get(client, client)
    if r429:
        basis = (f'measured peak: at least {peak:,} requests in one minute, by {who} on {day.isoformat()}, whose '
                 f'{r429:,} HTTP 429 answers that day fell in its {count:,} minutes at 90 % of {value:,} or more: '
                 f'{value:,} + {r429:,} / {count:,}, rounded up [{USAGE_CSV}, {RATELIMITS_CSV}]')
    else:
        basis = (f'measured peak: at least {peak:,} requests in one minute (90 % of {value:,}; no HTTP 429 answers '
                 f'on the days the limit was reached) [{RATELIMITS_CSV}]')
    return Request(max(round_up(peak * HEADROOM), top.value + ROUND_TO), basis, rule)


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
    checks: list = field(default_factory=list)  # [Check]: the invariants between the sources
    request: Request = None  # the value to ask for (None without a binding limit)
    action_names: dict = field(default_factory=dict)  # Data Action id -> name (the id when not listed)

    @property
    def asked(self):
        return len(self.data.days)

    @property
    def contradictions(self):
        return sum(len(c.contradictions) for c in self.checks)


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
    top = headline(data, found)
    actions = [r for r in data.ratelimits if r.namespace == 'dataactions']
    return Evidence(
        data=data, names=names, daily=daily, totals=totals, with_data=with_data, axis=axis, bindings=found,
        headline=top, ranked_clients=ranked_clients, throttled=throttled,
        total_429=sum(t['status429'] for t in totals.values()),
        days_429=sorted({d for c in daily for d, v in daily[c].items() if v['status429']}),
        top_endpoints=sorted(by_endpoint.items(), key=lambda kv: (-kv[1], kv[0]))[:12],
        actions=actions,
        velocity=velocity, busiest=busiest, near_minutes=sum(v[1] for c in velocity for v in velocity[c].values()),
        minutes_429=throttled_minutes(data), objects=outlooks(data.objects or []),
        checks=[requests_check(data, names, daily), actions_check(data)]
        + ([velocity_check(data, names, velocity)] if data.velocity is not None else []),
        request=requested(data, top, busiest, daily, names) if top else None,
        action_names={r.entity_id: (data.action_names or {}).get(r.entity_id, r.entity_id) for r in actions})

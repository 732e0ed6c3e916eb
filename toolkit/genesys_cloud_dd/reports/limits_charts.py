"""The charts of the limits pack, each one message in its title, each with its CSV (charts.py draws them)."""

import os
from collections import Counter, defaultdict
from datetime import date, timedelta

from .. import numbers as n
from . import charts
from .datadog_history import OBJECT_TAGS, OBJECTS_COUNT, OBJECTS_LIMIT, VELOCITY_429, VELOCITY_REQUESTS
from .limits_analysis import CLIENT_LIMIT, DEFAULT_CLIENT_LIMIT, NEAR, limit_timeline, limit_unit, longest_run
from .limits_story import actions_phrase, days_phrase, run_phrase, share_429
from .objects_analysis import REACHED, headline, label, outlook_phrase, share, urgency

EVENTS_AXIS = 'rate-limit events (minutes at >= 90 % of the limit)'


def draw(ev, out_dir):
    """Every chart the evidence supports; returns (files, {png: series drawn})."""
    files, chart_series = [], {}

    def chart(name, draw_fn, *args, **kwargs):
        path = os.path.join(out_dir, name)
        chart_series[path] = draw_fn(path, *args, **kwargs)
        files.extend([path, os.path.splitext(path)[0] + '.csv'])

    for build in (_binding_limit, _busiest_minute, _minutes_429, _status_429, _status_429_endpoints,
                  _data_action_bursts, _ratelimit_events, _object_history, _object_limits,
                  _requests_per_client):
        build(ev, chart)
    return files, chart_series


def top_series(keys, per_day_fn, label_fn, limit=charts.TOP):
    """The first `limit` keys as their own series, the rest summed into "N others"."""
    series = [(label_fn(k), per_day_fn([k])) for k in keys[:limit]]
    if keys[limit:]:
        series.append((f'{len(keys) - limit} others', per_day_fn(keys[limit:])))
    return series


def in_force(line, axis, key):
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


def _binding_limit(ev, chart):
    top, axis, data = ev.headline, ev.axis, ev.data
    if not top:
        return
    line = limit_timeline(data, top.namespace, top.limit_name)
    markers = [(r.day, f'limit raised {n.count(r.before)} \u2192 {n.count(r.after)}') for r in line.raises
               if axis[0] <= r.day <= axis[-1]]
    markers += [(d, f'requested {n.count(v or 0)} ({s})') for d, v, s in line.open_requests if axis[0] <= d <= axis[-1]]
    per = defaultdict(Counter)
    for r in data.ratelimits:
        if (r.namespace, r.limit_name) == (top.namespace, top.limit_name):
            per[r.entity_id][r.day] += r.count
    chart('binding_limit.png', charts.daily_bars, axis,
          top_series(top.clients, lambda cs: [sum(per[c][d] for c in cs) for d in axis], lambda c: ev.names.get(c, c)),
          f'{top.limit_name} reached 90 % on {days_phrase(ev, top.days_hit)}',
          EVENTS_AXIS,
          subtitle=f'{top.namespace}; limit in force per client: {in_force(line, axis, top.limit_name)}; '
                   f'{n.plural(top.hours_hit, "hour")} in total, the longest run '
                   f'{n.plural(top.longest_hours, "consecutive hour")} on {n.iso(top.longest_day)}; per OAuth client '
                   f'(Genesys rate-limit aggregates)',
          markers=markers)


def versus(value, limit):
    return 'above its' if value > limit else 'at its' if value >= NEAR * limit else 'below its'


def _velocity_days(data, first_with_data):
    """The days of the per-minute window, from the first that has data (the axis spans data that exists)."""
    return [d for d in data.days if max(data.velocity_days[0], first_with_data) <= d <= data.velocity_days[1]]


def _busiest_minute(ev, chart):
    """Per-minute requests from the companion module (Datadog), against the limit in force that day."""
    if not ev.busiest:
        return
    velocity, data = ev.velocity, ev.data
    days = _velocity_days(data, min(d for c in velocity for d in velocity[c]))
    ranked = sorted(velocity, key=lambda c: (-max(v[0] for v in velocity[c].values()), c))
    client, day, value = ev.busiest
    line = limit_timeline(data, *CLIENT_LIMIT)
    limit_then = line.at(day) or DEFAULT_CLIENT_LIMIT
    chart('busiest_minute.png', charts.daily_lines, days,
          [(c, [velocity[c].get(d, (None,))[0] for d in days]) for c in ranked[:charts.TOP]],
          f'Busiest minute: {client} sent {n.count(value)} requests on {n.iso(day)}, {versus(value, limit_then)} '
          f'limit of {n.count(limit_then)} a minute', 'requests in the busiest minute of the day',
          subtitle=f'{n.plural(ev.near_minutes, "minute")} at {NEAR:.0%} of the limit or more; companion module '
                   f'per-minute counts ({VELOCITY_REQUESTS}) from Datadog',
          limit=(f'{CLIENT_LIMIT[1]} in force', [line.at(d) or DEFAULT_CLIENT_LIMIT for d in days]))


def _minutes_429(ev, chart):
    """How long clients were throttled: minutes with 429s per day, from the companion's per-minute counts."""
    if not ev.minutes_429:
        return
    data = ev.data
    days = _velocity_days(data, min(m[0].date() for m in ev.minutes_429.values() if m))
    clients = sorted(ev.minutes_429, key=lambda c: (-len(ev.minutes_429[c]), c))
    per_day = {c: Counter(m.date() for m in ev.minutes_429[c]) for c in clients}
    total = sum(len(m) for m in ev.minutes_429.values())
    runs = {c: longest_run(ev.minutes_429[c], timedelta(minutes=1)) for c in clients}
    worst = max(clients, key=lambda c: (runs[c][0], c))
    chart('minutes_429.png', charts.daily_bars, days,
          top_series(clients, lambda cs: [sum(per_day[c][d] for c in cs) for d in days], lambda c: c),
          f'429s in {n.plural(total, "minute")}; {run_phrase(runs[worst][0], runs[worst][1], worst)}',
          'minutes with at least one 429',
          subtitle=f'per OAuth client; companion module per-minute 429 counts ({VELOCITY_429}) from Datadog')


def _status_429(ev, chart):
    axis, daily, names = ev.axis, ev.daily, ev.names
    share = (f', {n.percent(ev.totals[ev.throttled[0]]["status429"], ev.total_429)} to '
             f'{names.get(ev.throttled[0], ev.throttled[0])}' if ev.throttled else '')
    chart('status_429.png', charts.daily_bars, axis,
          top_series(ev.throttled, lambda cs: [sum(daily[c][d]['status429'] for c in cs) for d in axis],
                     lambda c: names.get(c, c)),
          f'{n.count(ev.total_429)} HTTP 429 answers on {days_phrase(ev, len(ev.days_429))}'
          + share, '429 answers per day',
          subtitle=f'{share_429(ev)}; per OAuth client (Genesys Usage API, daily aggregates)',
          empty_text='no 429 answers in this period')


def _status_429_endpoints(ev, chart):
    if not ev.top_endpoints:
        return
    names = ev.names
    (c0, m0, t0), v0 = ev.top_endpoints[0]
    chart('status_429_endpoints.png', charts.ranked_bars,
          [f'{names.get(c, c)}: {m} {t}' for (c, m, t), _ in ev.top_endpoints], [v for _, v in ev.top_endpoints],
          f'Most 429 answers: {m0} {t0} by {names.get(c0, c0)} ({n.count(v0)}, {n.percent(v0, ev.total_429)} of all)',
          '429 answers in the period', subtitle='per OAuth client, HTTP method and URL template (Genesys Usage API)',
          csv_header=('oauth_client_name', 'oauth_client_id', 'http_method', 'template_uri', 'status429'),
          csv_rows=[(names.get(c, c), c, m, t, v) for (c, m, t), v in ev.top_endpoints])


def _data_action_bursts(ev, chart):
    """Limits of Data Actions (entities that are not OAuth clients), in the dataactions namespace."""
    if not ev.actions:
        return
    axis = ev.axis
    per_limit = defaultdict(Counter)
    for r in ev.actions:
        per_limit[r.limit_name][r.day] += r.count
    first_limit = sorted(per_limit)[0]
    line = limit_timeline(ev.data, 'dataactions', first_limit)
    markers = [(d, f'requested {n.count(v or 0)} ({s})') for d, v, s in line.open_requests if axis[0] <= d <= axis[-1]]
    per_action = defaultdict(Counter)
    for r in ev.actions:
        per_action[r.entity_id][r.day] += r.count
    ranked = sorted(per_action, key=lambda a: (-sum(per_action[a].values()), ev.action_names.get(a, a)))
    chart('data_action_bursts.png', charts.daily_bars, axis,
          top_series(ranked, lambda ids: [sum(per_action[a][d] for a in ids) for d in axis],
                     lambda a: ev.action_names.get(a, a)),
          f'Data Actions reached 90 % of {first_limit} on {days_phrase(ev, len({r.day for r in ev.actions}))}',
          'rate-limit events (minutes at >= 90 %)',
          subtitle=f'{actions_phrase(ev)}, {n.plural(len({r.hour for r in ev.actions}), "hour")} in total; limit '
                   f'in force: {in_force(line, axis, first_limit)} (Genesys rate-limit aggregates)', markers=markers)


def _ratelimit_events(ev, chart):
    """Every trackable limit reached, per day: the binding one is not alone."""
    by_limit = defaultdict(Counter)
    for r in ev.data.ratelimits:
        by_limit[r.limit_name][r.day] += r.count
    chart('ratelimit_events.png', charts.daily_bars, ev.axis,
          [(k, [by_limit[k][d] for d in ev.axis])
           for k in sorted(by_limit, key=lambda k: (-sum(by_limit[k].values()), k))],
          f'{n.plural(len(by_limit), "limit")} reached 90 % at least once'
          + (f'; {ev.headline.limit_name} binds for the most clients' if ev.headline else ''),
          EVENTS_AXIS,
          subtitle='all entities (OAuth clients, Data Actions, users); Genesys rate-limit aggregates',
          empty_text='no trackable limit reached 90 % in this period')


def object_label(o):
    return f'{label(o.history.tags)}: {n.count(o.history.count)} of {n.count(o.history.limit)}'


def forecast_cell(o):
    return o.reach if o.reach == REACHED else n.iso(o.reach) if o.reach else ''


def _object_limits(ev, chart):
    """Object counts against object limits (the check's object_limits collector, from Datadog): the latest day."""
    rows = ev.objects[:15]
    if not rows:
        return
    high = [o for o in rows if o.utilization >= 0.8]
    named = ', '.join(f'{label(o.history.tags)} {share(o)}' for o in high[:3])
    chart('object_limits.png', charts.ranked_bars,
          [object_label(o) for o in rows], [100.0 * o.utilization for o in rows],
          f'{n.plural(len(high), "object limit")} at 80 % or more' + (f': {named}' if named else ''),
          'percent of the limit in use', suffix=' %',
          subtitle=f'latest daily maximum of {OBJECTS_COUNT} against its limit, from Datadog; growth per week and '
                   'forecast date in the CSV',
          reference=('the limit (100 %)', 100), integer=False,
          csv_header=('namespace', 'limit_key', 'object_type', 'parent_name', 'count', 'limit', 'percent',
                      'growth_per_week', 'forecast_date'),
          csv_rows=[(*(o.history.tags.get(t, '') for t in OBJECT_TAGS), o.history.count, o.history.limit,
                     100.0 * o.utilization, '' if o.growth_per_week is None else o.growth_per_week,
                     forecast_cell(o)) for o in rows])


OBJECT_PANELS = 4  # objects nearest their limit drawn over time
FORECAST_VIEW = 180  # days past the last day the trend is drawn at least (more if the history is longer)


def _object_history(ev, chart):
    """The objects nearest their limit, over time: count, limit, trend and the date they meet (most urgent
    first)."""
    shown = sorted(ev.objects[:OBJECT_PANELS], key=urgency)
    if not shown:
        return
    panels, rows = [], []
    for o in shown:
        h, trend = o.history, o.trend
        first, last = h.counts[0][0], h.counts[-1][0]
        view = last + timedelta(days=max(FORECAST_VIEW, 2 * (last - first).days))
        end = min(o.reach, view) if isinstance(o.reach, date) else last
        line = [(first, trend.at(first)), (end, trend.at(end))] if trend and o.reach != REACHED else []
        reach = ((o.reach, h.limit, f'around {n.iso(o.reach)}') if isinstance(o.reach, date) and o.reach <= view
                 else None)
        panels.append(charts.Panel(
            (f'{label(h.tags)} ({h.tags.get("namespace", "")} {h.tags.get("limit_key", "")})',
             f'{n.count(h.count)} of {n.count(h.limit)} ({share(o)}) on {n.iso(last)}; {outlook_phrase(o)}'),
            h.counts, h.limits, line, reach))
        tags = [h.tags.get(t, '') for t in OBJECT_TAGS]
        rows += [tags + [n.iso(d), v, h.limit_on(d), '' if trend is None else trend.at(d)]
                 for d, v in h.counts]
        if end > last:
            rows.append(tags + [n.iso(end), '', h.limit, trend.at(end)])
    first_day, last_day = ev.data.object_days
    chart('object_limits_history.png', charts.forecast_panels, panels, headline(shown[0]), 'objects',
          subtitle=('the object nearest its limit' if len(shown) == 1 else
                    f'the {len(shown)} objects nearest their limit, most urgent first')
          + f'; daily maximum of {OBJECTS_COUNT} and {OBJECTS_LIMIT} from Datadog, {n.iso(first_day)} to '
            f'{n.iso(last_day)}',
          csv_header=OBJECT_TAGS + ('date', 'count', 'limit', 'trend'), csv_rows=rows)


def trend_title(axis, totals, with_data):
    present = set(with_data)
    pairs = [(d, t) for d, t in zip(axis, totals) if d in present]
    if len(pairs) < 14:
        return f'{n.count(sum(totals))} requests in {n.plural(len(pairs), "day")} with data'
    first = sum(t for _, t in pairs[:7]) / 7
    last = sum(t for _, t in pairs[-7:]) / 7
    change = (last - first) / first if first else 0
    direction = 'grew' if change > 0.05 else 'fell' if change < -0.05 else 'held steady'
    return (f'Daily requests {direction}' + (f' {abs(change):.0%}' if direction != 'held steady' else '')
            + f': {n.count(first)} a day in the first week with data, {n.count(last)} in the last')


def _requests_per_client(ev, chart):
    """Daily requests: trend and mix only (a per-minute limit is never compared with daily totals)."""
    axis, daily = ev.axis, ev.daily
    day_totals = [sum(daily[c][d]['requests'] for c in daily) for d in axis]
    chart('requests_per_client.png', charts.daily_bars, axis,
          top_series(ev.ranked_clients, lambda cs: [sum(daily[c][d]['requests'] for c in cs) for d in axis],
                     lambda c: ev.names.get(c, c)),
          trend_title(axis, day_totals, ev.with_data), 'requests per day',
          subtitle='trend and mix per OAuth client (Genesys Usage API); context only: the limits are per minute',
          empty_text='no usage in this period')

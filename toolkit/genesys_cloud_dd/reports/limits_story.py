"""The words of the limits pack: the one-paragraph summary a reviewer reads first, the per-client lines, and
the document around the charts. Each sentence of the summary names the chart or CSV that proves it.
"""

import os
from collections import defaultdict
from datetime import timedelta

from .. import numbers as n
from .document import Document
from .limits_analysis import (
    CLIENT_LIMIT,
    DEFAULT_CLIENT_LIMIT,
    RATELIMIT_PULL_NAME,
    RATELIMITS_CSV,
    USAGE_CSV,
    limit_timeline,
    limit_unit,
    longest_run,
)
from .objects_analysis import label, outlook_phrase, share, urgency

LIMITS_CSV = 'limits.csv'
HISTORY_CSV, CONSISTENCY_CSV = 'object_limits_history.csv', 'consistency.csv'
RATELIMIT_PULL = RATELIMIT_PULL_NAME  # the name limits.pull_limits gives that pull in its notes
ACTION_PULL = 'Data Action names (Data Action analytics)'
EVENT_MEANING = ('A rate-limit event is Genesys\'s record that a trackable limit reached 90 %; for a per-minute limit '
                 'this pack reads one event as one minute at 90 % of the limit or more (270 requests or more in a '
                 'minute against a limit of 300).')


def days_phrase(ev, days):
    """'12 of the 35 days with data (90 asked)': what exists against what was asked."""
    with_data = len(ev.with_data)
    asked = f' ({ev.asked} asked)' if with_data < ev.asked else ''
    return f'{days} of the {n.plural(with_data, "day")} with data{asked}'


def run_phrase(run, start, who):
    if run < 2:
        return 'never two minutes in a row'
    return f'the longest run was {n.plural(run, "consecutive minute")} ({who}, from {n.iso(start)})'


def _clients_text(names_):
    if len(names_) <= 4:
        return ' and '.join([', '.join(names_[:-1]), names_[-1]] if len(names_) > 1 else names_)
    return f'{", ".join(names_[:3])} and {len(names_) - 3} more'


def paragraph(ev):
    """The summary a reviewer reads first: each sentence names the file that proves it."""
    data, top, names = ev.data, ev.headline, ev.names
    out = []
    with_data = len(ev.with_data)
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
                   f'{limit_unit(top.limit_name)} per OAuth client, in force on {n.iso(top.last_hit)}, the last day '
                   f'it was reached{raised}). Genesys recorded '
                   f'it at 90 % or more for {_clients_text([names.get(c, c) for c in top.clients])} on '
                   f'{days_phrase(ev, top.days_hit)}, in '
                   f'{n.plural(top.hours_hit, "hour")} in total; the longest '
                   f'run was {n.plural(top.longest_hours, "consecutive hour")}, on {n.iso(top.longest_day)} '
                   f'[binding_limit.png, {RATELIMITS_CSV}].')
    elif RATELIMIT_PULL in data.missing:
        out.append('Genesys\'s rate-limit events could not be read (see "Not included"), so this pack cannot say '
                   'which limit binds; run it again with analytics:rateLimitAggregate:view.')
    else:
        out.append(f'No OAuth client reached a trackable limit at 90 % in the {n.plural(with_data, "day")} with data '
                   f'[{RATELIMITS_CSV}].')
    if ev.total_429:
        worst = ev.top_endpoints[0] if ev.top_endpoints else None
        out.append(f'The OAuth clients received {n.count(ev.total_429)} HTTP 429 answers on '
                   f'{days_phrase(ev, len(ev.days_429))}, {share_429(ev)}'
                   + (f'; the most on {worst[0][1]} {worst[0][2]} ({names.get(worst[0][0], worst[0][0])}, '
                      f'{n.count(worst[1])})' if worst else '') + ' [status_429.png, status_429_endpoints.png].')
    out.append(consistency_sentence(ev))
    busiest = ev.busiest
    if busiest:
        line = limit_timeline(data, *CLIENT_LIMIT)
        out.append(f'Per minute (companion module, {n.iso(data.velocity_days[0])} to {n.iso(data.velocity_days[1])}): '
                   f'the busiest minute was {n.count(busiest[2])} requests by {busiest[0]} on {n.iso(busiest[1])}, '
                   f'against a limit of {n.count(line.at(busiest[1]) or DEFAULT_CLIENT_LIMIT)}; '
                   f'{n.plural(ev.near_minutes, "minute")} at 90 % of the limit or more [busiest_minute.png].')
    if ev.minutes_429:
        total = sum(len(m) for m in ev.minutes_429.values())
        run, start, worst = max((longest_run(m, timedelta(minutes=1)) + (c,) for c, m in ev.minutes_429.items()),
                                key=lambda t: (t[0], t[2]))
        out.append(f'429s came back in {n.plural(total, "minute")}; {run_phrase(run, start, worst)} '
                   f'[minutes_429.png].')
    if data.velocity is None and data.velocity_days:
        out.append('Per-minute request counts could not be read from Datadog (see "Not included").')
    elif data.velocity is None:
        out.append('Per-minute request counts are not included (the companion module\'s genesys_cloud.velocity.* in '
                   'Datadog, read with --datadog)'
                   + ('; the rate-limit events above are Genesys\'s own per-minute evidence.' if top else '.'))
    if ev.objects:
        out.append(objects_sentence(ev))
    actions = ev.actions
    if actions:
        limits_ = sorted({r.limit_name for r in actions})
        out.append(f'Data Actions reached 90 % of {", ".join(limits_)} on '
                   f'{days_phrase(ev, len({r.day for r in actions}))}, across {actions_phrase(ev)} '
                   f'[data_action_bursts.png].')
    if data.mitigations:
        out.append('What the integration already does: ' + '; '.join(data.mitigations) + '.')
    else:
        out.append('What the integration already does: not stated (add it with --mitigation, e.g. "retries 429s '
                   'after Retry-After with exponential backoff").')
    if ev.request:
        r = ev.request
        out.append(f'Requested: {top.limit_name} = {n.count(r.value)} ({r.basis}' + (f'; {r.rule}' if r.rule else '')
                   + ').')
    return out


def share_429(ev):
    requests = sum(t['requests'] for t in ev.totals.values())
    return f'{n.percent(ev.total_429, requests, 2)} of their {n.count(requests)} requests'


def actions_phrase(ev):
    """'6 actions (A, B, C and 3 more)': how many distinct actions, by the names the analytics list."""
    names = sorted(set(ev.action_names.values()))
    return f'{n.plural(len(ev.action_names), "action")} ({_clients_text(names)})'


def consistency_sentence(ev):
    broken = [c for c in ev.checks if c.contradictions]
    if broken:
        return (f'The sources contradict each other in {n.plural(ev.contradictions, "place")} ('
                + '; '.join(f'{c.name.lower()}: {len(c.contradictions)} of {n.plural(c.checked, c.unit)}'
                            for c in broken) + f'), shown under "Do the sources agree?" [{CONSISTENCY_CSV}].')
    held = [c for c in ev.checks if c.holds]
    if not held:
        return f'No cross-check between the sources could be made [{CONSISTENCY_CSV}].'
    return ('The sources agree: ' + '; '.join(f'{c.name.lower()} on all {n.plural(c.checked, c.unit)}'
                                              for c in held) + f' [{CONSISTENCY_CSV}].')


def objects_sentence(ev, shown=3):
    """The object limits nearest their limit: count, limit, growth per week and the date the trend reaches it."""
    first, last = ev.data.object_days
    parts = [f'{label(o.history.tags)} at {n.count(o.history.count)} of {n.count(o.history.limit)} '
             f'({share(o)}), {outlook_phrase(o)}'
             for o in sorted(ev.objects[:shown], key=urgency)]
    return (f'Object limits (daily maximum from Datadog, {n.iso(first)} to {n.iso(last)}; trend by least squares), '
            f'nearest their limit: ' + '; '.join(parts) + f' [object_limits_history.png, {HISTORY_CSV}, '
            f'object_limits.csv].')


def summary_lines(ev):
    data, found, names = ev.data, ev.bindings, ev.names
    span = len(ev.with_data)
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


def changes(line):
    parts = [f'{n.iso(r.day)}: {n.count(r.before)} -> {n.count(r.after)}' for r in line.raises]
    if line.raised_before_history:
        parts.insert(0, 'raised above the default before the last 365 days of change requests')
    parts += [f'{n.iso(d)}: {n.count(v or 0)} requested ({s})' for d, v, s in line.open_requests]
    return '; '.join(parts)


def document(ev, org_label, paragraph, summary, chart_series):
    data, names, totals, daily = ev.data, ev.names, ev.totals, ev.daily
    charts_ = {os.path.basename(p) for p in chart_series}
    with_data = ev.with_data
    doc = Document('API limit increase: evidence' + (f' for {org_label}' if org_label else ''))
    doc.text(f'Period: {n.iso(data.first)} to {n.iso(data.last)}, complete UTC days; '
             + (f'{n.plural(len(with_data), "day")} have data, from {n.iso(with_data[0])}. ' if with_data else
                'no day has data. ')
             + 'Sources: Genesys Cloud rate-limit aggregates (hourly), Usage API (daily, per client and URL '
               'template), Limits API and change requests'
             + ('; Datadog metric history (per minute).' if data.velocity is not None else '.'))
    doc.heading('Summary')
    doc.lead(' '.join(paragraph))
    if data.notes:
        doc.bullets([f'Not included: {note}' for note in data.notes])
    sections = [
        ('binding_limit.png', 'The binding limit, per day and client',
         f'{EVENT_MEANING} Each bar counts those minutes per day and client; dashed lines mark raises and open '
         'change requests.'),
        ('busiest_minute.png', 'Busiest minute per day against the limit in force',
         'From the companion module\'s per-minute request counts; the dashed step is the limit in force that day.'),
        ('minutes_429.png', 'Minutes with 429 answers per day and client',
         'From the companion module\'s per-minute 429 counts: how long clients were throttled.'),
        ('status_429.png', 'HTTP 429 answers per day and client', ''),
        ('status_429_endpoints.png', '429 answers per client and URL template', ''),
        ('data_action_bursts.png', 'Data Action bursts',
         'Data Actions are limited per action, not per client; each event is a minute in which an action\'s '
         'concurrent executions reached 90 % of the limit.'),
        ('ratelimit_events.png', 'Every trackable limit reached', 'Rate-limit events of every entity, per limit.'),
        ('object_limits_history.png', 'Object limits over time, with the date each reaches its limit',
         'The daily maximum of each count (solid), the limit as reported each day (dashed, a step when raised) and '
         'the least-squares trend of the count extended to the limit (dotted); the objects nearest their limit.'),
        ('object_limits.png', 'Object counts against object limits',
         'The latest day of every object limit in Datadog; its CSV adds growth per week and the forecast date.'),
        ('requests_per_client.png', 'Daily requests: trend and mix',
         'Daily totals show growth and who sends the traffic; they say nothing about a per-minute limit.'),
    ]
    for name, heading, text in sections:
        if name in charts_:
            doc.chart(heading, text, name)
    doc.heading('Which limit binds, for which client')
    doc.bullets(summary)
    doc.heading('Do the sources agree?')
    doc.text('Each pair of sources that measure the same thing is checked against a stated rule; a contradiction '
             f'is listed here, never dropped. {EVENT_MEANING}')
    items = []
    for check in ev.checks:
        if check.checked:
            verdict = (f'{len(check.contradictions)} contradictions in {n.plural(check.checked, check.unit)}'
                       if check.contradictions else f'holds on all {n.plural(check.checked, check.unit)}')
        else:
            verdict = 'not checked: ' + check.reason
        items.append(f'{check.name}: {verdict}. Rule: {check.rule}.'
                     + (f' ({check.reason})' if check.checked and check.reason else ''))
        items += [f'Contradiction: {c}' for c in check.contradictions[:20]]
        if len(check.contradictions) > 20:
            items.append(f'... and {len(check.contradictions) - 20} more contradictions in {CONSISTENCY_CSV}')
    doc.bullets(items)
    doc.heading('OAuth clients')
    doc.table(('client', 'requests', 'busiest day', 'requests that day', '429 answers', 'days with 429s'),
              [(names.get(c, c), n.count(totals[c]['requests']), *_peak(daily[c]), n.count(totals[c]['status429']),
                sum(1 for d in daily[c].values() if d['status429'])) for c in ev.ranked_clients])
    doc.heading('Limits in force')
    doc.table(('namespace', 'key', 'value today', 'default', 'changes'),
              [(ns, key, n.count(value) if value is not None else '', n.count(default) if default is not None
                else '', changes(limit_timeline(data, ns, key)))
               for ns, key, value, default in _relevant_limits(data)])
    doc.heading('Limit change requests (last 365 days)')
    if data.change_requests:
        doc.table(('created', 'namespace', 'key', 'value before', 'requested', 'status', 'completed'),
                  [(str(r.get('dateCreated', ''))[:10], r.get('namespace', ''), r.get('key', ''),
                    _value_before(data, r), n.amount(r.get('requestedValue')), r.get('status', ''),
                    str(r.get('dateCompleted') or '')[:10]) for r in data.change_requests])
    else:
        doc.text('None.')
    doc.heading('Files')
    doc.files([(USAGE_CSV, 'requests and status codes per day, OAuth client, URL template and method'),
               (RATELIMITS_CSV, 'rate-limit events per hour, limit and entity, with the limit in force'),
               (LIMITS_CSV, 'every limit value, its default and its changes'),
               (CONSISTENCY_CSV, 'every cross-check between the sources and each contradiction')]
              + [(f'{os.path.basename(p)[:-4]}.csv', 'the numbers of the chart of the same name')
                 for p in chart_series])
    return doc


def _value_before(data, request):
    """An implemented request's currentValue may already be the new value: take the one the timeline walked back."""
    line = limit_timeline(data, request.get('namespace'), request.get('key'))
    raised = next((r for r in line.raises if r.request_id and r.request_id == str(request.get('id'))), None)
    return n.count(raised.before) if raised else n.amount(request.get('currentValue'))


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

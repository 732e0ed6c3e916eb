"""Evaluate the recommended monitors locally against what one check run submitted.

`genesys-cloud-dd demo` prints this table after its run on the emulator: which of assets/monitors/*.json would
be OK, WARN or ALERT (per group: client, queue, licence...) on that data, or NO DATA when the run has nothing
for the query.

How a query is evaluated on a single run (an approximation of what Datadog does over the window):
- each metric's series is one tag set; counts are summed over the run, gauges keep their last value;
- filters select series (template variables do not exist in monitors), `by {...}` groups them and the space
  aggregator combines a group; the time aggregation of one point is that point;
- arithmetic pairs groups by their tag values (an ungrouped side applies to every group); a group missing on one
  side has no data, as in Datadog;
- change alerts need the value one shift ago: a group whose current value is already under the threshold is
  OK (the change of non-negative data cannot exceed it), the others are NO DATA;
- `forecast(q, ...)` needs history this run does not have: the current value of `q` is compared instead (if it
  already crosses the threshold, so does the forecast) and the row says so;
- log monitors need the logs the flows post to Datadog: NO DATA here (flows are not part of a check run);
  event monitors are matched against the events the check itself submitted.
"""

import json
from dataclasses import dataclass

from ..numbers import readable
from ..resources import asset_files, project_root
from . import query as q

OK, WARN, ALERT, NO_DATA = 'OK', 'WARN', 'ALERT', 'NO DATA'
_ORDER = {ALERT: 0, WARN: 1, NO_DATA: 2, OK: 3}


@dataclass
class Evaluation:
    monitor: str  # the monitor's name (definition.name, with {{...}} left in)
    title: str  # the recommended-monitor title
    status: str
    group: str = ''  # e.g. `oauth_client_name:Billing Sync`
    value: float = None
    threshold: str = ''
    note: str = ''


def default_monitor_paths():
    """The recommended monitors the toolkit carries (assets/monitors/*.json)."""
    return asset_files(project_root())['monitors']


def load_monitors(paths=None):
    monitors = []
    for path in paths if paths is not None else default_monitor_paths():
        with open(path, encoding='utf-8') as f:
            monitors.append(json.load(f))
    return monitors


def evaluate_monitors(submissions, monitors=None):
    """One Evaluation per monitor group (or one per monitor when it has no data or no groups)."""
    monitors = load_monitors() if monitors is None else monitors
    results = []
    for monitor in monitors:
        definition = monitor.get('definition') or {}
        title = monitor.get('title') or definition.get('name', '')
        name = definition.get('name', title)
        thresholds = (definition.get('options') or {}).get('thresholds') or {}
        try:
            parsed = q.parse_monitor_query(definition.get('query', ''))
        except q.QueryError as e:
            results.append(Evaluation(name, title, NO_DATA, note=f'invalid query: {e}'))
            continue
        shown = f'{parsed.op} {readable(parsed.threshold)}'
        if 'warning' in thresholds and thresholds['warning'] is not None:
            shown += f' (warn {readable(thresholds["warning"])})'
        if parsed.kind == 'logs':
            results.append(Evaluation(name, title, NO_DATA, threshold=shown,
                                      note='log monitor: evaluated in Datadog on the logs the flows post'))
            continue
        if parsed.kind == 'events':
            groups = _event_groups(parsed, submissions.events)
        else:
            groups = _evaluate(parsed.expr, submissions.metrics)
        note = 'forecast: current value (needs history)' if parsed.is_forecast else ''
        if parsed.change:
            results.extend(_change_rows(name, title, parsed, groups, shown))
            continue
        if not groups:
            results.append(Evaluation(name, title, NO_DATA, threshold=shown, note=note or 'no matching data'))
            continue
        for label, value in _labelled(parsed, groups):
            results.append(Evaluation(name, title, _status(parsed.op, value, thresholds, parsed.threshold), label,
                                      value, shown, note))
    return results


def render_monitor_evaluation(submissions, monitors=None, max_ok_rows=3, firing_only=False) -> str:
    """The demo's table: per monitor, the firing groups first, OK groups summarized past `max_ok_rows`;
    `firing_only` keeps just the ALERT and WARN groups (and the closing count)."""
    results = evaluate_monitors(submissions, monitors)
    if not results:
        return 'Recommended monitors: none found (assets/monitors/*.json).'
    lines = ['Recommended monitors evaluated on this run (thresholds applied locally):']
    rows = []
    by_monitor = {}
    for r in results:
        by_monitor.setdefault(r.title, []).append(r)
    for title, group in sorted(by_monitor.items(), key=lambda item: min(_ORDER[r.status] for r in item[1])):
        group.sort(key=lambda r: (_ORDER[r.status], r.group))
        oks = [] if firing_only else [r for r in group if r.status == OK]
        shown = [r for r in group if r.status != OK and not (firing_only and r.status == NO_DATA)] + oks[:max_ok_rows]
        for r in shown:
            rows.append((r.status, title, r.group, '' if r.value is None else readable(r.value), r.threshold, r.note))
        if len(oks) > max_ok_rows:
            rows.append((OK, title, f'... and {len(oks) - max_ok_rows} more OK groups', '', '', ''))
    if firing_only:
        lines[0] = 'Recommended monitors that would fire on this run (thresholds applied locally):'
    headers = ('STATUS', 'MONITOR', 'GROUP', 'VALUE', 'THRESHOLD', 'NOTE')
    widths = [min(max(len(str(row[i])) for row in rows + [headers]), 60) for i in range(len(headers) - 1)]
    for row in [headers] + rows:
        cells = [str(c)[:60].ljust(w) for c, w in zip(row, widths)] + [row[-1]]
        lines.append('  '.join(cells).rstrip())
    counts = {s: sum(1 for r in results if r.status == s) for s in (ALERT, WARN, OK, NO_DATA)}
    firing = sorted({r.title for r in results if r.status in (ALERT, WARN)})
    lines.append(f'{len(by_monitor)} monitors: {counts[ALERT]} ALERT, {counts[WARN]} WARN, {counts[OK]} OK, '
                 f'{counts[NO_DATA]} NO DATA (rows are groups)'
                 + (f'; would fire: {"; ".join(firing)}' if firing else ''))
    return '\n'.join(lines)


# -- evaluation ----------------------------------------------------------------------------------------------


def _labelled(parsed, groups):
    """(`key:value, ...` label or `(all)`, value) per group, in a stable order."""
    if parsed.kind == 'metric':
        keys = next((m.group_by for m in parsed.metric_queries if m.group_by), [])
    else:
        keys = parsed.group_by
    for group, value in sorted(groups.items(), key=lambda item: str(item[0])):
        yield (', '.join(f'{k}:{v}' for k, v in zip(keys, group)) if group else '(all)'), value


def _change_rows(name, title, parsed, groups, shown):
    """A change alert compares with the value one shift ago, which a single run lacks. For `change` above a
    threshold of non-negative data the change is at most the current value, so groups at or under it are OK;
    the others cannot be decided here."""
    rows = []
    for label, value in _labelled(parsed, groups):
        if parsed.change == 'change' and parsed.op in ('>', '>=') and 0 <= value <= parsed.threshold and not (
                parsed.op == '>=' and value == parsed.threshold):
            rows.append(Evaluation(name, title, OK, label, value, shown, 'change: at most the current value'))
        else:
            rows.append(Evaluation(name, title, NO_DATA, label, value, shown, f'{parsed.change}: needs history'))
    return rows or [Evaluation(name, title, NO_DATA, threshold=shown, note='no matching data')]


def _status(op, value, thresholds, critical):
    def crosses(limit):
        return {'>': value > limit, '>=': value >= limit, '<': value < limit, '<=': value <= limit}[op]

    if crosses(float(critical)):
        return ALERT
    warning = thresholds.get('warning')
    if warning is not None and crosses(float(warning)):
        return WARN
    return OK


def _series(metrics, name):
    """{sorted tag tuple: value}: counts summed over the run, gauges (and anything else) the last value."""
    series = {}
    for m in metrics:
        if m['name'] != name:
            continue
        key = tuple(sorted(m['tags']))
        if m['type'] in ('count', 'monotonic_count', 'rate') and key in series:
            series[key] += m['value']
        else:
            series[key] = m['value']
    return series


def _metric_groups(mq, metrics):
    groups = {}
    for tags, value in _series(metrics, mq.metric).items():
        if not all(f.matches(tags) for f in mq.filters):
            continue
        values = dict(t.split(':', 1) if ':' in t else (t, '') for t in tags)
        group = tuple(values.get(k, 'N/A') for k in mq.group_by)
        groups.setdefault(group, []).append(value)
    agg = mq.space_agg or 'avg'
    return {g: _aggregate(agg, vs) for g, vs in groups.items()}


def _aggregate(agg, values):
    if agg == 'sum':
        return float(sum(values))
    if agg == 'min':
        return float(min(values))
    if agg == 'max':
        return float(max(values))
    return float(sum(values)) / len(values)


def _evaluate(node, metrics):
    """{group tuple: value}; an ungrouped result is {(): value}."""
    if isinstance(node, q.MetricQuery):
        return _metric_groups(node, metrics)
    if isinstance(node, q.Num):
        return {(): node.value}
    if isinstance(node, q.Neg):
        return {g: -v for g, v in _evaluate(node.operand, metrics).items()}
    if isinstance(node, q.BinOp):
        left, right = _evaluate(node.left, metrics), _evaluate(node.right, metrics)
        if set(left) == {()}:
            pairs = {g: (left[()], b) for g, b in right.items()}
        elif set(right) == {()}:
            pairs = {g: (a, right[()]) for g, a in left.items()}
        else:
            pairs = {g: (a, right[g]) for g, a in left.items() if g in right}
        out = {}
        for group, (a, b) in pairs.items():
            if node.op == '/':
                if b == 0:
                    continue  # Datadog drops points divided by zero
                out[group] = a / b
            else:
                out[group] = {'+': a + b, '-': a - b, '*': a * b}[node.op]
        return out
    if isinstance(node, q.Call):
        inner = _evaluate(node.args[0], metrics) if node.args else {}
        if node.name == 'abs':
            return {g: abs(v) for g, v in inner.items()}
        if node.name in ('clamp_min', 'clamp_max') and len(node.args) > 1 and isinstance(node.args[1], q.Num):
            limit = node.args[1].value
            pick = max if node.name == 'clamp_min' else min
            return {g: pick(v, limit) for g, v in inner.items()}
        return inner  # forecast/default_zero/top/cumsum... : the current value (see the module docstring)
    return {}


def _event_groups(parsed, events):
    terms = q.parse_search(parsed.search)
    groups = {}
    for event in events or []:
        tags = list(event.get('tags') or [])
        tags += [f'source:{event.get("source_type_name", "")}', f'status:{event.get("alert_type", "info")}']
        ok = True
        for term in terms:
            if term.key is None:
                hit = term.value.lower() in f'{event.get("msg_title", "")} {event.get("msg_text", "")}'.lower()
            else:
                hit = q.Filter(term.key, term.value).matches(tags)
            if hit == term.negated:
                ok = False
                break
        if not ok:
            continue
        values = dict(t.split(':', 1) for t in tags if ':' in t)
        group = tuple(values.get(k, 'N/A') for k in parsed.group_by)
        groups[group] = groups.get(group, 0.0) + 1
    return groups




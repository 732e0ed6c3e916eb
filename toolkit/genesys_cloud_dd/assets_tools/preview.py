"""Dashboard previews: each dashboard JSON drawn to a PNG, before anyone deploys it.

The layout is the dashboard's own (its groups and the 12-column grid of their widgets); each timeseries, query
value, toplist, query table and sunburst is drawn from a simulated day of the check against the emulator
(simulate.py), its queries and formulas evaluated the way the monitor evaluation does (evaluate.py) at every
run. A widget whose queries find nothing says why (the metric is not sent by the check, or needs a setting).
Notes show their text; log and event streams and monitor summaries are drawn as what they list.

Needs matplotlib (the toolkit's `reports` extra).
"""

import json
import os
import re
import textwrap
from datetime import datetime, timezone

from . import query as q
from .evaluate import ABSENT_BECAUSE, _evaluate, event_matches
from .validate import asset_files, project_root

ROW_INCHES = 0.62
WIDTH_INCHES = 16.0
MAX_SERIES = 8  # lines per timeseries, the largest first
MAX_BARS = 10
TIMESHIFTS = {'hour_before': 'an hour', 'day_before': 'a day', 'week_before': 'a week', 'month_before': 'a month',
              'timeshift': 'a while'}
PALETTE = ('#632ca6', '#1a9dd9', '#f28e2b', '#3ea05a', '#e15759', '#b07aa1', '#9c755f', '#76b7b2')
GROUP_COLORS = {'vivid_blue': '#dbe8ff', 'vivid_purple': '#ece3fb', 'vivid_green': '#ddf3e1',
                'vivid_orange': '#fde9d6', 'vivid_yellow': '#fdf6d3', 'vivid_pink': '#fbe3ee', 'gray': '#eeeeee'}
FORMAT_COLORS = {'red': '#e15759', 'yellow': '#f1c232', 'green': '#3ea05a'}


def dashboard_paths(root=None):
    return asset_files(root or project_root())['dashboards']


def preview_name(path):
    """assets/dashboards/genesys_cloud_api_usage.json -> dashboard-api-usage.png"""
    stem = os.path.splitext(os.path.basename(path))[0]
    return 'dashboard-' + stem.replace('genesys_cloud_', '').replace('_', '-') + '.png'


def render_all(out_dir, snapshots, paths=None):
    """Draw every dashboard to out_dir; returns [(dashboard title, png path)]."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for path in paths or dashboard_paths():
        with open(path, encoding='utf-8') as f:
            dashboard = json.load(f)
        target = os.path.join(out_dir, preview_name(path))
        render_dashboard(dashboard, snapshots, target)
        written.append((dashboard.get('title', ''), target))
    return written


# -- query evaluation over the simulated runs --------------------------------------------------------------


def _substitute(node, named):
    """A formula's tree with each query name replaced by its parsed metric query."""
    if isinstance(node, q.Ref):
        return named.get(node.name, q.Num(float('nan')))
    if isinstance(node, q.BinOp):
        return q.BinOp(node.op, _substitute(node.left, named), _substitute(node.right, named))
    if isinstance(node, q.Neg):
        return q.Neg(_substitute(node.operand, named))
    if isinstance(node, q.Call):
        return q.Call(node.name, [_substitute(a, named) for a in node.args], node.kwargs)
    return node


class Request:
    """One widget request: its metric queries by name and its formulas (a legacy `q` becomes one formula)."""

    def __init__(self, request):
        self.formulas, self.problems, self.aggregator = [], [], 'last'
        self.metrics = []
        named = {}
        for query in request.get('queries') or []:
            if query.get('data_source', 'metrics') != 'metrics':
                self.problems.append(f'{query.get("data_source")} query: drawn in Datadog from the logs the flows '
                                     'post')
                continue
            try:
                parsed = q.parse_metric_query(query['query'])
            except (q.QueryError, KeyError) as e:
                self.problems.append(f'invalid query: {e}')
                continue
            named[query.get('name')] = parsed
            self.metrics.append(parsed.metric)
            self.aggregator = query.get('aggregator') or self.aggregator
        formulas = request.get('formulas') or ([{'formula': name} for name in named] if named else [])
        if request.get('q'):
            named, formulas = {'q': q.parse_expression(request['q'])}, [{'formula': 'q'}]
        for formula in formulas:
            try:
                tree = _substitute(q.parse_expression(formula['formula'], allow_refs=True), named)
            except q.QueryError as e:
                self.problems.append(f'invalid formula: {e}')
                continue
            shifts = [node.name for node in q.walk(tree) if isinstance(node, q.Call) and node.name in TIMESHIFTS]
            if shifts:
                self.problems.append(f'{shifts[0]}(): compares with {TIMESHIFTS[shifts[0]]} ago, older than the '
                                     'simulated day')
                continue
            self.formulas.append((formula, tree))

    def at(self, tree, snapshot):
        """{group tuple: value} of one formula at one run (NaN results dropped)."""
        return {g: v for g, v in _evaluate(tree, snapshot.metrics).items() if v == v}


def _group_label(group, alias):
    label = ', '.join(str(v) for v in group) if group else ''
    if alias:
        return f'{alias}: {label}' if label else alias
    return label or 'value'


def _reduce(values, how):
    if not values:
        return None
    if how == 'sum':
        return sum(values)
    if how == 'max':
        return max(values)
    if how == 'min':
        return min(values)
    if how == 'avg':
        return sum(values) / len(values)
    return values[-1]


def _scalars(requests, snapshots):
    """[(label, value, formula)] of scalar widgets: each formula's groups, reduced over the day by the
    query's aggregator (last by default)."""
    rows = []
    for request in requests:
        for formula, tree in request.formulas:
            by_group = {}
            for snapshot in snapshots:
                for group, value in request.at(tree, snapshot).items():
                    by_group.setdefault(group, []).append(value)
            for group, values in by_group.items():
                rows.append((_group_label(group, formula.get('alias')), _reduce(values, request.aggregator), formula))
    return rows


def _why_empty(requests):
    for request in requests:
        if request.problems:
            return request.problems[0]
    for request in requests:
        for name in request.metrics:
            for prefix, reason in ABSENT_BECAUSE:
                if name.startswith(prefix):
                    return f'no {name}: {reason}'
    names = sorted({name for request in requests for name in request.metrics})
    return f'no data for {", ".join(names)} in the simulated day' if names else 'nothing to draw'


def _number(value, decimals=None):
    from ..numbers import amount, readable

    if value is None:
        return '-'
    if decimals is not None:
        return amount(value, decimals)
    magnitude = abs(value)
    if magnitude >= 10_000_000:
        return f'{value / 1_000_000:.1f}M'
    if magnitude >= 100_000:
        return f'{value / 1000:.0f}k'
    return readable(round(value, 2) if magnitude < 100 else round(value))


# -- drawing ---------------------------------------------------------------------------------------------


def _layout(dashboard):
    """[(definition, x, y, width, height, group definition or None)] in grid units, and the total rows.

    An ordered dashboard may leave a group's layout out: Datadog then stacks the groups, each as tall as its
    widgets need (one row for its title above them)."""
    cells, rows = [], 0
    for widget in dashboard.get('widgets') or []:
        definition = widget.get('definition') or {}
        children = definition.get('widgets') or [] if definition.get('type') == 'group' else []
        extent = max((c.get('layout', {}).get('y', 0) + c.get('layout', {}).get('height', 2) for c in children),
                     default=0)
        layout = widget.get('layout') or {'x': 0, 'y': rows, 'width': 12,
                                          'height': extent + 1 if children else 4}
        gx, gy, gw, gh = layout['x'], layout['y'], layout['width'], max(layout['height'], extent + 1 if children else 0)
        cells.append((definition, gx, gy, gw, gh, None))
        for child in children:
            cl = child.get('layout') or {}
            cells.append((child.get('definition') or {}, gx + cl.get('x', 0), gy + 1 + cl.get('y', 0),
                          cl.get('width', gw), cl.get('height', 2), definition))
        rows = max(rows, gy + gh)
    return cells, rows


def render_dashboard(dashboard, snapshots, target):
    import matplotlib

    matplotlib.use('Agg')
    from matplotlib import pyplot as plt

    cells, rows = _layout(dashboard)
    height = rows * ROW_INCHES + 1.0 + 0.25  # the title band above, a margin below
    fig = plt.figure(figsize=(WIDTH_INCHES, height), dpi=80)
    first, last = snapshots[0].time, snapshots[-1].time
    span = (f'{_utc(first):%Y-%m-%d %H:%M} to {_utc(last):%Y-%m-%d %H:%M} UTC, one check run every '
            f'{round((last - first) / max(1, len(snapshots) - 1) / 60)} minutes against the emulator')
    fig.text(0.01, 1 - 0.45 / height, dashboard.get('title', ''), fontsize=15, weight='bold', va='center')
    fig.text(0.99, 1 - 0.45 / height, f'preview: {span}', fontsize=8.5, color='#555555', va='center', ha='right')
    top = 1 - 1.0 / height  # below the title band

    def box(x, y, w, h, pad=0.06):
        unit_w, unit_h = 1 / 12, ROW_INCHES / height
        return (x * unit_w + pad / WIDTH_INCHES * 4, top - (y + h) * unit_h + pad / height * 2,
                w * unit_w - 2 * pad / WIDTH_INCHES * 4, h * unit_h - 2 * pad / height * 2)

    for definition, x, y, w, h, _group in cells:
        kind = definition.get('type')
        if kind == 'group':
            left, bottom, width, hgt = box(x, y, w, h, pad=0.02)
            ax = fig.add_axes((left, bottom, width, hgt))
            ax.set_axis_off()
            color = GROUP_COLORS.get(definition.get('background_color'), '#f3f3f5')
            ax.add_patch(matplotlib.patches.Rectangle((0, 0), 1, 1, color=color, transform=ax.transAxes, zorder=0))
            ax.text(0.005, 1 - 0.5 / h, definition.get('title', ''), fontsize=11.5, weight='bold', va='center',
                    transform=ax.transAxes)
            continue
        _draw_widget(fig, box(x, y, w, h), definition, snapshots, w, h)
    fig.savefig(target, dpi=80)
    plt.close(fig)


def _utc(timestamp):
    return datetime.fromtimestamp(timestamp, timezone.utc)


def _draw_widget(fig, rect, definition, snapshots, w, h):
    import matplotlib

    left, bottom, width, height = rect
    frame = fig.add_axes(rect)
    frame.set_axis_off()
    frame.add_patch(matplotlib.patches.Rectangle((0, 0), 1, 1, facecolor='white', edgecolor='#cccccc',
                                                 transform=frame.transAxes, zorder=0))
    title = definition.get('title') or {'note': '', 'manage_status': 'Monitors'}.get(definition.get('type'), '')
    title_h = 0.36 / (h * ROW_INCHES) if title else 0.0
    if title:
        frame.text(0.015, 1 - title_h / 2, _fit(title, w * 12.5), fontsize=8.5, weight='bold', va='center',
                   transform=frame.transAxes)
    inner = (left + width * 0.05, bottom + height * 0.1, width * 0.9, height * (0.86 - title_h))
    kind = definition.get('type')
    requests = [Request(r) for r in definition.get('requests') or [] if isinstance(r, dict)] \
        if isinstance(definition.get('requests'), list) else []
    if kind == 'timeseries':
        _timeseries(fig, inner, definition, requests, snapshots, w)
    elif kind == 'query_value':
        _query_value(frame, requests, snapshots, definition, title_h)
    elif kind == 'toplist':
        _bars(fig, frame, inner, requests, snapshots, w, h)
    elif kind == 'query_table':
        _table(fig, frame, inner, requests, snapshots, w, h)
    elif kind == 'sunburst':
        _sunburst(fig, inner, requests, snapshots)
    elif kind == 'note':
        text = _plain(definition.get('content', ''))
        frame.text(0.015, 0.9, '\n'.join(textwrap.wrap(text, int(w * 16))[: max(1, int(h * 3))]), fontsize=7.5,
                   va='top', transform=frame.transAxes, color='#333333')
    elif kind == 'event_stream':
        try:
            terms = q.parse_search(definition.get('query', ''))
        except q.QueryError:
            terms = []
        events = [e for s in snapshots for e in s.events if event_matches(terms, e)][-int(h * 2):]
        lines = [f'{_utc(e.get("timestamp") or 0):%H:%M}  {e.get("msg_title", "")}' for e in events]
        _message(frame, '\n'.join(_fit(line, w * 11) for line in lines) if lines else
                 f'events matching `{definition.get("query", "")}`:\nnone from the check in the simulated day'
                 + ('\n(the flow kit\'s flows post these)' if 'genesys_flow_event' in definition.get('query', '')
                    else ''), title_h)
    elif kind == 'log_stream':
        _message(frame, f'log stream `{definition.get("query", "")}`:\nthe logs the flows post (flow kit), drawn '
                        'in Datadog', title_h)
    elif kind == 'manage_status':
        _monitor_summary(frame, snapshots[-1], title_h, h)
    else:
        _message(frame, f'{kind} widget', title_h)


def _plain(markdown):
    """A note's Markdown as a reader sees it: link texts without their targets, no emphasis marks."""
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', markdown)
    return re.sub(r'[*`#]', '', text)


def _monitor_summary(frame, snapshot, title_h, h):
    """The recommended monitors' statuses, evaluated on the last simulated run as the demo evaluates them."""
    from ..check_runner import Submissions
    from .evaluate import evaluate_monitors, monitor_status

    by_monitor = {}
    for row in evaluate_monitors(Submissions(metrics=snapshot.metrics, events=snapshot.events)):
        by_monitor.setdefault(row.title, []).append(row)
    colors = {'ALERT': '#e15759', 'WARN': '#f1c232', 'OK': '#3ea05a', 'NO DATA': '#999999'}
    order = {'ALERT': 0, 'WARN': 1, 'OK': 2, 'NO DATA': 3}
    rows = sorted(((monitor_status(group), title) for title, group in by_monitor.items()),
                  key=lambda item: (order[item[0]], item[1]))
    per_column = max(1, int((1 - title_h) * h * ROW_INCHES / 0.17))
    for index, (status, title) in enumerate(rows):
        column, line = divmod(index, per_column)
        x, y = 0.015 + column * 0.33, 1 - title_h - 0.04 - line * (1 - title_h - 0.06) / per_column
        frame.text(x, y, f'{status:<7}', fontsize=7, weight='bold', color=colors[status], va='top', family='monospace',
                   transform=frame.transAxes)
        frame.text(x + 0.05, y, _fit(title, 48), fontsize=7, va='top', transform=frame.transAxes)


def _fit_label(text, chars):
    """A series or bar label cut in the middle: its tail (a parent name, a status) tells series apart."""
    chars = max(12, int(chars))
    if len(text) <= chars:
        return text
    head = chars * 2 // 5
    return text[:head] + '…' + text[len(text) - (chars - head - 1):]


def _fit(text, chars):
    chars = max(8, int(chars))
    return text if len(text) <= chars else text[: chars - 1] + '…'


def _message(frame, text, title_h):
    frame.text(0.5, (1 - title_h) / 2, text, fontsize=8, color='#777777', ha='center', va='center',
               transform=frame.transAxes, wrap=True)


def _empty(fig, rect, requests):
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    ax.text(0.5, 0.5, '\n'.join(textwrap.wrap(_why_empty(requests), 60)), fontsize=8, color='#777777',
            ha='center', va='center', transform=ax.transAxes)


def _timeseries(fig, rect, definition, requests, snapshots, w):
    series = {}  # label -> ([t], [v], display type)
    for request, raw in zip(requests, definition.get('requests') or []):
        display = raw.get('display_type', 'line')
        for formula, tree in request.formulas:
            for snapshot in snapshots:
                for group, value in request.at(tree, snapshot).items():
                    label = _group_label(group, formula.get('alias'))
                    ts, vs, _ = series.setdefault(label, ([], [], display))
                    ts.append(_utc(snapshot.time))
                    vs.append(value)
    if not series:
        _empty(fig, rect, requests)
        return
    from matplotlib import dates as mdates

    left, bottom, width, height = rect
    legend_share = 0.32 if len(series) > 1 and w >= 6 else 0.0
    ax = fig.add_axes((left, bottom, width * (1 - legend_share), height))
    ranked = sorted(series.items(), key=lambda item: (-max(item[1][1]), item[0]))[:MAX_SERIES]
    stacked = {}  # bars stack, as Datadog draws them: timestamp -> height so far
    step = (snapshots[-1].time - snapshots[0].time) / max(1, len(snapshots) - 1) / 86400 if len(snapshots) > 1 else 0.01
    for index, (label, (ts, vs, display)) in enumerate(ranked):
        color = PALETTE[index % len(PALETTE)]
        if display == 'bars':
            bottoms = [stacked.get(t, 0.0) for t in ts]
            ax.bar(ts, vs, bottom=bottoms, width=step * 0.8, color=color, label=label, align='edge')
            for t, v in zip(ts, vs):
                stacked[t] = stacked.get(t, 0.0) + v
        elif display == 'area':
            bottoms = [stacked.get(t, 0.0) for t in ts]
            tops = [b + v for b, v in zip(bottoms, vs)]
            ax.fill_between(ts, bottoms, tops, alpha=0.8, color=color, label=label, linewidth=0)
            for t, top_value in zip(ts, tops):
                stacked[t] = top_value
        else:
            ax.plot(ts, vs, color=color, linewidth=1.4, label=label)
    ax.xaxis.set_major_formatter(mdates.DateFormatter('%H:%M'))
    ax.xaxis.set_major_locator(mdates.HourLocator(interval=6 if w < 6 else 3))
    ax.yaxis.set_major_formatter(_axis_formatter())
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25)
    for side in ('top', 'right'):
        ax.spines[side].set_visible(False)
    ax.set_ylim(bottom=min(0, min(min(vs) for _, (_, vs, _) in ranked)))
    if all(v == 0 for _, (_, vs, _) in ranked for v in vs):
        ax.set_ylim(0, 1)  # a flat zero line on the baseline, not a centred band of ±0.04
    elif stacked:
        ax.set_ylim(top=max(max(stacked.values()), max(max(vs) for _, (_, vs, _) in ranked)) * 1.08)
    if legend_share:
        more = len(series) - len(ranked)
        handles, labels = ax.get_legend_handles_labels()
        labels = [_fit_label(label, 44) for label in labels]
        if more:
            labels[-1] += f' (+{more} more)'
        ax.legend(handles, labels, fontsize=6.5, loc='upper left', bbox_to_anchor=(1.01, 1.0), frameon=False)


def _axis_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: _number(value))


def _query_value(frame, requests, snapshots, definition, title_h):
    rows = _scalars(requests, snapshots)
    if not rows:
        frame.text(0.5, (1 - title_h) / 2, '\n'.join(textwrap.wrap(_why_empty(requests), 40)), fontsize=7.5,
                   color='#777777', ha='center', va='center', transform=frame.transAxes)
        return
    value = sum(v for _, v, _ in rows if v is not None) if len(rows) > 1 else rows[0][1]
    formula = rows[0][2]
    unit = ((formula.get('number_format') or {}).get('unit') or {}).get('label', '')
    color = '#333333'
    for rule in formula.get('conditional_formats') or []:
        limit = rule.get('value')
        op = rule.get('comparator')
        hit = {'>': value > limit, '>=': value >= limit, '<': value < limit, '<=': value <= limit}.get(op)
        if hit:
            color = next((c for name, c in FORMAT_COLORS.items() if name in rule.get('palette', '')), color)
            break
    precision = definition.get('precision')
    text = _number(value, precision if isinstance(precision, int) and abs(value) < 1000 else None)
    frame.text(0.5, (1 - title_h) / 2, f'{text}{" " + unit if unit else ""}', fontsize=20, weight='bold',
               color=color, ha='center', va='center', transform=frame.transAxes)


def _table(fig, frame, rect, requests, snapshots, w, h):
    """Rows are the groups of the first formula (largest first), columns the formulas, as Datadog's table."""
    request = requests[0] if requests else None
    columns, cells = [], {}
    for formula, tree in request.formulas if request else []:
        name = formula.get('alias') or formula.get('formula')
        columns.append(name)
        values = {}
        for snapshot in snapshots:
            for group, value in request.at(tree, snapshot).items():
                values.setdefault(group, []).append(value)
        for group, series in values.items():
            cells.setdefault(group, {})[name] = _reduce(series, request.aggregator)
    if not cells:
        _empty(fig, rect, requests)
        return
    first = columns[0]
    order = sorted(cells, key=lambda g: (-(cells[g].get(first) or 0), g))
    limit = max(2, int(h * 2.2) - 1)
    keys = next((m.group_by for _, tree in request.formulas for m in q.iter_metric_queries(tree) if m.group_by), [])
    header = [', '.join(keys) or 'group'] + columns
    label_chars = w * (6 if len(columns) <= 3 else 3.5)
    body = [[_fit_label(', '.join(str(v) for v in g), label_chars)] + [_number(cells[g].get(c)) for c in columns]
            for g in order[:limit]]
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    first_share = 0.5 if len(columns) <= 3 else 0.3
    header = [_fit(header[0], 30)] + [_fit(c, max(6, int(w * 7 * (1 - first_share) / len(columns)))) for c in columns]
    table = ax.table(cellText=body, colLabels=header, loc='upper center', cellLoc='left', colLoc='left',
                     colWidths=[first_share] + [(1 - first_share) / max(1, len(columns))] * len(columns))
    table.auto_set_font_size(False)
    table.set_fontsize(6.5)
    table.scale(1, 1.15)
    for (row, _col), cell in table.get_celld().items():
        cell.set_edgecolor('#dddddd')
        if row == 0:
            cell.set_text_props(weight='bold')
    if len(order) > limit:
        frame.text(0.985, 0.03, f'+{len(order) - limit} more rows', fontsize=6.5, color='#777777', ha='right',
                   transform=frame.transAxes)


def _bars(fig, frame, rect, requests, snapshots, w, h):
    rows = [(label, value) for label, value, _ in _scalars(requests[:1], snapshots) if value is not None]
    if not rows:
        _empty(fig, rect, requests)
        return
    rows.sort(key=lambda item: (-item[1], item[0]))
    shown = rows[:min(MAX_BARS, max(3, int(h * 2.4)))]  # bars a reader can tell apart at this height
    left, bottom, width, height = rect
    label_share = 0.45 if w >= 6 else 0.5
    ax = fig.add_axes((left + width * label_share, bottom, width * (1 - label_share) * 0.85, height))
    positions = list(range(len(shown)))[::-1]
    ax.barh(positions, [v for _, v in shown], color='#632ca6', height=0.65)
    ax.set_yticks(positions)
    ax.set_yticklabels([_fit_label(label, w * 5.5) for label, _ in shown], fontsize=6.5)
    ax.tick_params(axis='x', labelsize=6.5)
    ax.xaxis.set_major_formatter(_axis_formatter())
    top = max(v for _, v in shown) or 1
    for pos, (_, value) in zip(positions, shown):
        ax.text(value + top * 0.01, pos, _number(value), fontsize=6.5, va='center')
    ax.set_xlim(0, top * 1.18)
    ax.set_ylim(len(shown) - 0.4 - max(len(shown), 4), len(shown) - 0.4)  # one bar stays a bar, at the top
    for side in ('top', 'right'):
        ax.spines[side].set_visible(False)
    if len(rows) > len(shown):
        frame.text(0.985, 0.03, f'+{len(rows) - len(shown)} more', fontsize=6.5, color='#777777', ha='right',
                   transform=frame.transAxes)


def _sunburst(fig, rect, requests, snapshots):
    rows = [(label, value) for label, value, _ in _scalars(requests[:1], snapshots) if value]
    if not rows:
        _empty(fig, rect, requests)
        return
    rows.sort(key=lambda item: (-item[1], item[0]))
    left, bottom, width, height = rect
    ax = fig.add_axes((left, bottom, width * 0.5, height))
    total = sum(v for _, v in rows)
    wedges, _ = ax.pie([v for _, v in rows], colors=PALETTE[: len(rows)], wedgeprops={'width': 0.45},
                       startangle=90, counterclock=False)
    ax.set_aspect('equal')
    ax.legend(wedges, [f'{label}: {_number(v)} ({100 * v / total:.1f} %)' for label, v in rows], fontsize=7,
              loc='center left', bbox_to_anchor=(1.02, 0.5), frameon=False)


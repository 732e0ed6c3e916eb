"""PNG charts for the evidence packs (matplotlib, Agg backend: no display needed), each with its CSV.

Rules every chart follows, so a reviewer never stumbles: one message, stated in the title; a CSV of the same
name beside the PNG with the numbers drawn; the x axis spans only days that have data; ISO dates; thousands
separators; integer axes for things that come in whole units; the legend outside the plot area; the
Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).

Every function returns how many data series it drew, so tests can check the picture holds what the numbers
say.
"""

import csv
import os
from dataclasses import dataclass

from .. import numbers
from . import safe_text

TOP = 8  # named series per chart; the rest are summed into one "N others" series
# Okabe & Ito (2008), colour-blind safe; grey for "others", black for limits.
PALETTE = ('#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#882255')
OTHERS, LIMIT = '#999999', '#000000'
LEGEND_CHARS = 42  # characters of a legend entry
MULTILINE = 'multiline'  # the gid of a text whose line breaks are ours (every other text is made one line)


def _plt():
    import matplotlib

    matplotlib.use('Agg', force=True)
    import matplotlib.pyplot as plt

    # Names from the org are drawn as written: `Sync $$ job` is text, not mathtext (and never LaTeX).
    matplotlib.rcParams['text.parse_math'] = False
    matplotlib.rcParams['text.usetex'] = False
    return plt


def color(index, label=''):
    return OTHERS if label.endswith(' others') or label.startswith('other') else PALETTE[index % len(PALETTE)]


def write_csv(png_path, header, rows):
    """The numbers behind a chart, in `<chart>.csv` beside `<chart>.png`; text cells through safe_text.csv_cell
    (a name is never a formula)."""
    path = os.path.splitext(png_path)[0] + '.csv'
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow([safe_text.csv_cell(str(h)) for h in header])
        for row in rows:
            writer.writerow([numbers.csv_number(c) if isinstance(c, (int, float)) and not isinstance(c, bool)
                             else safe_text.csv_cell(c) for c in row])
    return path


def _finish(plt, fig, path, title, subtitle):
    """Every text of the figure made plain (bidi controls, control characters), then the PNG, which carries its
    title and subtitle as PNG text chunks, so what a chart says can be read back from the file."""
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        raw = text.get_text()
        if raw:  # our own two-line titles say so; any other text (names in legends, labels) is one line
            text.set_text(safe_text.chart(raw) if text.get_gid() == MULTILINE else safe_text.plain(raw))
    fig.savefig(path, dpi=100, bbox_inches='tight',
                metadata={'Title': safe_text.plain(title), 'Description': safe_text.plain(subtitle or '')})
    plt.close(fig)


def _figure(height=5.0):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11.5, height))
    return plt, fig, ax


def _value_axis(ax, label, integer=True, axis='y'):
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.yaxis if axis == 'y' else ax.xaxis
    if integer:
        target.set_major_locator(MaxNLocator(integer=True))
        target.set_major_formatter(FuncFormatter(lambda v, _: numbers.count(v)))
    else:
        target.set_major_formatter(FuncFormatter(lambda v, _: numbers.amount(v)))
    (ax.set_ylabel if axis == 'y' else ax.set_xlabel)(label)
    ax.grid(True, axis=axis, alpha=0.3)
    ax.set_axisbelow(True)


def _date_axis(ax, days):
    """Dates as numbers once (per-bar conversion is slow); the axis spans the days given, nothing more."""
    from matplotlib import dates

    ax.xaxis_date()
    # A few days: one tick a day (an automatic locator would put hours between them and repeat the date).
    ax.xaxis.set_major_locator(dates.DayLocator() if len(days) <= 10 else
                               dates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(dates.DateFormatter('%Y-%m-%d'))
    x = dates.date2num(days)
    if len(x):
        ax.set_xlim(x[0] - 0.6, x[-1] + 0.6)
    return x


def _legend(ax, handles=None, labels=None):
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if handles:
        # A long name would take the plot's width: the legend shows its start, the CSV the whole name.
        labels = [label if len(label) <= LEGEND_CHARS else label[:LEGEND_CHARS - 1] + '\u2026' for label in labels]
        ax.legend(handles, labels, loc='upper left', bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def _save(plt, fig, ax, path, title, subtitle='', rotate=True):
    ax.set_title(title, loc='left', fontsize=12, fontweight='bold', pad=18 if subtitle else 8)
    if subtitle:
        ax.text(0, 1.01, subtitle, transform=ax.transAxes, fontsize=9, color='#444', va='bottom')
    if rotate:
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_ha('right')
    fig.tight_layout()
    _finish(plt, fig, path, title, subtitle)


def _markers(ax, x_of, markers):
    """Vertical dashed lines at dated events (a limit raised), labelled at the top of the plot."""
    for day, text in markers:
        x = x_of(day)
        ax.axvline(x, color=LIMIT, linestyle='--', linewidth=1)
        ax.annotate(text, xy=(x, 1.0), xycoords=('data', 'axes fraction'), xytext=(3, -3),
                    textcoords='offset points', fontsize=8, va='top', ha='left',
                    bbox={'boxstyle': 'round,pad=0.2', 'fc': 'white', 'ec': '#bbb', 'alpha': 0.9})


def daily_bars(path, days, series, title, ylabel, subtitle='', markers=(), empty_text='nothing in this period'):
    """series: [(label, [value per day])] stacked per day. markers: [(day, text)]."""
    from matplotlib import dates

    plt, fig, ax = _figure()
    x = _date_axis(ax, days)
    bottom = [0] * len(days)
    drawn = 0
    for index, (label, values) in enumerate(series):
        ax.bar(x, values, bottom=bottom, label=label, color=color(index, label), width=0.85)
        bottom = [b + v for b, v in zip(bottom, values)]
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, empty_text, transform=ax.transAxes, ha='center', va='center', fontsize=13, color='#555')
    ax.set_ylim(0, max(bottom + [1]) * 1.18)  # headroom for the marker labels
    _markers(ax, lambda d: dates.date2num(d), markers)
    _value_axis(ax, ylabel)
    _legend(ax)
    _save(plt, fig, ax, path, title, subtitle)
    write_csv(path, ['date'] + [label for label, _ in series],
              [[day.isoformat()] + [values[i] for _, values in series] for i, day in enumerate(days)])
    return drawn


def daily_lines(path, days, series, title, ylabel, subtitle='', limit=None, markers=(), integer=True):
    """series: [(label, [value or None per day])] as lines; limit: (label, [value per day]) as a black step."""
    from matplotlib import dates

    plt, fig, ax = _figure()
    x = _date_axis(ax, days)
    drawn = 0
    top = 1
    for index, (label, values) in enumerate(series):
        ax.plot(x, [float('nan') if v is None else v for v in values], label=label, color=color(index, label),
                linewidth=1.6, marker='o', markersize=2.5)
        top = max([top] + [v for v in values if v is not None])
        drawn += 1
    if limit:
        if len(x) == 1:  # one day: a step of one point draws nothing
            ax.axhline(limit[1][0], color=LIMIT, linestyle='--', linewidth=1.5, label=limit[0])
        else:
            ax.step(x, limit[1], where='mid', color=LIMIT, linestyle='--', linewidth=1.5, label=limit[0])
        top = max([top] + [v for v in limit[1] if v is not None])
        drawn += 1
    ax.set_ylim(0, top * 1.18)
    _markers(ax, lambda d: dates.date2num(d), markers)
    _value_axis(ax, ylabel, integer=integer)
    _legend(ax)
    _save(plt, fig, ax, path, title, subtitle)
    columns = list(series) + ([limit] if limit else [])
    write_csv(path, ['date'] + [label for label, _ in columns],
              [[day.isoformat()] + ['' if values[i] is None else values[i] for _, values in columns]
               for i, day in enumerate(days)])
    return drawn


def ranked_bars(path, labels, values, title, xlabel, subtitle='', csv_header=('item', 'value'), reference=None,
                integer=True, csv_rows=None, suffix='', label=None):
    """Horizontal bars, largest on top, each named above its bar (long names never squeeze the plot into a
    corner: the bars use the chart's width); reference: (label, x) drawn as a black dashed line."""
    plt, fig, ax = _figure(height=max(3.0, 0.62 * len(labels) + 1.6))
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, values, color=PALETTE[0], height=0.45, align='edge')
    for y, name, value in zip(positions, labels, values):
        text = label(value) if label else (numbers.count(value) if integer else numbers.amount(value, 1)) + suffix
        ax.text(value, y + 0.22, '  ' + text, va='center', fontsize=8)
        ax.text(0, y + 0.5, name, va='bottom', ha='left', fontsize=8.5, color='#222')
    ax.set_yticks([])
    ax.set_ylim(-0.2, len(labels) + 0.1)
    drawn = 1 if labels else 0
    if reference:
        ax.axvline(reference[1], color=LIMIT, linestyle='--', linewidth=1.2, label=reference[0])
        drawn += 1
        _legend(ax)
    ax.set_xlim(0, max(list(values) + [reference[1] if reference else 0, 1]) * 1.15)
    _value_axis(ax, xlabel, integer=integer, axis='x')
    ax.grid(False, axis='y')
    for side in ('left', 'right', 'top'):
        ax.spines[side].set_visible(False)
    _save(plt, fig, ax, path, title, subtitle, rotate=False)
    write_csv(path, csv_header, csv_rows if csv_rows is not None else list(zip(labels, values)))
    return drawn


def period_bars(path, periods, groups, title, ylabel, subtitle=''):
    """Grouped bars per period: groups = [(label, [value per period])]; integer axis (users, not fractions)."""
    plt, fig, ax = _figure(height=4.5)
    width = 0.8 / max(1, len(groups))
    positions = list(range(len(periods)))
    drawn = 0
    for index, (label, values) in enumerate(groups):
        offset = (index - (len(groups) - 1) / 2) * width
        bars = ax.bar([p + offset for p in positions], values, width=width * 0.95, label=label,
                      color=PALETTE[index % len(PALETTE)])
        ax.bar_label(bars, labels=[numbers.count(v) for v in values], fontsize=8, padding=2)
        drawn += 1
    ax.set_xticks(positions)
    ax.set_xticklabels(periods)
    rotate = False
    ax.set_ylim(0, max([v for _, values in groups for v in values] + [1]) * 1.2)
    _value_axis(ax, ylabel, integer=True)
    _legend(ax)
    _save(plt, fig, ax, path, title, subtitle, rotate=rotate)
    write_csv(path, ['period'] + [label for label, _ in groups],
              [[period] + [values[i] for _, values in groups] for i, period in enumerate(periods)])
    return drawn


def to_date(path, days, consumed, title, ylabel, subtitle='', allowance=None, projection=None, integer=False):
    """Consumption to date per day (solid), the allowance (dashed black) and the projection to period end
    (dotted, from the last day with data to the period's last day)."""
    from matplotlib import dates

    plt, fig, ax = _figure(height=4.5)
    ends = [days[-1], projection[0]] if projection else list(days)
    x = _date_axis(ax, list(days) + ([projection[0]] if projection else []))
    ax.plot(x[:len(days)], consumed, color=PALETTE[0], linewidth=2, marker='o', markersize=3, label='consumed')
    drawn = 1
    top = max(list(consumed) + [1])
    if allowance:
        ax.axhline(allowance, color=LIMIT, linestyle='--', linewidth=1.5,
                   label=f'purchased allowance ({numbers.count(allowance)})')
        top = max(top, allowance)
        drawn += 1
    if projection:
        ax.plot(dates.date2num(ends), [consumed[-1], projection[1]], color=PALETTE[5], linestyle=':', linewidth=2,
                label=f'projection at period end ({numbers.amount(projection[1], 0)})')
        top = max(top, projection[1])
        drawn += 1
    ax.set_ylim(0, top * 1.15)
    _value_axis(ax, ylabel, integer=integer)
    _legend(ax)
    _save(plt, fig, ax, path, title, subtitle)
    rows = [[d.isoformat(), v, allowance or '', ''] for d, v in zip(days, consumed)]
    if projection:
        rows.append([projection[0].isoformat(), '', allowance or '', projection[1]])
    write_csv(path, ['date', 'consumed_to_date', 'allowance', 'projected'], rows)
    return drawn


@dataclass
class Panel:
    """One object of forecast_panels: its history, the limit as reported each day, the trend and the reach."""
    title: tuple  # its lines (each made plain: a name never adds one)
    history: list  # [(date, value)]
    limit: list  # [(date, value)]: a step, held until the next value (limits can be raised)
    trend: list = ()  # [(date, value)]: the fitted line, extended to the reach date
    reach: tuple = None  # (date, value, text) marked on the limit


def forecast_panels(path, panels, title, ylabel, subtitle='', csv_header=(), csv_rows=()):
    """One small chart per object (each with its own scale): the history (solid), the limit (dashed black
    step), the trend and its extension to the limit (dotted); one legend below the charts."""
    from matplotlib import dates
    from matplotlib.lines import Line2D

    plt = _plt()
    cols = 1 if len(panels) < 3 else 2
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11.5, 3.1 * rows + 1.2), squeeze=False)
    drawn = 0
    for ax, panel in zip(axes.flat, panels):
        end = max([panel.history[-1][0]] + [d for d, _ in panel.trend])
        xs, ys = [], []
        for index, (day, value) in enumerate(panel.history):
            if index and (day - panel.history[index - 1][0]).days > 1:  # a day without data: break the line
                xs.append(dates.date2num(day) - 0.5)
                ys.append(float('nan'))
            xs.append(dates.date2num(day))
            ys.append(value)
        ax.plot(xs, ys, color=PALETTE[0], linewidth=1.8, marker='o', markersize=2.5)
        # The step holds each value until the next one, and the last half a day past the end (one day: visible).
        ax.step(list(dates.date2num([d for d, _ in panel.limit])) + [dates.date2num(end) + 0.5],
                [v for _, v in panel.limit] + [panel.limit[-1][1]], where='post', color=LIMIT, linestyle='--',
                linewidth=1.3)
        drawn += 2
        if panel.trend:
            ax.plot(dates.date2num([d for d, _ in panel.trend]), [v for _, v in panel.trend], color=PALETTE[5],
                    linestyle=':', linewidth=2)
            drawn += 1
        if panel.reach:
            day, value, text = panel.reach
            ax.plot([dates.date2num(day)], [value], marker='o', color=PALETTE[5], markersize=6)
            ax.annotate(text, xy=(dates.date2num(day), value), xytext=(-6, -14), textcoords='offset points',
                        ha='right', va='top', fontsize=8,
                        bbox={'boxstyle': 'round,pad=0.2', 'fc': 'white', 'ec': '#bbb', 'alpha': 0.9})
        top = max(v for _, v in list(panel.history) + list(panel.limit) + list(panel.trend))
        ax.set_ylim(0, top * 1.2)
        pad = 0.5 + 0.02 * (end - panel.history[0][0]).days  # room for the reach marker
        ax.set_xlim(dates.date2num(panel.history[0][0]) - 0.5, dates.date2num(end) + pad)
        ax.xaxis_date()
        if (end - panel.history[0][0]).days < 6:  # a few days: one tick a day, never the same date twice
            ax.xaxis.set_major_locator(dates.DayLocator())
        else:
            ax.xaxis.set_major_locator(dates.AutoDateLocator(minticks=3, maxticks=6))
        ax.xaxis.set_major_formatter(dates.DateFormatter('%Y-%m-%d'))
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_ha('right')
        _value_axis(ax, ylabel)
        ax.grid(True, axis='x', alpha=0.15)
        lines = [safe_text.plain(line) for line in panel.title]
        if cols > 1:  # half the width: a long line is split at its clauses rather than run into the next panel
            lines = [part for line in lines for part in (line.split('; ') if len(line) > 62 else [line])]
        ax.set_title('\n'.join(lines), loc='left', fontsize=9, gid=MULTILINE)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis('off')
    handles = [Line2D([], [], color=PALETTE[0], linewidth=1.8, marker='o', markersize=2.5, label='count (daily max)'),
               Line2D([], [], color=LIMIT, linestyle='--', linewidth=1.3, label='limit')]
    if any(p.trend for p in panels):
        handles.append(Line2D([], [], color=PALETTE[5], linestyle=':', linewidth=2,
                              label='linear trend (least squares)'))
    if any(p.reach for p in panels):
        handles.append(Line2D([], [], color=PALETTE[5], marker='o', linestyle='', markersize=6,
                              label='trend reaches the limit'))
    fig.legend(handles=handles, loc='lower left', bbox_to_anchor=(0.01, 0.0), ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title, x=0.01, y=0.995, ha='left', va='top', fontsize=12, fontweight='bold')
    if subtitle:
        fig.text(0.01, 0.995 - 0.35 / fig.get_figheight(), subtitle, ha='left', va='top', fontsize=9, color='#444')
    fig.tight_layout(rect=(0, 0.45 / fig.get_figheight(), 1, 1 - 0.4 / fig.get_figheight()))
    _finish(plt, fig, path, title, subtitle)
    write_csv(path, csv_header, csv_rows)
    return drawn

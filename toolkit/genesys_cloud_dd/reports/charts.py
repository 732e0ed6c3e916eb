"""PNG charts for the evidence packs (matplotlib, Agg backend: no display needed).

Every function writes one PNG and returns how many data series it drew, so tests can check the picture
holds what the numbers say.
"""

TOP_CLIENTS = 8
COLORS = ('#632ca6', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#8c564b', '#e377c2', '#17becf', '#7f7f7f')


def _plt():
    import matplotlib

    matplotlib.use('Agg', force=True)
    import matplotlib.pyplot as plt

    return plt


def _dates(ax, days):
    """Dates as numbers once: per-bar unit conversion makes matplotlib several times slower."""
    from matplotlib import dates

    ax.xaxis_date()
    return dates.date2num(days)


def _finish(fig, ax, path, title, ylabel):
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    _plt().close(fig)


def requests_per_client(path, days, series, limit_line=None):
    """series: [(label, [requests per day])]; limit_line: (label, value per day) drawn dashed."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 5.5))
    days = _dates(ax, days)
    drawn = 0
    for index, (label, values) in enumerate(series):
        ax.plot(days, values, label=label, color=COLORS[index % len(COLORS)], linewidth=1.6)
        drawn += 1
    if limit_line:
        ax.axhline(limit_line[1], color='#d62728', linestyle='--', linewidth=1.5, label=limit_line[0])
        drawn += 1
    ax.set_yscale('log')
    ax.legend(loc='upper left', fontsize=8, ncol=2)
    _finish(fig, ax, path, 'Daily API requests per OAuth client', 'requests per day (log scale)')
    return drawn


def stacked_bars(path, days, series, title, ylabel, empty_text):
    """series: [(label, [value per day])] stacked; returns the number of stacked series."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 5))
    days = _dates(ax, days)
    bottom = [0] * len(days)
    drawn = 0
    for index, (label, values) in enumerate(series):
        ax.bar(days, values, bottom=bottom, label=label, color=COLORS[index % len(COLORS)], width=0.9)
        bottom = [b + v for b, v in zip(bottom, values)]
        drawn += 1
    if drawn:
        ax.legend(loc='upper left', fontsize=8, ncol=2)
    else:
        ax.text(0.5, 0.5, empty_text, transform=ax.transAxes, ha='center', va='center', fontsize=14, color='#555')
    _finish(fig, ax, path, title, ylabel)
    return drawn


def peak_days(path, labels, requests, throttled):
    """The busiest days: requests (bars) and 429s (bars on a second axis)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 5))
    positions = list(range(len(labels)))
    ax.bar([p - 0.2 for p in positions], requests, width=0.4, color=COLORS[0], label='requests')
    other = ax.twinx()
    other.bar([p + 0.2 for p in positions], throttled, width=0.4, color=COLORS[4], label='429 responses')
    other.set_ylabel('429 responses')
    ax.set_xticks(positions)
    ax.set_xticklabels(labels, rotation=30, ha='right')
    handles = ax.get_legend_handles_labels()[0] + other.get_legend_handles_labels()[0]
    ax.legend(handles, ['requests', '429 responses'], loc='upper right', fontsize=8)
    _finish(fig, ax, path, 'Peak days: total requests and 429s', 'requests per day')
    return 2


def consumption(path, panels):
    """panels: [(title, unit, days, consumed, purchased, projection)] with projection = (days, values) or None.

    One subplot per charge: consumed (solid), purchased (dashed), projection to period end (dotted).
    """
    plt = _plt()
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 3.6 * max(1, len(panels))), squeeze=False)
    drawn = 0
    for ax, (title, unit, days, consumed, purchased, projection) in zip(axes[:, 0], panels):
        ax.plot(days, consumed, color=COLORS[0], linewidth=2, label='consumed')
        drawn += 1
        if purchased is not None:
            ax.axhline(purchased, color='#2ca02c', linestyle='--', label=f'purchased ({purchased:g})')
            drawn += 1
        if projection:
            ax.plot(projection[0], projection[1], color=COLORS[4], linestyle=':', linewidth=2, label='projection')
            drawn += 1
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.grid(True, alpha=0.3)
        ax.legend(loc='upper left', fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return drawn

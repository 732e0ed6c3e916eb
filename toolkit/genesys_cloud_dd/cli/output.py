"""Human-readable and JSON renderings of what a check run submitted."""

import json

from datadog_checks.genesys_cloud import tagging

from ..numbers import readable

BASE_TAG_KEYS = ('org_id:', 'org_name:', 'region:')  # on every point (check.py, org.py): shown once, not per row


def _tags(tags, hide=()):
    return ', '.join(t for t in tags if not t.startswith(hide))


def render_table(submissions, hide_tags=BASE_TAG_KEYS) -> str:
    lines = []
    metrics = submissions.metrics
    if metrics:
        width = max(len(m['name']) for m in metrics)
        lines.append(f'{"METRIC".ljust(width)}  {"TYPE":<15} {"VALUE":>12}  TAGS')
        for m in metrics:
            value = readable(m['value'])
            lines.append(f'{m["name"].ljust(width)}  {m["type"]:<15} {value:>12}  {_tags(m["tags"], hide_tags)}')
        lines.append(f'{len(metrics)} metric points, {len({m["name"] for m in metrics})} metric names')
    else:
        lines.append('No metrics submitted.')
    if submissions.service_checks:
        lines.append('')
        lines.append('SERVICE CHECK               STATUS    TAGS / MESSAGE')
        for sc in submissions.service_checks:
            message = f'  {sc["message"]}' if sc['message'] else ''
            lines.append(f'{sc["name"]:<27} {sc["status"]:<9} {_tags(sc["tags"], hide_tags)}{message}')
    if submissions.events:
        lines.append('')
        lines.append(f'{len(submissions.events)} events:')
        for event in submissions.events:
            lines.append(f'  [{event.get("alert_type", "info")}] {tagging.clean(event.get("msg_title"))}')
    if submissions.error:
        lines.append('')
        lines.append(f'Error: {submissions.error}')
    return '\n'.join(lines)


def render_summary(submissions, hide_tags=BASE_TAG_KEYS) -> str:
    """One line per metric family (genesys_cloud.<family>.*): metric names, series, a representative value
    (the largest series of its most common metric); the tags every point shares, once; the service checks."""
    lines = []
    metrics = submissions.metrics
    if not metrics:
        lines.append('No metrics submitted.')
    else:
        shared = set.intersection(*(set(m['tags']) for m in metrics))
        lines.append('Every point carries: ' + ', '.join(sorted(shared)))
        families = {}
        for m in metrics:
            families.setdefault(m['name'].split('.')[1], []).append(m)
        width = max(len(f) for f in families)
        lines.append(f'{"FAMILY".ljust(width)}  METRICS  SERIES  EXAMPLE')
        for family, points in sorted(families.items()):
            names = {}
            for m in points:
                names.setdefault(m['name'], []).append(m)
            busiest = max(names.values(), key=len)
            example = max(busiest, key=lambda m: float(m['value']))
            # ids are for machines; the names beside them say the same to a person
            tags = _tags([t for t in example['tags'] if t not in shared and not t.split(':')[0].endswith('_id')],
                         hide_tags)
            lines.append(f'{family.ljust(width)}  {len(names):>7}  {len(points):>6}  '
                         f'{example["name"]} = {readable(example["value"])}' + (f' ({tags})' if tags else ''))
        lines.append(f'{len(metrics):,} metric points, {len({m["name"] for m in metrics})} metric names '
                     '(--all prints every point)')
    for sc in submissions.service_checks:
        message = f': {sc["message"]}' if sc['message'] else ''
        lines.append(f'Service check {sc["name"]}: {sc["status"]}{message}')
    if submissions.events:
        lines.append(f'{len(submissions.events)} events, e.g. '
                     f'[{submissions.events[0].get("alert_type", "info")}] '
                     f'{tagging.clean(submissions.events[0].get("msg_title"))}')
    if submissions.error:
        lines.append(f'Error: {submissions.error}')
    return '\n'.join(lines)


def render_json(submissions) -> str:
    events = [
        {key: event.get(key) for key in ('msg_title', 'msg_text', 'alert_type', 'aggregation_key', 'tags', 'timestamp')}
        for event in submissions.events
    ]
    return json.dumps(
        {
            'metrics': submissions.metrics,
            'service_checks': submissions.service_checks,
            'events': events,
            'error': submissions.error or None,
        },
        indent=2,
        default=str,
    )

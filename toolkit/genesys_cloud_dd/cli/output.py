"""Human-readable and JSON renderings of what a check run submitted."""

import json

from datadog_checks.genesys_cloud import tagging


def _value(value):
    return f'{value:.4g}' if isinstance(value, float) and not value.is_integer() else f'{value:g}'


def _tags(tags, hide=()):
    return ', '.join(t for t in tags if not t.startswith(hide))


def render_table(submissions, hide_tags=('org_id:', 'org_name:', 'region:')) -> str:
    lines = []
    metrics = submissions.metrics
    if metrics:
        width = max(len(m['name']) for m in metrics)
        lines.append(f'{"METRIC".ljust(width)}  {"TYPE":<15} {"VALUE":>12}  TAGS')
        for m in metrics:
            value = _value(m['value'])
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

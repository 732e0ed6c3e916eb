"""The demo's headline numbers: what an admin would read first, each with the time frame it covers.

One line per area, from what the check submitted in the run (never from the emulator's ground truth): the API
usage of the latest complete UTC day and the month to date, the contact center right now, licences and AI
tokens for the billing period so far, the object and API limits nearest to binding. An area the run has no
data for is left out (the monitor table says why its monitors have none).
"""

from datetime import timedelta

from .. import numbers as n


def _values(metrics, name):
    return [m for m in metrics if m['name'] == name]


def _tag(metric, key):
    return next((t.split(':', 1)[1] for t in metric['tags'] if t.startswith(key + ':')), None)


def _total(metrics, name, **tags):
    return sum(float(m['value']) for m in _values(metrics, name)
               if all(_tag(m, k) == v for k, v in tags.items()))


def _by(metrics, name, key):
    out = {}
    for m in _values(metrics, name):
        label = _tag(m, key)
        if label is not None:
            out[label] = out.get(label, 0.0) + float(m['value'])
    return out


def _duration(seconds):
    seconds = int(round(seconds))
    return f'{seconds // 60}m {seconds % 60:02d}s' if seconds >= 60 else f'{seconds}s'


def headlines(metrics, now, period_start, period_end):
    """(area, sentence) pairs; `now` the run's instant, the billing period [period_start, period_end)."""
    lines = []
    day = (now - timedelta(days=1)).date()
    requests = _by(metrics, 'genesys_cloud.api.requests', 'oauth_client_name')
    if requests:
        limited = _total(metrics, 'genesys_cloud.api.rate_limited')
        busiest = max(requests.items(), key=lambda item: (item[1], item[0]))
        lines.append(('API usage', f'{n.count(sum(requests.values()))} requests on {day.isoformat()} (the latest '
                                   f'complete UTC day) from {n.plural(len(requests), "OAuth client")}, '
                                   f'{n.count(limited)} answered 429; busiest: {busiest[0]} '
                                   f'({n.count(busiest[1])})'))
    month = _total(metrics, 'genesys_cloud.api.requests.month_to_date')
    if month:
        lines.append(('', f'{n.count(month)} requests this month, {day.replace(day=1).isoformat()} to '
                          f'{day.isoformat()}'))
    waits = _by(metrics, 'genesys_cloud.queue.longest_waiting', 'queue_name')
    if waits:
        waiting = _total(metrics, 'genesys_cloud.queue.waiting')
        queue, longest = max(waits.items(), key=lambda item: (item[1], item[0]))
        lines.append(('Queues', f'now ({n.iso(now)}): {n.plural(waiting, "caller")} waiting in '
                                f'{n.plural(len(waits), "queue")}; longest wait {_duration(longest)} ({queue})'))
    presence = _by(metrics, 'genesys_cloud.agents.presence', 'system_presence')
    if presence:
        on_queue = presence.get('on_queue', 0)
        logged_in = sum(v for k, v in presence.items() if k != 'offline')
        lines.append(('Agents', f'now: {n.count(on_queue)} On Queue of {n.count(logged_in)} logged in'))
    period = f'billing period {period_start.date().isoformat()} to {(period_end - timedelta(days=1)).date()}'
    utilization = _by(metrics, 'genesys_cloud.license.utilization', 'license')
    purchased = _by(metrics, 'genesys_cloud.license.purchased', 'license')
    for lic, value in sorted(utilization.items()):
        lines.append(('Licences', f'{lic}: {n.amount(value * 100, 0)} % of the {n.count(purchased.get(lic, 0))} '
                                  f'purchased, {period} so far'))
    consumed = _total(metrics, 'genesys_cloud.ai_tokens.consumed')
    allowance = _total(metrics, 'genesys_cloud.ai_tokens.allowance')
    if consumed and allowance:
        projected = _total(metrics, 'genesys_cloud.ai_tokens.projected')
        lines.append(('AI tokens', f'{n.count(consumed)} of {n.count(allowance)} ({n.percent(consumed, allowance)}), '
                                   f'{period} so far; {n.count(projected)} projected by its end'))
    objects = _values(metrics, 'genesys_cloud.objects.utilization')
    if objects:
        nearest = max(objects, key=lambda m: (float(m['value']), m['tags']))
        where = _tag(nearest, 'parent_name')
        lines.append(('Object limits', f'now: nearest is {_tag(nearest, "object_type")} at '
                                       f'{n.amount(float(nearest["value"]) * 100, 0)} % of '
                                       f'{_tag(nearest, "limit_key")}' + (f' ({where})' if where else '')
                                       + f', of {n.plural(len(objects), "object count")} read'))
    executions = _total(metrics, 'genesys_cloud.data_action.executions')
    if _values(metrics, 'genesys_cloud.data_action.executions'):
        errors = _total(metrics, 'genesys_cloud.data_action.errors')
        lines.append(('Data Actions', f'since the previous run: {n.count(executions)} executions, '
                                      f'{n.count(errors)} failed'))
    return lines


def render_headlines(metrics, now, period_start, period_end):
    rows = headlines(metrics, now, period_start, period_end)
    if not rows:
        return 'No headline numbers: the run submitted no data (see the errors below).'
    width = max(len(area) for area, _ in rows)
    return '\n'.join(f'{area.ljust(width)}  {text}' for area, text in rows)

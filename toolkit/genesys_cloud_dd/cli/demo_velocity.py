"""The demo's velocity scene: an integration instrumented with the companion module ramps up against the
emulator's per-token limit; each minute is evaluated with the recommended velocity monitor (companion metrics
joined with the limit value the check reads), which fires before the first 429."""

from .. import numbers as n


def print_velocity_scene(seed=42):
    from datadog_checks.genesys_cloud.clock import FakeClock

    from .. import companion_run
    from ..emulator import Emulator, OrgOptions

    print()
    if not companion_run.available():
        print('Velocity scene skipped: install the companion module (pip install ./companion, done by `make`) '
              'and the official SDK (PureCloudPlatformClientV2) to see it.')
        return None
    clock = FakeClock()
    with Emulator(OrgOptions(seed=seed, users=30, queues=3, oauth_clients=3), clock=clock, job_polls=0) as emulator:
        result = companion_run.ramp(emulator, clock)
    print(render_ramp(result))
    return result


def render_ramp(result):
    lines = [f'Velocity scene: integration "crm-sync" (OAuth client {result.client_id}) instrumented with '
             f'genesys_cloud_velocity.instrument(api_client, name="crm-sync"), ramping up against the per-token limit '
             f'of {n.readable(result.limit)} requests a minute (genesys_cloud.limits.value from the check)',
             f'{"MINUTE":>6}  {"REQUESTS":>8}  {"429s":>4}  {"% OF LIMIT":>10}  {"MINUTE STATUS":<13}  '
             f'MONITOR (min over 3 minutes)']
    for m in result.minutes:
        percent = '' if m.percent is None else f'{n.amount(m.percent, 0)}%'
        lines.append(f'{m.minute:>6}  {m.requests:>8}  {m.rate_limited:>4}  {percent:>10}  {m.status:<13}  '
                     f'{"ALERT: above 80 % for 3 minutes" if m.firing else "-"}')
    fired, limited = result.first_firing, result.first_429
    if fired and (limited is None or fired < limited):
        ahead = (f'{n.plural(limited - fired, "minute")} before the first 429 (minute {limited})' if limited
                 else 'with no 429')
        lines.append(f'The velocity monitor fired at minute {fired}, {ahead}.')
    else:
        lines.append(f'The velocity monitor did not fire before the first 429 (fired: {fired}, first 429: {limited}).')
    return '\n'.join(lines)

"""`genesys-cloud-dd check -c conf.yaml`: run each instance once, like `datadog-agent check genesys_cloud`.

A credential test first: it names the org the OAuth client reached (name, id, region) before anything else.
Every enabled collector runs, whatever its cadence. The check's state is kept between runs in a directory
(statedir.py), as the Agent keeps it in its persistent cache, so a usage job a run submitted is polled by the
next run instead of being submitted again and forgotten; the command says which jobs are pending and from
when a run can fetch them, and `--wait` polls them here until they finish.

Exit status: 0 when every instance ran (WARNING service checks included: a missing permission still
lets the rest work), 1 when a run failed or a service check is CRITICAL (bad credentials, unreachable
API), 2 when the command line or the config file is invalid (the message names the option).
"""

import json
import sys
import time
from datetime import datetime, timezone

from ..check_runner import build_check, initialize, run_once
from ..errors import UsageError
from ..redaction import scrub
from .output import render_json, render_table
from .preflight import add_config_arguments, collector_names, prepare_run
from .statedir import add_state_argument, resolve_state_dir

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_WAIT = 600  # seconds --wait polls pending usage jobs at most
WAIT_POLL = 5  # seconds between two polls under --wait: one GET per job each time
USAGE_COLLECTOR = 'api_usage'


def add_parser(subparsers):
    parser = subparsers.add_parser('check', help='run the check once per instance and print what it submits')
    add_config_arguments(parser)
    parser.add_argument('--json', action='store_true', help='machine-readable output')
    parser.add_argument('--collectors', help='comma-separated collectors to run (default: all enabled; '
                                             '`org` always runs, it supplies the org tags)')
    parser.add_argument('-l', '--log-level', default='error',
                        help='log level of the check while it runs (default: error; warnings are shown '
                             'in the summary)')
    add_state_argument(parser)
    parser.add_argument('--wait', nargs='?', type=float, const=DEFAULT_WAIT, default=None, metavar='SECONDS',
                        help='when usage jobs are still pending after the run, poll them every '
                             f'{WAIT_POLL} s until they finish (at most SECONDS, default {DEFAULT_WAIT}) and print '
                             'what they returned')
    parser.set_defaults(func=run)


def run(args, clock=None) -> int:
    """`clock` is the check's clock (tests pass a FakeClock: --wait then sleeps on it)."""
    try:
        only, init_config, instances = prepare_run(args)
        if args.wait is not None and args.wait <= 0:
            raise UsageError('--wait takes a number of seconds above 0')
    except UsageError as e:
        print(f'Error: {scrub(e)}', file=sys.stderr)
        return EXIT_USAGE
    state_dir = resolve_state_dir(args.state_dir)
    exit_code = EXIT_OK
    outputs = []
    for index, instance in enumerate(instances, 1):
        status, output = _run_instance(args, init_config, instance, index, only, state_dir, clock)
        exit_code = max(exit_code, status)
        outputs.append(output)
    if args.json:
        print(json.dumps(outputs[0] if len(outputs) == 1 else outputs, indent=2, default=str))
    return exit_code


def _run_instance(args, init_config, instance, index, only, state_dir, clock):
    label = f'instance #{index}'
    if not isinstance(instance, dict):
        return _config_error(args, index, f'{label}: must be a mapping of options, got {type(instance).__name__}')
    state = None
    if state_dir:
        from datadog_checks.genesys_cloud.state import StateStore

        from ..agentless.runner import instance_namespace

        try:
            state = StateStore.in_directory(state_dir, instance_namespace(instance))
        except OSError as e:
            return _config_error(args, index, f'--state-dir {state_dir}: {e.strerror}')
    # One run: opening notification channels would only take some of the 20 the OAuth client shares with the Agent.
    check = build_check(init_config, {**instance, 'notifications': False}, state=state,
                        **({'clock': clock} if clock else {}))
    try:
        initialize(check, label)
    except UsageError as e:
        return _config_error(args, index, str(e))
    started = time.perf_counter()
    # A credential test: every enabled collector runs now, whatever its cadence (a persisted schedule included).
    result = run_once(check, only=only or collector_names())
    elapsed = time.perf_counter() - started
    warnings = [check.sanitize(w) for w in check.get_warnings()]
    status = EXIT_FAILED if result.error or result.critical else EXIT_OK
    org = _org(check)
    pending = _pending_jobs(check)
    if not args.json:
        print(f'=== genesys_cloud instance #{index} ===')
        print(_org_line(org, check))
        print()
        print(render_table(result))
        print()
        print(_summary(check, result, warnings, elapsed))
    waited = None
    if pending and args.wait is not None:
        waited, pending = _wait(args, check, pending)
    if args.json:
        data = json.loads(render_json(waited or result))
        data.update(instance=index, instance_id=check.check_id, warnings=warnings, org=org,
                    pending_jobs=[_job_json(job) for job in pending], state_dir=state_dir)
        return status, data
    if pending:
        print(_pending_line(pending, state_dir, waited=args.wait if waited is not None else None))
    return status, None


def _org(check):
    """{'id', 'name', 'region'} of the org the run reached; id and name None when the lookup failed."""
    org = {}
    for collector in check.collectors:
        org = collector.ctx.shared.get('org') or {}
        break
    region = next((t.split(':', 1)[1] for t in check.base_tags if t.startswith('region:')), None)
    return {'id': org.get('id'), 'name': org.get('name'), 'region': region}


def _org_line(org, check):
    from datadog_checks.genesys_cloud import tagging

    if not org['id']:
        return f'Org: not reached (region {org["region"]}); see the errors below'
    name = tagging.clean(org['name']) if org['name'] else '(no name)'
    return f'Org: {name} (id {org["id"]}, region {org["region"]})'


def _pending_jobs(check):
    collector = next((c for c in check.collectors if c.name == USAGE_COLLECTOR), None)
    return collector.pending_jobs() if collector is not None else []


def _job_label(job):
    interval = job.get('interval') if isinstance(job.get('interval'), str) else ''
    first, last = interval[:10], interval.split('/')[-1][:10]
    if job['part'] == 'day':
        return f'{first or "the latest day"} per client and endpoint'
    return f'month to date {first} to {last} per client' if first else 'month to date per client'


def _job_json(job):
    return {**job, 'ready_from': _utc(job['submitted'] + _poll_interval())}


def _poll_interval():
    from datadog_checks.genesys_cloud.collectors.api_usage import POLL_INTERVAL

    return POLL_INTERVAL


def _utc(timestamp):
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')


def _pending_line(pending, state_dir, waited=None):
    what = '; '.join(_job_label(job) for job in pending)
    ready = max(job['submitted'] for job in pending) + _poll_interval()
    jobs = f'{len(pending)} API usage job{"s" if len(pending) > 1 else ""} ({what})'
    if not state_dir:
        still = f'still running after --wait {waited:g}' if waited is not None else 'submitted'
        return (f'Pending: {jobs} {still}; with --state-dir none their ids are forgotten when this command ends'
                + ('.' if waited is not None else ': add --wait to see their results.'))
    if waited is not None:
        return f'Pending: {jobs} still running after --wait {waited:g}; kept in {state_dir} for the next run.'
    return (f'Pending: {jobs} submitted, kept in {state_dir}: the next run fetches their results, from '
            f'{_utc(ready)} (run this command again then, or add --wait).')


def _wait(args, check, pending):
    """Poll the pending usage jobs until they finish or --wait runs out; returns (last run, jobs still pending)."""
    deadline = check.clock.time() + args.wait
    if not args.json:
        print(f'Waiting for {len(pending)} API usage job{"s" if len(pending) > 1 else ""} '
              f'(polling every {WAIT_POLL} s, at most {args.wait:g} s)...', flush=True)
    result = None
    while pending and check.clock.time() + WAIT_POLL <= deadline:
        check.clock.sleep(WAIT_POLL)
        result = run_once(check, only=['org', USAGE_COLLECTOR])
        pending = _pending_jobs(check)
    if result is not None and not args.json:
        print()
        print(f'=== genesys_cloud instance: the usage jobs {"still running" if pending else "finished"} ===')
        print(render_table(result))
        print()
    return result, pending


def _config_error(args, index, message):
    print(f'Error: {scrub(message)}', file=sys.stderr)
    if args.json:
        return EXIT_USAGE, {'instance': index, 'metrics': [], 'service_checks': [], 'events': [],
                            'error': message, 'warnings': []}
    return EXIT_USAGE, None


def _summary(check, result, warnings, elapsed):
    """The `Running Checks` block `datadog-agent check` ends with."""
    from datadog_checks.genesys_cloud.__about__ import __version__

    if result.error or result.critical:
        state = 'ERROR'
    elif warnings or any(sc['status'] == 'WARNING' for sc in result.service_checks):
        state = 'WARNING'
    else:
        state = 'OK'
    title = f'genesys_cloud ({__version__})'
    lines = [
        '    ' + title,
        '    ' + '-' * len(title),
        f'      Instance ID: {check.check_id} [{state}]',
        '      Total Runs: 1',
        f'      Metric Samples: Last Run: {len(result.metrics)}, Total: {len(result.metrics)}',
        f'      Events: Last Run: {len(result.events)}, Total: {len(result.events)}',
        f'      Service Checks: Last Run: {len(result.service_checks)}, Total: {len(result.service_checks)}',
        f'      Average Execution Time : {elapsed * 1000:.0f}ms',
    ]
    for warning in warnings:
        lines.append(f'      Warning: {warning}')
    critical = [sc for sc in result.service_checks if sc['status'] == 'CRITICAL']
    for sc in critical:
        lines.append(f'      Error: {sc["name"]} is CRITICAL: {sc["message"]}')
    if result.error and not critical:
        lines.append(f'      Error: {result.error}')
    return '\n'.join(['    Running Checks', '    ==============', ''] + lines) + '\n'

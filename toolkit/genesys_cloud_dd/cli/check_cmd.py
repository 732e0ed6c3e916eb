"""`genesys-cloud-dd check -c conf.yaml`: run each instance once, like `datadog-agent check genesys_cloud`.

Exit status: 0 when every instance ran (WARNING service checks included: a missing permission still
lets the rest work), 1 when a run failed or a service check is CRITICAL (bad credentials, unreachable
API), 2 when the command line or the config file is invalid (the message names the option).
"""

import json
import sys
import time

from ..check_runner import build_check, initialize, run_once
from ..errors import UsageError
from .output import render_json, render_table
from .preflight import add_config_arguments, prepare_run

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers):
    parser = subparsers.add_parser('check', help='run the check once per instance and print what it submits')
    add_config_arguments(parser)
    parser.add_argument('--json', action='store_true', help='machine-readable output')
    parser.add_argument('--collectors', help='comma-separated collectors to run (default: all enabled; '
                                             '`org` always runs, it supplies the org tags)')
    parser.add_argument('-l', '--log-level', default='error',
                        help='log level of the check while it runs (default: error; warnings are shown '
                             'in the summary)')
    parser.set_defaults(func=run)


def run(args) -> int:
    try:
        only, init_config, instances = prepare_run(args)
    except UsageError as e:
        print(f'Error: {e}', file=sys.stderr)
        return EXIT_USAGE
    exit_code = EXIT_OK
    outputs = []
    for index, instance in enumerate(instances, 1):
        status, output = _run_instance(args, init_config, instance, index, only)
        exit_code = max(exit_code, status)
        outputs.append(output)
    if args.json:
        print(json.dumps(outputs[0] if len(outputs) == 1 else outputs, indent=2, default=str))
    return exit_code


def _run_instance(args, init_config, instance, index, only):
    label = f'instance #{index}'
    if not isinstance(instance, dict):
        return _config_error(args, index, f'{label}: must be a mapping of options, got {type(instance).__name__}')
    # One run: opening notification channels would only take some of the 20 the OAuth client shares with the Agent.
    check = build_check(init_config, {**instance, 'notifications': False})
    try:
        initialize(check, label)
    except UsageError as e:
        return _config_error(args, index, str(e))
    started = time.perf_counter()
    result = run_once(check, only=only)
    elapsed = time.perf_counter() - started
    warnings = [check.sanitize(w) for w in check.get_warnings()]
    status = EXIT_FAILED if result.error or result.critical else EXIT_OK
    if args.json:
        data = json.loads(render_json(result))
        data.update(instance=index, instance_id=check.check_id, warnings=warnings)
        return status, data
    print(f'=== genesys_cloud instance #{index} ===')
    print(render_table(result))
    print()
    print(_summary(check, result, warnings, elapsed))
    return status, None


def _config_error(args, index, message):
    print(f'Error: {message}', file=sys.stderr)
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

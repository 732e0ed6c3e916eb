"""`genesys-cloud-dd check -c conf.yaml`: run each instance once, like `datadog-agent check genesys_cloud`."""

import sys

from .output import render_json, render_table
from .runner import ConfigFileError, build_check, load_config, run_once


def add_parser(subparsers):
    parser = subparsers.add_parser('check', help='run the check once per instance and print what it submits')
    parser.add_argument('-c', '--config', required=True, help='Agent-style conf.yaml (init_config + instances)')
    parser.add_argument('--json', action='store_true', help='machine-readable output')
    parser.add_argument('--collectors', help='comma-separated collectors to run (default: all enabled)')
    parser.set_defaults(func=run)


def run(args) -> int:
    try:
        init_config, instances = load_config(args.config)
    except ConfigFileError as e:
        print(f'Error: {e}', file=sys.stderr)
        return 2
    only = [c.strip() for c in args.collectors.split(',')] if args.collectors else None
    exit_code = 0
    outputs = []
    for index, instance in enumerate(instances, 1):
        check = build_check(init_config, instance)
        result = run_once(check, only=only)
        if result.error or result.critical:
            exit_code = 1
        if args.json:
            outputs.append(render_json(result))
        else:
            print(f'=== genesys_cloud instance #{index} ===')
            print(render_table(result))
            print()
    if args.json:
        print(outputs[0] if len(outputs) == 1 else '[' + ',\n'.join(outputs) + ']')
    return exit_code

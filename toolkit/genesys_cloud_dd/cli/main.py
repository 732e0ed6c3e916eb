"""Entry point of `genesys-cloud-dd`.

Each sub-command lives in its own module exposing `add_parser(subparsers)`, which registers the command
and sets `func(args) -> int` as its handler. Modules are imported lazily by name so that a command whose
optional dependencies (the `reports` extra) are missing does not break the others.
"""

import argparse
import importlib
import sys

from ..errors import UsageError
from ..fixed_clock import toolkit_clock

COMMAND_MODULES = (
    'check_cmd',
    'agentless_cmd',
    'emulator_cmd',
    'flows_cmd',
    'assets_cmd',
    'report_cmd',
    'demo_cmd',
)


def build_parser():
    parser = argparse.ArgumentParser(prog='genesys-cloud-dd', description='Genesys Cloud monitoring for Datadog')
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND')
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f'{__package__}.{module_name}')
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith(__package__):
                continue  # command not written yet
            raise
        module.add_parser(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, 'func', None):
        parser.print_help()
        return 2
    try:
        toolkit_clock()  # a GENESYS_CLOUD_DD_CLOCK that is not an instant is said before anything runs
        return args.func(args) or 0
    except UsageError as e:
        print(f'Error: {e}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())

"""`genesys-cloud-dd emulator`: serve the local Genesys Cloud emulator in the foreground."""

import argparse


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'emulator', add_help=False, help='run a local Genesys Cloud emulator (--help for its options)'
    )
    parser.add_argument('emulator_args', nargs=argparse.REMAINDER)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..emulator.cli import main

    return main(args.emulator_args)

"""`genesys-cloud-dd emulator`: serve the local Genesys Cloud emulator in the foreground."""


def add_parser(subparsers):
    from ..emulator import cli

    parser = subparsers.add_parser('emulator', help='run a local Genesys Cloud emulator', description=cli.DESCRIPTION)
    cli.add_arguments(parser)
    parser.set_defaults(func=cli.run)

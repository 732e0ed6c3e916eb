"""`genesys-cloud-dd assets validate|deploy`: check the dashboards and monitors offline, deploy them to Datadog."""

import os
import sys


def add_parser(subparsers):
    parser = subparsers.add_parser('assets', help='validate or deploy the dashboards and recommended monitors')
    commands = parser.add_subparsers(dest='assets_command', metavar='SUBCOMMAND')

    p = commands.add_parser('validate', help='check every dashboard and monitor offline (models, metrics, tags, '
                                             'query syntax, thresholds, manifest)')
    p.add_argument('--root', help='project directory holding assets/, metadata.csv and manifest.json')
    p.add_argument('--offline', action='store_true',
                   help='take the tags each metric carries from metadata.csv sample_tags only, without running the '
                        'check against the local emulator (tests keep sample_tags equal to what a run emits)')
    p.set_defaults(func=run_validate)

    p = commands.add_parser('deploy', help='create or update the dashboards and monitors in a Datadog org '
                                           '(matched by title; DD_API_KEY, DD_APP_KEY, DD_SITE)')
    p.add_argument('--root', help='project directory holding assets/')
    p.add_argument('--dry-run', action='store_true', help='validate and list what would be deployed; send nothing')
    p.add_argument('--dd-url', default=os.environ.get('DD_DD_URL') or None,
                   help='Datadog API base URL (default: $DD_DD_URL, else https://api.$DD_SITE)')
    p.add_argument('--site', help='Datadog site, e.g. datadoghq.eu (default $DD_SITE or datadoghq.com)')
    p.add_argument('--offline', action='store_true', help='validate tags against metadata.csv only (see validate)')
    p.set_defaults(func=run_deploy)

    p = commands.add_parser('preview', help='draw each dashboard to a PNG from a simulated day of the check against '
                                            'the emulator (needs the reports extra: matplotlib)')
    p.add_argument('-o', '--out', default='dashboard-previews',
                   help='directory to write dashboard-<name>.png into (default: ./dashboard-previews)')
    p.add_argument('--hours', type=float, default=24, help='length of the simulated day in hours (default: 24)')
    p.add_argument('--step-minutes', type=int, default=15,
                   help='minutes between two simulated check runs (default: 15)')
    p.set_defaults(func=run_preview)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_preview(args) -> int:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from .report_cmd import INSTALL_EXTRA

        print(f'Error: {INSTALL_EXTRA}', file=sys.stderr)
        return 2
    if args.hours <= 0 or args.step_minutes < 1:
        print('Error: --hours must be above 0 and --step-minutes at least 1', file=sys.stderr)
        return 2
    from ..assets_tools.preview import render_all
    from ..assets_tools.simulate import simulate_day

    snapshots = simulate_day(hours=args.hours, step_minutes=args.step_minutes)
    for title, path in render_all(args.out, snapshots):
        print(f'{path}  {title}')
    return 0


def run_validate(args) -> int:
    from ..assets_tools import validate as v

    root = args.root or v.project_root()
    report = v.validate(root, emulator=not args.offline)
    print(report.render(root))
    return 0 if report.ok else 1


def run_deploy(args) -> int:
    from ..assets_tools import deploy as d

    try:
        result = d.deploy(root=args.root, dry_run=args.dry_run, dd_url=args.dd_url, site=args.site,
                          emulator=not args.offline)
    except d.DeployError as e:
        from ..redaction import scrub

        print(f'assets deploy: {scrub(e)}', file=sys.stderr)
        return 1
    print(result.render())
    return 0

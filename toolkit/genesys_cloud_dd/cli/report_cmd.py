"""`genesys-cloud-dd report limits|licenses -c conf.yaml -o DIR`: evidence packs for a Genesys reviewer and finance.

- `report limits --days 90`: which limit binds, for which clients, how often and how long, with per-minute
  evidence (rate-limit events per hour, 429s per client and URL template, Data Action bursts; with
  `--datadog`, the companion module's per-minute request counts and the daily history of object counts vs
  object limits with the date each is reached at its trend), the limits in force at each date, daily usage for
  trend and mix: report.md, a self-contained report.html, one PNG and one CSV per chart, the CSVs of every pull.
- `report licenses`: purchased vs billable peak per billing period (30-minute rule), AI tokens vs the
  allowance, the projected overage and the charge that drives its cost.

Credentials: the first instance of an Agent-style conf.yaml (`--instance N` for another), or the
GENESYS_CLOUD_CLIENT_ID / GENESYS_CLOUD_CLIENT_SECRET / GENESYS_CLOUD_REGION environment variables; for
`--datadog`, DD_API_KEY and DD_APP_KEY (DD_SITE, or `--dd-url`). Charts need matplotlib (the toolkit's
`reports` extra), checked before any request. Exit status: 0 written, 1 Genesys refused or failed, 2 bad
command line, config or missing extra.
"""

import os
import sys

from ..check_runner import load_config
from ..errors import UsageError
from ..fixed_clock import toolkit_clock
from .preflight import add_config_arguments

MAX_DAYS = 365  # the Usage API keeps a year of history
INSTALL_EXTRA = ('charts need matplotlib, the toolkit\'s `reports` extra: pip install "genesys-cloud-dd[reports]" '
                 '(from a clone: pip install "./toolkit[reports]")')


def add_parser(subparsers):
    parser = subparsers.add_parser('report', help='write an evidence pack (limits, licenses) from Genesys history')
    kinds = parser.add_subparsers(dest='report', metavar='REPORT')
    for name, text in (('limits', 'which limit binds, for whom, how often: the pack for a limit increase'),
                       ('licenses', 'purchased vs billable per period, AI tokens, projected overage and its cost')):
        sub = kinds.add_parser(name, help=text)
        add_config_arguments(sub, required=False,
                             help='Agent-style conf.yaml with the OAuth client (default: environment)')
        sub.add_argument('--instance', type=int, default=1, help='which instance of the config (default: 1)')
        sub.add_argument('-o', '--output', required=True, help='directory to write the report into')
        sub.add_argument('--no-progress', action='store_true', help='no progress bar on stderr')
        if name == 'limits':
            sub.add_argument('--days', type=int, default=90, help=f'complete days of history (1-{MAX_DAYS}, '
                                                                  'default 90)')
            sub.add_argument('--datadog', action='store_true',
                             help='also read per-minute velocity (companion module) and the daily object counts '
                                  '(at least 30 days, with a forecast) from Datadog (DD_API_KEY, DD_APP_KEY, DD_SITE)')
            sub.add_argument('--dd-url',
                             help='Datadog API base URL instead of https://api.$DD_SITE (implies --datadog)')
            sub.add_argument('--dd-days', type=int, default=7,
                             help='days of per-minute history to read from Datadog (1-30, default 7)')
            sub.add_argument('--mitigation', action='append', default=[], metavar='TEXT',
                             help='what the integration already does (backoff, caching...), for the summary; '
                                  'repeatable')
            sub.add_argument('--requested-value', type=int, help='the limit value to ask for (default: derived '
                                                                 'from the evidence)')
        sub.set_defaults(func=run)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def run(args) -> int:
    try:  # before any request: a missing extra must never leave a partial pack
        import matplotlib  # noqa: F401
    except ImportError:
        print(f'Error: {INSTALL_EXTRA}', file=sys.stderr)
        return 2
    try:
        client = _client(args)
        history = _history(args) if args.report == 'limits' else None
        if args.report == 'limits' and not 1 <= args.days <= MAX_DAYS:
            raise UsageError(f'--days must be between 1 and {MAX_DAYS} (the Usage API keeps a year)')
        if args.report == 'limits' and not 1 <= args.dd_days <= 30:
            raise UsageError('--dd-days must be between 1 and 30')
        if args.report == 'limits' and args.requested_value is not None and args.requested_value < 1:
            raise UsageError('--requested-value must be a positive whole number')
    except UsageError as e:  # ConfigFileError included
        print(f'Error: {e}', file=sys.stderr)
        return 2
    from datadog_checks.genesys_cloud.client import GenesysApiError

    try:
        return _write(args, client, history)
    except GenesysApiError as e:
        print(f'Error: {e}', file=sys.stderr)
        return 1


def _history(args):
    if not (args.datadog or args.dd_url):
        return None
    from ..reports.datadog_history import MetricsHistory

    try:
        history = MetricsHistory.from_environment(args.dd_url)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if history is None:
        raise UsageError('--datadog needs DD_API_KEY and DD_APP_KEY (an application key with timeseries_query)')
    return history


def _write(args, client, history):
    clock = toolkit_clock()
    me = client.get('/api/v2/tokens/me') or {}
    org = (me.get('organization') or {}).get('name') or ''
    progress = not args.no_progress
    if args.report == 'limits':
        from ..reports import limits

        data = limits.pull_limits(client, args.days, clock.now().date(), clock.sleep, progress=progress,
                                  history=history, dd_days=args.dd_days)
        data.mitigations = list(args.mitigation)
        data.requested_value = args.requested_value
        result = limits.write_report(data, args.output, org_label=org)
        files, summary = result.files, result.summary
        print(result.paragraph + '\n')
        title = f'Which limit binds, per OAuth client, over {args.days} days:'
    else:
        from ..reports import licenses

        data = licenses.pull_licenses(client, clock.now(), clock.sleep, progress=progress)
        files, _, _, summary = licenses.write_report(data, args.output, org_label=org)
        title = 'Projected position at the end of the billing period:'
    print(title)
    for line in summary:
        print(f'  - {line}')
    for note in data.notes:
        print(f'  ! {note}')
    print(f'\nWrote {len(files)} files to {args.output}:')
    for path in files:
        print(f'  {os.path.relpath(path, args.output)}')
    return 0


def _client(args):
    from datadog_checks.base import ConfigurationError

    from ..genesys import client_for

    init_config = {}
    if args.config:
        init_config, instances = load_config(args.config, args.secret_backend_command)
        if not 1 <= args.instance <= len(instances):
            raise UsageError(f'--instance {args.instance}: the config has {len(instances)} instance(s)')
        instance = instances[args.instance - 1]
    else:
        instance = {'client_id': os.environ.get('GENESYS_CLOUD_CLIENT_ID'),
                    'client_secret': os.environ.get('GENESYS_CLOUD_CLIENT_SECRET'),
                    'region': os.environ.get('GENESYS_CLOUD_REGION')}
        if not instance['client_id']:
            raise UsageError('give -c conf.yaml or set GENESYS_CLOUD_CLIENT_ID, GENESYS_CLOUD_CLIENT_SECRET and '
                             'GENESYS_CLOUD_REGION')
    try:
        return client_for(instance, init_config)
    except ConfigurationError as e:
        raise UsageError(f'invalid configuration: {e}') from None

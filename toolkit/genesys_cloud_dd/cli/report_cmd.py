"""`genesys-cloud-dd report limits|licenses -c conf.yaml -o DIR`: evidence packs pulled straight from Genesys Cloud.

- `report limits --days 90`: daily requests per OAuth client against the limit, 429s, rate-limit records by
  limit, peak days, limit values and change requests: report.md/.html, PNG charts, CSVs, and which limit
  binds for which client and how often. For a limit-increase request.
- `report licenses`: consumed vs purchased per day in the open billing period and the projected overage.

Credentials: the first instance of an Agent-style conf.yaml (`--instance N` for another), or the
GENESYS_CLOUD_CLIENT_ID / GENESYS_CLOUD_CLIENT_SECRET / GENESYS_CLOUD_REGION environment variables.
Exit status: 0 written, 1 Genesys refused or failed, 2 bad command line or config.
"""

import os
import sys
import time

from .preflight import UsageError
from .runner import load_config

MAX_DAYS = 365  # the Usage API keeps a year of history


def add_parser(subparsers):
    parser = subparsers.add_parser('report', help='write an evidence pack (limits, licenses) from Genesys history')
    kinds = parser.add_subparsers(dest='report', metavar='REPORT')
    for name, text in (('limits', 'API usage, 429s and rate-limit records per client vs the limits'),
                       ('licenses', 'consumed vs purchased per day and the projected overage')):
        sub = kinds.add_parser(name, help=text)
        sub.add_argument('-c', '--config', help='Agent-style conf.yaml with the OAuth client (default: environment)')
        sub.add_argument('--instance', type=int, default=1, help='which instance of the config (default: 1)')
        sub.add_argument('-o', '--output', required=True, help='directory to write the report into')
        sub.add_argument('--no-progress', action='store_true', help='no progress bar on stderr')
        if name == 'limits':
            sub.add_argument('--days', type=int, default=90, help=f'complete days of history (1-{MAX_DAYS}, '
                                                                  'default 90)')
        sub.set_defaults(func=run)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def run(args) -> int:
    try:
        client = _client(args)
        if args.report == 'limits' and not 1 <= args.days <= MAX_DAYS:
            raise UsageError(f'--days must be between 1 and {MAX_DAYS} (the Usage API keeps a year)')
    except UsageError as e:  # ConfigFileError included
        print(f'Error: {e}', file=sys.stderr)
        return 2
    from datadog_checks.genesys_cloud.client import GenesysApiError

    try:
        return _write(args, client)
    except GenesysApiError as e:
        print(f'Error: {e}', file=sys.stderr)
        return 1


def _write(args, client):
    from datadog_checks.genesys_cloud.clock import Clock

    clock = Clock()
    me = client.get('/api/v2/tokens/me') or {}
    org = (me.get('organization') or {}).get('name') or ''
    progress = not args.no_progress
    if args.report == 'limits':
        from ..reports import limits

        data = limits.pull_limits(client, args.days, clock.now().date(), time.sleep, progress=progress)
        result = limits.write_report(data, args.output, org_label=org)
        files, summary = result.files, result.summary
        title = f'Which limit binds, over {args.days} days:'
    else:
        from ..reports import licenses

        data = licenses.pull_licenses(client, clock.now(), time.sleep, progress=progress)
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
    from datadog_checks.genesys_cloud.client import GenesysClient
    from datadog_checks.genesys_cloud.settings import Settings

    if args.config:
        _, instances = load_config(args.config)
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
    from datadog_checks.base import ConfigurationError

    try:
        settings = Settings.from_instance(instance)
    except ConfigurationError as e:
        raise UsageError(f'invalid configuration: {e}') from None
    return GenesysClient.from_settings(settings.api_url, settings.login_url, settings.client_id,
                                       settings.client_secret, max_requests_per_minute=settings.max_requests_per_minute)

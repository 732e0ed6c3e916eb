"""`genesys-cloud-dd agentless -c conf.yaml [--once | --interval 60] [--state-dir DIR]`: the check without an Agent.

Runs the same check class the Agent runs and submits its metrics, events and service checks through the
Datadog API (datadog-api-client) with DD_API_KEY and DD_SITE from the environment.
For a scheduled container or a serverless function: `--once` with a persistent `--state-dir`.

Exit status: 0 only when everything collected was delivered; 1 when data is left in the outbox (persisted
with --state-dir, retried by the next run) or was dropped, a check run failed, or a service check is CRITICAL;
2 for a bad command line or config.
"""

import logging
import os
import signal
import sys
import threading

from ..errors import UsageError
from .preflight import add_config_arguments, prepare_run

log = logging.getLogger('genesys_cloud_dd.agentless')


def add_parser(subparsers):
    parser = subparsers.add_parser('agentless', help='run the check without an Agent, submitting to the Datadog API')
    add_config_arguments(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--once', action='store_true', help='run one cycle, deliver, exit (cron, serverless)')
    mode.add_argument('--interval', type=int, default=60, help='seconds between cycles (default: 60)')
    parser.add_argument('--state-dir', help='directory for persistent state and unsent data (strongly advised: '
                                            'without it a restart forgets job ids, cursors and the outbox)')
    parser.add_argument('--dd-url', default=os.environ.get('DD_DD_URL') or None,
                        help='Datadog API base URL (default: $DD_DD_URL, else https://api.$DD_SITE); for a proxy '
                                         'or a local test server')
    parser.add_argument('--hostname', default=os.environ.get('DD_HOSTNAME') or None,
                        help='host to attach the data to (default: $DD_HOSTNAME, else none: the org tags '
                             'identify the source)')
    parser.add_argument('--collectors', help='comma-separated collectors to run (default: all enabled)')
    parser.add_argument('--buffer-size', type=int, default=20000,
                        help='max unsent items (metric points + events + service checks) kept for later cycles '
                             '(default: 20000); the oldest are dropped, with a log line, beyond it')
    parser.add_argument('--retries', type=int, default=3, help='retries per payload within a cycle (default: 3)')
    parser.add_argument('-l', '--log-level', default='info', help='default: info')
    parser.set_defaults(func=run)


def run(args) -> int:
    try:
        only, init_config, instances = prepare_run(args)
        if args.interval < 1:
            raise UsageError('--interval must be at least 1 second')
        if args.buffer_size < 1:
            raise UsageError('--buffer-size must be at least 1')
        api_key = os.environ.get('DD_API_KEY', '').strip()
        if not api_key:
            raise UsageError('DD_API_KEY is not set: export the Datadog API key (never put it in conf.yaml)')
        sender = _sender(api_key, os.environ.get('DD_SITE') or 'datadoghq.com', args.dd_url)
    except UsageError as e:
        print(f'Error: {e}', file=sys.stderr)
        return 2
    from ..agentless import AgentlessRunner

    runner = AgentlessRunner(init_config, instances, sender, state_dir=args.state_dir, interval=args.interval,
                             hostname=args.hostname, max_buffer_items=args.buffer_size, retries=args.retries,
                             only=only)
    try:
        runner.setup()
    except UsageError as e:
        print(f'Error: {e}', file=sys.stderr)
        sender.close()
        return 2
    if not args.state_dir:
        log.warning('no --state-dir: state and unsent data live in memory only and are lost when this process ends')
    log.info('submitting to %s %s for %d instance%s', sender.destination,
             'once' if args.once else f'every {args.interval}s', len(instances), '' if len(instances) == 1 else 's')
    try:
        if args.once:
            report = runner.cycle()
        else:
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            report = runner.run(stop=stop)
            if not report.delivered_everything:
                runner.flush()  # one last try before exiting
                report.pending_items = runner.outbox.items
    finally:
        runner.close()
    failures = []
    if report.pending_items:
        where = f'kept in {args.state_dir} for the next run' if args.state_dir else 'LOST: no --state-dir'
        failures.append(f'{report.pending_items} unsent items ({where})')
    if runner.lost_items:
        failures.append(f'{runner.lost_items} items dropped unsent (see the warnings above)')
    if report.errors:
        failures.append(f'{len(report.errors)} check run{"s" if len(report.errors) > 1 else ""} failed')
    if report.critical:
        failures.append('genesys_cloud.can_connect is CRITICAL')
    for failure in failures:
        log.error('%s', failure)
    return 1 if failures else 0


def _sender(api_key, site, url):
    try:
        from ..agentless.sender import DatadogSender

        return DatadogSender(api_key, site=site, url=url)
    except ImportError as e:
        raise UsageError(f'the agentless mode needs datadog-api-client, a dependency of genesys-cloud-dd: reinstall '
                         f'the toolkit ({e.name} is missing)') from None

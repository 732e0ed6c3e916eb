"""`emulator` command: run the emulator in the foreground until SIGINT/SIGTERM.

The lead's `genesys-cloud-dd emulator` calls main(argv); `python -m ...emulator` does too.
"""

import argparse
import signal
import sys
import threading

from datadog_checks.genesys_cloud.clock import FakeClock

from ..fixed_clock import toolkit_clock
from .org import OrgOptions
from .server import Emulator
from .validation import parse_instant

READY_LINE = 'Genesys Cloud emulator listening on {}'


DESCRIPTION = 'Run a local Genesys Cloud emulator in the foreground (Ctrl-C stops it).'


def build_parser():
    parser = argparse.ArgumentParser(prog='genesys-cloud-dd emulator', description=DESCRIPTION)
    add_arguments(parser)
    return parser


def add_arguments(parser):
    defaults = OrgOptions()
    parser.add_argument('--port', type=int, default=8080, help='0 picks a free port')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--client-id', help='accepted client id (derived from the seed when omitted)')
    parser.add_argument('--client-secret', help='accepted client secret (derived from the seed when omitted)')
    parser.add_argument('--users', type=int, default=defaults.users)
    parser.add_argument('--queues', type=int, default=defaults.queues)
    parser.add_argument('--oauth-clients', type=int, default=defaults.oauth_clients)
    parser.add_argument('--divisions', type=int, default=defaults.divisions)
    parser.add_argument('--days', type=int, default=defaults.days, help='days of history')
    parser.add_argument('--seed', type=int, default=defaults.seed)
    parser.add_argument('--fake-clock', metavar='ISO8601',
                        help='freeze time at this instant; move it with POST /_emulator/clock {"advance": s}')
    parser.add_argument('--rate-limit', type=int, default=300, help='requests per token per minute (0: none)')
    parser.add_argument('--job-polls', type=int, default=1, help='polls an async job reports running')
    parser.add_argument('--log-requests', action='store_true')


def main(argv=None):
    return run(build_parser().parse_args(argv))


def run(args):
    clock = FakeClock(parse_instant(args.fake_clock, '--fake-clock')) if args.fake_clock else toolkit_clock()
    options = OrgOptions(seed=args.seed, users=args.users, queues=args.queues, oauth_clients=args.oauth_clients,
                         divisions=args.divisions, days=args.days)
    emulator = Emulator(options, client_id=args.client_id, client_secret=args.client_secret, clock=clock,
                        rate_limit_per_minute=args.rate_limit, host=args.host, port=args.port,
                        job_polls=args.job_polls, log_requests=args.log_requests)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    emulator.start()
    try:
        # Test credentials of a local fake: printing them is how a user learns what to configure.
        if not args.client_id:
            print(f'client_id: {emulator.client_id}')
        if not args.client_secret:
            print(f'client_secret: {emulator.client_secret}')
        print(READY_LINE.format(emulator.url), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

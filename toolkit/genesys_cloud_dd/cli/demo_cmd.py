"""`genesys-cloud-dd demo`: start the emulator, run the check once against it, summarise what the Agent would get.

By default one line per metric family (its metrics, series and a representative value), the service checks,
the requests the check spent and the recommended monitors that would fire; `--all` prints every point and
every monitor group.
"""

from ..check_runner import build_check, run_once
from ..errors import UsageError
from .output import render_summary, render_table

DEMO_INSTANT = '2026-11-20T15:00:00Z'


def add_parser(subparsers):
    parser = subparsers.add_parser('demo', help='run the check once against a local emulator and summarise the result')
    parser.add_argument('--users', type=int, default=200)
    parser.add_argument('--queues', type=int, default=8)
    parser.add_argument('--oauth-clients', type=int, default=6)
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--at', default=DEMO_INSTANT, metavar='ISO8601',
                        help=f'the UTC instant the demo runs at, on a clock that moves only when the check waits '
                             f'(default {DEMO_INSTANT}: the same story every day)')
    parser.add_argument('--all', action='store_true', help='print every metric point and every monitor group')
    parser.set_defaults(func=run)


def run(args) -> int:
    from datadog_checks.genesys_cloud.clock import FakeClock

    from ..emulator import Emulator, OrgOptions
    from ..fixed_clock import parse

    try:
        clock = FakeClock(parse(args.at))  # the emulator and the check share it: same seed, same instant, same story
    except UsageError as e:
        raise UsageError(f'--at: {e}') from None
    options = OrgOptions(seed=args.seed, users=args.users, queues=args.queues, oauth_clients=args.oauth_clients)
    # Async jobs finish on their first poll here, so one run shows every metric; tests cover slow jobs.
    with Emulator(options, job_polls=0, clock=clock) as emulator:
        print(f'A local Genesys Cloud emulator at {args.at}: org "{emulator.org.name}", {args.users:,} users, '
              f'{args.queues:,} queues, {args.oauth_clients:,} OAuth clients')
        instance = {
            'client_id': emulator.client_id,
            'client_secret': emulator.client_secret,
            'api_url': emulator.url,
            'login_url': emulator.url,
            'tags': ['env_name:demo'],
            # One run shows every collector: object_limits' cold start alone needs ~50 requests.
            'max_requests_per_minute': 200,
            'notifications': False,  # one run: the channels' first notifications would come after it
        }
        check = build_check({}, instance, clock=clock)
        result = run_once(check)
        print()
        print(render_table(result) if args.all else render_summary(result))
        spent = sum(emulator.requests.values())
        print(f'\nRequests the check spent in this run: {spent:,} (the org\'s rate limits are shared with its '
              'integrations)')
        for endpoint, count in sorted(emulator.requests.items(), key=lambda item: (-item[1], item[0])):
            print(f'  {count:>4}  {endpoint}')
        _print_monitor_evaluation(result, firing_only=not args.all)
    # The companion's scene runs on an emulator of its own, after the check's run is fully told.
    from .demo_velocity import print_velocity_scene

    print_velocity_scene(args.seed)
    return 1 if result.error else 0


def _print_monitor_evaluation(result, firing_only):
    from ..assets_tools.evaluate import render_monitor_evaluation

    print()
    print(render_monitor_evaluation(result, firing_only=firing_only))

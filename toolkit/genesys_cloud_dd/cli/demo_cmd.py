"""`genesys-cloud-dd demo`: start the emulator, run the check once against it, tell an admin what it found.

The emulated org runs on a fixed clock and seed, so two runs print the same text. The story, in order: the org
and the instant, the headline numbers (each with its time frame), the recommended monitors (what fires and why,
every NO DATA with its reason), the requests the check spent; then the companion's velocity scene. `--all`
prints every point and every monitor group instead of the summaries.
"""

# The demo's instant, seed and licence mapping are the previews' too (assets preview draws the same org).
from ..assets_tools.simulate import DEMO_INSTANT, DEMO_SEED, LICENSE_CHARGES
from ..check_runner import build_check, run_once
from ..errors import UsageError
from ..numbers import readable
from .output import render_table


def add_parser(subparsers):
    parser = subparsers.add_parser('demo', help='run the check once against a local emulator and summarise the result')
    parser.add_argument('--users', type=int, default=200, help='users in the emulated org (default: 200)')
    parser.add_argument('--queues', type=int, default=8, help='routing queues (default: 8)')
    parser.add_argument('--oauth-clients', type=int, default=6,
                        help='OAuth clients, the check\'s own included (default: 6)')
    parser.add_argument('--seed', type=int, default=DEMO_SEED,
                        help=f'seed of the emulated org: the same seed, the same story (default: {DEMO_SEED}, a '
                             'healthy org with one thing to fix)')
    parser.add_argument('--at', default=DEMO_INSTANT, metavar='ISO8601',
                        help=f'the UTC instant the demo runs at, on a clock that moves only when the check waits '
                             f'(default {DEMO_INSTANT}: the same story every day)')
    parser.add_argument('--all', action='store_true', help='print every metric point and every monitor group')
    parser.set_defaults(func=run)


def run(args) -> int:
    from datadog_checks.genesys_cloud.clock import FakeClock
    from datadog_checks.genesys_cloud.collectors.licensing_support import billing_period

    from ..emulator import Emulator, OrgOptions
    from ..fixed_clock import parse
    from .demo_story import render_headlines

    try:
        clock = FakeClock(parse(args.at))  # the emulator and the check share it: same seed, same instant, same story
    except UsageError as e:
        raise UsageError(f'--at: {e}') from None
    now = clock.now()
    options = OrgOptions(seed=args.seed, users=args.users, queues=args.queues, oauth_clients=args.oauth_clients)
    # Async jobs finish on their first poll here, so one run shows every metric; tests cover slow jobs.
    with Emulator(options, clock=clock, job_polls=0) as emulator:
        print(f'A local Genesys Cloud emulator at {now:%Y-%m-%d %H:%M} UTC (a fixed clock), seed {args.seed}: org '
              f'"{emulator.org.name}", {args.users:,} users, {args.queues:,} queues, {args.oauth_clients:,} OAuth '
              'clients')
        instance = {
            'client_id': emulator.client_id,
            'client_secret': emulator.client_secret,
            'api_url': emulator.url,
            'login_url': emulator.url,
            'tags': ['env_name:demo'],
            # One run shows every collector: object_limits' cold start alone needs ~120 requests.
            'max_requests_per_minute': 200,
            'billing': {'license_charges': dict(LICENSE_CHARGES)},
            'notifications': False,  # one run: the channels' first notifications would come after it
        }
        check = build_check({}, instance, clock=clock)
        result = run_once(check)
        print()
        if args.all:
            print(render_table(result))
        else:
            shared = sorted(set.intersection(*(set(m['tags']) for m in result.metrics))) if result.metrics else []
            print('What the check found (every point carries ' + ', '.join(shared) + '):')
            start, end = billing_period(now)
            print(render_headlines(result.metrics, now, start, end))
            for sc in result.service_checks:
                print(f'Service check {sc["name"]}: {sc["status"]}' + (f': {sc["message"]}' if sc['message'] else ''))
            print(f'{len(result.metrics):,} metric points, {len({m["name"] for m in result.metrics})} metric names '
                  '(--all prints every point)')
        if not args.all:
            print()
            print(_story(result))
        _print_monitor_evaluation(result, firing_only=not args.all)
        spent = sum(emulator.requests.values())
        print(f'\nRequests the check spent in this run: {spent:,} (the org\'s rate limits are shared with its '
              'integrations)')
        for endpoint, count in sorted(emulator.requests.items(), key=lambda item: (-item[1], item[0])):
            print(f'  {count:>4}  {endpoint}')
    # The companion's scene runs on an emulator of its own, after the check's run is fully told.
    from .demo_velocity import print_velocity_scene

    print_velocity_scene(args.seed)
    return 1 if result.error else 0


def _story(result):
    """What needs attention, in one paragraph: the firing monitors' groups, or that nothing does."""
    from ..assets_tools.evaluate import ALERT, WARN, evaluate_monitors, monitor_status

    results = evaluate_monitors(result)
    by_monitor = {}
    for r in results:
        by_monitor.setdefault(r.title, []).append(r)
    firing = [r for r in results if r.status in (ALERT, WARN)]
    monitors = sum(1 for rows in by_monitor.values() if monitor_status(rows) in (ALERT, WARN))
    if not firing:
        return f'Nothing needs attention: none of the {len(by_monitor)} recommended monitors would fire.'
    lines = [f'Needs attention: {monitors} of the {len(by_monitor)} recommended monitors would fire']
    for r in sorted(firing, key=lambda r: (r.status != ALERT, r.title, r.group)):
        lines.append(f'  {r.status:<5}  {r.title}: {r.group}: {readable(r.value)} (threshold {r.threshold})')
    return '\n'.join(lines)


def _print_monitor_evaluation(result, firing_only):
    from ..assets_tools.evaluate import render_monitor_evaluation

    print()
    print(render_monitor_evaluation(result, firing_only=firing_only))

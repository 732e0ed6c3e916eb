"""`genesys-cloud-dd demo`: start the emulator, run the check once against it, print what the Agent would get."""

from .output import render_table
from .runner import build_check, run_once


def add_parser(subparsers):
    parser = subparsers.add_parser('demo', help='run the check once against a local emulator and print the result')
    parser.add_argument('--users', type=int, default=200)
    parser.add_argument('--queues', type=int, default=8)
    parser.add_argument('--oauth-clients', type=int, default=6)
    parser.add_argument('--seed', type=int, default=42)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..emulator import Emulator, OrgOptions

    options = OrgOptions(seed=args.seed, users=args.users, queues=args.queues, oauth_clients=args.oauth_clients)
    # Async jobs finish on their first poll here, so one run shows every metric; tests cover slow jobs.
    with Emulator(options, job_polls=0) as emulator:
        print(f'Genesys Cloud emulator on {emulator.url}: org "{emulator.org.name}", {args.users} users, '
              f'{args.queues} queues, {args.oauth_clients} OAuth clients\n')
        instance = {
            'client_id': emulator.client_id,
            'client_secret': emulator.client_secret,
            'api_url': emulator.url,
            'login_url': emulator.url,
            'tags': ['env_name:demo'],
            # One run shows every collector: object_limits' cold start alone needs ~50 requests.
            'max_requests_per_minute': 200,
        }
        check = build_check({}, instance)
        result = run_once(check)
        print(render_table(result))
        spent = sum(emulator.requests.values())
        print(f'\nThe check sent {spent} requests to the emulator in this run:')
        for endpoint, count in sorted(emulator.requests.items()):
            print(f'  {count:>4}  {endpoint}')
        _print_monitor_evaluation(result)
    return 1 if result.error else 0


def _print_monitor_evaluation(result):
    try:
        from ..assets_tools.evaluate import render_monitor_evaluation
    except ImportError:
        return  # the monitor evaluator ships with the assets tooling
    print()
    print(render_monitor_evaluation(result))

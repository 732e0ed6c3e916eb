"""`make bench`: what the check costs an org, at several org sizes, printed as figures (never asserted).

For each org size the emulator runs in a subprocess (so the check's CPU time and memory are its own) with a
frozen clock that this script moves one minute per check run, an hour of runs in all: every collector
runs at its default cadence, as in production, only faster than real time. Printed per size:

- requests per cycle per collector (every collector due at once, the first run) against the documented
  minimum for that org size, and average requests per minute over the simulated hour;
- wall and CPU time per check run (emulator latency zero), and the check process's peak RSS;
- the naive approach some integrations take (one request per user for presence and one for routing
  status, every minute) for comparison.

Usage: python benchmarks/bench.py [--sizes small,medium,large] [--minutes 60]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from urllib.request import Request, urlopen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SIZES = {
    'small': {'users': 1000, 'queues': 100, 'oauth_clients': 50},
    'medium': {'users': 10000, 'queues': 1000, 'oauth_clients': 500},
    'large': {'users': 50000, 'queues': 5000, 'oauth_clients': 500},
}
START = datetime(2026, 11, 18, 14, 0, tzinfo=timezone.utc)
TARGETS = 'targets at medium: <= 30 requests/min, <= 2 s CPU per run, < 150 MB peak RSS'


def start_emulator(size):
    command = [sys.executable, '-m', 'genesys_cloud.emulator', '--port', '0', '--seed', '42',
               '--users', str(size['users']), '--queues', str(size['queues']),
               '--oauth-clients', str(size['oauth_clients']), '--fake-clock', START.isoformat(),
               '--client-id', 'bench-client', '--client-secret', 'bench-secret']
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        if 'listening on' in line:
            return process, line.strip().rsplit(' ', 1)[-1]
    raise RuntimeError('the emulator did not start')


def control(url, path, body=None, method='POST'):
    data = json.dumps(body).encode() if body is not None else None
    request = Request(url + path, data=data, method=method, headers={'Content-Type': 'application/json'})
    with urlopen(request) as response:
        return json.loads(response.read() or b'null')


def measure(size_name, minutes):
    """Runs in its own process so peak RSS belongs to this size only."""
    from datadog_checks.base.stubs import aggregator

    from genesys_cloud.cli.runner import build_check
    from genesys_cloud.clock import FakeClock
    from genesys_cloud.collectors import COLLECTORS

    size = SIZES[size_name]
    process, url = start_emulator(size)
    try:
        clock = FakeClock(START)
        instance = {'client_id': 'bench-client', 'client_secret': 'bench-secret', 'api_url': url, 'login_url': url,
                    'min_collection_interval': 60}
        check = build_check({}, instance, clock=clock)
        check.run_check_initializations()

        # One cycle per collector alone, to attribute requests (every collector is due on its first run).
        per_collector = {}
        for collector in COLLECTORS:
            check.check(None, only={collector.name})
            per_collector[collector.name] = sum(check.client.request_counts.values())
            aggregator.reset()
            clock.advance(60)  # a fresh pacing window each, so no collector is deferred by the others
            control(url, '/_emulator/clock', {'advance': 60})
        # Start the hour afresh so the cadences are the production ones.
        check = build_check({}, {**instance, 'tags': ['bench:hour']}, clock=clock)
        check.run_check_initializations()
        total = Counter()
        walls, cpus = [], []
        for _ in range(minutes):
            wall, cpu = time.perf_counter(), time.process_time()
            check.check(None)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            total.update(check.client.request_counts)
            # Inside the Agent submissions leave Python at once; the test stub would keep every point.
            aggregator.reset()
            clock.advance(60)
            control(url, '/_emulator/clock', {'advance': 60})
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {
            'size': size_name, **size, 'per_collector': per_collector,
            'minimum': {c.name: _minimum(c, size) for c in COLLECTORS},
            'requests_per_minute': sum(total.values()) / minutes,
            'wall_avg': sum(walls) / len(walls), 'wall_max': max(walls),
            'cpu_avg': sum(cpus) / len(cpus), 'cpu_max': max(cpus), 'peak_rss_mb': peak_rss_mb,
            'naive_per_minute': 2 * size['users'],
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def _minimum(collector, size):
    """The collector's documented minimum requests per cycle for this org size, if it documents one."""
    formula = getattr(collector, 'minimum_requests', None)
    return formula(**size) if formula else None


def report(results):
    lines = [f'Genesys Cloud check benchmark ({TARGETS})', '']
    for r in results:
        lines.append(f"== {r['size']}: {r['users']} users, {r['queues']} queues, {r['oauth_clients']} OAuth clients")
        lines.append('   requests per cycle (every collector due) vs documented minimum:')
        for name, count in r['per_collector'].items():
            minimum = r['minimum'].get(name)
            lines.append(f'     {name:<22} {count:>6}   minimum {minimum if minimum is not None else "-"}')
        lines.append(f"   average requests/min over the hour at default cadences: {r['requests_per_minute']:.1f}"
                     f"   (naive per-user polling: {r['naive_per_minute']}/min,"
                     f" {r['naive_per_minute'] / max(r['requests_per_minute'], 0.01):.0f}x more)")
        lines.append(f"   wall per run: avg {r['wall_avg']:.3f} s, max {r['wall_max']:.3f} s;"
                     f" CPU per run: avg {r['cpu_avg']:.3f} s, max {r['cpu_max']:.3f} s;"
                     f" peak RSS {r['peak_rss_mb']:.0f} MB")
        lines.append('')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='small,medium,large')
    parser.add_argument('--minutes', type=int, default=60)
    parser.add_argument('--one', help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.minutes)))
        return 0
    results = []
    for name in args.sizes.split(','):
        out = subprocess.run([sys.executable, __file__, '--one', name, '--minutes', str(args.minutes)],
                             capture_output=True, text=True, cwd=ROOT, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f'measured {name}', file=sys.stderr)
    print(report(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""`make bench`: what the check costs an org, at several org sizes, printed as figures (never asserted).

For each org size the emulator runs in a subprocess (so the check's CPU time and memory are its own) with a
frozen clock that this script moves one minute per check run, an hour of runs in all: every collector
runs at its default cadence, as in production, only faster than real time. Printed per size:

- requests of one cold-start collection per collector against its documented count
  (`Collector.minimum_requests`), and average requests per minute over the simulated hour;
- wall and CPU time per check run (emulator latency zero), and the check process's peak RSS;
- collectors deferred for want of budget during the hour (the target is none);
- freshness under notifications (on by default): after every run, what the check submitted against the
  emulator's ground truth at that instant (GET /_emulator/truth/contact_center): queue waiting counts equal
  to the truth, and the largest gap of the longest wait and of the longest NOT_RESPONDING, in seconds;
- one cycle of the naive approach some integrations take (list the users, then one request per user for
  routing status and one for presence), measured the same way, for comparison.

Usage: python benchmarks/bench.py [--sizes small,medium,large] [--minutes 60] [--no-naive]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
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
# The first runs list everything once (users, licences, queues, OAuth clients, objects); at 50,000 users that is
# more than one minute's budget, so pacing spreads it and defers some collectors: counted apart from the rest.
COLD_START_MINUTES = 15
TARGETS = {
    'large': 'target: <= 60 requests/min with no collector deferred, CPU <= 1 s a run, peak RSS < 150 MB',
    'medium': 'target: <= 10 requests/min',
}


def start_emulator(size):
    command = [sys.executable, '-m', 'genesys_cloud_dd.emulator', '--port', '0', '--seed', '42',
               '--users', str(size['users']), '--queues', str(size['queues']),
               '--oauth-clients', str(size['oauth_clients']), '--fake-clock', START.isoformat(),
               '--client-id', 'bench-client', '--client-secret', 'bench-secret',
               # No 429s: the naive cycle must run to the end to be measured (a real org would throttle it).
               '--rate-limit', '0']
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


def object_sizes(size):
    """The configuration objects object_limits pages through, as the emulator's org of that size has them."""
    from genesys_cloud_dd.emulator import OrgOptions
    from genesys_cloud_dd.emulator.data.objects import org_objects
    from genesys_cloud_dd.emulator.org import SyntheticOrg

    counts = org_objects(SyntheticOrg(OrgOptions(seed=42, **size))).counts
    return {'groups': counts['groups'], 'data_tables': counts['data_tables']}


def measure(size_name, minutes):
    """Both parts of one size, each in its own process so that peak RSS is the hour's alone."""
    cold = _subprocess_json('--one', size_name, '--part', 'cold')
    hour = _subprocess_json('--one', size_name, '--part', 'hour', '--minutes', str(minutes))
    return {**cold, **hour}


def _instance(url):
    return {'client_id': 'bench-client', 'client_secret': 'bench-secret', 'api_url': url, 'login_url': url,
            'min_collection_interval': 60}


def _agent_host():
    from genesys_cloud_dd import agent_host

    agent_host.install()  # before datadog_checks.base loads: this process is the Agent host the check runs in


def measure_cold(size_name):
    """Each collector alone from a cold start (its own state, shared lookups included), unpaced."""
    _agent_host()
    from datadog_checks.genesys_cloud.clock import FakeClock
    from datadog_checks.genesys_cloud.collectors import COLLECTORS
    from datadog_checks.genesys_cloud.collectors.base import OrgSize

    from genesys_cloud_dd.agent_host import RECORDER
    from genesys_cloud_dd.check_runner import build_check

    size = SIZES[size_name]
    process, url = start_emulator(size)
    try:
        clock = FakeClock(START)
        per_collector = {}
        for collector in COLLECTORS:
            check = build_check({}, {**_instance(url), 'max_requests_per_minute': 100000, 'tags': [collector.name],
                                     'notifications': False}, clock=clock)
            check.run_check_initializations()
            check.check(None, only={collector.name})
            per_collector[collector.name] = sum(
                n for endpoint, n in check.client.request_counts.items() if endpoint != 'POST /oauth/token'
            )
            RECORDER.drain(check.check_id)
        documented = {c.name: c.minimum_requests(OrgSize(**size, **object_sizes(size))) for c in COLLECTORS}
        return {'size': size_name, **size, 'per_collector': per_collector, 'documented': documented}
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure_hour(size_name, minutes):
    """An hour at the production cadences and default pacing, notifications on (the default)."""
    _agent_host()
    from datadog_checks.genesys_cloud.clock import FakeClock

    from genesys_cloud_dd.agent_host import RECORDER
    from genesys_cloud_dd.check_runner import build_check

    size = SIZES[size_name]
    process, url = start_emulator(size)
    try:
        clock = FakeClock(START)
        RECORDER.keep_metrics = set(FRESHNESS_METRICS)
        check = build_check({}, {**_instance(url), 'tags': ['bench:hour']}, clock=clock)
        check.run_check_initializations()
        total = Counter()
        per_minute = []
        walls, cpus = [], []
        deferred = {'waited': Counter(), 'paced': Counter()}
        cold_deferred = {'waited': Counter(), 'paced': Counter()}
        overdue = 0.0
        socket_cpus, socket_cpu_before = [], 0.0
        fresh = {'runs': 0, 'waiting_equal': 0, 'waiting_total': 0, 'waiting_max_diff': 0,
                 'longest_wait_max_gap': 0.0, 'not_responding_max_gap': 0.0}
        for minute in range(minutes):
            wall, cpu = time.perf_counter(), time.process_time()
            check.check(None)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            total.update(check.client.request_counts)
            per_minute.append(sum(check.client.request_counts.values()))
            late = deferred if minute >= COLD_START_MINUTES else cold_deferred
            for name, outcome in check.scheduler.outcomes.items():
                if outcome == 'deferred':
                    # A listing that spent requests before the budget ran out resumes there next run: paced.
                    late['paced' if check.scheduler.spent.get(name) else 'waited'][name] += 1
            overdue = max([overdue, *check.scheduler.overdue.values()])
            socket_cpu = _socket_threads_cpu()
            socket_cpus.append(max(0.0, socket_cpu - socket_cpu_before))  # a replaced channel's thread ends
            socket_cpu_before = socket_cpu
            if minute % 10 == 9:
                print(f'  {size_name}: minute {minute + 1} of {minutes}', file=sys.stderr, flush=True)
            # Inside the Agent submissions leave Python at once; the toolkit's recorder keeps them until drained.
            submitted = RECORDER.drain(check.check_id)['metrics']
            if minute >= 2:  # the first runs create the channels and seed them by polling
                freshness(fresh, submitted, control(url, '/_emulator/truth/contact_center', method='GET'))
            clock.advance(60)
            control(url, '/_emulator/clock', {'advance': 60})
            if minute == 0:
                wait_connected(check)
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        half = minutes // 2
        return {
            'requests_per_minute': sum(total.values()) / minutes,
            # Once the cold start is behind (channels, seeding, first listings): what an org pays from then on.
            'steady_per_minute': sum(per_minute[half:]) / max(1, minutes - half),
            'cpu_steady': sum(cpus[half:]) / max(1, minutes - half),
            'wall_avg': sum(walls) / len(walls), 'wall_max': max(walls),
            'cpu_avg': sum(cpus) / len(cpus), 'cpu_max': max(cpus), 'peak_rss_mb': peak_rss_mb,
            'deferred': deferred, 'cold_deferred': cold_deferred, 'overdue_max': overdue, 'freshness': fresh,
            'socket_cpu_avg': sum(socket_cpus) / len(socket_cpus),
            'socket_cpu_steady': sum(socket_cpus[half:]) / max(1, minutes - half),
            'endpoints': dict(total.most_common(12)),
            'notifications': notification_summary(check),
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def _socket_threads_cpu():
    """CPU seconds the notification socket threads have used so far (they are part of the check's CPU)."""
    total = 0.0
    for thread in threading.enumerate():
        if thread.name.startswith('genesys-notifications') and thread.ident is not None:
            try:
                total += time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            except (OSError, ValueError):  # ended meanwhile
                pass
    return total


def wait_connected(check, timeout=30.0):
    hub = check.notifications
    deadline = time.monotonic() + timeout
    while hub is not None and time.monotonic() < deadline:
        if hub.active and all(c.connection.connected for c in hub.channels.values()):
            return
        time.sleep(0.05)


def notification_summary(check):
    hub = check.notifications
    if hub is None or hub.plan is None:
        return {}
    check.notifications.stop()
    return {'channels': len(hub.channels), 'queue_topics': hub.plan.queues, 'user_topics': hub.plan.users,
            'users_left_out': hub.plan.users_left_out, 'received': hub.state.received}


FRESHNESS_METRICS = ('genesys_cloud.queue.waiting', 'genesys_cloud.queue.longest_waiting',
                     'genesys_cloud.agents.not_responding.longest')


def freshness(fresh, submitted, truth):
    """Fold one run's submissions, compared with the emulator's truth at the same instant, into `fresh`."""
    waiting, longest, not_responding = Counter(), {}, None
    for metric in submitted:
        tags = dict(t.split(':', 1) for t in metric['tags'] if ':' in t)
        if metric['name'] == 'genesys_cloud.queue.waiting':
            waiting[tags.get('queue_id')] += metric['value']
        elif metric['name'] == 'genesys_cloud.queue.longest_waiting':
            longest[tags.get('queue_id')] = metric['value']
        elif metric['name'] == 'genesys_cloud.agents.not_responding.longest':
            not_responding = metric['value']
    fresh['runs'] += 1
    for queue_id, count in truth['waiting'].items():
        fresh['waiting_total'] += 1
        diff = abs(waiting.get(queue_id, 0) - count)
        fresh['waiting_equal'] += diff == 0
        fresh['waiting_max_diff'] = max(fresh['waiting_max_diff'], diff)
    for queue_id, seconds in truth['longest_waiting'].items():
        if queue_id in longest:
            fresh['longest_wait_max_gap'] = max(fresh['longest_wait_max_gap'], abs(longest[queue_id] - seconds))
    if not_responding is not None:
        fresh['not_responding_max_gap'] = max(fresh['not_responding_max_gap'],
                                              abs(not_responding - truth['not_responding_longest']))


def measure_naive(size_name):
    """One cycle of what per-user polling integrations do: list the users, then ask each one's routing
    status and presence. Its own process, so its CPU and memory are its own too."""
    from datadog_checks.genesys_cloud.client import GenesysClient
    from datadog_checks.genesys_cloud.clock import FakeClock

    size = SIZES[size_name]
    process, url = start_emulator(size)
    try:
        client = GenesysClient.from_settings(url, url, 'bench-client', 'bench-secret', clock=FakeClock(START),
                                             max_requests_per_minute=0)
        wall, cpu = time.perf_counter(), time.process_time()
        statuses = Counter()
        for user in client.iter_pages('/api/v2/users', page_size=500):
            statuses[client.get(f'/api/v2/users/{user["id"]}/routingstatus')['status']] += 1
            client.get(f'/api/v2/users/{user["id"]}/presences/purecloud')
        return {
            'requests': sum(n for e, n in client.request_counts.items() if e != 'POST /oauth/token'),
            'wall': time.perf_counter() - wall, 'cpu': time.process_time() - cpu,
            'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def report(results):
    lines = ['Genesys Cloud check benchmark', '']
    for r in results:
        naive = r['naive']
        lines.append(f"== {r['size']}: {r['users']} users, {r['queues']} queues, {r['oauth_clients']} OAuth clients")
        if r['size'] in TARGETS:
            lines.append(f"   {TARGETS[r['size']]}")
        lines.append('   requests of one cold-start collection (polling), measured vs documented (minimum_requests):')
        for name, count in r['per_collector'].items():
            lines.append(f'     {name:<22} {count:>6}   documented {r["documented"][name]}')
        n = r['notifications']
        if n:
            lines.append(f"   notifications: {n['channels']} channels, {n['queue_topics']} queue topics,"
                         f" {n['user_topics']} user topics ({n['users_left_out']} users left to polling),"
                         f" {n['received']} notifications over the hour")
        lines.append(f"   average requests/min over the hour at default cadences: {r['requests_per_minute']:.1f}"
                     f" (cold start included); second half of the hour: {r['steady_per_minute']:.1f}")
        lines.append(f"   after the cold start, collectors deferred for budget without a request:"
                     f" {_times(r['deferred']['waited'])}; listings paced over more than one run (each resumed where"
                     f" it stopped): {_times(r['deferred']['paced'])}")
        lines.append(f"   during the cold start (the first {COLD_START_MINUTES} minutes, everything listed once):"
                     f" deferred {_times(r['cold_deferred']['waited'])}; paced {_times(r['cold_deferred']['paced'])};"
                     f" longest a collector waited past its due time (whole hour): {r['overdue_max']:.0f} s")
        f = r['freshness']
        if f['runs']:
            lines.append(f"   freshness vs the emulator's truth ({f['runs']} runs): queue waiting counts equal in"
                         f" {f['waiting_equal']}/{f['waiting_total']} queue-runs (largest gap {f['waiting_max_diff']});"
                         f" longest wait within {f['longest_wait_max_gap']:.1f} s; longest NOT_RESPONDING within"
                         f" {f['not_responding_max_gap']:.1f} s")
        lines.append(f"   check run: wall avg {r['wall_avg']:.3f} s, max {r['wall_max']:.3f} s;"
                     f" CPU avg {r['cpu_avg']:.3f} s (second half {r['cpu_steady']:.3f} s), max {r['cpu_max']:.3f} s,"
                     f" of which the socket threads avg {r['socket_cpu_avg']:.3f} s (second half"
                     f" {r['socket_cpu_steady']:.3f} s);"
                     f" peak RSS {r['peak_rss_mb']:.0f} MB")
        lines.append('   most requested endpoints over the hour: '
                     + ', '.join(f'{e} {c}' for e, c in list(r['endpoints'].items())[:6]))
        lines.append(f"   naive per-user polling, one cycle: {naive['requests']} requests"
                     f" ({naive['requests'] / max(r['requests_per_minute'], 0.01):.0f}x this check's per-minute"
                     f" average, {naive['requests'] / 300:.0f}x one token's 300/min limit),"
                     f" wall {naive['wall']:.1f} s, CPU {naive['cpu']:.1f} s, peak RSS {naive['peak_rss_mb']:.0f} MB")
        lines.append('')
    lines.append('Documented counts assume no agent NOT_RESPONDING (agents adds a page per 100) and all 9 default'
                 ' limit namespaces.')
    return '\n'.join(lines)


def _times(counter):
    return ', '.join(f'{k} {v}x' for k, v in sorted(counter.items())) or 'none'


def _subprocess_json(*args):
    # stderr passes through: when a size's process dies, its traceback is on the screen, not swallowed.
    out = subprocess.run([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f'bench: {" ".join(args)} failed (exit {out.returncode}); its error is above')
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='small,medium,large')
    parser.add_argument('--minutes', type=int, default=60)
    parser.add_argument('--one', help=argparse.SUPPRESS)  # internal: measure one size in this process
    parser.add_argument('--part', choices=('cold', 'hour'), help=argparse.SUPPRESS)  # internal: which part
    parser.add_argument('--naive', help=argparse.SUPPRESS)  # internal: one naive cycle in this process
    parser.add_argument('--no-naive', action='store_true', help='skip the naive per-user polling cycle')
    args = parser.parse_args(argv)
    if args.one:
        part = measure_cold(args.one) if args.part == 'cold' else measure_hour(args.one, args.minutes)
        print(json.dumps(part))
        return 0
    if args.naive:
        print(json.dumps(measure_naive(args.naive)))
        return 0
    results = []
    for name in args.sizes.split(','):
        result = measure(name, args.minutes)
        result['naive'] = ({'requests': 0, 'wall': 0.0, 'cpu': 0.0, 'peak_rss_mb': 0.0} if args.no_naive
                           else _subprocess_json('--naive', name))
        results.append(result)
        print(f'measured {name}', file=sys.stderr)
    print(report(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())

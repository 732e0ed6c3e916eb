"""Restarts and moves: an Agent restart between any two runs, with the persistent cache kept or lost.

Each scenario runs the check once a minute for a simulated stretch against its own emulator (same seed,
same clock), restarting the check (a new instance) at a chosen minute. Compared with an uninterrupted run:
- cache kept: every count and every event adds up to exactly the same totals (nothing twice, nothing lost),
  and no usage job is submitted again;
- cache lost (the Cluster Agent moved the check to another node): no count or event total is higher than
  the uninterrupted run's (never twice: at worst a window is lost), and every gauge is back within two runs
  (a usage job submitted anew answers on the next run's poll).
"""

from collections import Counter

import pytest
from datadog_checks.genesys_cloud import GenesysCloudCheck
from datadog_checks.genesys_cloud.clock import FakeClock

from genesys_cloud_dd.emulator import Emulator, OrgOptions

from .conftest import SECRET_CANARY, START

MINUTES = 75
COUNT_TYPES = (2, 3)  # count, monotonic_count in the aggregator stub
OPTIONS = OrgOptions(seed=21, users=60, queues=5, oauth_clients=5)
EXTRA = {'fair_use_allowance': 1000000}


def scenario(aggregator, datadog_agent, restart_at=None, lose_cache=False):
    aggregator.reset()
    datadog_agent.reset()
    clock = FakeClock(START)
    with Emulator(OPTIONS, clock=clock, client_secret=SECRET_CANARY) as emulator:
        instance = {'client_id': emulator.client_id, 'client_secret': SECRET_CANARY, 'api_url': emulator.url,
                    'login_url': emulator.url, 'min_collection_interval': 60,
                    'notifications': False}  # persisted cursors are the subject; tests/test_notifications.py

        def new_check(check_id):
            check = GenesysCloudCheck('genesys_cloud', {}, [instance], clock=clock)
            check.check_id = f'{check_id}:0123abcd'  # an instance named a or b: each has its own cache
            return check

        check = new_check('genesys_cloud:a')
        gauges_after_restart = None
        gauges_before = None
        last_run = {}
        for minute in range(MINUTES):
            if minute == restart_at:
                # The gauges of the last run before the restart (a gauge of an older run may have gone with its
                # data: a rate-limit record that left the trailing window).
                gauges_before = {m for m in _names_since(aggregator, last_run) if _is_gauge(aggregator, m)}
                check = new_check('genesys_cloud:b' if lose_cache else 'genesys_cloud:a')
                mark = _snapshot(aggregator)
            last_run = _snapshot(aggregator)
            assert check.run() == ''
            if restart_at is not None and minute == restart_at + (1 if lose_cache else 0):
                # With the cache lost the usage job is submitted anew and answers on the next run's poll.
                gauges_after_restart = {m for m in _names_since(aggregator, mark) if _is_gauge(aggregator, m)}
            clock.advance(60)
        # Let every collector catch up to the same point, so both scenarios end on the same closed windows.
        clock.advance(900)
        check.run_check_initializations()
        check.check(None, only={c.name for c in check.collectors})
        counts = Counter()
        for name in aggregator.metric_names:
            if name.startswith('genesys_cloud.check.'):
                continue  # the check's own request counts legitimately differ after a restart
            for stub in aggregator.metrics(name):
                if stub.type in COUNT_TYPES:
                    counts[(name, tuple(sorted(stub.tags)))] += stub.value
        events = Counter((e['msg_title'], e.get('aggregation_key'), e['timestamp']) for e in aggregator.events)
        job_posts = {k: v for k, v in emulator.requests.items() if k.startswith('POST') and ('jobs' in k or
                                                                                           'usage/query' in k)}
        return counts, events, gauges_before, gauges_after_restart, job_posts


def _is_gauge(aggregator, name):
    return not name.startswith('genesys_cloud.check.') and any(s.type == 0 for s in aggregator.metrics(name))


def _snapshot(aggregator):
    return {name: len(aggregator.metrics(name)) for name in aggregator.metric_names}


def _names_since(aggregator, mark):
    return {name for name in aggregator.metric_names if len(aggregator.metrics(name)) > mark.get(name, 0)}


@pytest.mark.parametrize('restart_at', [1, 2, 7, 31])
def test_restart_with_cache_kept_counts_everything_exactly_once(restart_at, aggregator, datadog_agent):
    counts, events, _, gauges_after, job_posts = scenario(aggregator, datadog_agent)
    r_counts, r_events, gauges_before, r_gauges_after, r_job_posts = scenario(aggregator, datadog_agent,
                                                                               restart_at=restart_at)
    assert counts and events and job_posts  # the run without a restart did count, emit and submit something
    assert r_counts == counts
    assert r_events == events
    assert r_job_posts == job_posts  # the pending job was picked up, not submitted again
    assert gauges_before <= r_gauges_after


@pytest.mark.parametrize('restart_at', [2, 31])
def test_cache_lost_never_counts_twice_and_gauges_return(restart_at, aggregator, datadog_agent):
    counts, events, _, _, _ = scenario(aggregator, datadog_agent)
    l_counts, l_events, gauges_before, gauges_after, _ = scenario(aggregator, datadog_agent, restart_at=restart_at,
                                                                  lose_cache=True)
    over = {k: (v, counts.get(k, 0)) for k, v in l_counts.items() if v > counts.get(k, 0)}
    assert over == {}, f'counted twice after losing the cache: {list(over.items())[:5]}'
    assert all(n <= events[key] for key, n in l_events.items())
    assert gauges_before <= gauges_after

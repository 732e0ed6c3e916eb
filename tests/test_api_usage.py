"""API usage per OAuth client (collector api_usage) against the emulator's own usage history."""

from datetime import timedelta

import pytest
from datadog_checks.dev.utils import get_metadata_metrics

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.usage import aggregate
from tests.conftest import base_tags, only

NEW_SUBMIT = 'POST /api/v2/usage/aggregates/query/jobs'
NEW_POLL = 'GET /api/v2/usage/aggregates/query/jobs/{jobId}'
LEGACY_SUBMIT = 'POST /api/v2/usage/query'
LEGACY_POLL = 'GET /api/v2/usage/query/{executionId}/results'
STATUS_CLASSES = (('2xx', 'status200'), ('3xx', 'status300'), ('4xx', 'status400'), ('5xx', 'status500'))


@pytest.fixture
def org_options():
    return OrgOptions(seed=7, users=20, queues=2, oauth_clients=8)


def client_tags(org, client_id):
    return [f'oauth_client_id:{client_id}', f'oauth_client_name:{org.oauth_client(client_id).name}']


def expected_day(org, day, cap=25, by_endpoint=True):
    """{(client_id, uri, method): counts} the collector must report for `day`, the cap applied."""
    if not by_endpoint:
        return {(k[1], None, None): v for k, v in aggregate(org, day, day, 'Day', ('client_id',)).items()}
    totals = aggregate(org, day, day, 'Day', ('client_id', 'template_uri', 'http_method'))
    per_client = {}
    for (_, client, uri, method), counts in totals.items():
        per_client.setdefault(client, []).append(((uri, method), counts))
    expected = {}
    for client, endpoints in per_client.items():
        endpoints.sort(key=lambda item: (-item[1]['requests'], item[0]))
        for (uri, method), counts in endpoints[:cap]:
            expected[(client, uri, method.lower())] = dict(counts)
        for (_, method), counts in endpoints[cap:]:
            other = expected.setdefault((client, 'other', method.lower()), dict.fromkeys(counts, 0))
            for field, n in counts.items():
                other[field] += n
    return expected


def assert_day(aggregator, emulator, expected):
    tags0 = base_tags(emulator)
    for (client, uri, method), counts in expected.items():
        tags = tags0 + client_tags(emulator.org, client)
        if uri is not None:
            tags += [f'template_uri:{uri}', f'http_method:{method}']
        aggregator.assert_metric('genesys_cloud.api.requests', value=counts['requests'], tags=tags, count=1)
        for status_class, field in STATUS_CLASSES:
            if counts[field]:
                aggregator.assert_metric('genesys_cloud.api.responses', value=counts[field], count=1,
                                         tags=tags + [f'status_class:{status_class}'])
        if counts['status429']:
            aggregator.assert_metric('genesys_cloud.api.rate_limited', value=counts['status429'], tags=tags, count=1)
    assert len(aggregator.metrics('genesys_cloud.api.requests')) == len(expected)


def assert_month_to_date(aggregator, emulator, day):
    totals = aggregate(emulator.org, day.replace(day=1), day, 'Month', ('client_id',))
    assert totals
    for (_, client), counts in totals.items():
        aggregator.assert_metric('genesys_cloud.api.requests.month_to_date', value=counts['requests'], count=1,
                                 tags=base_tags(emulator) + client_tags(emulator.org, client))
    assert len(aggregator.metrics('genesys_cloud.api.requests.month_to_date')) == len(totals)


def yesterday(clock):
    return clock.now().date() - timedelta(days=1)


def test_job_polled_across_runs_then_metrics_for_yesterday(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check(**only('api_usage', api_usage={'fair_use_allowance': 2000000}))
    emulator.faults.add(NEW_POLL, stuck_job=True, times=6)  # 2 jobs (day, month) stay Running for 3 runs
    for _ in range(3):
        dd_run_check(check)
        assert not aggregator.metrics('genesys_cloud.api.requests')
        clock.advance(60)  # a running job is polled every run, not at the hourly cadence
    assert emulator.requests[NEW_SUBMIT] == 2  # submitted once, not once per run
    assert emulator.requests[NEW_POLL] == 6
    aggregator.reset()
    dd_run_check(check)
    day = yesterday(clock)
    assert_day(aggregator, emulator, expected_day(emulator.org, day))
    assert_month_to_date(aggregator, emulator, day)
    aggregator.assert_metric('genesys_cloud.api.fair_use.allowance', value=2000000, tags=base_tags(emulator))
    aggregator.assert_metric('genesys_cloud.check.collector.up', value=1, tags=base_tags(emulator) +
                             ['collector:api_usage'])
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())
    assert emulator.requests[NEW_SUBMIT] == 2 and emulator.requests[LEGACY_SUBMIT] == 0


def test_cap_sums_the_tail_under_other(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check(**only('api_usage', api_usage={'max_endpoints_per_client': 3}))
    dd_run_check(check)
    clock.advance(60)
    dd_run_check(check)
    expected = expected_day(emulator.org, yesterday(clock), cap=3)
    assert any(uri == 'other' for _, uri, _ in expected)
    assert_day(aggregator, emulator, expected)
    # Summing by client still gives each client's total: nothing dropped, nothing counted twice.
    totals = aggregate(emulator.org, yesterday(clock), yesterday(clock), 'Day', ('client_id',))
    for (_, client), counts in totals.items():
        reported = sum(m.value for m in aggregator.metrics('genesys_cloud.api.requests')
                       if f'oauth_client_id:{client}' in m.tags)
        assert reported == counts['requests']


def test_per_client_only(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check(**only('api_usage', api_usage={'usage_by_endpoint': False}))
    dd_run_check(check)
    clock.advance(60)
    dd_run_check(check)
    assert_day(aggregator, emulator, expected_day(emulator.org, yesterday(clock), by_endpoint=False))
    assert not [m for m in aggregator.metrics('genesys_cloud.api.requests') if any('template_uri' in t for t in m.tags)]


@pytest.mark.parametrize('cause', ['absent', 'forbidden'])
def test_legacy_fallback(make_check, dd_run_check, aggregator, emulator, clock, cause):
    if cause == 'absent':
        emulator.faults.add(NEW_SUBMIT, status=404)
    else:
        emulator.permissions.deny('usage:organization:view')  # legacy still allowed through oauth:client:view
    check = make_check(**only('api_usage'))
    dd_run_check(check)
    clock.advance(60)
    dd_run_check(check)
    day = yesterday(clock)
    assert_day(aggregator, emulator, expected_day(emulator.org, day))
    assert_month_to_date(aggregator, emulator, day)
    assert emulator.requests[NEW_SUBMIT] == 1  # tried once, then the legacy query is remembered for a day
    assert emulator.requests[LEGACY_SUBMIT] == 2
    aggregator.assert_metric('genesys_cloud.check.collector.up', value=1, tags=base_tags(emulator) +
                             ['collector:api_usage'])


def test_renamed_client_gets_its_new_name(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check(**only('api_usage'))
    dd_run_check(check)
    clock.advance(60)
    dd_run_check(check)
    renamed = emulator.org.oauth_clients[1]
    old_name = renamed.name
    assert any(f'oauth_client_name:{old_name}' in m.tags for m in aggregator.metrics('genesys_cloud.api.requests'))
    emulator.org.rename_oauth_client(renamed.id, 'CRM sync (v2)')
    clock.advance(hours=23)
    dd_run_check(check)  # the new day's jobs are submitted; the previous day's values are drawn meanwhile
    clock.advance(60)
    aggregator.reset()
    dd_run_check(check)
    tagged = [m.tags for m in aggregator.metrics('genesys_cloud.api.requests')
              if f'oauth_client_id:{renamed.id}' in m.tags]
    assert tagged and all('oauth_client_name:CRM sync (v2)' in tags for tags in tagged)
    assert not any(f'oauth_client_name:{old_name}' in tags for tags in tagged)
    assert_day(aggregator, emulator, expected_day(emulator.org, yesterday(clock)))


def test_restart_polls_the_same_job(make_check, dd_run_check, aggregator, emulator, clock):
    emulator.faults.add(NEW_POLL, stuck_job=True, times=2)
    dd_run_check(make_check(**only('api_usage')))
    clock.advance(60)
    restarted = make_check(**only('api_usage'))  # same check id: the Agent's persistent cache is kept
    dd_run_check(restarted)
    assert emulator.requests[NEW_SUBMIT] == 2  # the jobs submitted before the restart are the ones polled
    assert_day(aggregator, emulator, expected_day(emulator.org, yesterday(clock)))


def test_gauges_stay_between_collections(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check(**only('api_usage'))
    dd_run_check(check)
    clock.advance(60)
    dd_run_check(check)
    spent = sum(n for k, n in emulator.requests.items() if 'usage' in k)
    aggregator.reset()
    clock.advance(600)
    dd_run_check(check)  # not due: nothing asked, yesterday's values still drawn
    assert sum(n for k, n in emulator.requests.items() if 'usage' in k) == spent
    assert_day(aggregator, emulator, expected_day(emulator.org, yesterday(clock)))


def test_unchanged_gauges_are_persisted_once(make_check, dd_run_check, aggregator, emulator, clock):
    """A day's usage does not change within the day: its (at 500 clients, large) gauge list is written to the
    persistent cache when it changes, not at every hourly collection or poll."""
    check = make_check(**only('api_usage'))
    writes = []
    write = check.write_persistent_cache
    check.write_persistent_cache = lambda key, value: (value and writes.append(key), write(key, value))
    dd_run_check(check)
    clock.advance(60)
    dd_run_check(check)  # the jobs are done: yesterday's gauges
    assert writes.count('api_usage._gauges') == 1
    for _ in range(3):  # later the same day: new jobs, polled, answering the same numbers
        clock.advance(3600)
        dd_run_check(check)
        clock.advance(60)
        dd_run_check(check)
    assert writes.count('api_usage._gauges') == 1
    assert writes.count('api_usage._schedule') == 8  # the next due time is kept after every collection
    aggregator.reset()
    dd_run_check(make_check(**only('api_usage')))  # a restart: not due, the persisted gauges drawn
    assert_day(aggregator, emulator, expected_day(emulator.org, yesterday(clock)))


def test_restart_while_the_next_day_runs_keeps_the_last_day_drawn(make_check, dd_run_check, aggregator, emulator,
                                                                   clock):
    check = make_check(**only('api_usage'))
    dd_run_check(check)
    clock.advance(60)
    dd_run_check(check)
    previous_day = yesterday(clock)
    clock.advance(hours=23)
    emulator.faults.add(NEW_POLL, stuck_job=True, times=4)  # the new day's jobs run for two more runs
    dd_run_check(check)
    restarted = make_check(**only('api_usage'))
    clock.advance(60)
    aggregator.reset()
    dd_run_check(restarted)  # still running: the previous day's values are drawn, restored from the cache
    assert_day(aggregator, emulator, expected_day(emulator.org, previous_day))
    assert_month_to_date(aggregator, emulator, previous_day)
    clock.advance(60)
    aggregator.reset()
    dd_run_check(restarted)
    assert yesterday(clock) != previous_day
    assert_day(aggregator, emulator, expected_day(emulator.org, yesterday(clock)))
    assert emulator.requests[NEW_SUBMIT] == 4  # two days, two jobs each: nothing submitted again on restart


def test_jobs_out_of_step_after_a_deferral_finish_together_then_rest(make_check, dd_run_check, emulator, clock):
    """A budget cut right after the day's job was submitted puts the two jobs out of step; the part that finishes
    first is kept until the other finishes, so the collection completes instead of resubmitting each job in turn
    every minute (found by `make bench`: 60 submits and 200 polls an hour)."""
    check = make_check(**only('api_usage'), max_requests_per_minute=4)
    submits = []
    for _ in range(12):
        emulator.reset_counters()
        dd_run_check(check)
        submits.append(emulator.requests['POST /api/v2/usage/aggregates/query/jobs'])
        clock.advance(60)
    assert sum(submits) == 2, submits  # one job per part, never a second
    emulator.reset_counters()
    for _ in range(30):  # the rest of the hour: nothing is polled or submitted
        dd_run_check(check)
        clock.advance(60)
    assert sum(n for endpoint, n in emulator.requests.items() if 'usage/aggregates' in endpoint) == 0


@pytest.mark.parametrize('restart', [False, True], ids=['same-agent', 'agent-restarted'])
def test_month_to_date_starts_again_at_midnight_between_collections(make_check, dd_run_check, aggregator, emulator,
                                                                    clock, restart):
    """The hourly cadence must not carry last month's total past 00:00 UTC on the 1st: between the last collection
    of the month and the next one the drawn (or restored) month-to-date gauges would still hold last month's."""
    clock.set(clock.now().replace(day=30, hour=23, minute=10))
    check = make_check(**only('api_usage'))
    dd_run_check(check)
    clock.advance(60)
    dd_run_check(check)
    assert_month_to_date(aggregator, emulator, yesterday(clock))  # November 1-29
    clock.set(clock.now().replace(month=12, day=1, hour=0, minute=0, second=30))
    emulator.faults.add(NEW_POLL, stuck_job=True, times=10)  # the new day's job is still running
    if restart:
        check = make_check(**only('api_usage'))
    aggregator.reset()
    dd_run_check(check)
    mtd = aggregator.metrics('genesys_cloud.api.requests.month_to_date')
    assert mtd and {m.value for m in mtd} == {0}

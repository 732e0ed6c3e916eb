"""Rate-limit spikes, org limits and operational events against the emulator's own ground truth; failure
isolation between the API-consumption collectors; their request budget at 500 OAuth clients."""

from collections import Counter
from datetime import timedelta

import pytest
from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.genesys_cloud.collectors.org_limits import STATUSES, OrgLimitsCollector, status_tag_value

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.limits import org_limits
from genesys_cloud_dd.emulator.data.operational_events import operational_events
from genesys_cloud_dd.emulator.data.ratelimits import ratelimit_history
from tests.conftest import base_tags, only

MINE = ('api_usage', 'rate_limits', 'org_limits', 'operational_events')
RATE_QUERY = 'POST /api/v2/analytics/ratelimits/aggregates/query'


@pytest.fixture
def org_options():
    return OrgOptions(seed=11, users=20, queues=2, oauth_clients=8)


def run_every(check, dd_run_check, clock, seconds, times):
    for _ in range(times):
        clock.advance(seconds)
        dd_run_check(check)


# -- rate limits -------------------------------------------------------------------------------------

def rate_tags(org, record):
    tags = [f'namespace:{record.namespace}', f'limit_name:{record.limit_name}']
    client = org.oauth_client(record.entity_id)
    if client is not None:
        return tags + [f'oauth_client_id:{client.id}', f'oauth_client_name:{client.name}']
    return tags + [f'entity_id:{record.entity_id}']


def expected_recorded(org, since, until):
    """Counts per tag set of the records that became visible after `since`, up to `until` (inclusive)."""
    totals = Counter()
    for record in ratelimit_history(org).records(since + timedelta(microseconds=1), until + timedelta(microseconds=1)):
        totals[tuple(sorted(rate_tags(org, record)))] += record.count
    return totals


def reported_recorded(aggregator, emulator):
    totals = Counter()
    base = set(base_tags(emulator))
    for metric in aggregator.metrics('genesys_cloud.rate_limit.recorded'):
        assert base <= set(metric.tags)
        totals[tuple(sorted(set(metric.tags) - base))] += metric.value
    return totals


def test_rate_limit_spikes_counted_once_with_a_late_bucket(make_check, dd_run_check, aggregator, emulator, clock):
    org = emulator.org
    check = make_check(**only('rate_limits'))
    start = clock.now()
    dd_run_check(check)  # first run with no state: the window is recorded as seen, nothing counted
    assert not aggregator.metrics('genesys_cloud.rate_limit.recorded')
    run_every(check, dd_run_check, clock, 240, 45)  # three hours
    expected = expected_recorded(org, start, clock.now())
    assert sum(expected.values()) > 0
    assert reported_recorded(aggregator, emulator) == expected
    assert any('entity_id:' in ''.join(k) for k in expected) and any('oauth_client_name:' in ''.join(k)
                                                                     for k in expected)

    # A bucket Genesys publishes 20 minutes late (inside the 60-minute window) is counted once.
    client = org.oauth_clients[3]
    late = ratelimit_history(org).late(clock.now() - timedelta(minutes=20), 'platform.api', 'token.rate.per.minute',
                                       client.id, 7)
    aggregator.reset()
    run_every(check, dd_run_check, clock, 60, 3)
    new = expected_recorded(org, clock.now() - timedelta(minutes=3), clock.now())
    new[tuple(sorted(rate_tags(org, late)))] += 7
    assert reported_recorded(aggregator, emulator) == +new
    aggregator.assert_metric('genesys_cloud.rate_limit.max', value=300,
                             tags=base_tags(emulator) + rate_tags(org, late))
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())


def test_rate_limits_restart_and_lost_cache_never_double_count(make_check, dd_run_check, aggregator, emulator,
                                                               clock):
    org = emulator.org
    start = clock.now()
    check = make_check(**only('rate_limits'))
    dd_run_check(check)
    run_every(check, dd_run_check, clock, 300, 12)
    restarted = make_check(**only('rate_limits'))  # same check id: persistent cache kept
    run_every(restarted, dd_run_check, clock, 300, 24)
    assert reported_recorded(aggregator, emulator) == expected_recorded(org, start, clock.now())

    aggregator.reset()
    lost = make_check(check_id='genesys_cloud:other', **only('rate_limits'))  # no memory: count nothing once
    ratelimit_history(org).late(clock.now() - timedelta(minutes=10), 'platform.api', 'token.rate.per.minute',
                                org.oauth_clients[2].id, 5)
    dd_run_check(lost)
    assert not aggregator.metrics('genesys_cloud.rate_limit.recorded')
    assert emulator.requests[RATE_QUERY] == 1 + 12 + 24 + 1  # one request per collection


# -- org limits ----------------------------------------------------------------------------------------

def test_org_limits_values_defaults_and_change_requests(make_check, dd_run_check, aggregator, emulator, clock):
    limits = org_limits(emulator.org)
    check = make_check(**only('org_limits'))
    dd_run_check(check)
    tags0 = base_tags(emulator)
    present = [ns for ns in OrgLimitsCollector.default('namespaces') if ns in limits.values]
    assert 'datatables' not in present  # configured but not in this org: skipped
    for ns in present:
        for key, value in limits.values[ns].items():
            aggregator.assert_metric('genesys_cloud.limits.value', value=value, count=1,
                                     tags=tags0 + [f'namespace:{ns}', f'limit_key:{key}'])
        for key, value in limits.defaults[ns].items():
            aggregator.assert_metric('genesys_cloud.limits.default', value=value, count=1,
                                     tags=tags0 + [f'namespace:{ns}', f'limit_key:{key}'])
    assert len(aggregator.metrics('genesys_cloud.limits.value')) == sum(len(limits.values[ns]) for ns in present)
    assert emulator.requests['GET /api/v2/organizations/limits/namespaces/{namespaceName}'] == len(present)
    by_status = Counter(r.status for r in limits.change_requests)
    for status in STATUSES:
        aggregator.assert_metric('genesys_cloud.limits.change_requests', value=by_status[status], count=1,
                                 tags=tags0 + [f'status:{status_tag_value(status)}'])
    assert not aggregator.events  # the first collection only learns the statuses

    pending = next(r for r in limits.change_requests if r.status == 'Pending')
    limits.set_status(pending.id, 'ChangeImplemented', 'Approved by support')
    aggregator.reset()
    clock.advance(hours=4)
    dd_run_check(check)
    assert len(aggregator.events) == 1
    event = aggregator.events[0]
    assert event['msg_title'] == f'Genesys Cloud limit change request {pending.key}: Pending -> ChangeImplemented'
    assert f'Requested value: {int(pending.requested_value)}' in event['msg_text']
    assert f'current value: {int(pending.current_value)}' in event['msg_text']
    assert event['alert_type'] == 'success'
    assert sorted(event['tags']) == sorted(tags0 + [f'namespace:{pending.namespace}', f'limit_key:{pending.key}',
                                                    'status:change_implemented'])
    aggregator.assert_metric('genesys_cloud.limits.value', value=limits.values[pending.namespace][pending.key],
                             tags=tags0 + [f'namespace:{pending.namespace}', f'limit_key:{pending.key}'])

    aggregator.reset()
    clock.advance(hours=4)
    dd_run_check(make_check(**only('org_limits')))  # restarted: the statuses it knew are persisted
    assert not aggregator.events
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())


# -- operational events ----------------------------------------------------------------------------------

def test_operational_events_sent_once_across_runs_and_restarts(make_check, dd_run_check, aggregator, emulator,
                                                               clock):
    store = operational_events(emulator.org)
    names = {d.id: d.name for d in store.definitions}
    check = make_check(**only('operational_events'))
    start = clock.now()
    dd_run_check(check)  # no cursor yet: starts from now
    run_every(check, dd_run_check, clock, 300, 18)
    late = store.publish(store.definitions[1].id, when=clock.now() - timedelta(minutes=7), entity_index=2,
                         conversation_id='c0ffee00-0000-4000-8000-000000000001')
    restarted = make_check(**only('operational_events'))
    run_every(restarted, dd_run_check, clock, 300, 18)

    expected = store.events(start, clock.now() + timedelta(seconds=1))
    assert late in expected and len(expected) > 3
    sent = aggregator.events
    assert len(sent) == len(expected)
    assert sorted((e['msg_title'], e['timestamp']) for e in sent) == sorted(
        (f'{names[e.definition_id]}: {e.entity_name}', int(e.date_created.timestamp())) for e in expected)
    late_event = next(e for e in sent if e['timestamp'] == int(late.date_created.timestamp()))
    assert f'entity_id:{late.entity_id}' in late_event['tags']
    assert f'error_code:{late.error_code}' in late_event['tags']
    assert 'Conversation: c0ffee00-0000-4000-8000-000000000001' in late_event['msg_text']
    counts = Counter()
    for metric in aggregator.metrics('genesys_cloud.operational_events.count'):
        counts[next(t for t in metric.tags if t.startswith('definition:'))] += metric.value
    assert counts == Counter(f'definition:{names[e.definition_id]}' for e in expected)
    assert emulator.requests['GET /api/v2/usage/events/definitions'] <= 2  # cached (once per check instance)


def test_operational_events_cap_per_run(make_check, dd_run_check, aggregator, emulator, clock):
    store = operational_events(emulator.org)
    check = make_check(**only('operational_events', operational_events={'max_events_per_run': 2}))
    start = clock.now()
    dd_run_check(check)
    for index in range(5):
        store.publish(store.definitions[0].id, when=start + timedelta(seconds=index + 1), entity_index=index)
    clock.advance(300)
    aggregator.reset()
    dd_run_check(check)
    expected = store.events(start + timedelta(microseconds=1), clock.now() + timedelta(seconds=1))
    titles = [e['msg_title'] for e in aggregator.events]
    assert len(titles) == 3 and titles[-1] == f'Genesys Cloud: {len(expected) - 2} more operational events'
    per_definition = Counter(e.definition_id for e in expected)
    for definition in store.definitions:
        if per_definition[definition.id]:
            aggregator.assert_metric('genesys_cloud.operational_events.count', value=per_definition[definition.id],
                                     count=1, tags=base_tags(emulator) + [f'definition:{definition.name}'])


# -- together ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('permission, failing', [
    ('analytics:rateLimitAggregate:view', 'rate_limits'),
    ('limits:organization:view', 'org_limits'),
    ('usage:events:view', 'operational_events'),
    ('oauth:client:view', None),  # names fall back to the usage data; nothing fails
])
def test_a_403_disables_only_its_collector(make_check, dd_run_check, aggregator, emulator, clock, permission,
                                           failing):
    emulator.permissions.deny(permission)
    check = make_check(**only(*MINE))
    dd_run_check(check)
    clock.advance(60)
    dd_run_check(check)
    tags0 = base_tags(emulator)
    for name in MINE:
        aggregator.assert_metric('genesys_cloud.check.collector.up', value=0 if name == failing else 1,
                                 tags=tags0 + [f'collector:{name}'], at_least=1)
    aggregator.assert_metric('genesys_cloud.api.requests', at_least=1)
    if failing == 'org_limits':  # a failed collection sends nothing, not stale values
        aggregator.assert_metric('genesys_cloud.limits.value', count=0)
    else:
        aggregator.assert_metric('genesys_cloud.limits.value', at_least=1)
    if failing:
        status = aggregator.service_checks('genesys_cloud.can_connect')[-1]
        assert status.status == AgentCheck.WARNING and permission in status.message
    else:
        names = {t for m in aggregator.metrics('genesys_cloud.api.requests') for t in m.tags
                 if t.startswith('oauth_client_name:')}
        assert f'oauth_client_name:{emulator.org.oauth_clients[1].name}' in names  # from the usage rows


def test_every_metric_of_the_area(make_check, dd_run_check, aggregator, emulator, clock):
    org = emulator.org
    check = make_check(**only(*MINE, api_usage={'fair_use_allowance': 5000000}))
    dd_run_check(check)
    ratelimit_history(org).late(clock.now() - timedelta(minutes=5), 'platform.api', 'token.rate.per.minute',
                                org.oauth_clients[1].id, 4)
    store = operational_events(org)
    store.publish(store.definitions[0].id, when=clock.now() + timedelta(seconds=30))
    clock.advance(300)
    dd_run_check(check)
    for name in ('api.requests', 'api.responses', 'api.rate_limited', 'api.requests.month_to_date',
                 'api.fair_use.allowance', 'rate_limit.recorded', 'rate_limit.max', 'limits.value', 'limits.default',
                 'limits.change_requests', 'operational_events.count', 'api.can_connect', 'check.collector.up',
                 'check.collector.duration', 'check.api_requests'):
        aggregator.assert_metric(f'genesys_cloud.{name}', at_least=1)
    aggregator.assert_metric('genesys_cloud.check.api_errors', count=0)  # a clean run: no errors to count
    aggregator.assert_metric('genesys_cloud.check.rate_limited', count=0)
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())
    aggregator.assert_all_metrics_covered()


@pytest.mark.parametrize('org_options', [OrgOptions(seed=3, users=10, queues=1, oauth_clients=500)])
def test_request_budget_at_500_clients(make_check, dd_run_check, emulator, clock, org_options):
    check = make_check(**only(*MINE))
    # Only requests matter here: skip the aggregator stub, which would hold ~10,000 usage series per run.
    check.gauge = check.count = check.event = check.service_check = lambda *args, **kwargs: None
    minutes = 240
    run_every(check, dd_run_check, clock, 60, minutes)
    mine = {k: n for k, n in emulator.requests.items()
            if any(p in k for p in ('/usage', '/ratelimits', '/organizations/limits', '/oauth/clients'))}
    per_minute = sum(mine.values()) / minutes
    assert per_minute < 3, (per_minute, mine)
    assert mine[RATE_QUERY] == minutes

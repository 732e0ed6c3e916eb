"""Queues, longest wait, agents and Data Actions against the emulator's contact-center ground truth."""

from collections import Counter

import pytest
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.genesys_cloud.collectors.longest_wait import waited_seconds
from datadog_checks.genesys_cloud.tagging import tag

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.contact_center import ROUTING_STATUSES, SYSTEM_PRESENCES, contact_center
from tests.conftest import base_tags, only

MINE = ('queues', 'longest_wait', 'agents', 'data_actions')
OBSERVATIONS = 'POST /api/v2/analytics/queues/observations/query'
ROUTING_ACTIVITY = 'POST /api/v2/analytics/routing/activity/query'
CONVERSATION_ACTIVITY = 'POST /api/v2/analytics/conversations/activity/query'
ACTIONS = 'POST /api/v2/analytics/actions/aggregates/query'
QUEUE_LIST = 'GET /api/v2/routing/queues'


@pytest.fixture
def org_options():
    return OrgOptions(seed=11, users=60, queues=6, divisions=3)


def queue_tags(emulator, queue):
    division = emulator.org.division(queue.division_id)
    return base_tags(emulator) + [tag('queue_id', queue.id), tag('queue_name', queue.name),
                                  tag('division', division.name)]


def metric_tags(aggregator, name):
    return {tuple(sorted(m.tags)) for m in aggregator.metrics(name)}


# -- queues -------------------------------------------------------------------------------------------

def test_queue_metrics_match_the_org(make_check, dd_run_check, aggregator, emulator, clock):
    dd_run_check(make_check(**only('queues')))
    cc, t = contact_center(emulator.org), clock.time()
    for queue in emulator.org.queues:
        tags = queue_tags(emulator, queue)
        for media_type, counts in cc.queue_counts(queue.id, t).items():
            for state in ('waiting', 'interacting', 'alerting'):
                aggregator.assert_metric(f'genesys_cloud.queue.{state}', value=counts[state], count=1,
                                         tags=tags + [f'media_type:{media_type}'])
        agents = cc.queue_agents(queue, t)
        for name, key in (('on_queue', 'on_queue_total'), ('active_off_queue', 'off_queue'), ('active', 'active'),
                          ('members', 'members')):
            aggregator.assert_metric(f'genesys_cloud.queue.agents.{name}', value=agents[key], count=1, tags=tags)
        # One meaning per name: logged in and not On Queue is active minus on_queue; the routing status
        # OFF_QUEUE is every member not On Queue, logged out ones included.
        assert agents['off_queue'] == agents['active'] - agents['on_queue_total']
        assert agents['routing_status']['OFF_QUEUE'] == agents['members'] - agents['on_queue_total']
        for status in ROUTING_STATUSES:
            aggregator.assert_metric('genesys_cloud.queue.agents.routing_status', count=1,
                                     value=agents['routing_status'][status],
                                     tags=tags + [f'routing_status:{status.lower()}'])
    # The org is busy enough for the assertions above to mean something.
    assert sum(m.value for m in aggregator.metrics('genesys_cloud.queue.waiting')) > 0
    assert emulator.requests[OBSERVATIONS] == 1 and emulator.requests[QUEUE_LIST] == 1
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())


def test_queue_selection_by_name_regex_and_division(make_check, dd_run_check, aggregator, emulator):
    org = emulator.org
    division = org.division(org.queues[0].division_id)
    expected = {q.id for q in org.queues if q.division_id == division.id and 'S' in q.name}
    assert expected
    check = make_check(**only('queues', 'longest_wait', queues={'queues': {'name': 'S', 'divisions': [division.name]}}))
    dd_run_check(check)
    for name in ('genesys_cloud.queue.agents.members', 'genesys_cloud.queue.longest_waiting'):
        seen = {dict(t.split(':', 1) for t in m.tags)['queue_id'] for m in aggregator.metrics(name)}
        assert seen == expected
    # One list shared by both collectors.
    assert emulator.requests[QUEUE_LIST] == 1


def test_bad_queue_regex_is_a_configuration_error(make_check):
    check = make_check(**only('queues', queues={'queues': {'name': '(unclosed'}}))
    error = check.run()
    assert 'ConfigurationError' in error and 'invalid regular expression' in error


def test_renamed_and_deleted_queues_leave_no_stale_series(make_check, dd_run_check, aggregator, emulator, clock):
    org = emulator.org
    renamed, deleted = org.queues[0], org.queues[1]
    old_name = renamed.name
    check = make_check(**only('queues', 'longest_wait'))
    dd_run_check(check)
    org.rename_queue(renamed.id, 'Renamed Queue')
    org.delete_queue(deleted.id)

    def names_and_ids(metric):
        found = [dict(t.split(':', 1) for t in m.tags) for m in aggregator.metrics(metric)]
        return {f['queue_name'] for f in found}, {f['queue_id'] for f in found}

    aggregator.reset()
    clock.advance(60)
    dd_run_check(check)
    # A deleted queue stops at once (the observation query no longer returns it)...
    names, ids = names_and_ids('genesys_cloud.queue.agents.members')
    assert deleted.id not in ids and old_name in names
    # ...and once the list is refreshed (10 minutes) every series follows it.
    for _ in range(10):
        aggregator.reset()
        clock.advance(60)
        dd_run_check(check)
    for metric in ('genesys_cloud.queue.agents.members', 'genesys_cloud.queue.waiting',
                   'genesys_cloud.queue.longest_waiting'):
        names, ids = names_and_ids(metric)
        assert 'Renamed Queue' in names and old_name not in names and deleted.id not in ids
    assert emulator.requests[QUEUE_LIST] == 2


def test_batches_and_a_rejected_batch_size(make_check, dd_run_check, aggregator, emulator):
    dd_run_check(make_check(**only('queues', queues={'batch_size': 4})))
    assert emulator.requests[OBSERVATIONS] == 2  # 6 queues, 4 per query
    aggregator.reset()
    emulator.reset_counters()
    # The emulator enforces 100 predicates (UNVERIFIED on the platform): the failure is isolated and reported.
    check = make_check(check_id='genesys_cloud:other', **only('queues', queues={'batch_size': 500}))
    from genesys_cloud_dd.emulator.routes import analytics_queues

    limit = analytics_queues.MAX_PREDICATES
    analytics_queues.MAX_PREDICATES = 5
    try:
        dd_run_check(check)
    finally:
        analytics_queues.MAX_PREDICATES = limit
    aggregator.assert_metric('genesys_cloud.check.collector.up', value=0, tags=base_tags(emulator) +
                             ['collector:queues'])
    assert not aggregator.metrics('genesys_cloud.queue.agents.members')


# -- longest wait -------------------------------------------------------------------------------------

@pytest.mark.parametrize('reported_as', ['timestamp', 'duration'])
def test_longest_wait_in_seconds(make_check, dd_run_check, aggregator, emulator, clock, reported_as):
    cc = contact_center(emulator.org)
    cc.longest_waiting_as = reported_as
    for _ in range(200):  # an instant (off the minute) when one queue has nobody waiting and another has
        clock.advance(13.5)
        waits = [cc.longest_waiting_seconds(q.id, clock.time()) for q in emulator.org.queues]
        if 0 in waits and max(waits) > 60:
            break
    dd_run_check(make_check(**only('longest_wait')))
    t = clock.time()
    values = []
    for queue in emulator.org.queues:
        expected = cc.longest_waiting_seconds(queue.id, t)
        values.append(expected)
        [metric] = [m for m in aggregator.metrics('genesys_cloud.queue.longest_waiting')
                    if sorted(m.tags) == sorted(queue_tags(emulator, queue))]
        # calculatedMetricValue is whole milliseconds.
        assert metric.value == pytest.approx(expected, abs=0.002)
    assert any(v == 0 for v in values) and any(v > 60 for v in values)
    assert emulator.requests[CONVERSATION_ACTIVITY] == 1


def test_calculated_metric_value_is_read_either_way():
    now = 1_763_474_400.0
    assert waited_seconds((now - 95.5) * 1000, now) == pytest.approx(95.5)
    assert waited_seconds(95_500, now) == pytest.approx(95.5)
    assert waited_seconds((now + 3) * 1000, now) == 0.0  # a clock slightly behind the platform's


# -- agents -------------------------------------------------------------------------------------------

def _advance_to_not_responding(emulator, clock, at_least):
    cc = contact_center(emulator.org)
    for _ in range(600):
        states = cc.agent_states(clock.time())
        if sum(s.routing_status == 'NOT_RESPONDING' for s in states.values()) >= at_least:
            return states
        clock.advance(37)
    raise AssertionError('the synthetic org never had enough NOT_RESPONDING agents')


def test_agents_by_status_and_longest_not_responding(make_check, dd_run_check, aggregator, emulator, clock):
    states = _advance_to_not_responding(emulator, clock, 2)
    dd_run_check(make_check(**only('agents', agents={'page_size': 1})))
    t = clock.time()
    tags = base_tags(emulator)
    statuses = Counter(s.routing_status for s in states.values())
    presences = Counter(s.system_presence for s in states.values())
    for status in ROUTING_STATUSES:
        aggregator.assert_metric('genesys_cloud.agents.routing_status', value=statuses[status], count=1,
                                 tags=tags + [f'routing_status:{status.lower()}'])
    for presence in SYSTEM_PRESENCES:
        aggregator.assert_metric('genesys_cloud.agents.presence', value=presences[presence], count=1,
                                 tags=tags + [f'system_presence:{presence.lower()}'])
    longest = max(t - s.routing_status_date.timestamp() for s in states.values()
                  if s.routing_status == 'NOT_RESPONDING')
    aggregator.assert_metric('genesys_cloud.agents.not_responding.longest', value=longest, count=1, tags=tags)
    # One count query, then NOT_RESPONDING details one a page (page_size 1): never one request per user.
    assert emulator.requests[ROUTING_ACTIVITY] == 1 + statuses['NOT_RESPONDING']


def test_no_one_not_responding_costs_one_request(make_check, dd_run_check, aggregator, emulator, clock):
    cc = contact_center(emulator.org)
    for _ in range(600):
        if not any(s.routing_status == 'NOT_RESPONDING' for s in cc.agent_states(clock.time()).values()):
            break
        clock.advance(41)
    dd_run_check(make_check(**only('agents')))
    aggregator.assert_metric('genesys_cloud.agents.not_responding.longest', value=0, count=1)
    assert emulator.requests[ROUTING_ACTIVITY] == 1


# -- data actions --------------------------------------------------------------------------------------

def _truth(emulator, start, end):
    runs = contact_center(emulator.org).executions_between(start, end)
    executions = Counter(r.action.name for r in runs)
    errors = Counter((r.action.name, r.error_type.lower(), r.response_status) for r in runs if r.error_type)
    return runs, executions, errors


def _counted(aggregator, name, keys):
    found = Counter()
    for m in aggregator.metrics(name):
        fields = dict(t.split(':', 1) for t in m.tags)
        found[tuple(fields[k] for k in keys) if len(keys) > 1 else fields[keys[0]]] += m.value
    return found


def test_data_action_windows_are_counted_once_across_restarts(make_check, dd_run_check, aggregator, emulator,
                                                              clock):
    config = only('data_actions')
    first = clock.time()
    dd_run_check(make_check(**config))
    # No persisted position yet: nothing is counted (it may have been by a previous install), gauges are sent.
    assert not aggregator.metrics('genesys_cloud.data_action.executions')
    assert aggregator.metrics('genesys_cloud.data_action.duration.avg')
    counted_from = (first - 120) // 300 * 300
    check = make_check(**config)
    for step in range(4):
        clock.advance(300)
        if step == 2:
            check = make_check(**config)  # an Agent restart: same check_id, same persistent cache
        dd_run_check(check)
        dd_run_check(check)  # a second run in the same window counts nothing more
    counted_until = (clock.time() - 120) // 300 * 300
    runs, executions, errors = _truth(emulator, counted_from, counted_until)
    assert _counted(aggregator, 'genesys_cloud.data_action.executions', ['action_name']) == executions
    assert _counted(aggregator, 'genesys_cloud.data_action.errors',
                    ['action_name', 'error_type', 'response_status']) == errors
    assert {e[1] for e in errors} >= {'timeout', 'remote_endpoint_error'}
    assert emulator.requests[ACTIONS] == 5


def test_data_action_metrics_and_durations(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check(**only('data_actions'))
    dd_run_check(check)
    aggregator.reset()
    clock.advance(300)
    dd_run_check(check)
    end = (clock.time() - 120) // 300 * 300
    runs, executions, errors = _truth(emulator, end - 300, end)
    tags = base_tags(emulator)
    for action in contact_center(emulator.org).actions:
        mine = [r for r in runs if r.action is action]
        if not mine:
            continue
        action_tags = tags + [tag('action_name', action.name), tag('action_id', action.id),
                              tag('integration_name', action.integration_name)]
        aggregator.assert_metric('genesys_cloud.data_action.executions', value=len(mine), tags=action_tags)
        durations = [r.duration_ms for r in mine]
        aggregator.assert_metric('genesys_cloud.data_action.duration.avg', tags=action_tags,
                                 value=pytest.approx(sum(durations) / len(durations) / 1000))
        aggregator.assert_metric('genesys_cloud.data_action.duration.max', value=max(durations) / 1000,
                                 tags=action_tags)
        for (name, error_type, status), n in errors.items():
            if name == action.name:
                aggregator.assert_metric('genesys_cloud.data_action.errors', value=n,
                                         tags=action_tags + [f'error_type:{error_type}', f'response_status:{status}'])
    # Between collections the duration gauges are re-sent, counts are not.
    aggregator.reset()
    clock.advance(60)
    dd_run_check(check)
    assert aggregator.metrics('genesys_cloud.data_action.duration.max')
    assert not aggregator.metrics('genesys_cloud.data_action.executions')


def test_a_lost_cache_never_double_counts(make_check, dd_run_check, aggregator, emulator, clock):
    dd_run_check(make_check(**only('data_actions')))
    clock.advance(300)
    dd_run_check(make_check(**only('data_actions')))
    aggregator.reset()
    # A new check_id is a new persistent cache: the window the old one just counted is not counted again.
    dd_run_check(make_check(check_id='genesys_cloud:new-cache', **only('data_actions')))
    assert not aggregator.metrics('genesys_cloud.data_action.executions')


# -- together -------------------------------------------------------------------------------------------

def test_every_metric_of_the_area_and_isolated_permissions(make_check, dd_run_check, aggregator, emulator, clock):
    _advance_to_not_responding(emulator, clock, 1)
    check = make_check(**only(*MINE))
    dd_run_check(check)
    clock.advance(300)
    aggregator.reset()
    dd_run_check(check)
    for name in ('queue.waiting', 'queue.interacting', 'queue.alerting', 'queue.agents.on_queue',
                 'queue.agents.active_off_queue', 'queue.agents.active', 'queue.agents.members',
                 'queue.agents.routing_status', 'queue.longest_waiting', 'agents.routing_status', 'agents.presence',
                 'agents.not_responding.longest', 'data_action.executions', 'data_action.errors',
                 'data_action.duration.avg', 'data_action.duration.max'):
        aggregator.assert_metric(f'genesys_cloud.{name}')
    for name in ('api.can_connect', 'check.collector.up', 'check.collector.duration', 'check.api_requests'):
        aggregator.assert_metric(f'genesys_cloud.{name}')
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())
    aggregator.assert_all_metrics_covered()

    # Without queue observation rights, the three live collectors fail alone; Data Actions carry on.
    emulator.permissions.deny('analytics:queueObservation:view')
    aggregator.reset()
    check = make_check(check_id='genesys_cloud:denied', **only(*MINE))
    dd_run_check(check)
    tags = base_tags(emulator)
    for name in ('queues', 'longest_wait', 'agents'):
        aggregator.assert_metric('genesys_cloud.check.collector.up', value=0, tags=tags + [f'collector:{name}'])
    aggregator.assert_metric('genesys_cloud.check.collector.up', value=1, tags=tags + ['collector:data_actions'])
    message = aggregator.service_checks('genesys_cloud.can_connect')[0].message
    assert 'analytics:queueObservation:view' in message

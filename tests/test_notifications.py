"""The Notifications API transport end to end: the check's channels and sockets against the emulator's
WebSocket server, values compared with the emulator's ground truth, and the transport's faults.

Runs wait for the sockets (a condition, never a duration) and move the shared FakeClock; each check run pings
every socket first, so what the emulator had to say by then is in the state the run reads.
"""

import base64
import time

import pytest
from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.contact_center import ROUTING_STATUSES, contact_center
from tests.conftest import only
from tests.emulator_fixtures import EmulatorApi
from tests.fault_report import record
from tests.forward_proxy import ForwardProxy, clear_proxy_env

OBSERVATIONS = 'POST /api/v2/analytics/queues/observations/query'
ROUTING_ACTIVITY = 'POST /api/v2/analytics/routing/activity/query'
CONVERSATION_ACTIVITY = 'POST /api/v2/analytics/conversations/activity/query'
CHANNELS = 'POST /api/v2/notifications/channels'
SUBSCRIBE = 'PUT /api/v2/notifications/channels/{channelId}/subscriptions'
FRESH = 5.0  # seconds: how far a duration may be from the emulator's truth


@pytest.fixture
def org_options():
    return OrgOptions(seed=11, users=60, queues=6, divisions=2)


def wait_for(condition, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f'gave up waiting for {what}')
        time.sleep(0.02)


def connected(check):
    hub = check.notifications
    return hub.active and all(c.connection.connected for c in hub.channels.values())


def live_check(make_check, dd_run_check, clock, **overrides):
    """A check with notifications on whose sockets are up and whose state has been seeded once."""
    check = make_check(notifications=True, **only('queues', 'longest_wait', 'agents'), **overrides)
    dd_run_check(check)  # plans, creates the channel, subscribes; everything polled
    wait_for(lambda: connected(check), 'the sockets')
    clock.advance(60)
    dd_run_check(check)  # live topics (users' too, now listed), seeded by polling
    return check


def values(aggregator, name, key):
    """{tag value of `key`: metric value} for the last submission of each series."""
    found = {}
    for m in aggregator.metrics(name):
        tags = dict(t.split(':', 1) for t in m.tags)
        found[tags.get(key)] = m.value
    return found


def assert_matches_truth(aggregator, emulator, clock):
    cc, t = contact_center(emulator.org), clock.time()
    waiting = {}
    for m in aggregator.metrics('genesys_cloud.queue.waiting'):
        tags = dict(x.split(':', 1) for x in m.tags)
        waiting[(tags['queue_id'], tags['media_type'])] = m.value
    truth = {(q.id, media): counts['waiting'] for q in emulator.org.queues
             for media, counts in cc.queue_counts(q.id, t).items()}
    assert waiting == truth
    longest = values(aggregator, 'genesys_cloud.queue.longest_waiting', 'queue_id')
    for queue in emulator.org.queues:
        assert abs(longest[queue.id] - cc.longest_waiting_seconds(queue.id, t)) <= FRESH
    states = cc.agent_states(t).values()
    statuses = values(aggregator, 'genesys_cloud.agents.routing_status', 'routing_status')
    assert statuses == {s.lower(): sum(1 for a in states if a.routing_status == s) for s in ROUTING_STATUSES}
    not_responding = [t - a.routing_status_date.timestamp() for a in states if a.routing_status == 'NOT_RESPONDING']
    [longest_nr] = [m.value for m in aggregator.metrics('genesys_cloud.agents.not_responding.longest')]
    assert abs(longest_nr - max(not_responding, default=0.0)) <= FRESH
    return sum(truth.values())


def next_minute(check, dd_run_check, aggregator, emulator, clock, seconds=60):
    clock.advance(seconds)
    aggregator.reset()
    emulator.reset_counters()
    dd_run_check(check)


def can_connect(aggregator):
    return aggregator.service_checks('genesys_cloud.can_connect')[-1]


# -- values and cost -----------------------------------------------------------------------------

def test_live_values_match_the_truth_without_polling(make_check, dd_run_check, aggregator, emulator, clock):
    check = live_check(make_check, dd_run_check, clock)
    busy = 0
    for _ in range(5):
        next_minute(check, dd_run_check, aggregator, emulator, clock)
        busy += assert_matches_truth(aggregator, emulator, clock)
        # Conversations and agents came from the notifications: only the agents per queue are asked.
        assert emulator.requests[OBSERVATIONS] == 0 and emulator.requests[CONVERSATION_ACTIVITY] == 0
        assert emulator.requests[ROUTING_ACTIVITY] == 1
        assert can_connect(aggregator).status == AgentCheck.OK
    assert busy > 0  # the org was busy enough for the comparison to mean something
    assert check.notifications.state.received > 0
    aggregator.assert_metric('genesys_cloud.notifications.channels', value=1)
    aggregator.assert_metric('genesys_cloud.notifications.topics', value=6,
                             tags=[t for t in aggregator.metrics('genesys_cloud.notifications.topics')[0].tags
                                   if not t.startswith(('topic_kind', 'status'))] + ['topic_kind:queue_observations',
                                                                                      'status:live'])
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())
    check.cancel()
    assert not any(c.connection.alive for c in check.notifications.channels.values())


def queue_agent_series(aggregator):
    names = [n for n in aggregator.metric_names if n.startswith('genesys_cloud.queue.agents.')]
    return {(n, tuple(sorted(m.tags))): m.value for n in names for m in aggregator.metrics(n)}


def test_queue_agent_metrics_match_polling(make_check, dd_run_check, aggregator, emulator, clock):
    check = live_check(make_check, dd_run_check, clock)
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    live = queue_agent_series(aggregator)  # one routing activity query grouped by queue
    aggregator.reset()
    dd_run_check(make_check('genesys_cloud:polling', **only('queues')))  # the observation query
    assert live == queue_agent_series(aggregator) and len(live) == 6 * 9


def test_off_keeps_polling(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check(notifications=False, **only('queues', 'longest_wait', 'agents'))
    dd_run_check(check)
    assert check.notifications is None
    assert not [k for k in emulator.requests if 'notifications' in k]
    assert emulator.requests[OBSERVATIONS] == 1
    assert not emulator.notifications.channels


def test_on_by_default(make_check, instance, dd_run_check, emulator):
    config = {k: v for k, v in instance.items() if k != 'notifications'}
    check = make_check(**{**only('queues'), **config, 'notifications': None})
    dd_run_check(check)
    assert emulator.requests[CHANNELS] == 1 and len(emulator.notifications.channels) == 1
    check.cancel()


def test_sockets_take_the_instances_proxy(make_check, dd_run_check, aggregator, emulator, clock, monkeypatch):
    # The REST calls and the WebSockets leave through the same proxy (RequestsWrapper's `proxy`), its credentials
    # included; with no proxy environment variables, nothing reaches the emulator any other way.
    clear_proxy_env(monkeypatch)
    with ForwardProxy() as proxy:
        authenticated = proxy.url.replace('http://', 'http://relay:p%40ss@')
        check = live_check(make_check, dd_run_check, clock, proxy={'http': authenticated, 'https': authenticated})
        next_minute(check, dd_run_check, aggregator, emulator, clock)
        assert_matches_truth(aggregator, emulator, clock)
        check.cancel()
    socket_host = f'{emulator.notifications.host}:{emulator.notifications.port}'
    assert [host for host, _ in proxy.tunnels] == [socket_host]
    assert proxy.tunnels[0][1] == 'Basic ' + base64.b64encode(b'relay:p@ss').decode()
    assert proxy.relayed and proxy.refused == []
    assert check.notifications.state.received > 0
    record('notifications: only a proxy reaches the platform', 'sockets tunnel through the instance proxy',
           'CONNECT with its credentials, values = truth')


def test_skip_proxy_keeps_sockets_off_the_environments_proxy(make_check, dd_run_check, emulator, clock, monkeypatch):
    # `skip_proxy` makes requests ignore HTTP_PROXY; the sockets must ignore it too.
    with ForwardProxy() as proxy:
        monkeypatch.setenv('http_proxy', proxy.url)
        monkeypatch.setenv('HTTP_PROXY', proxy.url)
        check = live_check(make_check, dd_run_check, clock, skip_proxy=True)
        assert connected(check)
        check.cancel()
    assert proxy.tunnels == [] and proxy.relayed == []
    record('notifications: skip_proxy with HTTP_PROXY set', 'sockets go direct, as the REST calls do',
           'nothing through the proxy, sockets up')


# -- faults --------------------------------------------------------------------------------------

def test_rejected_topics_are_polled_with_a_warning_and_return(make_check, dd_run_check, aggregator, emulator, clock):
    emulator.notifications.faults.reject = ['analytics.queues']
    check = live_check(make_check, dd_run_check, clock)
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    assert_matches_truth(aggregator, emulator, clock)
    assert emulator.requests[OBSERVATIONS] == 1 and emulator.requests[CONVERSATION_ACTIVITY] == 1
    status = can_connect(aggregator)
    assert status.status == AgentCheck.WARNING
    assert '6 queue observation topics rejected' in status.message
    assert 'analytics:queueObservation:view' in status.message
    emulator.notifications.faults.reject = []
    next_minute(check, dd_run_check, aggregator, emulator, clock, seconds=600)  # the topics are asked again
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    assert_matches_truth(aggregator, emulator, clock)
    assert emulator.requests[OBSERVATIONS] == 0
    assert can_connect(aggregator).status == AgentCheck.OK
    record('notifications: topics rejected (missing permission)',
           'polled, WARNING naming the permission',
           'values = truth, WARNING, live again after retry')


def test_dropped_socket_reconnects_and_reseeds(make_check, dd_run_check, aggregator, emulator, clock):
    check = live_check(make_check, dd_run_check, clock)
    [channel] = check.notifications.channels.values()
    generation = channel.connection.generation
    emulator.notifications.drop()
    wait_for(lambda: channel.connection.generation > generation and channel.connection.connected, 'a reconnect')
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    # Changes while the socket was down are lost: a queue without a notification since the reconnect is polled
    # (and seeded) again, so nothing stale is reported.
    assert emulator.requests[OBSERVATIONS] <= 1
    assert_matches_truth(aggregator, emulator, clock)
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    assert emulator.requests[OBSERVATIONS] == 0
    assert_matches_truth(aggregator, emulator, clock)
    assert channel.connection.reconnects >= 1
    assert emulator.requests[CHANNELS] == 0  # the same channel
    record('notifications: socket dropped',
           'reconnect with backoff, reseed by polling',
           'same channel, values = truth, live again')


def test_stalled_socket_falls_back_then_returns(make_check, dd_run_check, aggregator, emulator, clock):
    check = live_check(make_check, dd_run_check, clock)
    check.notifications.sync_timeout = 0.5
    emulator.notifications.faults.stall = True
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    assert check.notifications.stalled == {0}
    assert emulator.requests[OBSERVATIONS] == 1  # polled while the socket says nothing
    assert_matches_truth(aggregator, emulator, clock)
    status = can_connect(aggregator)
    assert status.status == AgentCheck.WARNING and 'stalled' in status.message
    emulator.notifications.faults.stall = False
    wait_for(lambda: connected(check), 'the reconnect after the stall')
    next_minute(check, dd_run_check, aggregator, emulator, clock)  # reseeded
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    assert emulator.requests[OBSERVATIONS] == 0
    assert_matches_truth(aggregator, emulator, clock)
    assert can_connect(aggregator).status == AgentCheck.OK
    record('notifications: socket stalled (no pong)',
           'polled, WARNING, reconnect',
           'values = truth, WARNING, live again')


def test_missing_heartbeats_reconnect(make_check, dd_run_check, emulator, clock):
    check = live_check(make_check, dd_run_check, clock)
    [channel] = check.notifications.channels.values()
    channel.connection.heartbeat_timeout = 1.5
    emulator.notifications.faults.stall = True
    wait_for(lambda: channel.connection.reconnects >= 1, 'a reconnect after silence')
    assert 'no heartbeat' in channel.connection.last_error or channel.connection.reconnects
    emulator.notifications.faults.stall = False
    check.cancel()
    record('notifications: heartbeats missing', 'reconnect', 'reconnected')


@pytest.mark.parametrize('fault', ['duplicate', 'out_of_order'])
def test_duplicated_or_reordered_notifications(fault, make_check, dd_run_check, aggregator, emulator, clock):
    check = live_check(make_check, dd_run_check, clock)
    setattr(emulator.notifications.faults, fault, True)
    for _ in range(4):
        next_minute(check, dd_run_check, aggregator, emulator, clock)
        assert emulator.requests[OBSERVATIONS] == 0
        if fault == 'duplicate':
            assert_matches_truth(aggregator, emulator, clock)
    if fault == 'out_of_order':
        # Each older notification came after the newer one of its topic, and was dropped.
        assert check.notifications.state.out_of_order > 0
        setattr(emulator.notifications.faults, fault, False)  # what was held back goes out, in order
        next_minute(check, dd_run_check, aggregator, emulator, clock)
        assert_matches_truth(aggregator, emulator, clock)
    record(f'notifications: {fault}', 'newest state kept', 'values = truth')


def test_channel_removed_by_a_21st_is_recreated(make_check, dd_run_check, aggregator, emulator, clock):
    check = live_check(make_check, dd_run_check, clock)
    [old] = check.notifications.channels.values()
    with EmulatorApi(emulator) as api:  # another process on the same OAuth client opens 20 channels
        for _ in range(20):
            assert api.post('/api/v2/notifications/channels').status_code == 200
    assert old.id not in emulator.notifications.channels
    wait_for(lambda: old.connection.gone, 'the socket to find its channel gone')
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    assert emulator.requests[CHANNELS] == 1 and emulator.requests[SUBSCRIBE] == 1
    assert_matches_truth(aggregator, emulator, clock)  # polled meanwhile
    wait_for(lambda: connected(check), 'the new channel')
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    assert emulator.requests[OBSERVATIONS] == 0
    assert_matches_truth(aggregator, emulator, clock)
    record('notifications: channel removed by a 21st', 'new channel, polled meanwhile', 'recreated, values = truth')


def test_channels_taken_again_and_again_are_left_to_polling(make_check, dd_run_check, aggregator, emulator, clock):
    """Another Agent on the same OAuth client: recreating our channel would remove theirs, and so on forever."""
    check = live_check(make_check, dd_run_check, clock)
    with EmulatorApi(emulator) as api:
        for _ in range(3):
            [channel] = check.notifications.channels.values()
            for _ in range(20):
                api.post('/api/v2/notifications/channels')
            wait_for(lambda channel=channel: channel.connection.gone, 'the socket to find its channel gone')
            next_minute(check, dd_run_check, aggregator, emulator, clock)
            wait_for(lambda: connected(check) or not check.notifications.channels, 'the next channel')
    assert emulator.requests[CHANNELS] == 0  # the third loss within the hour: not recreated
    assert_matches_truth(aggregator, emulator, clock)  # polled
    status = can_connect(aggregator)
    assert status.status == AgentCheck.WARNING and 'give the check its own OAuth client' in status.message
    next_minute(check, dd_run_check, aggregator, emulator, clock, seconds=3600)
    assert emulator.requests[CHANNELS] == 1  # an hour later it tries again
    record('notifications: channels taken again and again (two users of one OAuth client)',
           'stop recreating for an hour, WARNING', 'polled, WARNING, retried after the hour')


def test_socket_closing_reconnects_at_once(make_check, dd_run_check, aggregator, emulator, clock):
    check = live_check(make_check, dd_run_check, clock)
    [channel] = check.notifications.channels.values()
    generation = channel.connection.generation
    emulator.notifications.socket_closing()
    wait_for(lambda: channel.connection.generation > generation and channel.connection.connected, 'a reconnect')
    assert channel.connection.last_error == 'v2.system.socket_closing'
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    assert emulator.requests[OBSERVATIONS] == 0
    assert_matches_truth(aggregator, emulator, clock)
    record('notifications: v2.system.socket_closing', 'reconnect at once', 'reconnected, values = truth')


def test_channel_is_renewed_before_it_expires(make_check, dd_run_check, aggregator, emulator, clock):
    check = live_check(make_check, dd_run_check, clock)
    [channel] = check.notifications.channels.values()
    for _ in range(23):
        next_minute(check, dd_run_check, aggregator, emulator, clock, seconds=3600)
    assert emulator.requests[SUBSCRIBE] == 0
    next_minute(check, dd_run_check, aggregator, emulator, clock, seconds=1800)  # 23.5 h: within the hour
    assert emulator.requests[SUBSCRIBE] == 1 and emulator.requests[CHANNELS] == 0
    next_minute(check, dd_run_check, aggregator, emulator, clock, seconds=1800)  # past the first 24 h
    assert channel.id in emulator.notifications.channels
    assert emulator.requests[CHANNELS] == 0
    record('notifications: 24 h expiry', 'resubscribed an hour before', 'renewed, same channel')


def test_a_channel_that_cannot_be_created_leaves_polling(make_check, dd_run_check, aggregator, emulator, clock):
    emulator.faults.add(CHANNELS, status=403, times=100)
    check = make_check(notifications=True, **only('queues', 'longest_wait', 'agents'))
    dd_run_check(check)
    assert not check.notifications.active
    assert emulator.requests[OBSERVATIONS] == 1  # polling as without notifications
    status = can_connect(aggregator)
    assert status.status == AgentCheck.WARNING and 'notifications' in status.message
    emulator.faults.clear()
    next_minute(check, dd_run_check, aggregator, emulator, clock, seconds=300)
    assert check.notifications.active  # it returns when it can
    record('notifications: no channel can be created (403)', 'polling as without, WARNING', 'polled, WARNING, returns')


# -- the transport's REST faults, as rows of `make faults` --------------------------------------------

REST_FAULTS = (
    (CHANNELS, {'status': 403}),
    (CHANNELS, {'status': 500}),
    (CHANNELS, {'drop_connection': True}),
    (CHANNELS, {'malformed': True}),
    (CHANNELS, {'wrong_shape': True}),
    (SUBSCRIBE, {'status': 400}),
    (SUBSCRIBE, {'status': 403}),
    (SUBSCRIBE, {'status': 503}),
    (SUBSCRIBE, {'malformed': True}),
    (SUBSCRIBE, {'wrong_shape': True}),
)


@pytest.mark.parametrize('endpoint, fault', REST_FAULTS, ids=lambda x: x if isinstance(x, str) else
                         ','.join(f'{k}={v}' for k, v in x.items()))
def test_rest_fault_falls_back_to_polling(endpoint, fault, make_check, dd_run_check, aggregator, emulator, clock):
    emulator.faults.add(endpoint, times=1000, **fault)
    check = make_check(notifications=True, **only('queues', 'longest_wait', 'agents'))
    dd_run_check(check)
    assert_matches_truth(aggregator, emulator, clock)  # polled: nothing lost, nothing made up
    status = can_connect(aggregator)
    assert status.status == AgentCheck.WARNING and 'notifications fall back to polling' in status.message
    lines = [w for w in check.warnings if w.startswith('notifications:')]
    assert len(lines) == 1 and endpoint.split(' ', 1)[1].split('{')[0] in lines[0]
    assert emulator.requests[OBSERVATIONS] == 1
    emulator.faults.clear()
    next_minute(check, dd_run_check, aggregator, emulator, clock)  # the channel is created or subscribed now
    wait_for(lambda: connected(check), 'the sockets')
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    next_minute(check, dd_run_check, aggregator, emulator, clock)
    assert emulator.requests[OBSERVATIONS] == 0
    assert_matches_truth(aggregator, emulator, clock)
    assert can_connect(aggregator).status == AgentCheck.OK
    record(f'notifications: {endpoint} {fault}', 'polled meanwhile, WARNING, 1 log line',
           'values = truth, WARNING, 1 log line, live again after the fault')
    check.cancel()


@pytest.mark.parametrize('org_options', [OrgOptions(seed=11, users=20, queues=250)], ids=['250 queues'])
def test_queue_list_resumes_across_runs_when_the_budget_ends_it(make_check, dd_run_check, aggregator, emulator,
                                                                  clock):
    # 3 pages, 2 requests a minute: the listing spans runs and continues where it stopped, never from page 1.
    check = make_check(max_requests_per_minute=2, **only('queues'))
    for _ in range(6):
        dd_run_check(check)
        clock.advance(60)
    assert emulator.requests['GET /api/v2/routing/queues'] == 3
    assert len(check.collectors[0].ctx.shared['queue_list']['queues']) == 250


def test_user_topics_come_from_concurrent_usage_listing(make_check, dd_run_check, emulator, clock):
    check = make_check(notifications=True, **only('agents', 'concurrent_usage'))
    dd_run_check(check)  # concurrent_usage lists the users after the notifications collector ran
    clock.advance(60)
    dd_run_check(check)
    assert emulator.requests['GET /api/v2/users'] == 1  # one listing for both
    assert len(check.notifications.user_ids) == 60 and check.notifications.plan.users_left_out == 0

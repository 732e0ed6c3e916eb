"""The transport's pure parts and the emulator's Notifications API limits, without a check."""

import json
import logging

import pytest
import requests
import websocket
from datadog_checks.genesys_cloud.notifications import planner
from datadog_checks.genesys_cloud.notifications.state import LiveState
from datadog_checks.genesys_cloud.notifications.topics import MAX_TOPICS_PER_CHANNEL, activity, observation

from tests.emulator_fixtures import EmulatorApi, api, clock, emu  # noqa: F401

CHANNELS = '/api/v2/notifications/channels'


# -- planner ----------------------------------------------------------------------------------------

def test_plan_for_the_largest_orgs_stays_within_the_limits():
    queues = [f'q{i}' for i in range(5000)]
    users = [f'u{i}' for i in range(planner.user_capacity(5000))]
    plan = planner.plan(queues, users, users_total=50000)
    assert len(plan.channels) == 20 and all(len(c) <= MAX_TOPICS_PER_CHANNEL for c in plan.channels)
    assert plan.queues == 5000 and plan.users == 15000 and plan.users_left_out == 35000
    # Every queue's observations come first, then users' activity.
    assert plan.channels[0][0] == 'v2.analytics.queues.q0.observations'
    assert plan.channels[-1][-1] == 'v2.users.u14999.activity'


def test_plan_for_a_mid_size_org_covers_everyone():
    plan = planner.plan([f'q{i}' for i in range(1000)], [f'u{i}' for i in range(10000)], users_total=10000)
    assert (len(plan.channels), plan.queues, plan.users, plan.users_left_out) == (11, 1000, 10000, 0)


def test_plan_beyond_every_channel_leaves_queues_out():
    plan = planner.plan([f'q{i}' for i in range(20500)], ['u1'])
    assert plan.queues == 20000 and plan.queues_left_out == 500 and plan.users == 0 and plan.users_left_out == 1


# -- state ------------------------------------------------------------------------------------------

def envelope(topic, body, timestamp='2026-11-18T14:00:00.000Z'):
    return {'topicName': topic, 'eventBody': body, 'timestamp': timestamp}


def test_malformed_notifications_are_skipped_with_one_line(caplog):
    state = LiveState()
    log = logging.getLogger('test')
    gen = ('c', 1)
    bad = [envelope('v2.analytics.queues.q1.observations', {'results': 'nope'}),
           envelope('v2.analytics.queues.q1.observations', {'results': [{'mediaType': 5}]}),
           envelope('v2.users.u1.activity', {'routingStatus': {'status': 'DANCING'}}),
           {'topicName': 'v2.users.u1.activity'}]
    for message in bad:
        assert state.apply(message, gen, log) is False
    assert state.malformed == 4
    assert len([r for r in caplog.records if 'malformed' in r.message]) == 4
    assert state.apply({'topicName': 'v2.something.else', 'eventBody': {}}, gen, log) is False
    assert state.queue('q1', gen) is None and state.user('u1', gen) is None


def test_an_older_notification_after_a_newer_one_is_dropped():
    state = LiveState()
    gen = ('c', 1)
    newer = {'results': [{'mediaType': 'voice', 'data': [{'metric': 'oWaiting', 'count': 4}]}]}
    older = {'results': [{'mediaType': 'voice', 'data': [{'metric': 'oWaiting', 'count': 9}]}]}
    assert state.apply(envelope('v2.analytics.queues.q.observations', newer, '2026-11-18T14:01:00Z'), gen)
    assert not state.apply(envelope('v2.analytics.queues.q.observations', older, '2026-11-18T14:00:00Z'), gen)
    assert state.queue('q', gen)['voice']['oWaiting'] == 4 and state.out_of_order == 1


def test_values_of_an_earlier_connection_are_not_live_and_seeding_never_beats_a_notification():
    state = LiveState()
    body = {'results': [{'mediaType': 'chat', 'data': [{'metric': 'oWaiting', 'count': 2}]}]}
    state.apply(envelope('v2.analytics.queues.q.observations', body), ('c', 1))
    assert state.queue('q', ('c', 2)) is None  # reconnected: lost changes may have happened
    state.seed_queue('q', ('c', 1), media={'chat': {'oWaiting': 7, 'oAlerting': 0, 'oInteracting': 0}})
    assert state.queue('q', ('c', 1))['chat']['oWaiting'] == 2  # the notification of that generation wins
    state.seed_queue('q', ('c', 2), media={'chat': {'oWaiting': 7, 'oAlerting': 0, 'oInteracting': 0}})
    assert state.queue('q', ('c', 2), 'counts')['chat']['oWaiting'] == 7
    assert state.queue('q', ('c', 2), 'longest') is None  # the longest wait is seeded on its own


def test_topic_bodies_follow_the_sdk_models():
    from PureCloudPlatformClientV2.models import UserActivity, V2QueueObservationObservationCountNotification

    obs = {'results': [{'mediaType': 'voice', 'data': [{'metric': 'oWaiting', 'count': 3},
                                                        {'metric': 'oLongestWaiting', 'count': 3,
                                                         'calculatedMetricValue': 1795010137965}]}]}
    act = {'id': 'u', 'routingStatus': {'status': 'NOT_RESPONDING', 'startTime': '2026-11-18T13:59:00.000Z'},
           'presence': {'presenceDefinition': {'id': 'p', 'systemPresence': 'ON_QUEUE'},
                        'modifiedDate': '2026-11-18T13:50:00.000Z'}, 'activeQueueIds': ['q']}
    for model, body in ((V2QueueObservationObservationCountNotification, obs), (UserActivity, act)):
        assert set(body) <= set(model().attribute_map.values())
    assert observation(obs)['voice']['oLongestWaiting'] == 1795010137965
    parsed = activity(act)
    assert parsed['routing'] == 'NOT_RESPONDING' and parsed['presence'] == 'ON_QUEUE' and parsed['queues'] == ['q']


# -- the emulator's limits --------------------------------------------------------------------------

def test_more_than_1000_topics_is_a_400(api, emu):  # noqa: F811
    channel = api.post(CHANNELS).json()
    topics = [{'id': f'v2.users.{u.id}.activity'} for u in emu.org.users] * 1
    many = topics + [{'id': f'v2.users.x{i}.activity'} for i in range(1001)]
    answer = api.request('PUT', f'{CHANNELS}/{channel["id"]}/subscriptions', json=many)
    assert answer.status_code == 400
    ok = api.request('PUT', f'{CHANNELS}/{channel["id"]}/subscriptions', json=topics)
    assert ok.status_code == 200 and all(e['state'] == 'Permitted' for e in ok.json()['entities'])


def test_unknown_topics_are_rejected(api, emu):  # noqa: F811
    channel = api.post(CHANNELS).json()
    answer = api.request('POST', f'{CHANNELS}/{channel["id"]}/subscriptions',
                         json=[{'id': 'v2.analytics.queues.nope.observations'}, {'id': 'v2.rate.limits'}])
    assert [e['state'] for e in answer.json()['entities']] == ['Rejected', 'Rejected']


def test_a_21st_channel_removes_the_oldest(api, emu):  # noqa: F811
    first = api.post(CHANNELS).json()['id']
    for _ in range(20):
        api.post(CHANNELS)
    ids = [c['id'] for c in api.get(CHANNELS).json()['entities']]
    assert len(ids) == 20 and first not in ids
    assert api.request('HEAD', f'{CHANNELS}/{first}').status_code == 404
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(emu.notifications.render(emu.notifications.channels[ids[0]])['connectUri']
                                    .replace(ids[0], first), timeout=5)
    assert refused.value.status_code == 404


def test_one_socket_per_channel(api, emu):  # noqa: F811
    channel = api.post(CHANNELS).json()
    first = websocket.create_connection(channel['connectUri'], timeout=5)
    second = websocket.create_connection(channel['connectUri'], timeout=5)
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        while True:  # the first is closed by the server once the second connects
            if not first.recv():
                raise ConnectionError('closed')
    second.send(json.dumps({'message': 'ping'}))
    assert json.loads(second.recv()) == {'topicName': 'channel.metadata', 'eventBody': {'message': 'pong'}}


def test_channels_expire_after_24_hours_unless_resubscribed(api, emu, clock):  # noqa: F811
    kept, dropped = api.post(CHANNELS).json()['id'], api.post(CHANNELS).json()['id']
    clock.advance(hours=23)
    topic = [{'id': f'v2.analytics.queues.{emu.org.queues[0].id}.observations'}]
    assert api.request('PUT', f'{CHANNELS}/{kept}/subscriptions', json=topic).status_code == 200
    clock.advance(hours=2)
    api.login()  # the token lived 24 h too
    assert api.request('HEAD', f'{CHANNELS}/{kept}').status_code == 200
    assert api.request('HEAD', f'{CHANNELS}/{dropped}').status_code == 404


def test_channels_belong_to_their_oauth_client(api, emu):  # noqa: F811
    channel = api.post(CHANNELS).json()['id']
    emu.credentials['other-client'] = 'other-secret'
    with EmulatorApi(emu, 'other-client', 'other-secret') as other:
        assert other.request('HEAD', f'{CHANNELS}/{channel}').status_code == 404
        assert other.get(CHANNELS).json()['entities'] == []


def test_available_topics_list_permissions(api):  # noqa: F811
    entities = api.get('/api/v2/notifications/availabletopics').json()['entities']
    by_id = {e['id']: e for e in entities}
    assert by_id['v2.analytics.queues.{id}.observations']['requiresPermissions'] == ['analytics:queueObservation:view']


def test_no_requests_library_reaches_the_socket_without_a_channel(emu):  # noqa: F811
    response = requests.get(f'http://{emu.notifications.host}:{emu.notifications.port}/channels/nope', timeout=5)
    assert response.status_code in (404, 426)


@pytest.mark.parametrize('api_url, uri, accepted', [
    ('https://api.mypurecloud.com', 'wss://streaming.mypurecloud.com/channels/streaming-0-x', True),
    ('https://api.mypurecloud.com', 'ws://streaming.mypurecloud.com/channels/streaming-0-x', False),
    (None, 'ws://streaming.mypurecloud.com/channels/streaming-0-x', False),
    ('http://127.0.0.1:8080', 'ws://127.0.0.1:9/channels/streaming-0-x', True),
    ('https://api.mypurecloud.com', 'https://streaming.mypurecloud.com/channels/x', False),
])
def test_a_tls_deployment_never_takes_a_plain_websocket(api_url, uri, accepted):
    from types import SimpleNamespace

    from datadog_checks.genesys_cloud.collectors.notifications import NotificationsCollector

    collector = SimpleNamespace(ctx=SimpleNamespace(config=SimpleNamespace(api_url=api_url)))
    assert NotificationsCollector._acceptable(collector, uri) is accepted


# -- socket options -------------------------------------------------------------------------------

WSS = 'wss://streaming.example.test/channels/abc'
NO_PROXY = {'http_proxy_host': 'no-proxy.invalid', 'http_proxy_port': 1, 'http_no_proxy': ['*'], 'proxy_type': 'http'}


def wrapper(instance, init_config=None):
    from datadog_checks.base.utils.http import RequestsWrapper

    return RequestsWrapper(instance, init_config or {'use_agent_proxy': False})


@pytest.mark.parametrize('instance, expected', [
    ({'proxy': {'https': 'http://u%3Ax:p%40w@proxy.test:3128'}},
     {'proxy_type': 'http', 'http_proxy_host': 'proxy.test', 'http_proxy_port': 3128,
      'http_proxy_auth': ('u:x', 'p@w')}),
    ({'proxy': {'https': 'proxy.test'}}, {'proxy_type': 'http', 'http_proxy_host': 'proxy.test',
                                          'http_proxy_port': 80}),
    ({'proxy': {'https': 'socks5h://proxy.test:1080'}}, {'proxy_type': 'socks5h', 'http_proxy_host': 'proxy.test',
                                                         'http_proxy_port': 1080}),
    ({'proxy': {'http': 'http://proxy.test:3128'}}, {}),  # a wss socket takes the https proxy only
    ({'proxy': {'https': 'http://proxy.test:3128', 'no_proxy': ['.example.test']}}, NO_PROXY),
    ({'proxy': {'https': 'http://proxy.test:3128'}, 'skip_proxy': True}, NO_PROXY),
    ({'tls_verify': False}, {'sslopt': {'cert_reqs': 0, 'check_hostname': False}}),
    ({'tls_ca_cert': '/etc/ca.pem'}, {'sslopt': {'ca_certs': '/etc/ca.pem'}}),
    ({'tls_cert': '/etc/c.pem', 'tls_private_key': '/etc/k.pem'},
     {'sslopt': {'certfile': '/etc/c.pem', 'keyfile': '/etc/k.pem'}}),
], ids=['proxy with credentials', 'bare host', 'socks', 'http proxy only', 'no_proxy match', 'skip_proxy',
        'tls_verify false', 'ca cert', 'client cert'])
def test_socket_options_follow_the_http_settings(instance, expected):
    from datadog_checks.genesys_cloud.notifications.socket_options import socket_options

    assert socket_options(wrapper(instance), WSS) == expected


def test_socket_options_take_init_configs_proxy():
    from datadog_checks.genesys_cloud.notifications.socket_options import socket_options

    options = socket_options(wrapper({}, {'proxy': {'https': 'http://shared.test:8080'}}), WSS)
    assert (options['http_proxy_host'], options['http_proxy_port']) == ('shared.test', 8080)


def test_a_socket_never_follows_a_redirect():
    # The channel URI was checked (wss for a TLS deployment); a redirect could send the socket, and the channel id
    # in its path, to another host or down to plain ws://. It is refused and retried, never followed.
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from datadog_checks.genesys_cloud.notifications.connection import ChannelConnection

    visits = []

    class Elsewhere(BaseHTTPRequestHandler):
        def do_GET(self):
            visits.append(self.path)
            self.send_error(404)

        def log_message(self, *args):
            pass

    elsewhere = ThreadingHTTPServer(('127.0.0.1', 0), Elsewhere)

    class Redirector(Elsewhere):
        def do_GET(self):
            self.send_response(302)
            self.send_header('Location', f'ws://127.0.0.1:{elsewhere.server_address[1]}/channels/stolen')
            self.send_header('Content-Length', '0')
            self.end_headers()

    redirector = ThreadingHTTPServer(('127.0.0.1', 0), Redirector)
    for server in (elsewhere, redirector):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    connection = ChannelConnection('c1', f'ws://127.0.0.1:{redirector.server_address[1]}/channels/c1', LiveState(),
                                   logging.getLogger('test')).start()
    try:
        deadline = time.monotonic() + 15
        while connection.failures < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert connection.failures >= 1 and not connection.connected
        assert 'HTTP 302 instead of upgrading' in connection.last_error
        assert visits == []
    finally:
        connection.stop()
        for server in (elsewhere, redirector):
            server.shutdown()
            server.server_close()

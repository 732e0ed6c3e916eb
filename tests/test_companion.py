"""The companion module (companion/genesys_cloud_velocity) inside real integrations: the official SDK and a
requests session against the emulator, a real UDP DogStatsD listener on loopback receiving what it sends."""

import runpy
import socket
from collections import Counter
from pathlib import Path

import genesys_cloud_velocity
import PureCloudPlatformClientV2 as sdk
import pytest
import requests
from genesys_cloud_velocity.core import Velocity
from genesys_cloud_velocity.statsd import sender_for
from genesys_cloud_velocity.templates import OTHER, Normaliser

from genesys_cloud_dd.dogstatsd import DogStatsdListener, parse_line

from .conftest import SECRET_CANARY

QUERY_CANARY = 'querystringCANARY4242'
BODY_CANARY = 'requestbodyCANARY4343'
REQUESTS = 'genesys_cloud.velocity.requests'


@pytest.fixture
def listener():
    with DogStatsdListener() as dogstatsd:
        yield dogstatsd


def _tags(metric):
    return dict(t.split(':', 1) for t in metric['tags'])


def _requests_by(metrics, *keys):
    counts = Counter()
    for m in metrics:
        if m['name'] == REQUESTS:
            tags = _tags(m)
            counts[tuple(tags.get(k, '') for k in keys)] += int(m['value'])
    return counts


def _sdk_client(emulator, **instrument):
    api = sdk.ApiClient(host=emulator.url)
    velocity = genesys_cloud_velocity.instrument(api, **instrument)
    api.get_client_credentials_token(emulator.client_id, emulator.client_secret)
    return api, velocity


def test_sdk_and_requests_session_send_exact_counts_per_client_template_method_status(emulator, listener,
                                                                                        monkeypatch):
    # The SDK integration finds the Agent through DD_AGENT_HOST/DD_DOGSTATSD_PORT, as in production.
    for name, value in listener.env.items():
        monkeypatch.setenv(name, value)
    api, sdk_velocity = _sdk_client(emulator, name='crm-sync')  # client id learnt from the token request
    users, routing = sdk.UsersApi(api), sdk.RoutingApi(api)
    user_ids = [u.id for u in emulator.org.users[:3]]
    for _ in range(3):
        users.get_users(page_size=2, id=[QUERY_CANARY])
    for user_id in user_ids:
        users.get_user_routingstatus(user_id)
    with pytest.raises(sdk.rest.ApiException) as missing:
        users.get_user_routingstatus('no-such-user')
    assert missing.value.status == 404
    # One 429 (Retry-After 1): the SDK's urllib3 waits and resends by itself; both attempts count at Genesys.
    emulator.faults.add('GET /api/v2/routing/queues', status=429, retry_after=1, times=1)
    assert routing.get_routing_queues(page_size=1).entities

    # A requests session of another integration, told the Agent's address explicitly; the emulator stands for a
    # gateway in front of Genesys, so it is named (a region's api./login. host needs no naming).
    session = requests.Session()
    session_velocity = genesys_cloud_velocity.instrument(session, client_id='wfm-client-id', name='wfm-export',
                                                         host=listener.host, port=listener.port,
                                                         genesys_hosts=[emulator.url])
    bearer = {'Authorization': f'Bearer {api.access_token}'}
    queue_id = emulator.org.queues[0].id
    for _ in range(2):
        answer = session.get(f'{emulator.url}/api/v2/routing/queues/{queue_id}/members',
                             params={'pageSize': 1, 'name': QUERY_CANARY}, headers=bearer)
        assert answer.status_code == 200
    body = {'filter': {'type': 'or', 'predicates': [{'dimension': 'queueId', 'value': BODY_CANARY}]},
            'metrics': ['oWaiting']}
    answer = session.post(f'{emulator.url}/api/v2/analytics/queues/observations/query', json=body, headers=bearer)
    assert answer.status_code == 200
    assert session.get(f'{emulator.url}/not-an-api-path', headers=bearer).status_code == 404  # not counted

    genesys_cloud_velocity.flush()
    session_velocity.flush()
    # sdk: token + 3 + 3 + 404 + (429, 200); session: 3 (2 lines each) + rate_limited and retry_after of the 429
    assert listener.wait_lines(2 * 13 + 2)
    metrics = listener.metrics

    crm, wfm = emulator.client_id, 'wfm-client-id'
    assert _requests_by(metrics, 'oauth_client_id', 'oauth_client_name', 'template_uri', 'http_method',
                        'status_class', 'status_code') == Counter({
        (crm, 'crm-sync', '/oauth/token', 'post', '2xx', ''): 1,
        (crm, 'crm-sync', '/api/v2/users', 'get', '2xx', ''): 3,
        (crm, 'crm-sync', '/api/v2/users/{userId}/routingstatus', 'get', '2xx', ''): 3,
        (crm, 'crm-sync', '/api/v2/users/{userId}/routingstatus', 'get', '4xx', '404'): 1,
        (crm, 'crm-sync', '/api/v2/routing/queues', 'get', '4xx', '429'): 1,
        (crm, 'crm-sync', '/api/v2/routing/queues', 'get', '2xx', ''): 1,
        (wfm, 'wfm-export', '/api/v2/routing/queues/{queueId}/members', 'get', '2xx', ''): 2,
        (wfm, 'wfm-export', '/api/v2/analytics/queues/observations/query', 'post', '2xx', ''): 1,
    })
    limited = [m for m in metrics if m['name'] == 'genesys_cloud.velocity.rate_limited']
    assert [(m['value'], _tags(m)['template_uri']) for m in limited] == [(1, '/api/v2/routing/queues')]
    retry = [m for m in metrics if m['name'] == 'genesys_cloud.velocity.retry_after']
    assert [(m['type'], m['value']) for m in retry] == [('distribution', 1)]
    latencies = [m for m in metrics if m['name'] == 'genesys_cloud.velocity.latency']
    assert len(latencies) == 13 and all(m['type'] == 'distribution' and 0 < m['value'] < 60 for m in latencies)
    assert {m['name'] for m in metrics} == {REQUESTS, 'genesys_cloud.velocity.latency',
                                            'genesys_cloud.velocity.rate_limited', 'genesys_cloud.velocity.retry_after'}
    assert listener.malformed == []
    assert sdk_velocity.internal_errors == session_velocity.internal_errors == 0

    # Nothing that identifies a caller or a secret left the process: no query string, body, id or credential.
    wire = b'\n'.join(listener.datagrams).decode()
    for leaked in (QUERY_CANARY, BODY_CANARY, SECRET_CANARY, api.access_token, queue_id, *user_ids, '?', 'pageSize'):
        assert leaked not in wire
    assert all(len(d) <= 1432 for d in listener.datagrams)


def test_no_agent_listening_changes_nothing_for_the_integration(emulator, monkeypatch, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # a loopback port nobody listens on
        probe.bind(('127.0.0.1', 0))
        closed_port = probe.getsockname()[1]
    api, velocity = _sdk_client(emulator, name='no-agent', host='127.0.0.1', port=closed_port)
    users = sdk.UsersApi(api).get_users(page_size=3).entities
    assert [u.id for u in users] == [u.id for u in emulator.org.users[:3]]
    velocity.flush()
    assert (velocity.internal_errors, velocity.sender.send_errors, velocity.sender.dropped) == (0, 0, 0)
    assert velocity.sender.sent_datagrams >= 1  # sent into the void, as UDP allows

    # An Agent socket that does not exist: the datagram is dropped and counted, the request still answered.
    monkeypatch.setenv('DD_DOGSTATSD_URL', f'unix://{tmp_path}/no-agent.socket')
    unix = Velocity(client_id='c', name='n', sender=sender_for())
    unix.observe('GET', f'{emulator.url}/api/v2/users', 200, 0.01)
    unix.flush()
    assert (unix.sender.family, unix.sender.send_errors, unix.internal_errors) == (socket.AF_UNIX, 1, 0)


def test_record_for_any_other_client_and_hostile_retry_after(listener):
    velocity = Velocity(client_id='other-client', name='billing sync, v2|#x', sender=sender_for(listener.host,
                                                                                               listener.port))
    velocity.observe('DELETE', 'https://api.mypurecloud.de/api/v2/users/9f1c2d4e-1111-2222-3333-444455556666'
                     '?force=true', 204, 0.02)
    for retry_after in ('7', 'Wed, 21 Oct 2026 07:28:00 GMT', '-3', '1e9', None):
        velocity.observe('POST', 'https://api.mypurecloud.de/api/v2/analytics/conversations/details/query', 429,
                         0.01, headers={'Retry-After': retry_after} if retry_after else {})
    velocity.observe('GET', 'https://api.mypurecloud.de/api/v2/users/me', None, 30.0)  # timed out: no answer
    velocity.flush()
    assert listener.wait_lines(2 + 5 * 3 + 1 + 2)
    first = listener.metrics[0]
    assert first == {'name': REQUESTS, 'type': 'count', 'value': 1.0, 'tags': [
        'oauth_client_id:other-client', 'oauth_client_name:billing sync v2 x', 'template_uri:/api/v2/users/{userId}',
        'http_method:delete', 'status_class:2xx']}
    assert [m['value'] for m in listener.metrics if m['name'] == 'genesys_cloud.velocity.retry_after'] == [7.0]
    assert sum(m['value'] for m in listener.metrics if m['name'] == 'genesys_cloud.velocity.rate_limited') == 5
    last = _tags(listener.metrics[-1])
    assert (last['template_uri'], last['status_class'], 'status_code' in last) == ('/api/v2/users/me', 'error', False)

    # The plain function other clients call, with the template they may know.
    genesys_cloud_velocity.record('PATCH', '/api/v2/users/abc/presences/purecloud', 200, 0.01, client_id='x')
    assert genesys_cloud_velocity.record('GET', object(), 'not a status', 'nan') is None  # swallowed, never raised


def test_templates_are_the_sdk_ones_and_their_number_is_bounded():
    normaliser = Normaliser(max_values=2)
    assert [normaliser.template(p) for p in (
        '/api/v2/users/me', '/api/v2/users/5d2c8b9e-0000-4000-8000-00000000abcd', 'https://x/api/v2/users/u1?a=b',
        '/api/v2/routing/queues/q-1/members', '/api/v2/users/me',
    )] == ['/api/v2/users/me', '/api/v2/users/{userId}', '/api/v2/users/{userId}', OTHER, '/api/v2/users/me']
    unknown = Normaliser()
    # A path the table does not know keeps only literals of known templates: any other word may be an id.
    assert unknown.template('/api/v2/newfeature/12345/users/user@example.com') == '/api/v2/{id}/{id}/users/{id}'
    assert len(Normaliser().known) > 2000


def test_template_table_is_the_one_generated_from_the_installed_sdk(capsys):
    script = Path(__file__).resolve().parent.parent / 'companion' / 'scripts' / 'generate_templates.py'
    main = runpy.run_path(str(script))['main']
    assert main(['--check']) == 0, capsys.readouterr().out


def test_parse_line_reads_the_dogstatsd_protocol():
    assert parse_line('a.b:2.5|d|@0.5|#k:v,x') == {'name': 'a.b', 'type': 'distribution', 'value': 2.5,
                                                   'tags': ['k:v', 'x']}
    assert parse_line('garbage') is None


def test_instrumenting_twice_repoints_instead_of_counting_twice(emulator, listener):
    api = sdk.ApiClient(host=emulator.url)
    genesys_cloud_velocity.instrument(api, name='first', host=listener.host, port=listener.port)
    second = genesys_cloud_velocity.instrument(api, name='second', host=listener.host, port=listener.port)
    api.get_client_credentials_token(emulator.client_id, emulator.client_secret)
    emulator.faults.add('GET /api/v2/users', status=429, retry_after=1, times=1)
    sdk.UsersApi(api).get_users(page_size=1)
    second.flush()
    assert listener.wait_lines(2 + 4 + 2)
    assert _requests_by(listener.metrics, 'oauth_client_name', 'template_uri', 'status_code') == Counter({
        ('second', '/oauth/token', ''): 1, ('second', '/api/v2/users', '429'): 1, ('second', '/api/v2/users', ''): 1})

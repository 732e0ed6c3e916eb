"""The companion inside a customer's process, on its own: one sender however many recorders, module flush reaching
every address, only Genesys hosts counted on a shared session, no id of any shape in a template, one bad line
costing only itself, arguments of every kind accepted or ignored with one warning, each SDK attempt timed alone.
A real UDP DogStatsD listener on loopback receives what is sent; the integrations talk to the emulator."""

import logging
import os
import re
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import genesys_cloud_velocity
import PureCloudPlatformClientV2 as sdk
import pytest
import requests
from genesys_cloud_velocity import core, statsd
from genesys_cloud_velocity.core import Velocity
from genesys_cloud_velocity.templates import Normaliser

from genesys_cloud_dd.dogstatsd import DogStatsdListener
from tests.fake_datadog import FakeDatadog

REQUESTS = 'genesys_cloud.velocity.requests'
LATENCY = 'genesys_cloud.velocity.latency'
GENESYS = 'https://api.mypurecloud.com'


@pytest.fixture
def listener():
    with DogStatsdListener() as dogstatsd:
        yield dogstatsd


def _tags(metric):
    return dict(t.split(':', 1) for t in metric['tags'])


def _sender_threads():
    return [t for t in threading.enumerate() if t.name == 'genesys-velocity-statsd']


def test_many_recorders_share_one_sender_thread_and_socket(listener):
    threads_before, fds_before = len(_sender_threads()), len(os.listdir('/proc/self/fd'))
    recorders = []
    for i in range(300):
        session = requests.Session()
        recorders.append(genesys_cloud_velocity.instrument(session, client_id=f'c{i}', name=f'n{i}',
                                                           host=listener.host, port=listener.port))
        recorders[-1].observe('GET', f'{GENESYS}/api/v2/users', 200, 0.01)
    assert len({id(r.sender) for r in recorders}) == 1
    assert recorders[0].flush() is True
    assert listener.wait_lines(600)
    assert len(_sender_threads()) - threads_before <= 1
    assert len(os.listdir('/proc/self/fd')) - fds_before <= 2  # one datagram socket (and no thread's pipe)
    assert Counter(_tags(m)['oauth_client_id'] for m in listener.metrics if m['name'] == REQUESTS) == Counter(
        {f'c{i}': 1 for i in range(300)})


def test_module_flush_sends_for_recorders_with_their_own_agent_address(listener):
    velocity = genesys_cloud_velocity.instrument(requests.Session(), client_id='own-address', host=listener.host,
                                                 port=listener.port)
    for _ in range(5):
        velocity.observe('GET', f'{GENESYS}/api/v2/users/me', 200, 0.01)
    assert genesys_cloud_velocity.flush() is True  # every sender of the process, not only DD_AGENT_HOST's
    assert velocity.sender.sent_lines >= 10
    assert listener.wait_lines(10)


def test_a_shared_session_counts_only_genesys_hosts_and_reads_no_other_basic_credentials(emulator, listener):
    session = requests.Session()
    # The emulator plays a gateway in front of Genesys, named by the customer; FakeDatadog is another service.
    velocity = genesys_cloud_velocity.instrument(session, name='shared', host=listener.host, port=listener.port,
                                                 genesys_hosts=[emulator.url])
    with FakeDatadog() as other:
        session.post(f'{other.url}/oauth/token', auth=('identity-provider-client', 'idp-secret'),
                     data={'grant_type': 'client_credentials'})
        session.post(f'{other.url}/api/v2/series', json={'series': []}, headers={'DD-API-KEY': 'x' * 32})
        session.get(f'{other.url}/api/v2/tickets/12345')
        assert len(other.requests) == 3
    token = session.post(f'{emulator.url}/oauth/token', auth=(emulator.client_id, emulator.client_secret),
                         data={'grant_type': 'client_credentials'})
    assert token.status_code == 200
    assert session.get(f'{emulator.url}/api/v2/users', params={'pageSize': 1},
                       headers={'Authorization': f'Bearer {token.json()["access_token"]}'}).status_code == 200
    velocity.flush()
    assert listener.wait_lines(4)
    counted = [(_tags(m)['template_uri'], _tags(m)['oauth_client_id']) for m in listener.metrics
               if m['name'] == REQUESTS]
    assert counted == [('/oauth/token', emulator.client_id), ('/api/v2/users', emulator.client_id)]
    assert velocity.client_id == emulator.client_id  # learnt from Genesys' token request, not the other one's


def test_genesys_hosts_are_the_18_regions_api_and_login_hosts():
    from datadog_checks.genesys_cloud.regions import REGION_DOMAINS as CHECK_DOMAINS
    from PureCloudPlatformClientV2.purecloud_region_hosts import PureCloudRegionHosts

    sdk_domains = {r.value.split('://api.', 1)[1] for r in PureCloudRegionHosts}
    is_genesys_host = core.is_genesys_host
    assert set(core.REGION_DOMAINS) == sdk_domains == set(CHECK_DOMAINS.values()) and len(sdk_domains) == 18
    assert len(core.GENESYS_HOSTS) == 36
    for domain in core.REGION_DOMAINS:
        for host in (f'api.{domain}', f'login.{domain}', f'API.{domain}:443'):
            assert is_genesys_host(host.lower())
    for netloc in ('api.datadoghq.com', 'api.mypurecloud.com.evil.example', 'mypurecloud.com', 'apps.mypurecloud.com',
                   'login.mypurecloud.de.example', 'helpdesk.example.com', None):
        assert not is_genesys_host(netloc)
    assert is_genesys_host('gateway.corp.example:8443', frozenset({'gateway.corp.example'}))
    assert not is_genesys_host('gateway.corp.example:8443', frozenset({'gateway.corp.example:9000'}))


# Ids of every shape an unknown path may carry: none may reach Datadog.
ID_SHAPES = [
    '3f1c2d4e-9a8b-4c7d-8e6f-112233445566', '3F1C2D4E9A8B4C7D8E6F112233445566', '12345', '0', '-1', '3.14',
    '+15558675309', '15558675309', '555-867-5309', '(555) 867-5309', '555.867.5309', '+44 20 7946 0958',
    'tel:+15558675309', 'sip:+15558675309@example.com', 'user@example.com', 'first.last+tag@example.co.uk',
    'john.smith', 'John Smith', 'jsmith', 'ABC123', 'a', 'Z', 'x_y', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln',
    'dGhpcyBpcyBiYXNlNjQ=', '192.168.0.1', '2001:db8::1', '2026-11-18', '2026-11-18T14:00:00Z', 'ORD-000123',
    'caf\u00e9', '\u00fc\u00f1\u00ee', 'name%2Cwith%7Cseparators', 'deadbeef', 'ffffffffffffffffffffffff',
]


@pytest.mark.parametrize('shape', ID_SHAPES)
def test_unknown_paths_never_carry_an_id_of_any_shape(shape):
    normaliser = Normaliser()
    for path in (f'/api/v2/newfeature/contacts/{quote(shape, safe="")}', f'/api/v2/newfeature/contacts/{shape}',
                 f'/api/v2/users/{quote(shape, safe="")}/newsubresource', f'/api/v2/{quote(shape, safe="")}',
                 f'/api/v2/routing/queues/{quote(shape, safe="")}/members/{quote(shape, safe="")}/extra'):
        template = normaliser.template(f'{GENESYS}{path}?q={shape}')
        segments = template.strip('/').split('/')
        assert all(s == '{id}' or s in normaliser.literals or re.fullmatch(r'\{\w+\}', s) for s in segments), \
            (path, template)
        assert {shape, quote(shape, safe='')}.isdisjoint(segments)
    assert normaliser.template(f'/api/v2/newfeature/contacts/{quote(shape, safe="")}') == '/api/v2/{id}/contacts/{id}'


def test_a_bad_line_costs_only_itself(listener):
    sender = statsd.sender_for(listener.host, listener.port)
    for i in range(100):
        sender.submit(f'healthy.line:{i}|c')
        if i == 50:
            sender.submit('broken.line:1|c|#name:\udc80')  # a lone surrogate: not UTF-8
    assert sender.flush() is False  # one line could not be sent
    assert listener.wait_lines(100)
    assert [m['value'] for m in listener.metrics] == list(range(100)) and sender.bad_lines == 1

    # A name decoded with surrogateescape (a file name, an environment variable) is made safe where tags are built.
    velocity = Velocity(client_id='c', name='crm\udc80sync', tags=['team:\udcff'], sender=sender)
    velocity.observe('GET', f'{GENESYS}/api/v2/users/me', 200, 0.01)
    assert velocity.flush() is True
    assert listener.wait_lines(102)
    assert _tags(listener.metrics[-1])['oauth_client_name'] == 'crm?sync' and sender.bad_lines == 1


def test_every_argument_is_accepted_or_ignored_with_one_warning(listener, caplog, monkeypatch):
    monkeypatch.setattr('genesys_cloud_velocity._log._warned', set())
    caplog.set_level(logging.WARNING, logger='genesys_cloud_velocity')
    session = requests.Session()
    odd = [
        {'tags': [None]}, {'tags': 5}, {'tags': [b'team:cx', 'env:prod', 7]}, {'tags': 'team:cx'},
        {'client_id': object()}, {'client_id': 12345}, {'name': ['x']}, {'name': b'bytes'},
        {'host': 5, 'port': listener.port}, {'host': listener.host, 'port': 'not-a-port'},
        {'host': listener.host, 'port': -1}, {'host': listener.host, 'port': True}, {'genesys_hosts': 5},
        {'genesys_hosts': [None, 'gw.example']}, {'unknown_option': 1},
    ]
    for kwargs in odd:
        velocity = genesys_cloud_velocity.instrument(session, **kwargs)
        assert isinstance(velocity, Velocity)
    assert isinstance(genesys_cloud_velocity.instrument(session, 'id', 'name', (), None, None, (), 'extra'), Velocity)
    assert isinstance(genesys_cloud_velocity.instrument(object()), Velocity)
    assert isinstance(genesys_cloud_velocity.instrument(None, tags=None), Velocity)

    record = genesys_cloud_velocity.record
    calls = [
        ('GET', object(), 200, 0.1), (None, '/api/v2/users', 200, 0.1), ('GET', '/api/v2/users', 'x', 0.1),
        ('GET', '/api/v2/users', '200', 'nan'), ('GET', '/api/v2/users', 200, float('nan')),
        ('GET', '/api/v2/users', 200, -1), ('GET', '/api/v2/users', 200, True), ('GET', b'/api/v2/users', 200, 0.1),
        ('GET', '/api/v2/users', 200.5, 0.1), ('GET', '/api/v2/users', None, None),
    ]
    for args in calls:
        assert record(*args, host=listener.host, port=listener.port) is None
    for kwargs in ({'headers': 5}, {'headers': {'Retry-After': object()}}, {'template': 5},
                   {'template': ['x']}, {'tags': [{}]}, {'client_id': {}}, {'name': 1.5}, {'host': []},
                   {'port': {}}, {'whatever': 1}):
        assert record('GET', '/api/v2/users', 429, 0.1, **kwargs) is None
    assert record('GET', '/api/v2/users', 200, 0.1, 'id', 'name', None, None, (), None, None, 'extra') is None
    genesys_cloud_velocity.configure(flush_timeout='soon', exit_timeout=-5, genesys_hosts=7, bogus=True)
    assert genesys_cloud_velocity.flush(timeout='soon') in (True, False)

    messages = [r.getMessage() for r in caplog.records]
    assert all(messages.count(m) == 1 for m in messages), messages  # one warning per kind of wrong argument
    assert any('tags' in m for m in messages) and any('url' in m for m in messages)
    assert statsd.settings['flush_timeout'] == statsd.FLUSH_TIMEOUT == statsd.settings['exit_timeout']
    monkeypatch.setattr(statsd, 'settings', dict(statsd.settings))
    genesys_cloud_velocity.configure(flush_timeout=0.25, exit_timeout=3)
    assert statsd.settings == {'flush_timeout': 0.25, 'exit_timeout': 3.0}


def test_latency_is_per_sdk_attempt_and_excludes_the_retry_wait(emulator, listener):
    api = sdk.ApiClient(host=emulator.url)
    velocity = genesys_cloud_velocity.instrument(api, name='per-attempt', host=listener.host, port=listener.port)
    api.get_client_credentials_token(emulator.client_id, emulator.client_secret)
    emulator.faults.add('GET /api/v2/users', status=429, retry_after=2, times=1)
    assert sdk.UsersApi(api).get_users(page_size=1).entities  # the SDK waited 2 s and sent again
    velocity.flush()
    assert listener.wait_lines(2 + 4 + 2)
    latencies = [(_tags(m).get('status_code', '2xx'), m['value']) for m in listener.metrics
                 if m['name'] == LATENCY and _tags(m)['template_uri'] == '/api/v2/users']
    assert [code for code, _ in latencies] == ['429', '2xx']  # the retried attempt has its own latency
    assert all(seconds < 2 for _, seconds in latencies), latencies  # the Retry-After sleep is in neither


def test_the_docs_429_example_is_what_the_sdk_path_sends(emulator, listener):
    text = (Path(__file__).resolve().parent.parent / 'docs' / 'companion.md').read_text()
    block = text.split('One 429 answer to `GET /api/v2/routing/queues`', 1)[1].split('```text\n', 1)[1]
    documented = block.split('```', 1)[0].strip().splitlines()
    api = sdk.ApiClient(host=emulator.url)
    genesys_cloud_velocity.instrument(api, name='crm-sync', host=listener.host, port=listener.port)
    api.get_client_credentials_token(emulator.client_id, emulator.client_secret)
    emulator.faults.add('GET /api/v2/routing/queues', status=429, retry_after=1, times=1)
    sdk.RoutingApi(api).get_routing_queues(page_size=1)
    assert genesys_cloud_velocity.flush() is True
    assert listener.wait_lines(2 + len(documented))
    sent = [line for datagram in listener.datagrams for line in datagram.decode().split('\n')
            if 'template_uri:/api/v2/routing/queues,' in line]

    def shape(line):  # the client id and the measured latency differ from run to run
        line = re.sub(r'oauth_client_id:[^,]+', 'oauth_client_id:ID', line)
        return re.sub(r'(velocity\.latency):[0-9.]+\|', r'\1:SECONDS|', line)

    assert [shape(line) for line in sent] == [shape(line) for line in documented]


def test_record_counts_only_genesys_hosts_and_the_hosts_configured(listener, monkeypatch):
    monkeypatch.setitem(genesys_cloud_velocity._config, 'genesys_hosts', frozenset())
    record = genesys_cloud_velocity.record
    where = {'host': listener.host, 'port': listener.port, 'client_id': 'record-hosts'}
    record('POST', 'https://api.datadoghq.com/api/v2/series', 202, 0.01, **where)
    record('GET', 'https://helpdesk.example.com/api/v2/tickets/12345', 200, 0.01, **where)
    record('GET', 'https://gw.corp.example/api/v2/users/me', 200, 0.01, **where)  # not named yet
    record('GET', 'https://api.mypurecloud.de/api/v2/users/me', 200, 0.01, **where)
    record('POST', 'https://login.mypurecloud.de/oauth/token', 200, 0.01, **where)
    record('GET', '/api/v2/routing/queues', 200, 0.01, **where)  # a bare path: the caller says it is Genesys
    genesys_cloud_velocity.configure(genesys_hosts=['https://gw.corp.example'])
    record('GET', 'https://gw.corp.example/api/v2/users/me', 200, 0.01, **where)
    assert genesys_cloud_velocity.flush() is True
    assert listener.wait_lines(8)
    assert [_tags(m)['template_uri'] for m in listener.metrics if m['name'] == REQUESTS] == [
        '/api/v2/users/me', '/oauth/token', '/api/v2/routing/queues', '/api/v2/users/me']


def test_the_sender_starts_on_first_use_and_resolves_in_the_background_on_a_timer(listener, monkeypatch):
    threads = len(_sender_threads())
    velocity = genesys_cloud_velocity.instrument(requests.Session(), client_id='lazy', host='localhost',
                                                 port=listener.port)
    assert len(_sender_threads()) == threads  # instrumenting alone starts nothing
    for _ in range(3):
        velocity.observe('GET', f'{GENESYS}/api/v2/users/me', 200, 0.01)
        assert velocity.flush() is True
    assert velocity.sender.resolutions == 1  # resolved once for every datagram, not per datagram
    monkeypatch.setattr(statsd, 'RESOLVE_EVERY', 0.0)  # the timer due: resolved again, in the background
    velocity.observe('GET', f'{GENESYS}/api/v2/users/me', 200, 0.01)
    assert velocity.flush() is True and velocity.sender.resolutions == 2
    assert listener.wait_lines(8)

    # A name that does not resolve is looked up once per retry period, not once per datagram.
    unresolvable = statsd.sender_for('dd-agent-lazy.invalid', 8125)
    for _ in range(3):
        for _ in range(100):
            unresolvable.submit('x:1|c')
        assert unresolvable.flush(timeout=30) is False  # dropped and counted (a generous bound: a hang guard)
    assert (unresolvable.resolutions, unresolvable.dropped) == (1, 300)


def test_tags_carry_no_separator_control_or_bidi_character():
    from genesys_cloud_velocity.core import clean

    assert clean('crm\u202esync\u2066,x|y#z\x85\u2028\x00') == 'crm sync x y z'
    assert clean('\udc80') == '?' and clean(None) == 'unknown' and clean(' \u200f ') == 'unknown'

"""The emulator's core contracts over real HTTP: login, errors, paging, jobs, limits, faults, counters, CLI."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from datadog_checks.genesys_cloud.clock import FakeClock

from genesys_cloud_dd.emulator import Emulator, OrgOptions, SyntheticOrg
from genesys_cloud_dd.emulator.data.ratelimits import ratelimit_history
from genesys_cloud_dd.emulator.jobs import LEGACY_USAGE_STATES
from genesys_cloud_dd.emulator.paging import before_after_page, cursors_page, next_uri_page, short_listing
from genesys_cloud_dd.emulator.routing import Response, Router
from genesys_cloud_dd.emulator.validation import check_enum_list, parse_interval, require
from tests.emulator_fixtures import START, EmulatorApi, api, clock, emu  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parent.parent
ERROR_KEYS = {'message', 'code', 'status', 'contextId', 'details', 'errors'}

# -- test-only routes: exercise the shared helpers the way endpoint modules will -----------------------

TEST_ROUTES = Router()
NUMBERS = [{'n': n} for n in range(23)]
USAGE_METRICS = ('Status200', 'Status300', 'Status400', 'Status500', 'Status429', 'Requests')


def _listing(page):
    """A GET handler serving NUMBERS through one of the shared paging helpers."""
    return lambda request: page(request, NUMBERS, default_size=5, max_size=10)


for _style, _page in (('after', next_uri_page), ('cursors', cursors_page), ('beforeafter', before_after_page),
                      ('short', short_listing)):
    TEST_ROUTES.route('GET', f'/api/v2/emutest/{_style}', sdk_model=None)(_listing(_page))


@TEST_ROUTES.route('POST', '/api/v2/emutest/query', sdk_model=None, permissions=('usage:organization:view',))
def _query(request):
    body = require(request.json, 'interval')
    start, end = parse_interval(body['interval'], style='usage')
    check_enum_list(body.get('metrics', []), USAGE_METRICS, 'metrics')
    job = request.emulator.jobs.create(lambda: [{'days': (end - start).days}], LEGACY_USAGE_STATES, kind='emutest',
                                       request=request)
    return Response(202, {'executionId': job.id, 'resultsUri': f'/api/v2/emutest/query/{job.id}/results'})


@TEST_ROUTES.route('GET', '/api/v2/emutest/query/{executionId}/results', sdk_model=None)
def _query_results(request):
    poll = request.emulator.jobs.poll(request.path_params['executionId'], request, kind='emutest')
    return {'queryStatus': poll.state, 'results': poll.result or []}


@pytest.fixture
def temu(clock):  # noqa: F811
    with Emulator(OrgOptions(seed=3, users=12, queues=3), clock=clock, routes=TEST_ROUTES) as emulator:
        yield emulator


@pytest.fixture
def tapi(temu):
    with EmulatorApi(temu) as client:
        yield client


def login(emulator, client_id=None, secret=None, grant='client_credentials'):
    return requests.post(emulator.url + '/oauth/token', auth=(client_id or emulator.client_id,
                         secret or emulator.client_secret), data={'grant_type': grant}, timeout=10)


def assert_error(response, status, code, message=None):
    body = response.json()
    assert response.status_code == status
    assert set(body) == ERROR_KEYS
    assert (body['status'], body['code']) == (status, code)
    assert body['contextId'] == response.headers['inin-correlation-id']
    assert body['details'] == [] or all('fieldName' in d for d in body['details'])
    assert body['errors'] == []
    if message is not None:
        assert body['message'] == message
    return body


# -- auth -----------------------------------------------------------------------------------------

def test_token_flow_and_token_info(emu):  # noqa: F811
    response = login(emu)
    assert response.status_code == 200
    body = response.json()
    assert body['token_type'] == 'bearer' and body['expires_in'] == 86400 and body['access_token']
    me = requests.get(emu.url + '/api/v2/tokens/me', headers={'Authorization': 'Bearer ' + body['access_token']},
                      timeout=10).json()
    assert me['organization'] == {'id': emu.org.id, 'name': emu.org.name}
    assert me['OAuthClient']['id'] == emu.client_id
    assert me['OAuthClient']['name'] == emu.org.check_client.name


def test_login_errors(emu):  # noqa: F811
    bad_secret = login(emu, secret='wrong')
    assert bad_secret.status_code == 401
    assert bad_secret.json() == {'error': 'invalid_client', 'description': 'client not found',
                                 'error_description': 'client not found'}
    assert login(emu, client_id='nobody').status_code == 401
    no_auth = requests.post(emu.url + '/oauth/token', data={'grant_type': 'client_credentials'}, timeout=10)
    assert no_auth.status_code == 401
    bad_grant = login(emu, grant='password')
    assert (bad_grant.status_code, bad_grant.json()) == (400, {'error': 'unsupported_grant_type'})


def test_api_without_valid_token_is_401(emu, api, clock):  # noqa: F811
    missing = requests.get(emu.url + '/api/v2/users', timeout=10)
    assert_error(missing, 401, 'bad.credentials', 'No authentication bearer token specified in authorization header.')
    garbage = requests.get(emu.url + '/api/v2/users', headers={'Authorization': 'Bearer nope'}, timeout=10)
    assert_error(garbage, 401, 'bad.credentials')

    assert api.get('/api/v2/users').status_code == 200
    emu.tokens.revoke_all()
    assert_error(api.get('/api/v2/users'), 401, 'bad.credentials')

    api.login()
    clock.advance(86399)
    assert api.get('/api/v2/users').status_code == 200
    clock.advance(1)
    assert_error(api.get('/api/v2/users'), 401, 'bad.credentials')
    api.login()
    assert api.get('/api/v2/users').status_code == 200


def test_token_ttl_is_configurable(clock):  # noqa: F811
    with Emulator(OrgOptions(users=3), clock=clock, token_ttl=300) as emulator:
        client = EmulatorApi(emulator)
        clock.advance(300)
        assert client.get('/api/v2/users').status_code == 401


def test_explicit_credentials_become_the_check_client(clock):  # noqa: F811
    with Emulator(OrgOptions(users=3), client_id='my-client', client_secret='s3cret', clock=clock) as emulator:
        assert emulator.org.check_client.id == 'my-client'
        assert login(emulator, 'my-client', 's3cret').status_code == 200
        assert login(emulator, 'my-client', 'other').status_code == 401


def test_headers_on_every_response(emu, api):  # noqa: F811
    for response in (api.get('/api/v2/users'), api.get('/api/v2/nowhere'), login(emu),
                     requests.get(emu.url + '/api/v2/users', timeout=10)):
        assert response.headers['Content-Type'] == 'application/json'
        assert response.headers['inin-correlation-id']
        assert not [h for h in response.headers if h.lower().startswith('inin-ratelimit')]
    assert_error(api.get('/api/v2/nowhere'), 404, 'not.found')


def test_legacy_ratelimit_headers_only_when_asked(clock):  # noqa: F811
    with Emulator(OrgOptions(users=3), clock=clock, legacy_ratelimit_headers=True) as emulator:
        response = EmulatorApi(emulator).get('/api/v2/users')
        assert response.headers['inin-ratelimit-allowed'] == '300'
        assert response.headers['inin-ratelimit-count'] == '1'


# -- permissions ----------------------------------------------------------------------------------

def test_denied_permission_is_403(emu, api):  # noqa: F811
    emu.permissions.deny('routing:queue:view')
    assert_error(api.get('/api/v2/routing/queues'), 403, 'missing.any.permissions',
                 'Unable to perform the requested action. You must have at least one of the following permissions '
                 'assigned: [routing:queue:view]')
    assert api.get('/api/v2/oauth/clients').status_code == 200
    emu.permissions.reset()
    emu.permissions.allow_only({'oauth:client:view'})
    assert api.get('/api/v2/routing/queues').status_code == 403
    assert api.get('/api/v2/oauth/clients').status_code == 200
    assert api.get('/api/v2/users').status_code == 200  # needs no permission
    emu.permissions.reset()
    assert api.get('/api/v2/routing/queues').status_code == 200


# -- paging ---------------------------------------------------------------------------------------

def walk_page_numbers(api, path, page_size):  # noqa: F811
    entities, number, pages = [], 1, []
    while True:
        body = api.get(path, params={'pageSize': page_size, 'pageNumber': number}).json()
        pages.append(body)
        entities += body['entities']
        if number >= body.get('pageCount', 0):
            return entities, pages
        number += 1


def test_users_full_listing_matches_org(emu, api):  # noqa: F811
    entities, pages = walk_page_numbers(api, '/api/v2/users', 7)
    assert [u['id'] for u in entities] == [u.id for u in emu.org.users]
    assert [u['email'] for u in entities] == [u.email for u in emu.org.users]
    assert len(pages) == 5 and all(p['total'] == 30 and p['pageCount'] == 5 for p in pages)
    first, last = pages[0], pages[-1]
    assert first['nextUri'] == '/api/v2/users?pageSize=7&pageNumber=2' and 'previousUri' not in first
    assert 'nextUri' not in last and last['previousUri'] == '/api/v2/users?pageSize=7&pageNumber=4'
    assert first['lastUri'] == '/api/v2/users?pageSize=7&pageNumber=5'
    assert set(first) == {'entities', 'pageSize', 'pageNumber', 'total', 'pageCount', 'firstUri', 'selfUri',
                          'lastUri', 'nextUri'}


def test_every_listed_user_answers_by_id(emu, api):  # noqa: F811
    entities, _ = walk_page_numbers(api, '/api/v2/users', 25)
    for listed in entities:
        response = api.get('/api/v2/users/' + listed['id'])
        assert response.status_code == 200
        assert response.json() == listed
    response = api.get('/api/v2/users/' + '0' * 8 + '-0000-0000-0000-' + '0' * 12)
    assert response.status_code == 404 and response.json()['status'] == 404


def test_queues_follow_next_uri_and_filter(emu, api):  # noqa: F811
    path, seen = '/api/v2/routing/queues?pageSize=1', []
    while path:
        body = api.get(path).json()
        seen += body['entities']
        path = body.get('nextUri')
    expected = sorted(emu.org.queues, key=lambda q: q.name.lower())
    assert [q['id'] for q in seen] == [q.id for q in expected]
    for queue, truth in zip(seen, expected):
        assert queue['memberCount'] == len(truth.member_ids)
        assert queue['division']['id'] == truth.division_id
    name = expected[0].name
    filtered = api.get('/api/v2/routing/queues', params={'name': name[:3] + '*'}).json()
    assert [q['name'] for q in filtered['entities']] == [q.name for q in expected if q.name.startswith(name[:3])]


@pytest.mark.parametrize('size', ['0', '501', 'ten'])
def test_page_size_bounds_are_400(api, size):  # noqa: F811
    body = assert_error(api.get('/api/v2/users', params={'pageSize': size}), 400, 'bad.request')
    assert 'pageSize' in body['message']


def test_queue_members_no_totals(emu, api):  # noqa: F811
    queue = max(emu.org.queues, key=lambda q: len(q.member_ids))
    path = f'/api/v2/routing/queues/{queue.id}/members'
    entities, number = [], 1
    while True:
        body = api.get(path, params={'pageSize': 3, 'pageNumber': number}).json()
        assert 'total' not in body and 'pageCount' not in body
        entities += body['entities']
        if 'nextUri' not in body:
            break
        number += 1
    truth = sorted((emu.org.user(uid) for uid in queue.member_ids), key=lambda u: u.name.lower())
    assert [m['id'] for m in entities] == [u.id for u in truth]
    assert all(emu.org.user(m['id']).is_agent for m in entities)
    assert api.get(path, params={'pageSize': 101}).status_code == 400
    assert_error(api.get('/api/v2/routing/queues/missing/members'), 404, 'not.found')


def test_every_agent_is_in_a_queue(emu):  # noqa: F811
    members = {uid for q in emu.org.queues for uid in q.member_ids}
    assert members == {u.id for u in emu.org.agents}


def test_oauth_clients_and_divisions(emu, api):  # noqa: F811
    body = api.get('/api/v2/oauth/clients').json()
    assert sorted(c['id'] for c in body['entities']) == sorted(c.id for c in emu.org.oauth_clients)
    assert body['total'] == 6 and not any('secret' in c for c in body['entities'])
    grants = [c['authorizedGrantType'] for c in body['entities']]
    assert grants.count('CLIENT-CREDENTIALS') >= 4
    one = api.get('/api/v2/oauth/clients/' + emu.client_id).json()
    assert one['name'] == 'Datadog Genesys Cloud integration' and one['state'] == 'active'
    divisions = api.get('/api/v2/authorization/divisions').json()['entities']
    assert [d['id'] for d in divisions] == [d.id for d in emu.org.divisions]
    assert [d['homeDivision'] for d in divisions] == [True, False, False]


def test_next_uri_only_when_more(tapi):
    path, seen, pages = '/api/v2/emutest/after', [], 0
    while path:
        body = tapi.get(path).json()
        seen += body['entities']
        pages += 1
        path = body.get('nextUri')
    assert seen == NUMBERS and pages == 5
    assert_error(tapi.get('/api/v2/emutest/after', params={'after': '???'}), 400, 'bad.request')
    assert tapi.get('/api/v2/emutest/after', params={'pageSize': 11}).status_code == 400


def test_cursors_style(tapi):
    seen, params = [], {}
    while True:
        body = tapi.get('/api/v2/emutest/cursors', params=params).json()
        seen += body['results']
        if 'after' not in body.get('cursors', {}):
            break
        params = {'after': body['cursors']['after']}
    assert seen == NUMBERS and 'before' in body['cursors']


def test_before_after_style_walks_both_ways(tapi):
    forward, path = [], '/api/v2/emutest/beforeafter'
    while path:
        body = tapi.get(path).json()
        forward.append(body['entities'])
        last, path = body, body.get('nextUri')
    backward, path = [], last.get('previousUri')
    while path:
        body = tapi.get(path).json()
        backward.append(body['entities'])
        path = body.get('previousUri')
    assert sum(forward, []) == NUMBERS
    assert backward == list(reversed(forward[:-1]))


def test_short_listing(tapi):
    body = tapi.get('/api/v2/emutest/short', params={'pageNumber': 5}).json()
    assert body == {'entities': NUMBERS[20:], 'pageSize': 5, 'pageNumber': 5, 'total': 23, 'pageCount': 5}


# -- validation and jobs --------------------------------------------------------------------------

def test_missing_field_bad_enum_bad_interval(tapi):
    body = assert_error(tapi.post('/api/v2/emutest/query', json={'metrics': ['Requests']}), 400, 'bad.request')
    assert 'interval' in body['message'] and body['details'][0]['fieldName'] == 'interval'
    body = assert_error(tapi.post('/api/v2/emutest/query', json={'interval': '2025-06-01T00:00:00/2025-06-08T00:00:00',
                                                                'metrics': ['Count']}), 400, 'bad.request')
    assert 'Count' in body['message'] and 'Status429' in body['message'] and 'metrics' in body['message']
    bad_intervals = ('2025-06-01', '2025-06-01T00:00:00Z/2025-06-08T00:00:00Z',
                     '2025-06-08T00:00:00/2025-06-01T00:00:00')
    for interval in bad_intervals:
        assert tapi.post('/api/v2/emutest/query', json={'interval': interval}).status_code == 400
    malformed = tapi.post('/api/v2/emutest/query', data='{"interval": ', headers={'Content-Type': 'application/json'})
    assert_error(malformed, 400, 'bad.request')


def test_rate_limit_query_filters_like_the_other_analytics_queries(emu, api, clock):  # noqa: F811
    path = '/api/v2/analytics/ratelimits/aggregates/query'
    history = ratelimit_history(emu.org)
    when = clock.now() - timedelta(minutes=30)
    history.late(when, 'platform.api', 'token.rate.per.minute', 'client-a', 4)
    history.late(when, 'dataactions', 'actions.concurrent.executions.max', 'action-b', 2)
    interval = f'{(when - timedelta(minutes=1)).isoformat()}/{clock.now().isoformat()}'
    query = {'interval': interval, 'metrics': ['oRateLimitRecorded'], 'groupBy': ['namespace', 'entityId']}

    everything = api.post(path, json=query).json()['results']
    assert {(r['group']['namespace'], r['group']['entityId']) for r in everything} >= {
        ('platform.api', 'client-a'), ('dataactions', 'action-b')}
    one = {'type': 'and', 'predicates': [{'dimension': 'entityId', 'value': 'client-a'}]}
    filtered = api.post(path, json=dict(query, filter=one)).json()['results']
    assert [r['group'] for r in filtered] == [{'namespace': 'platform.api', 'entityId': 'client-a'}]
    assert filtered[0]['data'][0]['metrics'][0]['stats'] == {'count': 4, 'max': 300}

    # A bad filter is a 400 whether or not the interval holds records.
    empty = dict(query, interval='2020-01-01T00:00:00Z/2020-01-01T01:00:00Z')
    for body in (query, empty):
        for bad in ({'type': 'xor', 'predicates': one['predicates']},
                    {'type': 'and', 'predicates': [{'dimension': 'nope', 'value': 'x'}]}):
            assert_error(api.post(path, json=dict(body, filter=bad)), 400, 'bad.request')


def submit(tapi):
    response = tapi.post('/api/v2/emutest/query', json={'interval': '2025-06-01T00:00:00/2025-06-08T00:00:00'})
    assert response.status_code == 202
    return response.json()['resultsUri']


def test_job_runs_then_completes(tapi):
    results = submit(tapi)
    assert tapi.get(results).json() == {'queryStatus': 'Running', 'results': []}
    assert tapi.get(results).json() == {'queryStatus': 'Complete', 'results': [{'days': 7}]}
    assert tapi.get(results).json()['queryStatus'] == 'Complete'
    assert_error(tapi.get('/api/v2/emutest/query/unknown/results'), 404, 'not.found')


def test_job_polls_are_configurable(temu, tapi):
    temu.jobs.running_polls = 0
    assert tapi.get(submit(tapi)).json()['queryStatus'] == 'Complete'
    temu.jobs.running_polls = 3
    results = submit(tapi)
    assert [tapi.get(results).json()['queryStatus'] for _ in range(4)] == ['Running'] * 3 + ['Complete']


def test_job_faults(temu, tapi):
    temu.faults.add('GET /api/v2/emutest/query/{executionId}/results', stuck_job=True, times=3)
    results = submit(tapi)
    assert [tapi.get(results).json()['queryStatus'] for _ in range(4)] == ['Running'] * 3 + ['Complete']
    temu.faults.clear()

    temu.faults.add('POST /api/v2/emutest/query', stuck_job=True, times=1)
    stuck = submit(tapi)
    assert {tapi.get(stuck).json()['queryStatus'] for _ in range(5)} == {'Running'}

    temu.faults.add('POST /api/v2/emutest/query', failed_job=True, times=1)
    failed = submit(tapi)
    assert tapi.get(failed).json()['queryStatus'] == 'Failed'


def test_billable_usage_report_is_a_job_of_its_window(emu, api):  # noqa: F811
    route, path = 'GET /api/v2/billing/reports/billableusage', '/api/v2/billing/reports/billableusage'
    window = {'startDate': '2025-06-01T00:00:00Z', 'endDate': '2025-06-10T00:00:00Z'}
    other = dict(window, endDate='2025-06-09T00:00:00Z')
    assert api.get(path, params=window).json()['status'] == 'InProgress'
    assert api.get(path, params=other).json()['status'] == 'InProgress'  # another window, another report
    emu.faults.add(route, stuck_job=True, times=2)
    assert [api.get(path, params=window).json()['status'] for _ in range(3)] == ['InProgress'] * 2 + ['Complete']
    done = api.get(path, params=window).json()
    assert done['status'] == 'Complete' and {u['name'] for u in done['usages']}
    emu.faults.add(route, failed_job=True, times=1)
    assert_error(api.get(path, params=window), 500, 'internal.server.error')
    assert api.get(path, params=window).json() == done


# -- rate limit -----------------------------------------------------------------------------------

def test_rate_limit_429_then_recovery(temu, tapi, clock):  # noqa: F811
    temu.rate_limiter.per_minute = 5
    for _ in range(5):
        assert tapi.get('/api/v2/users').status_code == 200
        clock.advance(5)
    limited = tapi.get('/api/v2/users')
    assert limited.status_code == 429
    assert limited.headers['Retry-After'] == '35'
    assert limited.json() == {
        'message': 'Rate limit exceeded the maximum. Retry the request in [35] seconds',
        'code': 'too.many.requests.retry.after', 'status': 429,
        'contextId': limited.headers['inin-correlation-id'], 'details': [], 'errors': [],
    }
    assert temu.rate_limited['GET /api/v2/users'] == 1

    other = EmulatorApi(temu)  # the limit is per token
    assert other.get('/api/v2/users').status_code == 200

    clock.advance(34)
    assert tapi.get('/api/v2/users').headers['Retry-After'] == '1'
    clock.advance(1)
    assert tapi.get('/api/v2/users').status_code == 200


# -- faults ---------------------------------------------------------------------------------------

def test_status_fault_with_times(emu, api):  # noqa: F811
    fault = emu.faults.add('GET /api/v2/users', status=503, times=1)
    assert_error(api.get('/api/v2/users'), 503, 'service.unavailable')
    assert api.get('/api/v2/users').status_code == 200
    assert fault.hits == 1


def test_429_fault_uses_retry_after(emu, api):  # noqa: F811
    emu.faults.add('GET /api/v2/routing/queues', status=429, retry_after=7, times=1)
    response = api.get('/api/v2/routing/queues')
    assert response.headers['Retry-After'] == '7'
    assert response.json()['message'] == 'Rate limit exceeded the maximum. Retry the request in [7] seconds'


def test_malformed_and_wrong_shape(emu, api):  # noqa: F811
    emu.faults.add('GET /api/v2/users', malformed=True, times=1)
    broken = api.get('/api/v2/users')
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        json.loads(broken.text)
    emu.faults.add('GET /api/v2/users', wrong_shape=True, times=1)
    assert api.get('/api/v2/users').json() == {'unexpected': True}
    assert 'entities' in api.get('/api/v2/users').json()


def test_drop_connection(emu, api):  # noqa: F811
    emu.faults.add('GET /api/v2/users', drop_connection=True, times=1)
    with pytest.raises(requests.ConnectionError):
        api.get('/api/v2/users')
    assert api.get('/api/v2/users').status_code == 200


def test_latency_trips_client_timeout(emu, api):  # noqa: F811
    emu.faults.add('GET /api/v2/users', latency=0.5, times=1)
    with pytest.raises(requests.Timeout):
        api.get('/api/v2/users', timeout=0.05)


def test_wildcard_fault_spares_login_and_clear(emu, api):  # noqa: F811
    emu.faults.add('*', status=500)
    assert api.get('/api/v2/users').status_code == 500
    assert api.get('/api/v2/routing/queues').status_code == 500
    assert login(emu).status_code == 200
    emu.faults.clear()
    assert api.get('/api/v2/users').status_code == 200
    with pytest.raises(ValueError):
        emu.faults.add('GET /api/v2/user', status=500)


# -- counters and control API ---------------------------------------------------------------------

def test_counters_use_route_templates(emu, api):  # noqa: F811
    for queue in emu.org.queues[:2]:
        api.get(f'/api/v2/routing/queues/{queue.id}/members')
    api.get('/api/v2/users')
    api.get('/api/v2/nowhere')
    assert emu.requests == {'POST /oauth/token': 1, 'GET /api/v2/routing/queues/{queueId}/members': 2,
                            'GET /api/v2/users': 1}
    assert emu.unmatched == {'GET /api/v2/nowhere': 1}
    emu.reset_counters()
    assert not emu.requests and not emu.unmatched


def test_control_api(emu, api, clock):  # noqa: F811
    control = emu.url + '/_emulator/'
    api.get('/api/v2/users')
    assert requests.get(control + 'stats', timeout=10).json()['requests']['GET /api/v2/users'] == 1
    added = requests.post(control + 'faults', json={'target': 'GET /api/v2/users', 'status': 502, 'times': 1},
                          timeout=10)
    assert added.json()['status'] == 502
    assert api.get('/api/v2/users').status_code == 502
    assert requests.post(control + 'faults', json={'target': 'GET /nope'}, timeout=10).status_code == 400
    requests.post(control + 'faults', json={'target': '*', 'status': 500}, timeout=10)
    requests.delete(control + 'faults', timeout=10)
    assert api.get('/api/v2/users').status_code == 200
    requests.post(control + 'permissions', json={'deny': ['oauth:client:view']}, timeout=10)
    assert api.get('/api/v2/oauth/clients').status_code == 403
    requests.post(control + 'permissions', json={'reset': True}, timeout=10)
    assert api.get('/api/v2/oauth/clients').status_code == 200
    before = clock.time()
    requests.post(control + 'clock', json={'advance': 90}, timeout=10)
    assert clock.time() == before + 90
    assert 'GET /_emulator/stats' not in emu.requests


def test_clock_control_needs_fake_clock():
    with Emulator(OrgOptions(users=2)) as emulator:
        response = requests.post(emulator.url + '/_emulator/clock', json={'advance': 1}, timeout=10)
        assert response.status_code == 400


# -- synthetic org --------------------------------------------------------------------------------

def snapshot(org):
    return (org.id, [(d.id, d.name) for d in org.divisions], [(u.id, u.name, u.email, u.is_agent) for u in org.users],
            [(q.id, q.name, q.member_ids) for q in org.queues], [(c.id, c.name) for c in org.oauth_clients],
            org.check_client_secret)


def test_org_is_deterministic_per_seed():
    clock_a, clock_b = FakeClock(START), FakeClock(START)
    a = SyntheticOrg(OrgOptions(seed=11, users=40), clock_a)
    assert snapshot(a) == snapshot(SyntheticOrg(OrgOptions(seed=11, users=40), clock_b))
    assert snapshot(a) != snapshot(SyntheticOrg(OrgOptions(seed=12, users=40), clock_a))
    assert len(a.users) == 40 and len(a.queues) == 5 and len(a.oauth_clients) == 6 and len(a.divisions) == 2
    assert all(uid in {u.id for u in a.agents} for q in a.queues for uid in q.member_ids)


def test_org_ext_is_computed_once():
    org = SyntheticOrg(OrgOptions(users=3), FakeClock(START))
    calls = []

    def usage(o):
        calls.append(o)
        return {'rows': o.rng('usage').randint(0, 10**6)}

    assert org.ext(usage) is org.ext(usage)
    assert calls == [org]
    assert usage(SyntheticOrg(OrgOptions(users=3), FakeClock(START))) == org.ext(usage)


def test_org_mutations_show_in_the_api(emu, api):  # noqa: F811
    queue = emu.org.queues[0]
    emu.org.rename_queue(queue.id, 'Renamed queue')
    names = {q['id']: q['name'] for q in api.get('/api/v2/routing/queues').json()['entities']}
    assert names[queue.id] == 'Renamed queue'
    emu.org.delete_queue(queue.id)
    assert queue.id not in {q['id'] for q in api.get('/api/v2/routing/queues').json()['entities']}
    assert api.get(f'/api/v2/routing/queues/{queue.id}/members').status_code == 404
    emu.org.rename_oauth_client(emu.client_id, 'Datadog (renamed)')
    assert api.get('/api/v2/oauth/clients/' + emu.client_id).json()['name'] == 'Datadog (renamed)'


# -- CLI ------------------------------------------------------------------------------------------

def test_cli_prints_listening_line():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get('PYTHONPATH')])))
    process = subprocess.Popen(
        [sys.executable, '-m', 'genesys_cloud_dd.emulator', '--port', '0', '--users', '5', '--client-id', 'cli-client',
         '--client-secret', 'cli-secret', '--fake-clock', '2025-06-01T00:00:00Z'],
        cwd=str(REPO_ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith('Genesys Cloud emulator listening on http://127.0.0.1:'), line
        url = line.rsplit(' ', 1)[1]
        token = requests.post(url + '/oauth/token', auth=('cli-client', 'cli-secret'),
                              data={'grant_type': 'client_credentials'}, timeout=10)
        assert token.status_code == 200
        requests.post(url + '/_emulator/clock', json={'advance': 86400}, timeout=10)
        me = requests.get(url + '/api/v2/tokens/me', timeout=10,
                          headers={'Authorization': 'Bearer ' + token.json()['access_token']})
        assert me.status_code == 401  # the fake clock moved past the token's lifetime
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0

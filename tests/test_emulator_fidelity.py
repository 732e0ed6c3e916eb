"""Every emulator route with an sdk_model answers JSON the official SDK model accepts, key for key.

Routes join automatically: each route module declares `samples=` on @route (a Sample, a list, or a
callable(api) returning them); routes without path parameters default to one bare GET.
"""

import pytest

from genesys_cloud_dd.emulator import Emulator, OrgOptions
from genesys_cloud_dd.emulator.routes import core
from genesys_cloud_dd.emulator.routing import Router, Sample, load_routes
from tests.emulator_fixtures import EmulatorApi, api, clock, emu  # noqa: F401
from tests.fidelity import ShapeError, assert_sdk_shape

TYPED_ROUTES = [r for r in load_routes().routes() if r.sdk_model]


def _samples(route, client):
    samples = route.fidelity_samples(client)
    if samples is None:
        if route.param_names or route.method != 'GET':
            pytest.fail(f'{route.key} needs samples= on its @route (path parameters or a body)')
        samples = [Sample()]
    return samples


def assert_route_fits(route, api):  # noqa: F811
    """Send the route's samples; every answer must be a 2xx JSON body that fits its sdk_model."""
    for sample in _samples(route, api):
        path = route.template
        for name, value in sample.path_params.items():
            path = path.replace('{' + name + '}', value)
        assert '{' not in path, f'sample for {route.key} leaves a path parameter unset'
        for _ in range(sample.polls):
            response = api.request(route.method, path, params=sample.query, json=sample.json)
            assert 200 <= response.status_code < 300, (route.key, response.status_code, response.text[:500])
            assert response.headers['Content-Type'] == 'application/json'
            assert_sdk_shape(response.json(), route.sdk_model)


@pytest.mark.parametrize('route', TYPED_ROUTES, ids=[r.key for r in TYPED_ROUTES])
def test_route_answers_fit_sdk_model(route, api):  # noqa: F811
    assert_route_fits(route, api)


# -- the check above must fail when a route drifts from its model -----------------------------------------

DRIFTED = Router()
DRIFTS = {
    'none': lambda body: None,
    'unknown-field': lambda body: body.update(surprise=1),
    'unknown-nested-field': lambda body: body['entities'][0]['division'].update(extra=True),
    'bad-enum': lambda body: body['entities'][0].update(scoringMethod='Random'),
    'wrong-type': lambda body: body['entities'][0].update(memberCount='3'),
}


def _drifted_queues(drift):
    def handler(request):
        body = core.get_queues(request)  # a real answer, then one change
        DRIFTS[drift](body)
        return body

    return handler


for _drift in DRIFTS:
    DRIFTED.route('GET', f'/api/v2/emutest/drift/{_drift}', sdk_model='QueueEntityListing')(_drifted_queues(_drift))


@pytest.mark.parametrize('drift, error', [('none', None), ('unknown-field', 'not in SDK model QueueEntityListing'),
                                          ('unknown-nested-field', 'not in SDK model Division'),
                                          ('bad-enum', "'Random' is not an allowed Queue.scoringMethod"),
                                          ('wrong-type', "'3' is not a valid int")])
def test_route_check_fails_when_an_answer_drifts(clock, drift, error):  # noqa: F811
    route = DRIFTED.get(f'GET /api/v2/emutest/drift/{drift}')
    with Emulator(OrgOptions(seed=7, users=5, queues=2), clock=clock, routes=DRIFTED) as emulator, \
            EmulatorApi(emulator) as client:
        if error is None:
            assert_route_fits(route, client)  # the unchanged answer fits: the failures below are the drift's
        else:
            with pytest.raises(ShapeError, match=error):
                assert_route_fits(route, client)


def test_core_routes_are_typed():
    keys = {r.key for r in TYPED_ROUTES}
    assert {
        'GET /api/v2/tokens/me', 'GET /api/v2/oauth/clients', 'GET /api/v2/oauth/clients/{clientId}',
        'GET /api/v2/users', 'GET /api/v2/routing/queues', 'GET /api/v2/routing/queues/{queueId}/members',
        'GET /api/v2/authorization/divisions',
    } <= keys


def test_error_bodies_fit_error_body(emu, api):  # noqa: F811
    import requests

    answers = [requests.get(emu.url + '/api/v2/users', timeout=10)]  # 401
    answers.append(api.get('/api/v2/users', params={'pageSize': 'many'}))  # 400
    answers.append(api.get('/api/v2/oauth/clients/nope'))  # 404
    emu.permissions.deny('oauth:client:view')
    answers.append(api.get('/api/v2/oauth/clients'))  # 403
    emu.faults.add('GET /api/v2/users', status=429, retry_after=3, times=1)
    answers.append(api.get('/api/v2/users'))  # 429
    assert [a.status_code for a in answers] == [401, 400, 404, 403, 429]
    for answer in answers:
        assert_sdk_shape(answer.json(), 'ErrorBody')


@pytest.mark.parametrize('data, model', [
    ({'entities': [], 'surprise': 1}, 'QueueEntityListing'),
    ({'entities': [{'id': 'q', 'name': 'n', 'scoringMethod': 'Random'}]}, 'QueueEntityListing'),
    ({'entities': [{'id': 'q', 'name': 'n', 'dateCreated': 'yesterday'}]}, 'QueueEntityListing'),
    ({'entities': [{'id': 'q', 'name': 'n', 'division': {'id': 'd', 'extra': True}}]}, 'QueueEntityListing'),
    ({'entities': [{'id': 'q', 'name': 'n', 'memberCount': '3'}]}, 'QueueEntityListing'),
    ({'pageSize': 1}, 'QueueEntityListing'),
    ({'unexpected': True}, 'TokenInfo'),
    ([{'id': 'x'}], 'QueueEntityListing'),
])
def test_assert_sdk_shape_rejects_drift(data, model):
    with pytest.raises(ShapeError):
        assert_sdk_shape(data, model)


def test_assert_sdk_shape_handles_lists_and_dicts():
    assert_sdk_shape([{'id': 'd', 'name': 'Home', 'objectCounts': {'QUEUE': 3}}], 'list[AuthzDivision]')
    with pytest.raises(ShapeError):
        assert_sdk_shape([{'id': 'd', 'objectCounts': {'QUEUE': 'three'}}], 'list[AuthzDivision]')


def test_a_second_client_sees_the_same_shapes(emu):  # noqa: F811
    other = EmulatorApi(emu)
    assert_sdk_shape(other.get('/api/v2/tokens/me').json(), 'TokenInfo')
    other.close()

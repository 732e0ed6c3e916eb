"""The API client against the emulator over real HTTP: tokens, 401/403/404, 429 + Retry-After, retries, paging."""

import pytest
from datadog_checks.genesys_cloud.client import (
    DONE,
    RUNNING,
    ApiUnreachable,
    AsyncJob,
    AuthenticationError,
    GenesysClient,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    RequestBudgetExhausted,
    ServerError,
    endpoint_template,
)
from datadog_checks.genesys_cloud.state import StateStore

from genesys_cloud_dd.emulator.data.limits import org_limits


@pytest.fixture
def client(emulator, clock):
    api = GenesysClient.from_settings(
        emulator.url, emulator.url, emulator.client_id, emulator.client_secret, clock=clock, max_requests_per_minute=0
    )
    api.begin_run(time_budget=45)
    return api


def test_token_is_fetched_once_and_reused(client, emulator):
    client.get('/api/v2/tokens/me')
    client.get('/api/v2/tokens/me')
    assert emulator.requests['POST /oauth/token'] == 1
    assert emulator.requests['GET /api/v2/tokens/me'] == 2
    assert client.request_counts == {'POST /oauth/token': 1, 'GET /api/v2/tokens/me': 2}


def test_token_is_renewed_before_expiry(client, emulator, clock):
    client.get('/api/v2/tokens/me')
    clock.advance(hours=23, minutes=56)  # within 5 minutes of the 24 h lifetime
    client.begin_run(time_budget=45)
    client.get('/api/v2/tokens/me')
    assert emulator.requests['POST /oauth/token'] == 2


def test_revoked_token_is_replaced_once(client, emulator):
    client.get('/api/v2/tokens/me')
    emulator.tokens.revoke_all()
    me = client.get('/api/v2/tokens/me')
    assert me['organization']['id'] == emulator.org.id
    assert emulator.requests['POST /oauth/token'] == 2


def test_bad_secret_is_an_authentication_error_without_the_secret(emulator, clock):
    api = GenesysClient.from_settings(emulator.url, emulator.url, emulator.client_id, 'wrong-secret-xyz', clock=clock)
    with pytest.raises(AuthenticationError) as raised:
        api.get('/api/v2/tokens/me')
    assert 'wrong-secret-xyz' not in str(raised.value)
    assert 'client_id/client_secret' in str(raised.value)


def test_permission_error_names_the_permission(client, emulator):
    emulator.permissions.deny('routing:queue:view')
    with pytest.raises(PermissionDenied) as raised:
        client.get('/api/v2/routing/queues')
    assert raised.value.permissions == ('routing:queue:view',)
    assert 'routing:queue:view' in str(raised.value)


def test_not_found(client):
    with pytest.raises(NotFound):
        client.get('/api/v2/routing/queues/00000000-0000-0000-0000-000000000000')


def test_429_waits_retry_after_then_succeeds(client, emulator, clock):
    emulator.faults.add('GET /api/v2/tokens/me', status=429, retry_after=7, times=1)
    before = clock.time()
    client.get('/api/v2/tokens/me')
    assert clock.time() - before == 7  # slept exactly what Retry-After asked, not less
    assert client.rate_limited_counts['GET /api/v2/tokens/me'] == 1
    assert emulator.requests['GET /api/v2/tokens/me'] == 2


def test_429_longer_than_the_run_budget_gives_up_for_this_run(client, emulator, clock):
    emulator.faults.add('GET /api/v2/tokens/me', status=429, retry_after=600)
    before = clock.time()
    with pytest.raises(RateLimited) as raised:
        client.get('/api/v2/tokens/me')
    assert raised.value.retry_after == 600
    assert clock.time() == before  # no waiting, no retry
    assert emulator.requests['GET /api/v2/tokens/me'] == 1


def test_429_storm_stops_after_bounded_retries(client, emulator):
    emulator.faults.add('GET /api/v2/tokens/me', status=429, retry_after=1)
    with pytest.raises(RateLimited):
        client.get('/api/v2/tokens/me')
    assert emulator.requests['GET /api/v2/tokens/me'] == 1 + client.max_retries


def test_real_rate_limit_of_the_emulator(emulator, clock):
    emulator.rate_limiter.per_minute = 5
    api = GenesysClient.from_settings(emulator.url, emulator.url, emulator.client_id, emulator.client_secret,
                                      clock=clock, max_requests_per_minute=0)
    api.begin_run(time_budget=120)
    start = clock.time()
    for _ in range(8):
        api.get('/api/v2/tokens/me')
    # The 6th request is refused once; the client waits out the minute (Retry-After) and goes on.
    assert api.rate_limited_counts['GET /api/v2/tokens/me'] == 1
    assert emulator.requests['GET /api/v2/tokens/me'] == 8 + 1
    assert clock.time() - start == 60
    assert api.succeeded == 8


def test_server_errors_are_retried_then_reported(client, emulator):
    emulator.faults.add('GET /api/v2/tokens/me', status=503, times=1)
    assert client.get('/api/v2/tokens/me')['organization']
    emulator.faults.add('GET /api/v2/tokens/me', status=500)
    with pytest.raises(ServerError):
        client.get('/api/v2/tokens/me')
    assert emulator.requests['GET /api/v2/tokens/me'] == 2 + 1 + client.max_retries


def test_malformed_json(client, emulator):
    emulator.faults.add('GET /api/v2/tokens/me', malformed=True)
    with pytest.raises(MalformedResponse):
        client.get('/api/v2/tokens/me')


def test_connection_refused(clock):
    api = GenesysClient.from_settings('http://127.0.0.1:9', 'http://127.0.0.1:9', 'id', 'secret', clock=clock)
    api.begin_run(time_budget=45)
    with pytest.raises(ApiUnreachable):
        api.get('/api/v2/tokens/me')


def test_dropped_connection_is_retried(client, emulator):
    emulator.faults.add('GET /api/v2/tokens/me', drop_connection=True, times=1)
    assert client.get('/api/v2/tokens/me')['organization']


def test_page_number_paging_walks_every_user(client, emulator):
    users = list(client.iter_pages('/api/v2/users', page_size=7))
    assert [u['id'] for u in users] == [u.id for u in emulator.org.users]
    assert emulator.requests['GET /api/v2/users'] == -(-len(emulator.org.users) // 7)


def test_next_uri_paging_walks_every_page_and_strict_refuses_a_page_without_its_listing(client, emulator):
    path = '/api/v2/organizations/limits/changerequests'
    requests = list(client.iter_next_uri(path, params={'pageSize': 2}, strict=True))
    expected = org_limits(emulator.org).change_requests
    assert len(expected) > 2 and sorted(r['id'] for r in requests) == sorted(r.id for r in expected)
    assert emulator.requests[f'GET {path}'] == -(-len(expected) // 2)
    assert len(list(client.iter_next_uri(path, params={'pageSize': 2}, max_pages=1))) == 2
    emulator.faults.add(f'GET {path}', wrong_shape=True, times=1)
    with pytest.raises(MalformedResponse) as raised:
        list(client.iter_next_uri(path, strict=True))
    assert str(raised.value).startswith(f'GET {path}: the answer has no `entities` list')


def test_pacing_defers_work_beyond_the_budget(emulator, clock):
    api = GenesysClient.from_settings(emulator.url, emulator.url, emulator.client_id, emulator.client_secret,
                                      clock=clock, max_requests_per_minute=3)
    api.begin_run(time_budget=30)
    for _ in range(2):  # the token request counts against the budget too
        api.get('/api/v2/tokens/me')
    with pytest.raises(RequestBudgetExhausted):
        api.get('/api/v2/tokens/me')
    api.begin_run(time_budget=90)  # a run with time to spare waits for the window instead
    before = clock.time()
    api.get('/api/v2/tokens/me')
    assert clock.time() - before == pytest.approx(60)


def test_async_job_survives_a_restart_without_resubmitting(clock):
    cache = {}
    state = StateStore(lambda k: cache.get(k, ''), cache.__setitem__)
    submitted, polls = [], []

    def submit():
        submitted.append(1)
        return f'job-{len(submitted)}'

    def poll(job_id):
        polls.append(job_id)
        return (DONE, {'rows': 3}) if len(polls) >= 3 else (RUNNING, None)

    assert AsyncJob(state, 'usage', clock).result(submit, poll, fingerprint='day-1') is None
    # A new AsyncJob over the same store stands for the Agent restarting between runs.
    assert AsyncJob(state, 'usage', clock).result(submit, poll, fingerprint='day-1') is None
    assert AsyncJob(state, 'usage', clock).result(submit, poll, fingerprint='day-1') == {'rows': 3}
    assert submitted == [1] and polls == ['job-1'] * 3
    assert AsyncJob(state, 'usage', clock).pending_id is None


def test_endpoint_template_bounds_tag_values():
    assert endpoint_template('/api/v2/routing/queues/5f0a1c2e-1111-2222-3333-444455556666/members') == (
        '/api/v2/routing/queues/{id}/members'
    )
    # the API reference's names where the check knows the template, so tags read as the documentation does
    assert endpoint_template('/api/v2/usage/query/12345/results') == '/api/v2/usage/query/{executionId}/results'
    assert endpoint_template('/api/v2/billing/contracts/c-1/billingperiods/p-2') == (
        '/api/v2/billing/contracts/{contractId}/billingperiods/{billingPeriodId}')
    assert endpoint_template('/api/v2/analytics/queues/observations/query') == (
        '/api/v2/analytics/queues/observations/query'
    )


def test_paging_that_shifts_between_pages_yields_each_entity_once(client, emulator):
    """A queue renamed mid-listing moves from the first page to the last (the listing is sorted by name)."""
    before = sorted(q.id for q in emulator.org.queues)
    pages = client.iter_pages('/api/v2/routing/queues', page_size=2)
    first = [next(pages), next(pages)]
    emulator.org.rename_queue(first[0]['id'], 'zzz moved during paging')
    rest = list(pages)
    ids = [q['id'] for q in first + rest]
    assert len(ids) == len(set(ids))  # the moved queue shows up again on the last page, and is dropped
    assert set(ids) <= set(before)
    # What a shift skipped this time is there on the next listing.
    assert sorted(q['id'] for q in client.iter_pages('/api/v2/routing/queues', page_size=2)) == before

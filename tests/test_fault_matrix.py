"""Fault matrix: every collector against every way an endpoint can fail, through the emulator's fault injection.

Each collector's endpoints are discovered from a healthy run (the emulator counts requests per route), so a
new collector joins the matrix without editing this file. Every case asserts that the run completes, the
other collectors still work, exactly one log line names the collector's endpoint and what to do,
`can_connect` says the right thing, Retry-After is honoured, and the next healthy run recovers.
`make faults` prints the matrix as a table (see tests/fault_report.py).
"""

from dataclasses import dataclass

import pytest
from datadog_checks.genesys_cloud.collectors import COLLECTORS

from genesys_cloud_dd.emulator import OrgOptions

from .fault_report import record

TOKEN = 'POST /oauth/token'


@dataclass(frozen=True)
class Fault:
    name: str
    expected: str  # what the matrix table shows as the expectation
    fault: dict = None  # emulator.faults.add keyword arguments, applied to each endpoint of the collector
    fails: bool = True  # the collector's collection fails this run
    deny: bool = False  # remove the collector's permissions instead of injecting a fault


FAULTS = (
    Fault('403 missing permission', 'collector down, others up, WARNING naming the permission', deny=True),
    Fault('401 on its endpoint', 'collector down after one re-login, others up', {'status': 401}),
    Fault('404', 'collector down, others up', {'status': 404}),
    Fault('429 once, Retry-After 5', 'waits exactly 5 s, collects', {'status': 429, 'retry_after': 5, 'times': 1},
          fails=False),
    Fault('429 storm, Retry-After 900', 'collector down, nothing sent before 900 s', {'status': 429,
                                                                                      'retry_after': 900}),
    Fault('500', 'bounded retries, collector down', {'status': 500}),
    Fault('502', 'bounded retries, collector down', {'status': 502}),
    Fault('503', 'bounded retries, collector down', {'status': 503}),
    Fault('connection dropped', 'bounded retries, collector down', {'drop_connection': True}),
    Fault('read timeout', 'bounded retries, collector down', {'latency': 0.4}),
    Fault('malformed JSON', 'collector down', {'malformed': True}),
    Fault('valid JSON, wrong shape', 'collector down or no data, never wrong data', {'wrong_shape': True}),
)


def collector_names():
    return [c.name for c in COLLECTORS]


@pytest.fixture
def org_options():
    return OrgOptions(seed=11, users=40, queues=4, oauth_clients=4)


def run(check, only=None):
    check.warnings.clear()
    error = check.run() if only is None else _run_only(check, only)
    assert error == '', error  # the run always completes


def _run_only(check, only):
    check.run_check_initializations()
    check.check(None, only=set(only))
    return ''


_ENDPOINTS = {}


def endpoints_of(name, make_check, emulator):
    """The API routes one collector uses, from a healthy run of that collector alone (same seed: cached)."""
    if name not in _ENDPOINTS:
        check = make_check(check_id=f'genesys_cloud:discover-{name}')
        run(check, only=['org'])
        emulator.reset_counters()
        run(check, only=[name])
        _ENDPOINTS[name] = sorted(k for k in emulator.requests if k != TOKEN)
        emulator.reset_counters()
    return _ENDPOINTS[name]


def independent_of(name, make_check, emulator):
    """Collectors sharing no endpoint and no permission with `name`: a fault there must not touch them."""
    mine = set(endpoints_of(name, make_check, emulator))
    my_permissions = set(next(c for c in COLLECTORS if c.name == name).permissions)
    return [
        c.name for c in COLLECTORS
        if c.name != name and not mine & set(endpoints_of(c.name, make_check, emulator))
        and not my_permissions & set(c.permissions)
    ]


def up(aggregator, name):
    points = [m.value for m in aggregator.metrics('genesys_cloud.check.collector.up') if f'collector:{name}' in m.tags]
    return points[-1] if points else None


def status_of(aggregator):
    checks = aggregator.service_checks('genesys_cloud.can_connect')
    return (checks[-1].status, checks[-1].message) if checks else (None, None)


@pytest.mark.parametrize('fault', FAULTS, ids=lambda f: f.name)
@pytest.mark.parametrize('name', collector_names())
def test_fault(name, fault, make_check, emulator, aggregator, clock):
    collector_class = next(c for c in COLLECTORS if c.name == name)
    endpoints = endpoints_of(name, make_check, emulator)
    independent = independent_of(name, make_check, emulator)
    timeout = {'timeout': 0.2} if fault.fault and fault.fault.get('latency') else {}
    check = make_check(**timeout)
    aggregator.reset()
    emulator.reset_counters()

    if fault.deny and collector_class.permissions:
        emulator.permissions.deny(*collector_class.permissions)
    elif fault.deny:
        # No permission is documented for its endpoints: should Genesys require one after all, the 403 it
        # answers (naming the permission or not) must be reported the same way.
        for endpoint in endpoints:
            emulator.faults.add(endpoint, status=403)
    else:
        for endpoint in endpoints:
            emulator.faults.add(endpoint, **fault.fault)
    started = clock.time()
    run(check)
    collector_up = up(aggregator, name)
    status, message = status_of(aggregator)
    others = {other: up(aggregator, other) for other in independent}
    lines = [w for w in check.warnings if w.startswith(f'{name}:')]

    outcome = []
    known = {e for c in COLLECTORS for e in endpoints_of(c.name, make_check, emulator)} | {TOKEN}
    fallback = sorted(k for k in emulator.requests if k not in known)
    if fault.fails and collector_up == 1 and fallback and (fault.deny or fault.fault.get('status') in (403, 404)):
        # A collector with a documented fallback (legacy usage query, billable usage report) keeps working.
        assert lines == []
        outcome.append(f'collected via fallback {fallback[0]}')
    elif fault.fails and fault.name.startswith('valid JSON') and collector_up == 1:
        # Tolerating an unexpected shape is acceptable only if nothing was made up from it.
        aggregator.reset()
        clock.advance(max(collector_class.default('interval'), 900) + 1)
        run(check, only=[name])
        produced = _collector_metrics(aggregator)
        assert produced == [], f'{name} submitted {produced[:3]} from a body of the wrong shape'
        outcome.append('no data')
    elif fault.fails:
        assert collector_up == 0, f'{name} should be reported down'
        assert len(lines) == 1, f'expected exactly one log line for {name}, got {check.warnings}'
        assert endpoints[0].split(' ', 1)[1] in lines[0] or any(e.split(' ', 1)[1] in lines[0] for e in endpoints)
        outcome.append('down, 1 log line')
    else:
        assert collector_up == 1
        assert lines == []
        outcome.append('collected')

    if name != 'org' and not fault.name.startswith('401'):
        # Collectors that share no endpoint or permission with the faulty one keep working.
        assert all(value in (1, None) for value in others.values()), others
        outcome.append(f'{len(others)} independent collectors up')

    if fault.deny and collector_class.permissions:
        assert status == 1 and any(p in message for p in collector_class.permissions), message
        assert any(p in lines[0] for p in collector_class.permissions)
        outcome.append('WARNING names permission')
    elif fault.deny:
        assert status == 1 and f'{name} needs one of an unknown permission' in message, message
        assert 'add the missing permission' in lines[0]
        outcome.append('WARNING: permission missing')
    if fault.fault and fault.fault.get('retry_after') == 5:
        assert clock.time() - started >= 5
        outcome.append('waited Retry-After')
    if fault.fault and fault.fault.get('retry_after') == 900:
        sent = {e: emulator.requests[e] for e in endpoints}
        clock.advance(120)
        aggregator.reset()
        run(check)
        assert {e: emulator.requests[e] for e in endpoints} == sent, 'retried before Retry-After'
        outcome.append('no retry before 900 s')
    if fault.fault and fault.fault.get('status', 0) >= 500:
        for endpoint in endpoints:
            # Lookups shared by several collectors (the queue list) may be tried once by each of them.
            users = sum(endpoint in endpoints_of(c.name, make_check, emulator) for c in COLLECTORS)
            assert emulator.requests[endpoint] <= (1 + check.client.max_retries) * users, endpoint
        outcome.append('bounded retries')

    # The next healthy run recovers, once every collector that shared the permission (and failed with it) is
    # due again: a missing permission holds a collector back for its whole interval (org_limits: 4 h).
    emulator.faults.clear()
    emulator.permissions.reset()
    sharing = [c.default('interval') for c in COLLECTORS if set(c.permissions) & set(collector_class.permissions)]
    clock.advance(max([collector_class.default('interval'), 900] + sharing) + 1)
    aggregator.reset()
    run(check)
    assert up(aggregator, name) == 1, f'{name} did not recover'
    assert status_of(aggregator)[0] == 0
    outcome.append('recovers')
    record(f'{name}: {fault.name}', fault.expected, ', '.join(outcome))


def test_token_revoked_mid_run_is_replaced(make_check, emulator, aggregator, clock):
    check = make_check()
    run(check)
    emulator.tokens.revoke_all()
    emulator.reset_counters()
    clock.advance(3600)
    aggregator.reset()
    run(check)
    assert emulator.requests[TOKEN] == 1
    assert all(up(aggregator, name) == 1 for name in collector_names())
    record('all: token revoked mid-run', 'one re-login, everything collects', 'one re-login, all up')


def test_bad_credentials_stop_the_run_after_one_request(make_check, emulator, aggregator):
    check = make_check(client_secret='not-the-secret')
    run(check)
    assert set(emulator.requests) == {TOKEN}
    status, message = status_of(aggregator)
    assert status == 2 and 'authentication failed' in message
    assert len(check.warnings) == 1
    record('all: bad credentials', 'CRITICAL, 1 log line, no other request', 'CRITICAL, 1 line, 1 request')


@pytest.mark.parametrize('org_options', [OrgOptions(seed=3, users=0, queues=0, oauth_clients=0)], ids=['empty org'])
def test_empty_org(make_check, aggregator, clock):
    check = make_check()
    run(check)
    clock.advance(3600)
    run(check)
    assert all(up(aggregator, name) == 1 for name in collector_names())
    record('all: empty org', 'every collector up, no crash', 'all up')


def _collector_metrics(aggregator):
    """Metrics other than the check's self-monitoring ones (which every collector produces)."""
    return [
        n for n in aggregator.metric_names
        if not n.startswith(('genesys_cloud.check.', 'genesys_cloud.api.can_connect'))
    ]



JOB_HINTS = ('/jobs', '/usage/query', 'billableusage')


def job_collectors(make_check, emulator):
    """(collector, its job poll routes) for every collector that runs async jobs."""
    found = []
    for name in collector_names():
        polls = [e for e in endpoints_of(name, make_check, emulator)
                 if e.startswith('GET') and any(h in e for h in JOB_HINTS)]
        if polls:
            found.append((name, polls))
    assert found, 'no collector uses an async job any more: drop these cases'
    return found


def test_job_stuck_running_waits_without_resubmitting(make_check, emulator, aggregator, clock):
    for name, polls in job_collectors(make_check, emulator):
        check = make_check(check_id=f'genesys_cloud:stuck-{name}')
        emulator.reset_counters()
        for endpoint in polls:
            emulator.faults.add(endpoint, stuck_job=True)
        for _ in range(5):
            aggregator.reset()
            run(check)
            assert up(aggregator, name) == 1 and not [w for w in check.warnings if w.startswith(f'{name}:')]
            clock.advance(60)
        assert all(emulator.requests[e] >= 5 for e in polls)  # polled on every run
        submits = {k: n for k, n in emulator.requests.items() if k.startswith('POST') and any(h in k for h in
                                                                                              JOB_HINTS)}
        assert submits and all(n <= 2 for n in submits.values()), submits  # each query's job submitted once
        emulator.faults.clear()
        aggregator.reset()
        run(check)
        assert up(aggregator, name) == 1
        record(f'{name}: job stuck Running', 'polled each run, never resubmitted, completes later',
               'polled, not resubmitted, recovers')


def test_job_failed_is_reported_then_resubmitted(make_check, emulator, aggregator, clock):
    for name, polls in job_collectors(make_check, emulator):
        check = make_check(check_id=f'genesys_cloud:failed-{name}')
        for endpoint in polls:
            emulator.faults.add(endpoint, failed_job=True)
        aggregator.reset()
        run(check)
        lines = [w for w in check.warnings if w.startswith(f'{name}:')]
        assert up(aggregator, name) == 0 and len(lines) == 1 and 'failed' in lines[0]
        emulator.faults.clear()
        clock.advance(900)
        aggregator.reset()
        run(check)
        run(check)  # the resubmitted job answers on its next poll
        assert up(aggregator, name) == 1
        record(f'{name}: job Failed', 'collector down, 1 log line, resubmitted next run', 'down, 1 line, recovers')

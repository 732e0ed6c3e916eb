"""Agent-less mode against the emulator and a local fake Datadog API: payloads, retries, the outbox, restarts."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from datadog_checks.genesys_cloud.clock import Clock

from genesys_cloud_dd.agentless import AgentlessRunner, MetricTransformer, Outbox, build_payloads
from genesys_cloud_dd.agentless.sender import DatadogSender
from genesys_cloud_dd.check_runner import Submissions
from genesys_cloud_dd.emulator import Emulator, OrgOptions
from tests.conftest import base_tags

API_KEY = '0123456789abcdef0123456789abcdef'
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_runner(instance, clock, fake_datadog, sleeps):
    def make(state_dir=None, only=('org',), **kwargs):
        # Most tests need a run of known size: the org collector alone (5 points the first run, 4 after).
        sender = DatadogSender(API_KEY, url=fake_datadog.url)
        runner = AgentlessRunner({}, [instance], sender, state_dir=state_dir, clock=clock, sleep=sleeps.append,
                                 only=list(only) if only else None, **kwargs)
        return runner.setup()

    return make


def series_points(fake, name):
    """[(timestamp, value, type, tags)] of every accepted point of `name`, in arrival order."""
    return [(p['timestamp'], p['value'], s['type'], s['tags']) for r in fake.accepted('/api/v2/series')
            for s in r.json['series'] if s['metric'] == name for p in s['points']]


def test_payloads_carry_the_check_data_and_the_api_key(make_runner, fake_datadog, emulator, clock):
    report = make_runner(only=None).cycle()  # every collector, as configured
    assert report.delivered_everything and report.delivered == 2 + report.events
    now = int(clock.time())
    assert {r.path for r in fake_datadog.requests} == {'/api/v2/series', '/api/v1/check_run'}
    assert all(r.api_key == API_KEY for r in fake_datadog.requests)
    [series_request] = fake_datadog.by_path('/api/v2/series')
    assert series_request.headers['content-encoding'] == 'gzip'
    tags = base_tags(emulator)
    assert series_points(fake_datadog, 'genesys_cloud.api.can_connect') == [(now, 1.0, 3, tags)]
    by_endpoint = {s['tags'][0]: s for s in series_request.json['series']
                   if s['metric'] == 'genesys_cloud.check.api_requests'}
    me = by_endpoint['endpoint:GET /api/v2/tokens/me']
    assert (me['type'], me['interval'], me['points'][0]['value']) == (1, 60, 1.0)  # a count, over the interval
    assert sum(s['points'][0]['value'] for s in by_endpoint.values()) == sum(emulator.requests.values())
    [check_run] = fake_datadog.service_checks
    assert check_run == {'check': 'genesys_cloud.can_connect', 'status': 0, 'tags': tags, 'timestamp': now,
                         'host_name': ''}


def test_events_and_metric_types_follow_the_agent():
    transformer = MetricTransformer()
    result = Submissions(
        metrics=[{'name': 'g', 'type': 'gauge', 'value': 5, 'tags': ['a:1']},
                 {'name': 'c', 'type': 'count', 'value': 2, 'tags': []},
                 {'name': 'c', 'type': 'count', 'value': 3, 'tags': []},
                 {'name': 'm', 'type': 'monotonic_count', 'value': 10, 'tags': []},
                 {'name': 'r', 'type': 'rate', 'value': 100, 'tags': []}],
        events=[{'timestamp': 1000, 'msg_title': 'Limit raised', 'msg_text': 'x', 'alert_type': 'success',
                 'aggregation_key': 'k', 'tags': ['limit_name:token.rate.per.minute'],
                 'source_type_name': 'genesys_cloud'}],
    )
    first = build_payloads(result, 1000, 60, transformer, hostname='collector-1')
    series = {s['metric']: s for s in first[0]['items']}
    assert series['g'] == {'metric': 'g', 'type': 3, 'points': [[1000, 5.0]], 'tags': ['a:1'],
                           'resources': [{'type': 'host', 'name': 'collector-1'}]}
    assert (series['c']['type'], series['c']['interval'], series['c']['points']) == (1, 60, [[1000, 5.0]])
    assert 'm' not in series and 'r' not in series  # derivatives need a previous sample
    assert first[1] == {'kind': 'event', 'created': 1000, 'items': [{
        'title': 'Limit raised', 'text': 'x', 'alert_type': 'success', 'tags': ['limit_name:token.rate.per.minute'],
        'date_happened': 1000, 'source_type_name': 'genesys_cloud', 'aggregation_key': 'k', 'host': 'collector-1'}]}
    # A restart keeps the previous samples (they are persisted as plain JSON).
    restarted = MetricTransformer(transformer.previous)
    result.metrics[3]['value'], result.metrics[4]['value'] = 25, 160
    series = {s['metric']: s for s in build_payloads(result, 1060, 60, restarted)[0]['items']}
    assert (series['m']['type'], series['m']['points']) == (1, [[1060, 15.0]])
    assert (series['r']['type'], series['r']['points']) == (3, [[1060, 1.0]])
    result.metrics[3]['value'] = 3  # counter reset: no negative count
    assert 'm' not in {s['metric'] for s in build_payloads(result, 1120, 60, restarted)[0]['items']}


def test_event_reaches_the_events_api(fake_datadog):
    sender = DatadogSender(API_KEY, url=fake_datadog.url)
    event = {'kind': 'event', 'created': 1000, 'items': [{'title': 't', 'text': 'body', 'alert_type': 'warning',
                                                          'tags': ['x:y'], 'date_happened': 1000}]}
    sender.send(event)
    assert fake_datadog.events == [{'title': 't', 'text': 'body', 'alert_type': 'warning', 'tags': ['x:y'],
                               'date_happened': 1000}]
    assert fake_datadog.requests[0].api_key == API_KEY


def test_a_failed_submission_is_retried_within_the_cycle(make_runner, fake_datadog, sleeps):
    fake_datadog.fail_next(2, status=503)
    report = make_runner().cycle()
    assert report.delivered_everything
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]  # exponential backoff
    assert [r.status for r in fake_datadog.by_path('/api/v2/series')] == [503, 503, 202]
    assert len(series_points(fake_datadog, 'genesys_cloud.api.can_connect')) == 1


def test_undelivered_data_goes_out_next_cycle_oldest_first(make_runner, fake_datadog, clock, caplog):
    runner = make_runner(retries=1)
    fake_datadog.fail_next(2, status=500)  # the first payload fails twice: Datadog is down, stop for this cycle
    with caplog.at_level(logging.ERROR, logger='genesys_cloud_dd.agentless'):
        first = runner.cycle()
    assert not first.delivered_everything and first.delivered == 0
    assert 'keeping 5 metric points, 1 service checks for the next cycle' in caplog.text
    first_ts = int(clock.time())
    clock.advance(60)
    second = runner.cycle()
    assert second.delivered_everything and second.delivered == 4
    stamps = [ts for ts, *_ in series_points(fake_datadog, 'genesys_cloud.api.can_connect')]
    assert stamps == [first_ts, first_ts + 60]
    assert [sc['timestamp'] for sc in fake_datadog.service_checks] == [first_ts, first_ts + 60]
    assert API_KEY not in caplog.text


def test_rejected_payload_is_dropped_with_a_count(make_runner, fake_datadog, caplog):
    fake_datadog.fail_next(1, status=400)
    with caplog.at_level(logging.WARNING, logger='genesys_cloud_dd.agentless'):
        report = make_runner().cycle()
    assert report.delivered_everything and report.delivered == 1  # the service checks still went
    assert 'dropped 1 unsent payload (5 metric points): Datadog refused it (HTTP 400' in caplog.text


def test_the_buffer_is_bounded_and_drops_are_logged(make_runner, fake_datadog, clock, caplog):
    runner = make_runner(retries=0, max_buffer_items=14)
    fake_datadog.fail_next(100, status=502)
    with caplog.at_level(logging.WARNING, logger='genesys_cloud_dd.agentless'):
        for _ in range(3):
            runner.cycle()  # 5 points + 1 service check, then 4 + 1 (the token is reused)
            clock.advance(60)
    # Oldest payload first: cycle 1's series went; its service check (1 item) still fits.
    assert runner.outbox.items == 11
    assert runner.outbox.dropped == {'series': 5}
    assert 'dropped 1 unsent payload (5 metric points): the buffer of unsent data is full (14 items)' in caplog.text
    fake_datadog.reset()
    runner.cycle()
    assert len(series_points(fake_datadog, 'genesys_cloud.api.can_connect')) == 3  # cycles 2, 3 and 4; 1 was dropped
    assert len(fake_datadog.service_checks) == 4


def test_outbox_expires_what_datadog_would_refuse(caplog):
    outbox = Outbox(max_items=100)
    outbox.add([{'kind': 'series', 'created': 0, 'items': [{'points': [[0, 1]]}]},
                {'kind': 'service_check', 'created': 3200, 'items': [{}]},
                {'kind': 'event', 'created': 0, 'items': [{}]}])
    with caplog.at_level(logging.WARNING, logger='genesys_cloud_dd.agentless'):
        outbox.expire(now=3700)
    assert [p['kind'] for p in outbox.payloads] == ['service_check', 'event']
    assert 'dropped 1 unsent payload (1 metric points): older than Datadog accepts' in caplog.text


def test_state_dir_keeps_schedule_and_outbox_across_restarts(make_runner, fake_datadog, emulator, clock, tmp_path):
    state = str(tmp_path / 'state')
    first = make_runner(state_dir=state, only=None)  # every collector: each persists its next due time
    fake_datadog.fail_next(100, status=503)
    first.cycle()
    pending = first.outbox.items
    [check] = first.checks
    due = dict(check.scheduler._next_due)
    first.close()
    fake_datadog.reset()
    clock.advance(60)
    second = make_runner(state_dir=state, only=None)  # a new process: new check, same directory
    [check] = second.checks
    # Every collector not yet due resumes its cadence; org always runs first (it proves the credentials).
    resumed = {name: t for name, t in due.items() if name != 'org' and t > clock.time()}
    assert {'licenses', 'billing', 'org_limits'} <= set(resumed)
    assert check.scheduler._next_due == resumed
    assert second.outbox.items == pending > 0
    licence_pages = emulator.requests['GET /api/v2/license/users']
    second.cycle()
    assert emulator.requests['GET /api/v2/license/users'] == licence_pages  # not collected early...
    now = int(clock.time())
    assert any(t == now for t, *_ in series_points(fake_datadog, 'genesys_cloud.license.assigned'))  # ...yet drawn
    assert len(series_points(fake_datadog, 'genesys_cloud.api.can_connect')) == 2
    assert Outbox(store=second.root, key='outbox').items == 0  # what was delivered is gone from disk too


@pytest.fixture
def real_emulator():
    with Emulator(OrgOptions(seed=5, users=10, queues=2, oauth_clients=3), clock=Clock(), job_polls=0) as emu:
        yield emu


def test_cli_once_survives_a_failed_run_via_state_dir(real_emulator, fake_datadog, tmp_path):
    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'instances': [{
        'client_id': real_emulator.client_id, 'client_secret': real_emulator.client_secret,
        'api_url': real_emulator.url, 'login_url': real_emulator.url}]}))
    env = {**os.environ, 'DD_API_KEY': API_KEY}

    def agentless():
        return subprocess.run(
            [sys.executable, '-m', 'genesys_cloud_dd.cli', 'agentless', '-c', str(conf), '--once', '--retries', '0',
             '--dd-url', fake_datadog.url, '--state-dir', str(tmp_path / 'state'), '-l', 'debug'],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    fake_datadog.fail_next(10, status=503)
    failed = agentless()
    assert failed.returncode == 1
    assert 'kept in' in failed.stderr and 'unsent items' in failed.stderr
    fake_datadog.reset()
    delivered = agentless()
    assert delivered.returncode == 0, delivered.stderr
    assert len(series_points(fake_datadog, 'genesys_cloud.api.can_connect')) == 2  # both runs' points arrived
    assert len(fake_datadog.service_checks) == 2
    for proc in (failed, delivered):
        assert API_KEY not in proc.stdout + proc.stderr
        assert real_emulator.client_secret not in proc.stdout + proc.stderr


def test_cli_refuses_to_start_without_an_api_key(tmp_path):
    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'instances': [{'client_id': 'a', 'client_secret': 'b'}]}))
    env = {k: v for k, v in os.environ.items() if k != 'DD_API_KEY'}
    proc = subprocess.run([sys.executable, '-m', 'genesys_cloud_dd.cli', 'agentless', '-c', str(conf), '--once'],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and 'DD_API_KEY is not set' in proc.stderr

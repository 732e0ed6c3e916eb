"""Fault matrix, ownership part: more than one process, a state directory that cannot be trusted or written, and
deliveries whose outcome is unknown. Everything runs through the code paths users run (the CLI in a subprocess,
real sockets to the emulator and a local fake Datadog); `make faults` prints the rows."""

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from datadog_checks.genesys_cloud.clock import Clock
from datadog_checks.genesys_cloud.collectors import COLLECTORS

from genesys_cloud_dd.agentless import AgentlessRunner
from genesys_cloud_dd.agentless.outbox import Outbox
from genesys_cloud_dd.agentless.sender import DatadogSender
from genesys_cloud_dd.agentless.statedir import DB_NAME, StateDirectory
from genesys_cloud_dd.emulator import Emulator, OrgOptions
from tests.fake_datadog import FakeDatadog

from .fault_report import record

API_KEY = '0123456789abcdef0123456789abcdef'
ROOT = Path(__file__).resolve().parents[1]


class SlowEvents(FakeDatadog):
    """Accepts every request, but answers the events API only after `delay` seconds (or when `release` is set):
    an intake that took the event and answered after the client gave up."""

    def __init__(self, delay=0.0):
        super().__init__()
        self.delay = delay
        self.received = threading.Event()
        self.release = threading.Event()

    def handle(self, method, raw_path, headers, body):
        answer = super().handle(method, raw_path, headers, body)
        if raw_path.startswith('/api/v1/events'):
            self.received.set()
            self.release.wait(self.delay)
        return answer


@pytest.fixture
def real_emulator():
    with Emulator(OrgOptions(seed=5, users=10, queues=2, oauth_clients=3), clock=Clock(), job_polls=0) as emu:
        yield emu


@pytest.fixture
def conf(real_emulator, tmp_path):
    path = tmp_path / 'conf.yaml'
    path.write_text(yaml.safe_dump({'instances': [{
        'client_id': real_emulator.client_id, 'client_secret': real_emulator.client_secret,
        'api_url': real_emulator.url, 'login_url': real_emulator.url,
        # The org lookup alone: a run of known, small size.
        **{c.name: {'enabled': False} for c in COLLECTORS if c.name != 'org'}}]}))
    return path


def agentless(conf, dd_url, state_dir, background=False, prefix=(), **kwargs):
    command = [*prefix, sys.executable, '-m', 'genesys_cloud_dd.cli', 'agentless', '-c', str(conf), '--once',
               '--retries', '0', '--dd-url', dd_url, '--state-dir', str(state_dir)]
    options = dict(cwd=ROOT, env={**os.environ, 'DD_API_KEY': API_KEY}, text=True, **kwargs)
    if background:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options)
    return subprocess.run(command, capture_output=True, timeout=120, **options)


def listing(directory):
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in Path(directory).iterdir())


def event_payload(created, title='Limit raised'):
    return {'kind': 'event', 'created': int(created),
            'items': [{'title': title, 'text': 'x', 'alert_type': 'info', 'tags': [], 'date_happened': int(created)}]}


def seed_outbox(state_dir, payloads):
    directory = StateDirectory(str(state_dir)).open()
    Outbox(directory=directory).add(payloads)
    directory.close()


def test_a_second_run_on_the_same_state_dir_stops_and_touches_nothing(conf, real_emulator, fake_datadog, tmp_path):
    state = tmp_path / 'state'
    owner = StateDirectory(str(state)).open()  # a slow run still holds the directory
    before = listing(state)
    real_emulator.reset_counters()
    try:
        second = agentless(conf, fake_datadog.url, state)
    finally:
        owner.close()
    assert second.returncode == 3, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and 'another run owns the state directory' in lines[0] and f'pid {os.getpid()}' in lines[0]
    assert listing(state) == before
    assert sum(real_emulator.requests.values()) == 0 and fake_datadog.requests == []
    record('agentless: overlapping --once runs', 'second run: 1 line, exit 3, touches nothing',
           '1 line, exit 3, no request, directory unchanged')


def test_corrupt_and_wrong_shape_records_are_skipped_named_and_lost(conf, fake_datadog, tmp_path):
    state = tmp_path / 'state'
    now = int(time.time())
    seed_outbox(state, [event_payload(now, 'first'), event_payload(now, 'second'), event_payload(now, 'third')])
    db = sqlite3.connect(state / DB_NAME)
    ids = [row[0] for row in db.execute('SELECT id FROM outbox ORDER BY id')]
    db.execute('UPDATE outbox SET body = ? WHERE id = ?', ('{"kind": "event", "created": 1, "ite', ids[0]))
    db.execute('UPDATE outbox SET body = ? WHERE id = ?', (json.dumps({'kind': 'event', 'items': 'x'}), ids[1]))
    db.commit()
    db.close()
    run = agentless(conf, fake_datadog.url, state)
    assert run.returncode == 1
    assert f'outbox record {ids[0]} is corrupt (not JSON' in run.stderr
    assert f'outbox record {ids[1]} is corrupt (no creation time)' in run.stderr
    assert '2 items dropped unsent or lost' in run.stderr
    assert [e['title'] for e in fake_datadog.events] == ['third']  # the good one still went
    record('agentless: corrupt / wrong-shape outbox records', 'skipped, named, counted lost, exit 1',
           '2 named, third delivered, exit 1')


def test_a_damaged_database_is_kept_aside_and_counted_lost(conf, fake_datadog, tmp_path):
    state = tmp_path / 'state'
    seed_outbox(state, [event_payload(time.time())] * 40)
    data = (state / DB_NAME).read_bytes()
    (state / DB_NAME).write_bytes(data[:len(data) // 3])  # truncated
    run = agentless(conf, fake_datadog.url, state)
    assert run.returncode == 1
    assert 'is corrupt; moved to' in run.stderr and 'lost' in run.stderr
    assert len(list(state.glob(f'{DB_NAME}.corrupt-*'))) == 1
    assert len(fake_datadog.service_checks) == 1  # this run's data still went
    record('agentless: truncated state database', 'kept aside, said so, exit 1, run goes on',
           'moved aside, 1 error line, exit 1')


def _without_root_override():
    """Root ignores file permissions: under root, the run goes without the capability that lets it."""
    if os.geteuid() != 0:
        return {}
    if not shutil.which('setpriv'):
        pytest.skip('running as root without setpriv: a directory cannot be read-only to this test')
    return {'prefix': ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--']}


@pytest.mark.parametrize('how', ['read-only directory', 'full disk'])
def test_an_unwritable_state_dir_is_one_line_before_any_request(how, conf, real_emulator, fake_datadog, tmp_path):
    state = tmp_path / 'state'
    seed_outbox(state, [event_payload(time.time())])
    options = {}
    if how == 'read-only directory':
        os.chmod(state / DB_NAME, 0o444)
        os.chmod(state, 0o555)
        options = _without_root_override()
    else:
        def small_disk():  # writes past 64 KB fail as on a full disk (EFBIG instead of ENOSPC)
            resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        options = {'preexec_fn': small_disk}
    before = listing(state)
    real_emulator.reset_counters()
    try:
        run = agentless(conf, fake_datadog.url, state, **options)
    finally:
        os.chmod(state, 0o755)
    assert run.returncode == 3, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and f'the state directory {state} is not writable' in lines[0], run.stderr
    assert sum(real_emulator.requests.values()) == 0 and fake_datadog.requests == []
    assert [name for name, *_ in listing(state)] == [name for name, *_ in before]  # no temporary file left
    record(f'agentless: {how}', '1 line before any request, exit 3, no temp files', '1 line, 0 requests, exit 3')


def test_an_event_answered_after_the_timeout_is_sent_at_most_twice(tmp_path, caplog, instance, clock):
    fake = SlowEvents(delay=1.0).start()
    try:
        sender = DatadogSender(API_KEY, url=fake.url, timeout=0.3)
        runner = AgentlessRunner({}, [instance], sender, state_dir=str(tmp_path / 'state'), clock=clock,
                                 sleep=lambda s: None, retries=3)
        now = clock.time()
        series = {'kind': 'series', 'created': int(now) - 120,
                  'items': [{'metric': 'genesys_cloud.x', 'type': 3, 'points': [[int(now) - 120, 1.0]], 'tags': []}]}
        runner.outbox.add([event_payload(now), series])
        runner.flush()
        runner.flush()  # and the next cycle does not send it again either
        events = fake.by_path('/api/v1/events')
        assert len(events) == 2
        assert 're-sending it once' in caplog.text and 'not sent again (it may have arrived)' in caplog.text
        # The series went once, with the timestamp it was collected at.
        assert [p['timestamp'] for r in fake.accepted('/api/v2/series') for s in r.json['series']
                for p in s['points']] == [int(now) - 120]
        assert runner.outbox.items == 0
        runner.close()
    finally:
        fake.release.set()
        fake.stop()
    record('agentless: event answered after the timeout', 're-sent at most once, logged', '2 sends, then given up')


def test_a_kill_between_acceptance_and_the_journal_update_resends_an_event_once(conf, tmp_path):
    state = tmp_path / 'state'
    seed_outbox(state, [event_payload(time.time())])
    fake = SlowEvents(delay=60).start()
    try:
        run = agentless(conf, fake.url, state, background=True)
        assert fake.received.wait(60)  # the intake has the event; the run waits for the answer...
        run.send_signal(signal.SIGKILL)  # ...and is killed before it can record the acknowledgement
        run.communicate(timeout=30)
        fake.release.set()
        fake.delay = 0
        again = agentless(conf, fake.url, state)
        assert again.returncode == 0, again.stderr
        assert 'the delivery of its event is uncertain' in again.stderr and 're-sending it once' in again.stderr
        third = agentless(conf, fake.url, state)
        assert third.returncode == 0, third.stderr
        assert len(fake.by_path('/api/v1/events')) == 2
    finally:
        fake.release.set()
        fake.stop()
    record('agentless: SIGKILL between acceptance and journal', 'event re-sent once, logged, never again',
           '2 copies at most')


@pytest.mark.parametrize('answer', ['200 HTML page (captive portal)', '200 JSON without a token', '503 every time',
                                    '429 every time'])
def test_check_and_agentless_exit_non_zero_when_the_login_is_not_a_token(answer, conf, real_emulator, fake_datadog,
                                                                          tmp_path):
    from .test_fault_matrix import NOT_A_TOKEN

    fault, status_text, _ = NOT_A_TOKEN[answer]
    real_emulator.faults.add('POST /oauth/token', **fault)
    check = subprocess.run([sys.executable, '-m', 'genesys_cloud_dd.cli', 'check', '-c', str(conf)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 1, check.stdout + check.stderr
    assert 'genesys_cloud.can_connect   CRITICAL' in check.stdout
    assert f'POST /oauth/token: {status_text}' in check.stdout
    once = agentless(conf, fake_datadog.url, tmp_path / 'state')
    assert once.returncode == 1, once.stderr
    assert 'genesys_cloud.can_connect is CRITICAL' in once.stderr
    [service_check] = fake_datadog.service_checks
    assert service_check['status'] == 2 and 'login failed: POST /oauth/token' in service_check['message']
    record(f'cli: token endpoint answers {answer}', 'check and agentless --once exit 1, can_connect CRITICAL sent',
           'exit 1 twice, CRITICAL delivered')

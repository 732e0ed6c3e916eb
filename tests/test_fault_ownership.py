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
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from datadog_checks.genesys_cloud import GenesysCloudCheck
from datadog_checks.genesys_cloud.clock import Clock, FakeClock
from datadog_checks.genesys_cloud.collectors import COLLECTORS

from genesys_cloud_dd.agentless import AgentlessRunner
from genesys_cloud_dd.agentless.outbox import Outbox
from genesys_cloud_dd.agentless.sender import DatadogSender
from genesys_cloud_dd.agentless.statedir import DB_NAME, StateDirectory
from genesys_cloud_dd.emulator import Emulator, OrgOptions
from genesys_cloud_dd.emulator.data.limits import org_limits
from genesys_cloud_dd.emulator.data.operational_events import operational_events
from tests.conftest import SECRET_CANARY, START
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
    db.execute("INSERT OR REPLACE INTO kv VALUES ('agentless.derivatives', '[[1, 2]]')")  # wrong shape
    db.commit()
    db.close()
    run = agentless(conf, fake_datadog.url, state)
    assert run.returncode == 1
    assert f'outbox record {ids[0]} is corrupt (not JSON' in run.stderr
    assert f'outbox record {ids[1]} is corrupt (no creation time)' in run.stderr
    assert '2 items dropped unsent or lost' in run.stderr
    assert 'persisted state agentless.derivatives has the wrong shape' in run.stderr  # dropped, not a crash
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


@pytest.mark.parametrize('answer', ['200 HTML page (captive portal)', '429 every time'])  # all four: test_fault_matrix
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


# -- state age: moves, restores, outages, restarts ----------------------------------------------------------------

AGE_OPTIONS = OrgOptions(seed=21, users=30, queues=3, oauth_clients=4)
AGE_COLLECTORS = ('data_actions', 'rate_limits', 'operational_events', 'org_limits')


class Org:
    """One emulated org on its own clock, with checks that keep their own persistent caches (one per Agent)."""

    def __init__(self, aggregator):
        self.clock = FakeClock(START)
        self.emulator = Emulator(AGE_OPTIONS, clock=self.clock, client_secret=SECRET_CANARY).__enter__()
        self.aggregator = aggregator
        self.instance = {'client_id': self.emulator.client_id, 'client_secret': SECRET_CANARY,
                         'api_url': self.emulator.url, 'login_url': self.emulator.url, 'min_collection_interval': 60,
                         'org_limits': {'interval': 900},
                         'notifications': False,  # state ownership is under test; socket messages arrive in real time
                         **{c.name: {'enabled': False} for c in COLLECTORS
                            if c.name not in AGE_COLLECTORS + ('org',)}}
        self.counts = Counter()
        self.events = Counter()

    def check(self, agent):
        """A new check object on `agent` (a fresh process, or the cluster check dispatched there again)."""
        check = GenesysCloudCheck('genesys_cloud', {}, [self.instance], clock=self.clock)
        check.check_id = f'genesys_cloud:{agent}:0'
        return check

    def run(self, check):
        self.aggregator.reset()
        assert check.run() == ''
        for name in self.aggregator.metric_names:
            if not name.startswith('genesys_cloud.check.'):
                self.counts[name] += sum(m.value for m in self.aggregator.metrics(name)
                                         if m.type == self.aggregator.COUNT)
        for event in self.aggregator.events:
            # Per aggregation key (one per change request, per event definition and entity): an announcement made
            # at another collection time than the twin's is the same announcement.
            self.events[event.get('aggregation_key')] += 1

    def happen(self, minute):
        if minute % 7 == 0:
            store = operational_events(self.emulator.org)
            store.publish(store.definitions[minute % len(store.definitions)].id, entity_index=minute)
        if minute % 20 == 10:
            limits = org_limits(self.emulator.org)
            request = limits.change_requests[(minute // 20) % len(limits.change_requests)]
            limits.set_status(request.id, 'Approved' if request.status != 'Approved' else 'Rejected', 'decided')

    def close(self):
        self.emulator.__exit__(None, None, None)


def owners(aggregator, datadog_agent, minutes, plan):
    """Run a single owner's twin and the planned owners minute by minute; plan(minute, org, checks) returns the
    check to run that minute (or None: nobody runs). Returns (twin, planned)."""
    twin, planned = Org(aggregator), Org(aggregator)
    try:
        single = twin.check('single')
        checks = {}
        for minute in range(minutes):
            for org in (twin, planned):
                org.clock.set(START.timestamp() + 60 * minute)
                org.happen(minute)
            twin.run(single)
            check = plan(minute, planned, checks)
            if check is not None:
                planned.run(check)
        last = checks[checks['current']]
        for org, final in ((twin, single), (planned, last)):  # both end on the same closed windows
            org.clock.set(START.timestamp() + 60 * minutes + 900)
            org.run(final)
    finally:
        twin.close()
        planned.close()
    return twin, planned


def above_twin(twin, planned):
    over = {k: (n, twin.counts[k]) for k, n in planned.counts.items() if n > twin.counts[k]}
    over.update({k: (n, twin.events[k]) for k, n in planned.events.items() if n > twin.events[k]})
    return over


def on(agent, checks, org):
    """The check as dispatched to `agent`: the same object while it stays there, a new one when it arrives."""
    if checks.get('current') != agent:
        checks['current'] = agent
        checks[agent] = org.check(agent)
    return checks[agent]


def test_a_cluster_check_moved_away_and_back_never_counts_twice(aggregator, datadog_agent):
    def plan(minute, org, checks):  # A for 30 minutes, B for 60, back on A (its cache an hour old)
        return on('a' if minute < 30 or minute >= 90 else 'b', checks, org)

    twin, planned = owners(aggregator, datadog_agent, 130, plan)
    assert twin.counts['genesys_cloud.data_action.executions'] > 0 and twin.events
    assert above_twin(twin, planned) == {}
    record('state age: cluster check A -> B -> A (60 min away)', 'no count or event above a single owner',
           f'{sum(planned.counts.values()):.0f}/{sum(twin.counts.values()):.0f} counted, '
           f'{sum(planned.events.values())}/{sum(twin.events.values())} events')


def test_a_restored_old_backup_never_counts_twice(aggregator, datadog_agent):
    backup = {}

    def plan(minute, org, checks):
        if minute == 10:
            backup.update({k: v for k, v in datadog_agent._cache.items() if k.startswith('genesys_cloud:a:')})
        if minute == 70:  # the host is restored from the backup taken at minute 10, and the Agent starts
            datadog_agent._cache.update(backup)
            checks.clear()
        return on('a', checks, org)

    twin, planned = owners(aggregator, datadog_agent, 110, plan)
    assert backup and above_twin(twin, planned) == {}
    record('state age: cache restored from a 60 min old backup', 'no count or event above a single owner',
           'none above')


def test_a_long_outage_and_a_plain_restart(aggregator, datadog_agent):
    def plan(minute, org, checks):
        if minute == 20:
            checks.clear()  # a plain restart: a new check object, the cache kept
        if 60 <= minute < 150:
            checks.clear()
            return None  # the Agent is down for 90 minutes
        return on('a', checks, org)

    twin, planned = owners(aggregator, datadog_agent, 180, plan)
    assert above_twin(twin, planned) == {}
    # The restart resumed (counting every window); the outage cost the windows nobody counted, no more.
    assert planned.counts['genesys_cloud.data_action.executions'] > 0
    record('state age: plain restart, then a 90 min outage', 'restart resumes; outage re-anchors, no recount',
           'none above')


def test_a_plain_restart_resumes_exactly(aggregator, datadog_agent):
    def plan(minute, org, checks):
        if minute == 33:
            checks.clear()
        return on('a', checks, org)

    twin, planned = owners(aggregator, datadog_agent, 70, plan)
    assert planned.counts == twin.counts and planned.events == twin.events
    record('state age: plain restart', 'resumes: same counts and events as without it', 'identical')


# -- operational events: a cold start's first look --------------------------------------------------------------

def test_an_event_indexed_after_the_first_look_is_sent(make_check, emulator, aggregator, clock):
    from .conftest import only

    store = operational_events(emulator.org)
    check = make_check(**only('operational_events'))
    assert check.run() == ''
    history = len(aggregator.events)
    clock.advance(3)
    late = store.publish(store.definitions[0].id, when=clock.now() - timedelta(seconds=103), entity_index=4)
    clock.advance(300)
    aggregator.reset()
    assert check.run() == ''
    sent = [e['timestamp'] for e in aggregator.events]
    assert history == 0 and int(late.date_created.timestamp()) in sent
    record('operational events: created before the first look, indexed after it', 'sent (lateness allowance)',
           'sent')


def test_a_first_look_with_malformed_items_is_repeated(make_check, emulator, aggregator, clock):
    from .conftest import only

    store = operational_events(emulator.org)
    for index in range(3):
        store.publish(store.definitions[index].id, when=clock.now() - timedelta(minutes=index + 2), entity_index=index)
    visible = store.events(clock.now() - timedelta(minutes=10), clock.now())
    check = make_check(**only('operational_events'))
    emulator.faults.add('POST /api/v2/usage/events/query', times=1,
                        corrupt={'path': ['entities', 0], 'set': {'dateCreated': 'yesterday'}})
    assert check.run() == ''
    clock.advance(300)
    aggregator.reset()
    assert check.run() == ''  # looks again, whole this time: the corrupted event is history, not news
    clock.advance(300)
    assert check.run() == ''
    history = {int(e.date_created.timestamp()) for e in visible}
    assert not [e for e in aggregator.events if e['timestamp'] in history]
    record('operational events: first look with a malformed item', 'repeated, history never sent as news',
           'repeated, nothing old sent')


# -- duplicate owners ---------------------------------------------------------------------------------------------

def _day_of_runs(aggregator, agents):
    """`agents` checks with one instance (one OAuth client) run every 10 minutes from 23:50 through the next UTC
    day; returns the warnings and the unaccounted-requests points once the Usage API has that whole day."""
    clock = FakeClock(datetime(2026, 11, 18, 23, 50, tzinfo=timezone.utc))
    with Emulator(OrgOptions(seed=9, users=5, queues=1, oauth_clients=3), clock=clock, job_polls=0,
                  client_secret=SECRET_CANARY) as emulator:
        instance = {'client_id': emulator.client_id, 'client_secret': SECRET_CANARY, 'api_url': emulator.url,
                    'login_url': emulator.url, 'min_collection_interval': 600,
                    **{c.name: {'enabled': c.name in ('org', 'api_usage', 'queues')} for c in COLLECTORS}}
        checks = []
        for agent in range(agents):
            check = GenesysCloudCheck('genesys_cloud', {}, [instance], clock=clock)
            check.check_id = f'genesys_cloud:agent{agent}:0'
            checks.append(check)
        warnings, points = [], []
        for _ in range(6 * 25 + 2):  # through 00:10 the day after, when api_usage reads the whole day
            for check in checks:
                aggregator.reset()
                check.warnings.clear()
                assert check.run() == ''
                warnings += [w for w in check.warnings if 'Usage API counts' in w]
                points += [(m.value, m.tags) for m in aggregator.metrics('genesys_cloud.check.requests.unaccounted')]
            clock.advance(600)
    return warnings, points


def test_one_owner_has_no_unaccounted_requests(aggregator):
    warnings, points = _day_of_runs(aggregator, agents=1)
    assert warnings == []
    assert points and all(value == 0 and 'likely_cause:none' in tags for value, tags in points)
    record('duplicate owners: one Agent all day', 'no warning, 0 unaccounted requests', '0, no warning')


def test_the_same_instance_on_two_agents_is_named_once_a_day(aggregator):
    warnings, points = _day_of_runs(aggregator, agents=2)
    assert len(warnings) == 2  # once a day by each of them
    assert 'another Agent or Agent-less runner is likely running this instance too' in warnings[0]
    assert points and all(value > 50 and 'likely_cause:another_agent_or_runner_with_this_instance' in tags
                          for value, tags in points)
    record('duplicate owners: same instance on two Agents', 'warning once a day, metric names the likely cause',
           f'{len(warnings)} warnings (1 per check), {points[-1][0]:.0f} unaccounted requests')


def test_a_state_directory_of_an_earlier_version_is_taken_over(conf, fake_datadog, tmp_path):
    state = tmp_path / 'state'
    state.mkdir()
    now = int(time.time())
    outbox = {'payloads': [event_payload(now, 'kept from before')], 'dropped': {}}
    (state / 'agentless.outbox.json').write_text(json.dumps(outbox))
    (state / 'agentless.derivatives.json').write_text('{"x|": [1, 2]}')
    run = agentless(conf, fake_datadog.url, state)
    assert run.returncode == 0, run.stderr
    assert [e['title'] for e in fake_datadog.events] == ['kept from before']
    assert not list(state.glob('*.json'))
    record('agentless: state directory of an earlier version', 'taken into the database, outbox delivered',
           'imported, delivered')


def test_delivery_cost_is_linear_in_the_outbox(tmp_path):
    """Statements per delivered payload do not grow with the outbox (the file-based one rewrote it each time)."""
    def statements(n):
        directory = StateDirectory(str(tmp_path / f'state-{n}')).open()
        outbox = Outbox(max_items=10 ** 6, directory=directory)
        outbox.add([event_payload(1000 + i) for i in range(n)])
        written = []
        directory.db.set_trace_callback(written.append)
        for entry in outbox.entries():
            outbox.sending(entry)
            outbox.delivered(entry)
        directory.close()
        return len(written)

    small, large = statements(50), statements(500)
    assert large - 1 == 10 * (small - 1)  # three statements a payload, one to find the end
    record('agentless: delivering 50 vs 500 payloads', 'cost linear in the outbox', f'{small} vs {large} statements')


def test_a_truncated_outbox_file_of_an_earlier_version_is_named_and_lost(conf, fake_datadog, tmp_path):
    state = tmp_path / 'state'
    state.mkdir()
    (state / 'agentless.outbox.json').write_text('{"payloads": [{"kind": "series", "created": 1, "ite')
    run = agentless(conf, fake_datadog.url, state)
    assert run.returncode == 1
    assert 'agentless.outbox.json from an earlier version is unreadable' in run.stderr and 'is lost' in run.stderr
    assert len(fake_datadog.service_checks) == 1  # the run itself went on
    record('agentless: truncated outbox file (earlier version)', 'named, counted lost, exit 1', 'named, exit 1')

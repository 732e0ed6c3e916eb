"""`genesys-cloud-dd check -c conf.yaml` as a real subprocess against an emulator started by the test.

The subprocess runs on the real clock, so the emulator here does too; async jobs finish on their first
poll (job_polls=0) so one run shows every metric, as `datadog-agent check` would after a warm-up.
"""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml
from datadog_checks.genesys_cloud.clock import Clock
from datadog_checks.genesys_cloud.collectors import COLLECTORS

from genesys_cloud_dd.emulator import Emulator, OrgOptions
from tests.conftest import base_tags

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def emulator():
    with Emulator(OrgOptions(seed=11, users=30, queues=3, oauth_clients=4), clock=Clock(), job_polls=0) as emu:
        yield emu


@pytest.fixture
def write_conf(tmp_path, emulator):
    def write(*overrides, raw=None):
        path = tmp_path / 'conf.yaml'
        if raw is not None:
            path.write_text(raw)
            return path
        base = {'client_id': emulator.client_id, 'client_secret': emulator.client_secret, 'api_url': emulator.url,
                'login_url': emulator.url, 'tags': ['team:cx']}
        instances = [{**base, **o} for o in (overrides or ({},))]
        path.write_text(yaml.safe_dump({'init_config': {}, 'instances': instances}))
        return path

    return write


def cli(*args, env=None):
    # A state directory of its own per command unless the test names one: nothing lands in the user's home.
    state = {'GENESYS_CLOUD_DD_STATE_DIR': tempfile.mkdtemp(prefix='gcdd-state-')}
    return subprocess.run([sys.executable, '-m', 'genesys_cloud_dd.cli', *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **state, **(env or {})})


def metric(data, name, **tags):
    wanted = {f'{k}:{v}' for k, v in tags.items()}
    return [m for m in data['metrics'] if m['name'] == name and wanted <= set(m['tags'])]


def test_json_output_matches_the_emulator(write_conf, emulator):
    proc = cli('check', '-c', write_conf(), '--json')
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    tags = base_tags(emulator)
    [can_connect] = metric(data, 'genesys_cloud.api.can_connect')
    assert (can_connect['type'], can_connect['value'], can_connect['tags']) == ('gauge', 1.0, tags)
    assert data['service_checks'] == [{'name': 'genesys_cloud.can_connect', 'status': 'OK', 'tags': tags,
                                       'message': ''}]
    # What the check says it spent is what the emulator received, request for request.
    spent = metric(data, 'genesys_cloud.check.api_requests')
    assert all(m['type'] == 'count' for m in spent)
    assert sum(m['value'] for m in spent) == sum(emulator.requests.values())
    [me] = metric(data, 'genesys_cloud.check.api_requests', endpoint='GET /api/v2/tokens/me')
    assert me['value'] == emulator.requests['GET /api/v2/tokens/me'] == 1
    up = {m['tags'][0]: m['value'] for m in metric(data, 'genesys_cloud.check.collector.up')}
    assert up['collector:org'] == 1.0 and set(up.values()) == {1.0}  # every enabled collector worked
    assert data['error'] is None and data['warnings'] == [] and data['instance'] == 1


def test_table_output_like_the_agent(write_conf, emulator):
    proc = cli('check', '-c', write_conf(), '--collectors', 'org')
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert '=== genesys_cloud instance #1 ===' in out
    assert any(line.split()[:3] == ['genesys_cloud.api.can_connect', 'gauge', '1'] for line in out.splitlines())
    assert 'genesys_cloud.can_connect   OK' in out
    assert 'Running Checks' in out and '[OK]' in out
    assert 'Service Checks: Last Run: 1, Total: 1' in out
    # --collectors runs the subset only: the org lookup and its token, nothing else.
    assert set(emulator.requests) == {'POST /oauth/token', 'GET /api/v2/tokens/me'}


def test_unknown_collector_is_a_usage_error(write_conf, emulator):
    proc = cli('check', '-c', write_conf(), '--collectors', 'org,not_a_collector')
    assert proc.returncode == 2
    assert "unknown collector 'not_a_collector'" in proc.stderr
    assert 'valid names: org' in proc.stderr
    assert sum(emulator.requests.values()) == 0  # refused before contacting Genesys


def test_bad_secret_is_critical_and_exit_1(write_conf, emulator):
    proc = cli('check', '-c', write_conf({'client_secret': 'wrong-secret-do-not-print'}))
    assert proc.returncode == 1
    assert 'genesys_cloud.can_connect   CRITICAL' in proc.stdout
    assert 'authentication failed' in proc.stdout and '[ERROR]' in proc.stdout
    assert 'wrong-secret-do-not-print' not in proc.stdout + proc.stderr
    assert set(emulator.requests) == {'POST /oauth/token'}


def test_missing_permission_is_a_warning_and_exit_0(write_conf, emulator):
    collector = next(c for c in COLLECTORS if c.permissions)
    emulator.permissions.deny(*collector.permissions)
    proc = cli('check', '-c', write_conf(), '--json')
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    [sc] = data['service_checks']
    assert sc['status'] == 'WARNING'
    assert f'{collector.name} needs one of' in sc['message']
    assert any(collector.permissions[0] in w for w in data['warnings'])
    [up] = metric(data, 'genesys_cloud.check.collector.up', collector=collector.name)
    assert up['value'] == 0


@pytest.mark.parametrize('override, option, words', [
    ({'org': {'interval': 'often'}}, 'org.interval: ', 'valid integer'),
    ({'region': 'mars_north_1'}, 'region', 'valid regions'),
    ({'client_id': ''}, 'client_id', 'required'),
])
def test_invalid_config_exits_2_naming_the_option(write_conf, emulator, override, option, words):
    proc = cli('check', '-c', write_conf({**override, 'client_secret': 'shh-never-shown'}))
    assert proc.returncode == 2
    assert 'invalid configuration' in proc.stderr
    assert option in proc.stderr and words in proc.stderr
    assert 'shh-never-shown' not in proc.stdout + proc.stderr
    assert sum(emulator.requests.values()) == 0


def test_unreadable_config_files_exit_2(write_conf, tmp_path):
    proc = cli('check', '-c', tmp_path / 'missing.yaml')
    assert proc.returncode == 2 and 'cannot read' in proc.stderr and 'missing.yaml' in proc.stderr
    proc = cli('check', '-c', write_conf(raw='init_config: {}\ninstances: []\n'))
    assert proc.returncode == 2 and '`instances` must be a list' in proc.stderr


def test_one_failing_instance_fails_the_command(write_conf, emulator):
    proc = cli('check', '-c', write_conf({}, {'client_secret': 'nope'}), '--json')
    assert proc.returncode == 1
    first, second = json.loads(proc.stdout)
    assert first['service_checks'][0]['status'] == 'OK'
    assert second['service_checks'][0]['status'] == 'CRITICAL'


def test_every_tag_the_agent_accepts_reaches_every_point(write_conf, emulator):
    """datadog-checks-base's test stub refuses `env`, `host` and `service` tags; the Agent, and so the CLI, do not."""
    proc = cli('check', '-c', write_conf({'tags': ['env:prod', 'service:x', 'host:y']}), '--json')
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data['metrics']) > 50 and data['error'] is None
    for point in data['metrics'] + data['service_checks']:
        assert {'env:prod', 'service:x', 'host:y'} <= set(point['tags']), point


def test_the_cli_process_never_loads_the_test_stubs(write_conf, emulator):
    script = textwrap.dedent(f"""
        import sys
        from genesys_cloud_dd.cli.main import main
        code = main(['check', '-c', {str(write_conf())!r}, '--json'])
        stubs = sorted(m for m in sys.modules if m.startswith('datadog_checks.base.stubs'))
        print('STUBS', stubs, 'EXIT', code)
    """)
    proc = subprocess.run([sys.executable, '-c', script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == 'STUBS [] EXIT 0', proc.stderr


def test_enc_secret_without_a_backend_says_how(write_conf, emulator):
    conf = write_conf({'client_secret': 'ENC[genesys_client_secret]'})
    proc = cli('check', '-c', conf, env={'DD_SECRET_BACKEND_COMMAND': '', 'GENESYS_CLOUD_CLIENT_SECRET': ''})
    assert proc.returncode == 2
    assert 'client_secret is ENC[genesys_client_secret]' in proc.stderr
    assert '--secret-backend-command' in proc.stderr and 'GENESYS_CLOUD_CLIENT_SECRET' in proc.stderr
    assert sum(emulator.requests.values()) == 0  # refused before any request
    proc = cli('check', '-c', conf, '--collectors', 'org', env={'GENESYS_CLOUD_CLIENT_SECRET': emulator.client_secret})
    assert proc.returncode == 0, proc.stderr


def test_enc_values_resolve_through_the_agents_secret_backend_contract(write_conf, emulator, tmp_path):
    backend = tmp_path / 'backend.py'
    backend.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, sys
        request = json.load(sys.stdin)
        assert request['version'] == '1.0'
        known = {{'genesys_client_secret': {emulator.client_secret!r}, 'team': 'team:payments'}}
        answer = {{h: {{'value': known[h], 'error': None}} if h in known else {{'value': None, 'error': 'unknown'}}
                  for h in request['secrets']}}
        print(json.dumps(answer))
    """))
    backend.chmod(0o700)
    conf = write_conf({'client_secret': 'ENC[genesys_client_secret]', 'tags': ['ENC[team]']})
    proc = cli('check', '-c', conf, '--json', '--collectors', 'org', '--secret-backend-command', backend)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert all('team:payments' in m['tags'] for m in data['metrics'])
    assert emulator.client_secret not in proc.stdout + proc.stderr
    # `report` reads the same conf.yaml the same way.
    proc = cli('report', 'licenses', '-c', conf, '--secret-backend-command', backend, '-o', tmp_path / 'pack',
               '--no-progress')
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 'pack' / 'report.md').is_file()
    proc = cli('check', '-c', write_conf({'client_secret': 'ENC[missing]'}), '--secret-backend-command', backend)
    assert proc.returncode == 2 and 'could not resolve ENC[missing]: unknown' in proc.stderr


def test_the_org_comes_first_and_version_names_both_packages(write_conf, emulator):
    proc = cli('check', '-c', write_conf(), '--collectors', 'org')
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == '=== genesys_cloud instance #1 ==='
    assert lines[1] == f'Org: {emulator.org.name} (id {emulator.org.id}, region mypurecloud.com)'
    data = json.loads(cli('check', '-c', write_conf(), '--collectors', 'org', '--json').stdout)
    assert data['org'] == {'id': emulator.org.id, 'name': emulator.org.name, 'region': 'mypurecloud.com'}
    from datadog_checks.genesys_cloud.__about__ import __version__ as check_version

    from genesys_cloud_dd.__about__ import __version__

    proc = cli('--version')
    assert proc.returncode == 0
    assert proc.stdout.strip() == f'genesys-cloud-dd {__version__} (check genesys_cloud {check_version})'


def test_a_bad_secret_says_the_org_was_not_reached(write_conf, emulator):
    proc = cli('check', '-c', write_conf({'client_secret': 'wrong-secret-do-not-print'}))
    assert proc.stdout.splitlines()[1].startswith('Org: not reached (region mypurecloud.com)')


MID_MONTH = '2026-11-20T15:00:00Z'
CLOCK_ENV = 'GENESYS_CLOUD_DD_CLOCK'


@pytest.fixture
def slow_jobs():
    # Mid-month on any day (on the 1st the month to date needs no job): the emulator and the CLI start at one instant.
    from genesys_cloud_dd.fixed_clock import StartedAt, parse

    with Emulator(OrgOptions(seed=11, users=30, queues=3, oauth_clients=4), clock=StartedAt(parse(MID_MONTH)),
                  job_polls=1) as emu:
        yield emu


def test_usage_jobs_survive_between_runs_in_the_state_dir(slow_jobs, tmp_path):
    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'init_config': {}, 'instances': [
        {'client_id': slow_jobs.client_id, 'client_secret': slow_jobs.client_secret, 'api_url': slow_jobs.url,
         'login_url': slow_jobs.url}]}))
    state = tmp_path / 'state'
    first = cli('check', '-c', conf, '--state-dir', state, env={CLOCK_ENV: MID_MONTH})
    assert first.returncode == 0, first.stderr
    [pending] = [line for line in first.stdout.splitlines() if line.startswith('Pending: ')]
    assert pending.startswith('Pending: 2 API usage jobs (') and f'kept in {state}: the next run fetches' in pending
    assert 'month to date' in pending and ' UTC (run this command again then, or add --wait).' in pending
    assert not any(line.startswith('genesys_cloud.api.requests ') for line in first.stdout.splitlines())
    second = cli('check', '-c', conf, '--state-dir', state, '--json', env={CLOCK_ENV: MID_MONTH})
    data = json.loads(second.stdout)
    assert data['pending_jobs'] == [] and data['state_dir'] == str(state)
    assert metric(data, 'genesys_cloud.api.requests.month_to_date')
    # The second run polled the jobs the first one submitted: two jobs in all, not four.
    assert slow_jobs.requests['POST /api/v2/usage/aggregates/query/jobs'] == 2
    assert slow_jobs.requests['GET /api/v2/usage/aggregates/query/jobs/{jobId}'] == 4


def test_wait_polls_pending_jobs_until_they_finish(tmp_path, capsys):
    from datadog_checks.genesys_cloud.clock import FakeClock

    from genesys_cloud_dd.cli import check_cmd
    from genesys_cloud_dd.cli.main import build_parser

    clock = FakeClock()
    with Emulator(OrgOptions(seed=11, users=30, queues=3, oauth_clients=4), clock=clock, job_polls=3) as emu:
        conf = tmp_path / 'conf.yaml'
        conf.write_text(yaml.safe_dump({'init_config': {}, 'instances': [
            {'client_id': emu.client_id, 'client_secret': emu.client_secret, 'api_url': emu.url,
             'login_url': emu.url}]}))
        args = build_parser().parse_args(['check', '-c', str(conf), '--state-dir', str(tmp_path / 's'), '--wait'])
        started = clock.time()
        assert check_cmd.run(args, clock=clock) == 0
        out = capsys.readouterr().out
        assert 'Waiting for 2 API usage jobs (polling every 5 s, at most 600 s)...' in out
        assert '=== genesys_cloud instance: the usage jobs finished ===' in out
        assert 'Pending: ' not in out
        finished = out.split('the usage jobs finished ===')[1]
        assert any(line.startswith('genesys_cloud.api.requests.month_to_date ') for line in finished.splitlines())
        # three polls answered "running", the fourth returned the rows: three waits of 5 s on the check's clock
        assert emu.requests['GET /api/v2/usage/aggregates/query/jobs/{jobId}'] == 8
        assert clock.time() - started >= 15
        args = build_parser().parse_args(['check', '-c', str(conf), '--state-dir', 'none', '--wait', '5'])
        assert check_cmd.run(args, clock=clock) == 0
        out = capsys.readouterr().out
        assert ('still running after --wait 5; with --state-dir none their ids are forgotten when this command '
                'ends.') in out


def test_endpoint_tags_use_the_api_references_templates(write_conf, emulator):
    """One spelling per endpoint: the check's `endpoint` tags are the emulator's (the SDK's) route templates."""
    data = json.loads(cli('check', '-c', write_conf(), '--json').stdout)
    endpoints = {t.split(':', 1)[1] for m in metric(data, 'genesys_cloud.check.api_requests') for t in m['tags']
                 if t.startswith('endpoint:')}
    assert endpoints == set(emulator.requests)
    assert 'GET /api/v2/billing/contracts/{contractId}/billingperiods/{billingPeriodId}' in endpoints
    assert 'GET /api/v2/organizations/limits/namespaces/{namespaceName}/defaults' in endpoints

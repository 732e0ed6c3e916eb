"""`genesys-cloud-dd check -c conf.yaml` as a real subprocess against an emulator started by the test.

The subprocess runs on the real clock, so the emulator here does too; async jobs finish on their first
poll (job_polls=0) so one run shows every metric, as `datadog-agent check` would after a warm-up.
"""

import json
import os
import subprocess
import sys
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
    return subprocess.run([sys.executable, '-m', 'genesys_cloud_dd.cli', *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


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

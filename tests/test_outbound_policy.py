"""The one outbound policy for every call the toolkit makes to Datadog (toolkit/genesys_cloud_dd/datadog_api.py).

Fault matrix, each surface a user runs (Agent-less, `assets deploy`, `flows send-test`, the limits report's
Datadog history) against hostile servers on real sockets:
- a server that redirects (302, 307) to ANOTHER host (127.0.0.2 is not 127.0.0.1) which records headers: no key
  reaches that host, the command says so and fails (non-zero exit, nothing delivered);
- a proxy that echoes the request headers (both Datadog keys, first, straddling character 500) and the OAuth
  client secret in a 400 and a 500 body: no secret, nor any 8-character prefix of one, in any output.
"""

import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from genesys_cloud_dd.cli.main import main
from genesys_cloud_dd.datadog_api import Destination, OutboundRefused
from genesys_cloud_dd.redaction import SECRETS
from genesys_cloud_dd.reports.datadog_history import DatadogHistoryError, MetricsHistory

from .assets_helpers import make_project
from .conftest import DD_API_KEY_CANARY, SECRET_CANARY
from .fake_datadog import FakeDatadog
from .fault_report import record
from .hostile_datadog import Echo, Redirector, leaked

TOOLKIT = str(Path(__file__).resolve().parents[1] / 'toolkit')
APP_KEY = 'ddappkeyCANARY00000000000000000000000f00d'
SECRETS_USED = (DD_API_KEY_CANARY, APP_KEY, SECRET_CANARY)


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setenv('DD_API_KEY', DD_API_KEY_CANARY)
    monkeypatch.setenv('DD_APP_KEY', APP_KEY)
    monkeypatch.delenv('DD_SITE', raising=False)
    monkeypatch.delenv('DD_DD_URL', raising=False)


@pytest.fixture
def other_host():
    """Where a hostile redirect points: a fake Datadog on another loopback address, recording headers."""
    with FakeDatadog(host='127.0.0.2') as fake:
        yield fake


# -- the surfaces, each run the way a user runs it: (exit status, everything it printed) -------------------

def run_agentless(url, tmp_path, emulator, capsys, caplog):
    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'instances': [{
        'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
        'api_url': emulator.url, 'login_url': emulator.url}]}))
    status = main(['agentless', '-c', str(conf), '--once', '--retries', '0', '--collectors', 'org',
                   '--dd-url', url])
    return status, output(capsys, caplog)


def run_deploy(url, tmp_path, emulator, capsys, caplog):
    project = make_project(tmp_path / 'project')
    status = main(['assets', 'deploy', '--offline', '--root', project, '--dd-url', url])
    return status, output(capsys, caplog)


def run_send_test(url, tmp_path, emulator, capsys, caplog):
    status = main(['flows', 'send-test', '--dd-url', url])
    return status, output(capsys, caplog)


def run_history(url, tmp_path, emulator, capsys, caplog):
    history = MetricsHistory.from_environment(url)
    end = datetime(2026, 11, 18, tzinfo=timezone.utc)
    try:
        history.query('sum:genesys_cloud.velocity.requests{*}', end - timedelta(days=1), end)
        status = 0
    except DatadogHistoryError as e:  # the pack writes this into its notes
        print(e)
        status = 1
    return status, output(capsys, caplog)


def output(capsys, caplog):
    captured = capsys.readouterr()
    return '\n'.join((captured.out, captured.err, caplog.text))


SURFACES = {'agentless': run_agentless, 'assets deploy': run_deploy, 'flows send-test': run_send_test,
            'report --datadog': run_history}


@pytest.mark.parametrize('status', [302, 307])
@pytest.mark.parametrize('surface', list(SURFACES))
def test_a_redirect_to_another_host_gets_no_key(surface, status, other_host, tmp_path, emulator, capsys, caplog):
    with Redirector(other_host.url, status=status) as hostile:
        exit_status, printed = SURFACES[surface](hostile.url, tmp_path, emulator, capsys, caplog)
    assert hostile.requests, 'the surface never called Datadog'
    carrying = [r for r in other_host.requests if r.headers.get('dd-api-key') or r.headers.get('dd-application-key')]
    assert carrying == []
    assert other_host.requests == []  # not followed at all: nothing was delivered elsewhere either
    assert exit_status != 0
    assert 'redirect to 127.0.0.2 was not followed' in printed
    assert leaked(printed, SECRETS_USED) == []
    outcome = 'query refused, noted in the pack' if surface == 'report --datadog' else f'exit {exit_status}'
    record(f'{surface}: HTTP {status} to another host', 'no key leaves, not followed, a failure',
           f'0 requests at the other host, {outcome}')


@pytest.mark.parametrize('status', [400, 500])
@pytest.mark.parametrize('surface', list(SURFACES))
def test_an_error_body_echoing_the_keys_is_scrubbed_before_the_cut(surface, status, tmp_path, emulator, capsys,
                                                                    caplog):
    with Echo(status, extra=f'client_secret={SECRET_CANARY}') as echo:
        exit_status, printed = SURFACES[surface](echo.url, tmp_path, emulator, capsys, caplog)
    assert echo.requests
    assert exit_status != 0
    assert f'{status}' in printed
    assert leaked(printed, SECRETS_USED) == [], printed[-2000:]
    record(f'{surface}: HTTP {status} echoing the keys', 'no key or prefix of one printed', 'none printed')


def test_the_limits_pack_notes_a_refused_redirect_and_writes_no_key(other_host, emulator, clock, tmp_path):
    from datadog_checks.genesys_cloud.client import GenesysClient

    from genesys_cloud_dd.reports import limits

    client = GenesysClient.from_settings(emulator.url, emulator.url, emulator.client_id, emulator.client_secret,
                                         clock=clock, max_requests_per_minute=100000)
    with Redirector(other_host.url) as hostile:
        history = MetricsHistory.from_environment(hostile.url)
        data = limits.pull_limits(client, 3, clock.now().date(), clock.sleep, progress=False, history=history,
                                  dd_days=1)
        result = limits.write_report(data, str(tmp_path / 'pack'))
    assert hostile.requests and other_host.requests == []
    assert any('redirect to 127.0.0.2 was not followed' in note for note in data.notes)
    for path in result.files:
        with open(path, 'rb') as f:
            assert leaked(f.read().decode('utf-8', 'replace'), SECRETS_USED) == []


def test_send_test_fails_when_nothing_was_delivered(other_host, monkeypatch, capsys):
    with Redirector(other_host.url) as hostile:
        assert main(['flows', 'send-test', '--dd-url', hostile.url]) == 1
    out = capsys.readouterr().out
    assert out.count('FAILED') == 2 and 'sent log' not in out and 'sent event' not in out


# -- where keys may go --------------------------------------------------------------------------------

def test_destination_hosts():
    site = Destination('datadoghq.eu')
    assert site.base_url == 'https://api.datadoghq.eu'
    assert site.allows('https://http-intake.logs.datadoghq.eu/api/v2/logs')
    assert not site.allows('http://api.datadoghq.eu/api/v2/series')  # plain http: never
    assert not site.allows('https://datadoghq.eu.attacker.test/api')
    assert not site.allows('https://api.datadoghq.com/api')  # another site
    assert Destination('https://app.datadoghq.com/').site == 'datadoghq.com'
    local = Destination(url='http://127.0.0.1:8125/')
    assert local.base_url == 'http://127.0.0.1:8125' and local.allows('http://127.0.0.1:9999/x')
    assert not local.allows('http://127.0.0.2:8125/x')


@pytest.mark.parametrize('site, url', [
    ('evil.test/x?', None),
    (None, 'http://intake.example.test'),  # keys in clear text over a network
    (None, 'https://user:pw@api.datadoghq.com'),
    (None, 'ftp://api.datadoghq.com'),
])
def test_destinations_the_keys_may_not_go_to(site, url):
    with pytest.raises(OutboundRefused):
        Destination(site, url)


@pytest.mark.parametrize('argv', [
    ['agentless', '--once', '-c', 'CONF', '--dd-url', 'http://intake.example.test'],
    ['flows', 'send-test', '--dd-url', 'http://intake.example.test'],
    ['assets', 'deploy', '--offline', '--root', 'PROJECT', '--dd-url', 'http://intake.example.test'],
])
def test_clear_text_datadog_url_is_refused_before_any_request(argv, tmp_path, emulator, capsys):
    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'instances': [{
        'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
        'api_url': emulator.url, 'login_url': emulator.url}]}))
    argv = [str(conf) if a == 'CONF' else make_project(tmp_path / 'p') if a == 'PROJECT' else a for a in argv]
    assert main(argv) != 0
    printed = capsys.readouterr()
    assert 'plain http only to a loopback host' in printed.out + printed.err


# -- every secret the process knows -------------------------------------------------------------------

def test_log_lines_are_scrubbed_whatever_the_logger(caplog):
    from genesys_cloud_dd import redaction

    redaction.install()
    SECRETS.add('a-registered-secret-value')
    logging.getLogger('somewhere.else').warning('echo: %s', 'a-registered-secret-value')
    assert 'a-registered-secret-value' not in caplog.text and '********' in caplog.text


def test_an_uncaught_traceback_is_scrubbed(tmp_path):
    script = ('import genesys_cloud_dd.redaction as r; r.install(); r.SECRETS.add("uncaught-secret-value"); '
              'raise RuntimeError("echo uncaught-secret-value")')
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=60,
                          cwd=str(tmp_path), env={**os.environ, 'PYTHONPATH': TOOLKIT})
    assert proc.returncode == 1 and 'RuntimeError: echo ********' in proc.stderr
    assert 'uncaught-secret-value' not in proc.stderr


def test_scrub_masks_encoded_forms_then_cuts():
    SECRETS.add('p@ss/word+"x"')
    text = 'a=p%40ss%2Fword%2B%22x%22 b=p%40ss%2Fword%2B%22x%22 json="p@ss/word+\\"x\\""'
    assert 'ss' not in SECRETS.scrub(text).replace('********', '')
    assert SECRETS.scrub('x' * 10 + 'p@ss/word+"x"', limit=14) == 'x' * 10 + '****...'

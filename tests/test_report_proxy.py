"""`report` builds its HTTP as the check does: the instance's proxy (and TLS, timeouts) through RequestsWrapper.

A real forward proxy on loopback (absolute-form requests, as a client sends them to an HTTP proxy) relays to the
emulator and records what it relayed; `genesys-cloud-dd report` runs as a subprocess with only the conf.yaml
naming the proxy (no proxy environment variables).
"""

import os
import subprocess
import sys

import pytest
import yaml
from datadog_checks.genesys_cloud.clock import Clock

from genesys_cloud_dd.emulator import Emulator, OrgOptions

from .forward_proxy import PROXY_ENV, ForwardProxy, clear_proxy_env


@pytest.fixture
def emulator():
    with Emulator(OrgOptions(seed=3, users=10, queues=2, oauth_clients=4, days=40), clock=Clock(),
                  job_polls=0) as emu:
        yield emu


def report(conf, out):
    env = {k: v for k, v in os.environ.items() if k.upper() not in PROXY_ENV}
    return subprocess.run([sys.executable, '-m', 'genesys_cloud_dd.cli', 'report', 'licenses', '-c', str(conf),
                           '-o', str(out), '--no-progress'], capture_output=True, text=True, timeout=120, env=env)


def test_report_reaches_genesys_through_the_instances_proxy(emulator, tmp_path):
    with ForwardProxy() as proxy:
        conf = tmp_path / 'conf.yaml'
        conf.write_text(yaml.safe_dump({'init_config': {}, 'instances': [{
            'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
            'api_url': emulator.url, 'login_url': emulator.url, 'max_requests_per_minute': 1000,
            'proxy': {'http': proxy.url, 'https': proxy.url}, 'timeout': 30}]}))
        proc = report(conf, tmp_path / 'pack')
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 'pack' / 'report.md').is_file()
    # Every request the emulator answered came through the proxy: the token first, then the API.
    assert proxy.refused == []
    assert len(proxy.relayed) == sum(emulator.requests.values()) > 2
    assert proxy.relayed[0] == ('POST', f'{emulator.url}/oauth/token')
    assert ('GET', f'{emulator.url}/api/v2/tokens/me') in proxy.relayed
    assert emulator.client_secret not in proc.stdout + proc.stderr


def test_skip_proxy_goes_direct(emulator, tmp_path):
    # The same conf with the Agent's `skip_proxy`: the proxy sees nothing, as with the check.
    with ForwardProxy() as proxy:
        conf = tmp_path / 'conf.yaml'
        conf.write_text(yaml.safe_dump({'init_config': {}, 'instances': [{
            'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
            'api_url': emulator.url, 'login_url': emulator.url, 'max_requests_per_minute': 1000,
            'proxy': {'http': proxy.url}, 'skip_proxy': True}]}))
        proc = report(conf, tmp_path / 'pack')
    assert proc.returncode == 0, proc.stderr
    assert proxy.relayed == [] and sum(emulator.requests.values()) > 2


def test_datadog_history_follows_the_proxy_environment(fake_datadog, monkeypatch):
    # Through datadog-api-client, the Datadog queries still honour HTTP(S)_PROXY as they did through requests.
    from datetime import datetime, timezone

    from genesys_cloud_dd.reports.datadog_history import MetricsHistory

    clear_proxy_env(monkeypatch)
    with ForwardProxy() as proxy:
        monkeypatch.setenv('HTTP_PROXY', proxy.url)
        history = MetricsHistory(fake_datadog.url, 'api-key', 'app-key')
        start = datetime(2026, 11, 1, tzinfo=timezone.utc)
        assert history.query('sum:genesys_cloud.objects.count{*} by {object_type}', start, start) == []
    [(method, url)] = proxy.relayed
    assert method == 'GET' and url.startswith(f'{fake_datadog.url}/api/v1/query?')

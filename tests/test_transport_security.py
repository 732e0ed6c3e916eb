"""Plain-http `api_url` / `login_url`: the client secret and bearer tokens would cross the network in clear text.

Refused (nothing sent) unless the host is the loopback (the emulator) or `allow_insecure_http: true` says so,
which is then warned about; the same rule for the check, the `check` and `report` commands and `flows deploy`.
"""

import pytest
import yaml
from datadog_checks.base import AgentCheck, ConfigurationError
from datadog_checks.genesys_cloud.settings import plain_http_urls

from genesys_cloud_dd.cli.main import main

INSECURE = {'api_url': 'http://api.genesys.invalid', 'login_url': 'http://login.genesys.invalid'}


def through_proxy(emulator):
    # The hosts do not resolve: only the proxy (the emulator accepts absolute-form targets) could answer.
    return {**INSECURE, 'proxy': {'http': emulator.url, 'https': emulator.url}}


def test_the_check_refuses_plain_http_off_the_loopback_and_sends_nothing(make_check, emulator):
    check = make_check(**through_proxy(emulator))
    error = check.run()
    assert 'plain http' in error and 'allow_insecure_http' in error
    assert sum(emulator.requests.values()) == 0  # no token request: the secret never left


def test_allow_insecure_http_accepts_it_with_a_warning(make_check, emulator, dd_run_check, aggregator):
    check = make_check(allow_insecure_http=True, **through_proxy(emulator))
    dd_run_check(check)
    aggregator.assert_service_check('genesys_cloud.can_connect', AgentCheck.OK)
    warned = [w for w in check.warnings if 'plain http' in w]
    assert len(warned) == 2 and 'login_url=http://login.genesys.invalid' in ' '.join(warned)


@pytest.mark.parametrize('url', ['http://127.0.0.1:8080', 'http://localhost:9', 'http://[::1]:80',
                                 'https://api.mypurecloud.com'])
def test_loopback_http_and_https_need_nothing(url):
    assert plain_http_urls({'api_url': url}, False) == ()


def test_the_rule_knows_every_non_loopback_http_host():
    for url in ('http://10.0.0.5', 'http://api.mypurecloud.com', 'HTTP://proxy.corp:3128', 'http://127.example.test'):
        with pytest.raises(ConfigurationError, match='plain http'):
            plain_http_urls({'login_url': url}, False)


@pytest.mark.parametrize('command', [['check', '-c', 'CONF'], ['report', 'licenses', '-c', 'CONF', '-o', 'OUT']])
def test_commands_reading_conf_yaml_refuse_it(command, emulator, tmp_path, capsys):
    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'instances': [{'client_id': emulator.client_id,
                                                   'client_secret': emulator.client_secret, **INSECURE}]}))
    argv = [str(conf) if a == 'CONF' else str(tmp_path / 'out') if a == 'OUT' else a for a in command]
    assert main(argv) == 2
    assert 'plain http' in capsys.readouterr().err
    assert sum(emulator.requests.values()) == 0


def test_flows_deploy_refuses_it_unless_told(emulator, capsys, monkeypatch):
    monkeypatch.setenv('DD_API_KEY', 'ddapikey-flows-deploy-0000000000')
    argv = ['flows', 'deploy', '--client-id', emulator.client_id, '--client-secret', emulator.client_secret,
            '--api-url', INSECURE['api_url'], '--login-url', INSECURE['login_url'], '--dry-run']
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert 'plain http' in err and '--allow-insecure-http' in err
    assert sum(emulator.requests.values()) == 0

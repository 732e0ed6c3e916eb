"""`flows deploy` against the emulator: creates, then changes nothing, then updates what changed; the deploy
test really renders the action and reaches the local fake Datadog intake."""

import json

import pytest
from datadog_checks.genesys_cloud.client import GenesysClient

from genesys_cloud_dd.cli.main import main
from genesys_cloud_dd.emulator.data.integrations import integrations_state
from genesys_cloud_dd.flows import schema, templates
from genesys_cloud_dd.flows.deploy import FlowDeployer, fingerprint
from tests.emulator_fixtures import clock, emu  # noqa: F401

API_KEY = 'ddkey-0123456789abcdef0123456789'
SITE = 'datadoghq.eu'


@pytest.fixture
def intake(emu, fake_datadog):  # noqa: F811
    """Route the emulator's outbound action calls for the EU site to the fake intake."""
    state = integrations_state(emu)
    state.outbound[f'http-intake.logs.{SITE}'] = fake_datadog.url
    state.outbound[f'api.{SITE}'] = fake_datadog.url
    return fake_datadog


@pytest.fixture
def client(emu):  # noqa: F811
    return GenesysClient.from_settings(api_url=emu.url, login_url=emu.url, client_id=emu.client_id,
                                       client_secret=emu.client_secret)


def deploy(client, out=None, **kwargs):
    lines = []
    kwargs.setdefault('site', SITE)
    result = FlowDeployer(client, kwargs.pop('api_key', API_KEY), out=(out or lines.append), **kwargs).deploy()
    return result, lines


def test_first_run_creates_everything_and_tests_reach_datadog(emu, client, intake):  # noqa: F811
    result, lines = deploy(client)
    assert [(c.action, c.kind) for c in result.changed] == [
        ('create', 'credential'), ('create', 'integration'), ('create', 'action'), ('create', 'action')]
    state = integrations_state(emu)
    integration = state.integrations[result.integration_id]
    assert integration.name == schema.INTEGRATION_NAME and integration.intended_state == 'ENABLED'
    assert integration.credentials == {schema.CREDENTIAL_SLOT: result.credential_id}
    credential = state.credentials[result.credential_id]
    assert credential.type_name == 'userDefined'
    assert credential.fields == {schema.CRED_API_KEY: API_KEY, schema.CRED_SITE: SITE,
                                 schema.CRED_KEY_FINGERPRINT: fingerprint(API_KEY)}
    for name, action_id in result.action_ids.items():
        record = state.actions[action_id]
        assert record.draft is None and record.published['name'] == name
        assert record.published['category'] == schema.INTEGRATION_NAME
        assert record.published['config'] == templates.export_documents()[name]['config']
    # the test executions rendered ${credentials.ddSite} and sent to the site hosts (mapped to the fake)
    assert result.tests_passed and set(result.tests) == set(templates.ACTION_NAMES)
    assert [(m, u) for m, u, _, _ in state.test_requests] == [
        ('POST', f'https://http-intake.logs.{SITE}/api/v2/logs'), ('POST', f'https://api.{SITE}/api/v1/events')]
    logs, events = intake.by_path('/api/v2/logs'), intake.by_path('/api/v1/events')
    assert len(logs) == 1 and len(events) == 1
    for request in logs + events:
        assert request.api_key == API_KEY
        assert request.headers['content-type'] == 'application/json'
    assert logs[0].json[0]['evt'] == {'name': 'flows.deploy_test'}
    assert logs[0].json[0]['ddsource'] == schema.DDSOURCE
    assert events[0].json['title'] == 'flows.deploy_test in genesys-cloud-dd flows deploy'
    assert events[0].json['alert_type'] == 'info'
    # the key is never printed, and the test results Genesys returns redact it
    assert API_KEY not in '\n'.join(lines)
    assert API_KEY not in json.dumps(result.tests)


def test_second_run_changes_nothing(emu, client, intake):  # noqa: F811
    first, _ = deploy(client)
    emu.reset_counters()
    second, lines = deploy(client, run_test=False)
    assert second.changed == []
    assert [c.action for c in second.changes] == ['unchanged'] * 4
    assert second.action_ids == first.action_ids and second.integration_id == first.integration_id
    writes = {k: v for k, v in emu.requests.items() if not k.startswith(('GET ', 'POST /oauth'))}
    assert writes == {}, writes


def test_changed_template_updates_the_action(emu, client, intake, monkeypatch):  # noqa: F811
    first, _ = deploy(client)
    monkeypatch.setattr(schema, 'ACTION_TIMEOUT_SECONDS', 4)
    original = templates.log_request_template
    monkeypatch.setattr(templates, 'log_request_template', lambda: original().replace('"evt"', '"event"'))
    second, lines = deploy(client)
    updated = [(c.action, c.kind, c.name) for c in second.changed]
    assert updated == [('update', 'action', templates.LOG_ACTION), ('update', 'action', templates.EVENT_ACTION)]
    log_line = next(line for line in lines if 'update' in line and templates.LOG_ACTION in line)
    assert 'changed: timeoutSeconds, request' in log_line
    state = integrations_state(emu)
    log_action = state.actions[second.action_ids[templates.LOG_ACTION]]
    assert log_action.published['config']['timeoutSeconds'] == 4
    assert '"event":{"name"' in log_action.published['config']['request']['requestTemplate']
    assert log_action.published['version'] > 1 and log_action.draft is None
    assert second.action_ids == first.action_ids, 'an update keeps the action id flows reference'
    assert second.tests_passed and 'event' in intake.logs[-1]
    third, _ = deploy(client, run_test=False)
    assert third.changed == []


def test_changed_key_or_site_updates_only_the_credential(emu, client, intake):  # noqa: F811
    deploy(client)
    result, lines = deploy(client, api_key='ddkey-new-0000000000000000000000', site='datadoghq.com',
                           run_test=False)
    assert [(c.action, c.kind) for c in result.changed] == [('update', 'credential')]
    fields = integrations_state(emu).credentials[result.credential_id].fields
    assert fields[schema.CRED_SITE] == 'datadoghq.com' and fields[schema.CRED_API_KEY].startswith('ddkey-new')
    assert 'ddkey-new' not in '\n'.join(lines)


def test_dry_run_changes_nothing(emu, client, intake):  # noqa: F811
    result, lines = deploy(client, dry_run=True)
    assert [c.action for c in result.changes] == ['create'] * 4
    assert all(line.startswith('  would create') for line in lines[1:])
    state = integrations_state(emu)
    assert not state.integrations and not state.credentials and not state.actions
    assert intake.requests == []
    deploy(client)
    monkey_result, _ = deploy(client, dry_run=True, site='us5.datadoghq.com')
    assert [(c.action, c.kind) for c in monkey_result.changed] == [('update', 'credential')]
    assert state.credentials[monkey_result.credential_id].fields[schema.CRED_SITE] == SITE


def test_failed_datadog_test_is_reported(emu, client, intake):  # noqa: F811
    intake.fail_next(1, status=403)
    result, lines = deploy(client)
    assert not result.tests_passed
    assert result.tests[templates.LOG_ACTION]['error']['code'] == 'ACTION.REMOTE_ENDPOINT'
    assert any('FAILED' in line for line in lines)


def test_cli_deploy_against_the_emulator(emu, intake, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setenv('DD_API_KEY', API_KEY)
    monkeypatch.setenv('GENESYS_CLOUD_CLIENT_SECRET', emu.client_secret)
    argv = ['flows', 'deploy', '--api-url', emu.url, '--login-url', emu.url, '--client-id', emu.client_id,
            '--dd-site', SITE]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert '4 item(s) changed.' in out and 'passed' in out
    assert main(argv + ['--dry-run']) == 0
    out = capsys.readouterr().out
    assert 'Nothing to change' in out
    for secret in (API_KEY, emu.client_secret):
        assert secret not in out
    assert len(intake.by_path('/api/v2/logs')) == 1  # the dry run sent nothing


def test_cli_deploy_with_a_local_intake_url(emu, fake_datadog, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setenv('DD_API_KEY', API_KEY)
    argv = ['flows', 'deploy', '--api-url', emu.url, '--login-url', emu.url, '--client-id', emu.client_id,
            '--client-secret', emu.client_secret, '--dd-url', fake_datadog.url]
    assert main(argv) == 0
    assert [r.path for r in fake_datadog.requests] == ['/api/v2/logs', '/api/v1/events']


def test_cli_deploy_requires_credentials(monkeypatch, capsys):
    for name in ('DD_API_KEY', 'GENESYS_CLOUD_CLIENT_ID', 'GENESYS_CLOUD_CLIENT_SECRET'):
        monkeypatch.delenv(name, raising=False)
    assert main(['flows', 'deploy']) == 2
    assert 'DD_API_KEY' in capsys.readouterr().err

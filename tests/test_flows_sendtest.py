"""`flows send-test`: the rendered samples are valid Datadog payloads and arrive at a (fake) intake."""

import pytest

from genesys_cloud_dd.cli.main import main
from genesys_cloud_dd.flows import schema
from genesys_cloud_dd.flows.sendtest import sample_payloads, send_test, to_models

API_KEY = 'sendtest-0123456789abcdef01234567'


@pytest.mark.parametrize('kind, event_type, body', sample_payloads([e.name for e in schema.EVENT_TYPES]))
def test_samples_are_valid_datadog_payloads(kind, event_type, body):
    model = to_models(kind, body)
    if kind == 'log':
        assert model.value[0].message and model.value[0]['evt'] == {'name': event_type}
    else:
        assert model.title and str(model.alert_type) in ('error', 'info')


def test_send_test_posts_one_log_and_one_event(fake_datadog):
    lines = []
    assert send_test(API_KEY, dd_url=fake_datadog.url, out=lines.append) == 0
    assert [(r.method, r.path, r.status) for r in fake_datadog.requests] == [
        ('POST', '/api/v2/logs', 202), ('POST', '/api/v1/events', 202)]
    for request in fake_datadog.requests:
        assert request.api_key == API_KEY
    log = fake_datadog.logs[0]
    assert log['ddsource'] == schema.DDSOURCE and log['service'] == schema.SERVICE
    assert log['genesys']['event_type'] == 'data_action.failure'
    assert 'event_type:data_action.failure' in log['ddtags'].split(',')
    event = fake_datadog.events[0]
    assert event['title'] == 'Data Action failed in genesys-cloud-dd send-test'
    assert event['alert_type'] == 'error' and event['aggregation_key'].startswith('genesys_flow:')
    assert API_KEY not in '\n'.join(lines) and '****4567' in lines[0]


def test_cli_send_test_all_types_and_failures(fake_datadog, monkeypatch, capsys):
    monkeypatch.setenv('DD_API_KEY', API_KEY)
    assert main(['flows', 'send-test', '--dd-url', fake_datadog.url, '--event-type', 'all']) == 0
    assert len(fake_datadog.requests) == 2 * len(schema.EVENT_TYPES)
    fake_datadog.reset()
    fake_datadog.fail_next(1, status=500)
    assert main(['flows', 'send-test', '--dd-url', fake_datadog.url]) == 1
    out = capsys.readouterr().out
    assert 'FAILED log data_action.failure: HTTP 500' in out
    assert API_KEY not in out
    assert [r.status for r in fake_datadog.requests] == [500, 202]


def test_cli_send_test_rejects_unknown_types(monkeypatch, capsys):
    monkeypatch.setenv('DD_API_KEY', API_KEY)
    assert main(['flows', 'send-test', '--event-type', 'nope']) == 2
    monkeypatch.delenv('DD_API_KEY')
    assert main(['flows', 'send-test']) == 2


def test_fake_datadog_answers_like_datadog(fake_datadog):
    import requests

    headers = {'DD-API-KEY': 'k'}
    url = fake_datadog.url
    assert requests.post(url + '/api/v2/series', json={'series': []}, headers=headers).json() == {'errors': []}
    assert requests.post(url + '/api/v2/logs', json=[{'message': 'm'}]).status_code == 403  # no key
    created = requests.post(url + '/api/v1/monitor', json={'name': 'm'}, headers=headers).json()
    assert requests.get(f'{url}/api/v1/monitor/{created["id"]}', headers=headers).json()['name'] == 'm'
    requests.put(f'{url}/api/v1/monitor/{created["id"]}', json={'name': 'n'}, headers=headers)
    assert [m['name'] for m in requests.get(url + '/api/v1/monitor', headers=headers).json()] == ['n']
    dash = requests.post(url + '/api/v1/dashboard', json={'title': 't'}, headers=headers).json()
    assert requests.get(url + '/api/v1/dashboard', headers=headers).json()['dashboards'][0]['id'] == dash['id']
    assert fake_datadog.series == []

"""`assets deploy` against the shared local fake Datadog API (tests/fake_datadog.py), which records requests."""

import os
from urllib.parse import parse_qs

import pytest

from genesys_cloud_dd.assets_tools import deploy as d
from genesys_cloud_dd.cli.main import main

from .assets_helpers import MONITORS, edit_json, make_project
from .fake_datadog import FakeDatadog


class RealisticFakeDatadog(FakeDatadog):
    """The shared fake, closer to the real list endpoints: dashboard lists hold summaries only and page with
    `start`/`count`, the monitor list honours `monitor_tags` and pages with `page`/`page_size` (docs:
    GET /api/v1/dashboard, GET /api/v1/monitor)."""

    def _route(self, method, path, body):
        status, payload = super()._route(method, path, body)
        if method == 'GET' and path == '/api/v1/dashboard' and status == 200:
            keep = ('id', 'title', 'description', 'layout_type', 'url', 'is_read_only', 'author_handle')
            items = [{k: v for k, v in item.items() if k in keep} for item in payload['dashboards']]
            start, count = self._int('start', 0), self._int('count', len(items))
            payload = {'dashboards': items[start:start + count]}
        if method == 'GET' and path == '/api/v1/monitor' and status == 200:
            wanted = [t for t in (self._last_query.get('monitor_tags') or [''])[0].split(',') if t]
            payload = [m for m in payload if all(t in (m.get('tags') or []) for t in wanted)]
            size = self._int('page_size', len(payload))
            payload = payload[self._int('page', 0) * size:][:size]
        return status, payload

    def _int(self, name, default):
        return int((self._last_query.get(name) or [default])[0])

    def handle(self, method, raw_path, headers, body):
        self._last_query = parse_qs(raw_path.partition('?')[2])
        return super().handle(method, raw_path, headers, body)


@pytest.fixture
def fake():
    with RealisticFakeDatadog() as server:
        yield server


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setenv('DD_API_KEY', 'test-api-key')
    monkeypatch.setenv('DD_APP_KEY', 'test-app-key')


def writes(fake):
    return [(r.method, r.path) for r in fake.requests if r.method in ('POST', 'PUT', 'DELETE', 'PATCH')]


def test_first_run_creates_second_changes_nothing(fake, project):
    first = d.deploy(project, dd_url=fake.url, emulator=False)
    assert [a.action for a in first.actions] == ['create'] * (1 + len(MONITORS))
    assert len(fake.dashboards) == 1 and len(fake.monitors) == len(MONITORS)
    assert sorted(writes(fake)) == sorted([('POST', '/api/v1/dashboard')] + [('POST', '/api/v1/monitor')] * 4)
    assert all(r.headers['dd-api-key'] == 'test-api-key' and r.headers['dd-application-key'] == 'test-app-key'
               for r in fake.requests)
    # tagged so a later run finds them
    dashboard = next(iter(fake.dashboards.values()))
    assert d.MARKER in dashboard['description'] and dashboard['title'] == 'Genesys Cloud - Test'
    assert all(d.MANAGED_TAG in m['tags'] and 'integration:genesys-cloud' in m['tags']
               for m in fake.monitors.values())
    stored = {m['name']: m for m in fake.monitors.values()}
    wait = stored['[Genesys Cloud] Long wait in {{queue_name.name}}']
    assert wait['query'] == MONITORS['queue_wait.json']['definition']['query']
    assert wait['options']['thresholds'] == {'critical': 300, 'warning': 180}

    fake.reset()
    second = d.deploy(project, dd_url=fake.url, emulator=False)
    assert [a.action for a in second.actions] == ['unchanged'] * (1 + len(MONITORS))
    assert writes(fake) == []
    assert len(fake.dashboards) == 1 and len(fake.monitors) == len(MONITORS)


def test_existing_assets_are_found_past_the_first_page(fake, project, monkeypatch):
    d.deploy(project, dd_url=fake.url, emulator=False)
    others = {f'other-{i}': {'id': f'other-{i}', 'title': f'Other {i}', 'description': d.MARKER,
                             'layout_type': 'ordered', 'widgets': []} for i in range(3)}
    mine = dict(fake.dashboards)
    fake.dashboards.clear()
    fake.dashboards.update({**others, **mine})  # listed after three other managed dashboards: on the second page
    monkeypatch.setattr(d, 'PAGE_SIZE', 2)
    fake.reset()
    second = d.deploy(project, dd_url=fake.url, emulator=False)
    assert [a.action for a in second.actions] == ['unchanged'] * (1 + len(MONITORS))
    assert writes(fake) == []
    pages = [r for r in fake.requests if r.method == 'GET' and r.path in ('/api/v1/dashboard', '/api/v1/monitor')]
    assert len(pages) == 3 + 3  # 4 dashboards and 4 monitors in pages of 2, each ended by a short page


def test_edited_assets_update_in_place(fake, project):
    d.deploy(project, dd_url=fake.url, emulator=False)
    ids = (set(fake.dashboards), set(fake.monitors))
    edit_json(os.path.join(project, 'assets', 'monitors', 'queue_wait.json'),
              lambda m: m['definition'].update(message=m['definition']['message'] + ' Add agents.'))
    edit_json(os.path.join(project, 'assets', 'dashboards', 'test.json'),
              lambda m: m['widgets'][0]['definition'].update(title='API usage'))
    fake.reset()
    result = d.deploy(project, dd_url=fake.url, emulator=False)
    actions = {a.title: a.action for a in result.actions}
    assert actions.pop('Genesys Cloud - Test') == 'update'
    assert actions.pop('[Genesys Cloud] Long wait in {{queue_name.name}}') == 'update'
    assert set(actions.values()) == {'unchanged'}
    dashboard_id = next(iter(ids[0]))
    wait_id = next(m['id'] for m in fake.monitors.values() if 'Long wait' in m['name'])
    assert sorted(writes(fake)) == [('PUT', f'/api/v1/dashboard/{dashboard_id}'), ('PUT', f'/api/v1/monitor/{wait_id}')]
    assert (set(fake.dashboards), set(fake.monitors)) == ids  # same ids: updated, not re-created
    assert next(iter(fake.dashboards.values()))['widgets'][0]['definition']['title'] == 'API usage'


def test_unmanaged_assets_with_the_same_title_are_left_alone(fake, project):
    fake.dashboards['user-1'] = {'id': 'user-1', 'title': 'Genesys Cloud - Test', 'description': 'mine',
                                 'layout_type': 'ordered', 'widgets': []}
    fake.monitors['1'] = {'id': 1, 'name': '[Genesys Cloud] Long wait in {{queue_name.name}}', 'type': 'query alert',
                          'query': 'avg(last_5m):avg:x.y{*} > 1', 'message': 'mine', 'tags': [], 'options': {}}
    d.deploy(project, dd_url=fake.url, emulator=False)
    assert fake.dashboards['user-1']['description'] == 'mine' and fake.monitors['1']['message'] == 'mine'
    assert len(fake.dashboards) == 2 and len(fake.monitors) == 1 + len(MONITORS)


def test_dry_run_sends_nothing(fake, project, capsys, monkeypatch):
    monkeypatch.delenv('DD_API_KEY')
    assert main(['assets', 'deploy', '--dry-run', '--offline', '--root', project, '--dd-url', fake.url]) == 0
    out = capsys.readouterr().out
    assert 'would deploy dashboard Genesys Cloud - Test' in out
    assert '5 assets: 5 would deploy' in out
    assert fake.requests == []


def test_invalid_assets_are_never_deployed(fake, project, capsys):
    edit_json(os.path.join(project, 'assets', 'monitors', 'queue_wait.json'),
              lambda m: m['definition']['options']['thresholds'].update(critical=1))
    assert main(['assets', 'deploy', '--offline', '--root', project, '--dd-url', fake.url]) == 1
    assert 'do not validate' in capsys.readouterr().err
    assert fake.requests == []


def test_missing_keys_and_api_errors_are_reported(fake, project, capsys, monkeypatch):
    monkeypatch.delenv('DD_APP_KEY')
    assert main(['assets', 'deploy', '--offline', '--root', project, '--dd-url', fake.url]) == 1
    assert 'DD_APP_KEY' in capsys.readouterr().err
    monkeypatch.setenv('DD_APP_KEY', 'k')
    fake.fail_next(10, status=403)
    assert main(['assets', 'deploy', '--offline', '--root', project, '--dd-url', fake.url]) == 1
    assert 'Datadog API answered HTTP 403' in capsys.readouterr().err


def test_differs_ignores_what_the_server_adds():
    desired = {'a': 1, 'w': [{'definition': {'type': 'note'}}], 'p': None}
    assert not d.differs(desired, {'a': 1.0, 'id': 'x', 'w': [{'id': 7, 'definition': {'type': 'note'}}],
                                   'p': None})
    assert d.differs(desired, {'a': 2, 'w': [{'definition': {'type': 'note'}}], 'p': None})
    assert d.differs(desired, {'a': 1, 'w': [], 'p': None})

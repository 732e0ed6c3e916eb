"""`assets validate` on a known-good mini project, then one breakage at a time (tests/assets_helpers.py)."""

import os

import pytest

from genesys_cloud_dd.assets_tools import query as q
from genesys_cloud_dd.assets_tools.validate import validate

from .assets_helpers import edit_json, make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


def dashboard_path(root):
    return os.path.join(root, 'assets', 'dashboards', 'test.json')


def monitor_path(root, name='queue_wait.json'):
    return os.path.join(root, 'assets', 'monitors', name)


def inner(data, i=0):
    return data['widgets'][0]['definition']['widgets'][i]['definition']


def errors(root):
    report = validate(root)
    return ' | '.join(message for _, message in report.errors)


def test_good_project_is_valid(project):
    report = validate(project)
    assert report.ok, report.render(project)
    assert len(report.checked) == 5


DASHBOARD_BREAKAGES = {
    'widget type': (lambda d: inner(d).update(type='timeserie'), 'not a valid Datadog dashboard element'),
    'display type': (lambda d: inner(d)['requests'][0].update(display_type='pie'), 'not a valid Datadog dashboard'),
    'layout enum': (lambda d: d.update(layout_type='grid'), 'not a valid Datadog dashboard element'),
    'precision': (lambda d: inner(d, 1).update(precision='two'), 'not a valid Datadog dashboard element'),
    'unknown metric': (
        lambda d: inner(d)['requests'][0]['queries'][0].update(query='sum:genesys_cloud.api.request{*}.as_count()'),
        '`genesys_cloud.api.request` is not in metadata.csv',
    ),
    'unknown tag': (
        lambda d: inner(d)['requests'][0]['queries'][0].update(
            query='sum:genesys_cloud.api.requests{*} by {client_name}.as_count()'),
        'is not tagged `client_name`',
    ),
    'filter on a tag the metric lacks': (
        lambda d: inner(d, 1)['requests'][0]['queries'][0].update(
            query='max:genesys_cloud.queue.longest_waiting{$org,oauth_client_name:x}'),
        'is not tagged `oauth_client_name`',
    ),
    'template variable on a metric without its tag': (
        lambda d: inner(d, 1)['requests'][0]['queries'][0].update(
            query='max:genesys_cloud.queue.longest_waiting{$org,$client}'),
        '`$client` filters on `oauth_client_name`',
    ),
    'undefined template variable': (
        lambda d: inner(d, 1)['requests'][0]['queries'][0].update(
            query='max:genesys_cloud.queue.longest_waiting{$org,$queue}'),
        '`$queue` is not defined',
    ),
    'template variable prefix': (
        lambda d: d['template_variables'][1].update(prefix='client'), 'no metric is tagged `client`'),
    'formula reference': (
        lambda d: inner(d)['requests'][0]['formulas'][0].update(formula='q1 / q2'), '`q2` is not a query'),
    'malformed query': (
        lambda d: inner(d)['requests'][0]['queries'][0].update(query='sum:genesys_cloud.api.requests{*'),
        'unterminated',
    ),
    'as_count on a gauge': (
        lambda d: inner(d, 1)['requests'][0]['queries'][0].update(
            query='max:genesys_cloud.queue.longest_waiting{$org}.as_count()'),
        '`.as_count()` on the gauge',
    ),
    'missing widgets': (lambda d: d.pop('widgets'), 'missing `widgets`'),
}


@pytest.mark.parametrize('case', sorted(DASHBOARD_BREAKAGES))
def test_dashboard_breakage_is_rejected(project, case):
    change, expected = DASHBOARD_BREAKAGES[case]
    edit_json(dashboard_path(project), change)
    found = errors(project)
    assert expected in found, found


def _definition(change):
    return lambda m: change(m['definition'])


MONITOR_BREAKAGES = {
    'monitor type enum': (
        'queue_wait.json', _definition(lambda d: d.update(type='query-alert')), 'not a valid Datadog monitor'),
    'kind vs type': ('queue_wait.json', _definition(lambda d: d.update(type='log alert')), 'needs type query alert'),
    'threshold mismatch': (
        'queue_wait.json', _definition(lambda d: d['options']['thresholds'].update(critical=600)),
        'options.thresholds.critical (600) differs from the query threshold (300)',
    ),
    'warning on the wrong side': (
        'queue_wait.json', _definition(lambda d: d['options']['thresholds'].update(warning=400)),
        'must come before critical',
    ),
    'malformed query (no threshold)': (
        'queue_wait.json',
        _definition(lambda d: d.update(query='max(last_5m):max:genesys_cloud.queue.longest_waiting{*}')),
        'ends with a comparison',
    ),
    'malformed query (window)': (
        'queue_wait.json',
        _definition(lambda d: d.update(query='max(last_5):max:genesys_cloud.queue.longest_waiting{*} > 300')),
        'is not a monitor window',
    ),
    'malformed query (aggregator)': (
        'queue_wait.json',
        _definition(lambda d: d.update(query='max(last_5m):mx:genesys_cloud.queue.longest_waiting{*} > 300')),
        'unknown space aggregator',
    ),
    'unknown metric': (
        'queue_wait.json',
        _definition(lambda d: d.update(query='max(last_5m):max:genesys_cloud.queue.longest_wait{*} by {queue_name}'
                                             ' > 300')),
        '`genesys_cloud.queue.longest_wait` is not in metadata.csv',
    ),
    'unknown group tag': (
        'queue_wait.json',
        _definition(lambda d: d.update(query='max(last_5m):max:genesys_cloud.queue.longest_waiting{*} by {queue}'
                                             ' > 300')),
        'is not tagged `queue`',
    ),
    'message names a tag the query does not group by': (
        'queue_wait.json', _definition(lambda d: d.update(message='{{queue_name.name}} {{license.name}}')),
        '`{{license.name}}` is not a group of the query',
    ),
    'message never names the group': (
        'failed_requests.json', _definition(lambda d: d.update(message='Some client fails.')),
        'never names the `oauth_client_name` group',
    ),
    'forecast without threshold windows': (
        'peak_forecast.json', _definition(lambda d: d['options'].pop('threshold_windows')),
        'needs options.threshold_windows',
    ),
    'forecast with a last_ window': (
        'peak_forecast.json', _definition(lambda d: d.update(query=d['query'].replace('next_1w', 'last_1w'))),
        'go with `forecast(...)`',
    ),
    'log query on an attribute the flow kit does not post': (
        'flow_failures.json', _definition(lambda d: d.update(query=d['query'].replace('@evt.name', '@evt.kind'))),
        '`@evt.kind` is not an attribute the flow kit posts',
    ),
    'log query on an event type that does not exist': (
        'flow_failures.json',
        _definition(lambda d: d.update(query=d['query'].replace('@evt.name:navigation', '@evt.name:navigate'))),
        'never matches',
    ),
    'log query without last()': (
        'flow_failures.json', _definition(lambda d: d.update(query=d['query'].replace('.last("5m")', ''))),
        'needs `.rollup("count")` and `.last("5m")`',
    ),
    'file format': ('queue_wait.json', lambda m: m.pop('version'), 'missing `version`'),
}


@pytest.mark.parametrize('case', sorted(MONITOR_BREAKAGES))
def test_monitor_breakage_is_rejected(project, case):
    name, change, expected = MONITOR_BREAKAGES[case]
    edit_json(monitor_path(project, name), change)
    found = errors(project)
    assert expected in found, found


def test_manifest_must_list_every_asset(project):
    edit_json(os.path.join(project, 'manifest.json'), lambda m: m['assets']['monitors'].popitem())
    assert 'does not list assets/monitors/' in errors(project)


def test_duplicate_titles_are_rejected(project):
    edit_json(monitor_path(project, 'failed_requests.json'),
              lambda m: m['definition'].update(name='[Genesys Cloud] Long wait in {{queue_name.name}}'))
    assert 'deploy matches by title' in errors(project)


def test_cli_exit_codes(project, capsys):
    from genesys_cloud_dd.cli.main import main

    assert main(['assets', 'validate', '--offline', '--root', project]) == 0
    assert 'valid' in capsys.readouterr().out
    edit_json(dashboard_path(project), lambda d: inner(d).update(type='timeserie'))
    assert main(['assets', 'validate', '--offline', '--root', project]) == 1
    out = capsys.readouterr().out
    assert 'FAIL  assets/dashboards/test.json' in out and '"timeserie"' in out


# -- the query parser ----------------------------------------------------------------------------------------


@pytest.mark.parametrize('text, expected', [
    ('avg(last_5m):avg:genesys_cloud.x.y{*} > 1', ('metric', '>', 1, 300, ['genesys_cloud.x.y'])),
    ('sum(last_1h):sum:genesys_cloud.x.y{a:b,!c:d} by {e,f}.as_count() / sum:genesys_cloud.x.z{*} by {e,f}'
     '.as_count() * 100 >= 2.5', ('metric', '>=', 2.5, 3600, ['genesys_cloud.x.y', 'genesys_cloud.x.z'])),
    ('last(last_10m):max:genesys_cloud.x.y{a:b*} by {e} < 0.5', ('metric', '<', 0.5, 600, ['genesys_cloud.x.y'])),
    ("max(next_1w):forecast(max:genesys_cloud.x.y{*} by {e}, 'seasonal', 2, interval='60m', history='2w', "
     "model='default') > 3", ('metric', '>', 3, 7 * 86400, ['genesys_cloud.x.y'])),
    ('logs("service:x status:error").index("*").rollup("count").by("a").last("15m") > 0',
     ('logs', '>', 0, 900, [])),
    ('events("source:genesys_cloud status:error").rollup("count").by("namespace").last("1h") >= 1',
     ('events', '>=', 1, 3600, [])),
])
def test_parser_accepts(text, expected):
    parsed = q.parse_monitor_query(text)
    metrics = [m.metric for m in parsed.metric_queries]
    assert (parsed.kind, parsed.op, parsed.threshold, parsed.window.seconds, metrics) == expected


@pytest.mark.parametrize('text', [
    'avg(last_5m):avg:genesys_cloud.x.y{*}',  # no threshold
    'avg(last_5m):avg:genesys_cloud.x.y{*} > ten',
    'avg(last_5m) avg:genesys_cloud.x.y{*} > 1',  # no colon
    'median(last_5m):avg:genesys_cloud.x.y{*} > 1',
    'avg(last_5m):avg:genesys_cloud.x.y{} > 1',  # empty scope
    'avg(last_5m):avg:genesys_cloud.x.y{a:b} by {e > 1',
    'avg(last_5m):avg:genesys_cloud.x.y{*}.as_counts() > 1',
    'avg(last_5m):avg:genesys_cloud.x.y{*}.rollup(median) > 1',
    'avg(last_5m):avg:genesys_cloud.x.y{$org} > 1',  # template variables do not exist in monitors
    'avg(last_5m):frobnicate(avg:genesys_cloud.x.y{*}) > 1',
    'avg(last_5m):(avg:genesys_cloud.x.y{*} > 1',
    'avg(last_5m):avg:genesys_cloud.x.y{*} by {a} / avg:genesys_cloud.x.z{*} by {b} > 1',
    "avg(last_5m):forecast(avg:genesys_cloud.x.y{*}, 'linear', 1) > 1",  # forecast needs next_
    'logs("a:b").rollup("count").last("5 minutes") > 1',
    'logs("a:b").rollup("count").index("*") > 1',
    'logs("a:(b").rollup("count").last("5m") > 1',
    'events("a:b").index("*").rollup("count").last("5m") > 1',
])
def test_parser_rejects(text):
    with pytest.raises(q.QueryError):
        q.parse_monitor_query(text)


def test_parser_tree():
    parsed = q.parse_monitor_query(
        'sum(last_1d):sum:genesys_cloud.api.requests{status_class:5xx,!oauth_client_name:Datadog*} '
        'by {oauth_client_name}.as_count() / sum:genesys_cloud.api.requests{*} by {oauth_client_name}.as_count() '
        '* 100 > 10')
    assert (parsed.kind, parsed.op, parsed.threshold, parsed.time_agg, parsed.window.seconds) == (
        'metric', '>', 10.0, 'sum', 86400)
    first, second = parsed.metric_queries
    assert first.metric == second.metric == 'genesys_cloud.api.requests'
    assert first.tag_keys == ['status_class', 'oauth_client_name']
    assert first.filters[1].negated and first.filters[1].matches(['oauth_client_name:Billing'])
    assert not first.filters[1].matches(['oauth_client_name:Datadog check'])
    assert first.as_count and first.group_by == ['oauth_client_name']

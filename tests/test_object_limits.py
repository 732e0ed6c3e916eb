"""object_limits against the emulator: every mapped limit's exact count, limit and utilization from the synthetic
org's ground truth; an org near and over a limit (and the recommended monitors on it); per-parent limits for the
top N parents, the data-table scan spread over runs; limit values shared with org_limits; one object type's
failure costs only that type."""

import os

import pytest
from datadog_checks.genesys_cloud.collectors.base import OrgSize
from datadog_checks.genesys_cloud.collectors.object_limits import MAPPINGS, ObjectLimitsCollector
from datadog_checks.genesys_cloud.state import StateStore

from genesys_cloud_dd.assets_tools.evaluate import ALERT, OK, WARN, evaluate_monitors, load_monitors
from genesys_cloud_dd.check_runner import Submissions
from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.integrations import integrations_state
from genesys_cloud_dd.emulator.data.limits import org_limits
from genesys_cloud_dd.emulator.data.objects import org_objects
from genesys_cloud_dd.emulator.routes.integrations import sample_action
from genesys_cloud_dd.resources import project_root

from .conftest import base_tags, only
from .emulator_fixtures import EmulatorApi

DOCS = 'GET /api/v2/organizations/limits/docs'
VALUES = 'GET /api/v2/organizations/limits/namespaces/{namespaceName}'
ROWS = 'GET /api/v2/flows/datatables/{datatableId}/rows'
METRICS = ('genesys_cloud.objects.count', 'genesys_cloud.objects.limit', 'genesys_cloud.objects.utilization')


@pytest.fixture
def org_options():
    return OrgOptions(seed=21, users=60, queues=6, oauth_clients=4)


def add_integrations(emulator, actions_per_integration):
    """Integrations with published Data Actions, created through the emulator's API as a user would."""
    with EmulatorApi(emulator) as api:
        for i, n in enumerate(actions_per_integration):
            integration = api.post('/api/v2/integrations', json={'name': f'Backend {i + 1}', 'integrationType': {
                'id': 'custom-rest-actions'}}).json()
            for a in range(n):
                draft = api.post('/api/v2/integrations/actions/drafts',
                                 json=sample_action(integration['id'], f'Action {i + 1}.{a + 1}')).json()
                api.post(f'/api/v2/integrations/actions/{draft["id"]}/draft/publish',
                         json={'version': draft['version']})


def ground_truth(emulator):
    """(namespace, limit_key) -> count for org-wide limits, and -> {parent name: count} for per-parent ones."""
    org, objects = emulator.org, org_objects(emulator.org)
    counts = objects.counts
    integrations = integrations_state(emulator)
    names = {r.id: r.name for r in integrations.integrations.values()}
    actions = {}
    for record in integrations.actions.values():
        if record.published:
            actions[names[record.integration_id]] = actions.get(names[record.integration_id], 0) + 1
    tables = {objects.entity('data_tables', i).name: rows for i, rows in enumerate(objects.table_rows)}
    groups = {objects.entity('groups', i).name: n for i, n in enumerate(objects.group_members)}
    return {
        ('directory', 'users.max'): len([u for u in org.users if u.state == 'active']),
        ('directory', 'locations.max'): counts['locations'],
        ('routing', 'queues.max'): len(org.queues),
        ('routing', 'queue.members.max'): {q.name: len(q.member_ids) for q in org.queues},
        ('routing', 'skills.max'): counts['skills'],
        ('routing', 'wrapupcodes.max'): counts['wrapup_codes'],
        ('routing', 'languages.max'): counts['languages'],
        ('routing', 'utilization.labels.max'): counts['utilization_labels'],
        ('groups', 'groups.max'): counts['groups'],
        ('groups', 'group.members.max'): groups,
        ('authorization', 'divisions.max'): len(org.divisions),
        ('authorization', 'roles.max'): counts['roles'],
        ('architect', 'flows.max'): counts['flows'],
        ('architect', 'datatables.max'): counts['data_tables'],
        ('architect', 'datatable.rows.max'): tables,
        ('architect', 'schedules.max'): counts['schedules'],
        ('architect', 'schedulegroups.max'): counts['schedule_groups'],
        ('architect', 'emergencygroups.max'): counts['emergency_groups'],
        ('architect', 'ivrs.max'): counts['ivrs'],
        ('architect', 'prompts.max'): counts['prompts'],
        ('integrations', 'integrations.max'): len(integrations.integrations),
        ('dataactions', 'actions.total.max'): sum(actions.values()),
        ('dataactions', 'actions.integration.max'): actions,
        ('telephony.configuration', 'sites.max'): counts['sites'],
        ('telephony.configuration', 'phones.max'): counts['phones'],
        ('outbound', 'campaigns.max'): counts['campaigns'],
        ('outbound', 'contactlists.max'): counts['contact_lists'],
        ('response.management', 'libraries.max'): counts['response_libraries'],
        ('quality', 'evaluationforms.max'): counts['evaluation_forms'],
        ('presence', 'definitions.max'): counts['presence_definitions'],
    }


def reported(aggregator, metric):
    """{(namespace, limit_key, object_type, parent_name or None): value} of one metric."""
    out = {}
    for point in aggregator.metrics(metric):
        tags = dict(t.split(':', 1) for t in point.tags)
        key = (tags['namespace'], tags['limit_key'], tags['object_type'], tags.get('parent_name'))
        assert key not in out, f'{metric} {key} submitted twice'
        out[key] = point.value
    return out


def expected(emulator, top_n=10):
    """The same shape as reported(): count, limit and utilization per limit from the ground truth."""
    values = org_limits(emulator.org).values
    result = {}
    for mapping in MAPPINGS:
        truth = ground_truth(emulator)[(mapping.namespace, mapping.limit_key)]
        limit = values[mapping.namespace][mapping.limit_key]
        if isinstance(truth, dict):
            nearest = sorted(truth.items(), key=lambda item: (-item[1], item[0]))[:top_n]
            items = [(name, n) for name, n in nearest]
        else:
            items = [(None, truth)]
        for parent, count in items:
            result[(mapping.namespace, mapping.limit_key, mapping.object_type, parent)] = (count, limit, count / limit)
    return result


def as_table(aggregator):
    counts, limits, utilization = (reported(aggregator, m) for m in METRICS)
    assert set(counts) == set(limits) == set(utilization)
    return {key: (counts[key], limits[key], utilization[key]) for key in counts}


def test_every_mapped_limit_reports_exact_count_limit_and_utilization(make_check, dd_run_check, aggregator, emulator):
    add_integrations(emulator, [3, 1])
    check = make_check(**only('object_limits'))
    dd_run_check(check)
    assert check.scheduler.last_errors == {}
    table = as_table(aggregator)
    assert table == expected(emulator)
    assert len({(ns, key) for ns, key, _type, _parent in table}) == len(MAPPINGS) == 30
    assert len({object_type for _ns, _key, object_type, _parent in table}) >= 20
    # Tags: the base tags, then exactly namespace, limit_key, object_type (and parent_name per parent).
    point = aggregator.metrics('genesys_cloud.objects.utilization')[0]
    assert set(base_tags(emulator)) <= set(point.tags)
    near = table[('architect', 'datatable.rows.max', 'data_table_row', 'Lookup table 1')]
    assert near == (4700, 5000, 0.94)  # the seeded table at 94 % of its rows limit
    assert table[('dataactions', 'actions.integration.max', 'data_action', 'Backend 1')] == (3, 50, 0.06)


def test_org_near_and_over_a_limit_fires_the_recommended_monitors(make_check, dd_run_check, aggregator, emulator):
    limits, objects = org_limits(emulator.org), org_objects(emulator.org)
    skills = objects.counts['skills']
    limits.set_value('routing', 'skills.max', skills + 1)  # near: one skill left
    objects.set_count('flows', 1200)  # over: a limit lowered under the count (flows.max is 1000)
    objects.set_rows(1, 4100)  # a second table at 82 %: warning
    dd_run_check(make_check(**only('object_limits')))
    table = as_table(aggregator)
    assert table[('routing', 'skills.max', 'skill', None)] == (skills, skills + 1, skills / (skills + 1))
    assert table[('architect', 'flows.max', 'flow', None)] == (1200, 1000, 1.2)
    assert table[('architect', 'datatable.rows.max', 'data_table_row', 'Lookup table 2')] == (4100, 5000, 0.82)

    submissions = Submissions(metrics=[{'name': p.name, 'type': 'gauge', 'value': p.value, 'tags': list(p.tags)}
                                       for m in METRICS for p in aggregator.metrics(m)])
    monitors = load_monitors([os.path.join(project_root(), 'assets', 'monitors', f'object_limit_{name}.json')
                              for name in ('utilization', 'forecast')])
    results = evaluate_monitors(submissions, monitors)
    utilization = {r.group: r.status for r in results if r.title == 'Object limit nearly reached'}
    forecast = {r.group: r.status for r in results if r.title.startswith('Object limit forecast')}
    skill_group = 'namespace:routing,limit_key:skills.max,object_type:skill'
    flow_group = 'namespace:architect,limit_key:flows.max,object_type:flow'
    rows = 'namespace:architect,limit_key:datatable.rows.max,object_type:data_table_row,parent_name:Lookup table'
    assert _status(utilization, skill_group) == ALERT  # skills/(skills+1) >= 0.95
    assert _status(utilization, flow_group) == ALERT
    assert _status(utilization, rows + ' 1') == WARN  # 94 %
    assert _status(utilization, rows + ' 2') == WARN  # 82 %
    assert _status(utilization, 'namespace:routing,limit_key:queues.max,object_type:queue') == OK
    # Locally the forecast compares the current value: the org over its flows limit fires it already.
    assert _status(forecast, flow_group) == ALERT
    assert _status(forecast, skill_group) == OK
    assert [g for g, s in utilization.items() if s == ALERT] and all(
        s == OK for g, s in forecast.items() if 'flows.max' not in g)


def _status(groups, prefix):
    """The status of the one group that starts with `prefix` (the group string lists its tags in query order)."""
    found = [status for group, status in groups.items() if _normal(group).startswith(prefix)]
    assert len(found) == 1, (prefix, sorted(groups))
    return found[0]


def _normal(group):
    return ','.join(part.strip() for part in group.split(','))


@pytest.mark.parametrize('org_options', [OrgOptions(seed=4, users=20, queues=2, oauth_clients=2)], ids=['small'])
def test_data_table_rows_are_scanned_over_several_runs_nearest_first(make_check, dd_run_check, aggregator, emulator,
                                                                     clock):
    objects = org_objects(emulator.org)
    objects.set_count('data_tables', 25)
    for i in range(25):
        objects.set_rows(i, 100 + i)
    objects.set_rows(20, 4990)  # table 21: nearest its limit, found on the third run
    check = make_check(**only('object_limits', object_limits={'parents_per_run': 10, 'top_n': 3}))
    rows_reported = []
    for _ in range(4):
        aggregator.reset()
        emulator.reset_counters()
        dd_run_check(check)
        assert emulator.requests[ROWS] == 10  # never more than parents_per_run tables a collection
        rows = {k[3]: v for k, v in reported(aggregator, 'genesys_cloud.objects.count').items()
                if k[1] == 'datatable.rows.max'}
        rows_reported.append(rows)
        clock.advance(ObjectLimitsCollector.default('interval'))
    assert rows_reported[0] == {'Lookup table 10': 109, 'Lookup table 9': 108, 'Lookup table 8': 107}
    assert rows_reported[1] == {'Lookup table 17': 116, 'Lookup table 16': 115, 'Lookup table 15': 114}
    assert rows_reported[2] == {'Lookup table 21': 4990, 'Lookup table 24': 123, 'Lookup table 23': 122}
    assert rows_reported[3] == {'Lookup table 21': 4990, 'Lookup table 25': 124, 'Lookup table 24': 123}
    objects.set_rows(20, 5100)  # the top tables are re-counted on every run
    aggregator.reset()
    dd_run_check(check)
    table = as_table(aggregator)
    assert table[('architect', 'datatable.rows.max', 'data_table_row', 'Lookup table 21')] == (5100, 5000, 1.02)


def test_limit_values_are_read_once_for_org_limits_and_object_limits(make_check, dd_run_check, emulator, clock):
    check = make_check(**only('org_limits', 'object_limits'), max_requests_per_minute=1000)
    dd_run_check(check)
    present = set(org_limits(emulator.org).values)
    object_namespaces = {m.namespace for m in MAPPINGS}
    org_namespaces = {'platform.api', 'auth.api', 'dataactions', 'integrations', 'analytics', 'notifications',
                      'routing', 'architect'} & present
    assert emulator.requests[VALUES] == len(org_namespaces | object_namespaces)  # not the sum of both
    assert emulator.requests[DOCS] == 1
    emulator.reset_counters()
    clock.advance(3600)
    dd_run_check(check)  # object_limits only (org_limits is every 4 h): docs and values come from the caches
    assert emulator.requests[DOCS] == 0 and emulator.requests[VALUES] == 0
    assert emulator.requests['GET /api/v2/routing/skills'] == 1


def test_a_missing_permission_costs_only_its_object_type(make_check, dd_run_check, aggregator, emulator, caplog):
    emulator.permissions.deny('architect:flow:view')
    check = make_check(**only('object_limits'))
    dd_run_check(check)
    assert check.scheduler.last_errors == {}
    table = as_table(aggregator)
    assert not [k for k in table if k[2] == 'flow']
    assert table == {k: v for k, v in expected(emulator).items() if k[2] != 'flow'}
    lines = [r.getMessage() for r in caplog.records if 'flow not counted' in r.getMessage()]
    assert len(lines) == 1 and 'GET /api/v2/flows' in lines[0]


def test_the_limits_api_failing_fails_the_collector_with_one_line(make_check, dd_run_check, aggregator, emulator):
    emulator.permissions.deny('limits:organization:view')
    check = make_check(**only('object_limits'))
    dd_run_check(check)
    assert not aggregator.metrics('genesys_cloud.objects.count')
    lines = [w for w in check.warnings if w.startswith('object_limits:')]
    assert len(lines) == 1 and 'limits:organization:view' in lines[0]


def test_undocumented_limits_and_bad_items_are_skipped(make_check, dd_run_check, aggregator, emulator):
    limits = org_limits(emulator.org)
    before = expected(emulator)
    del limits.defaults['quality']  # the docs no longer list it: not reported, no request for it
    del limits.values['presence']  # the org lacks the namespace: its limits are not reported
    limits.set_value('routing', 'skills.max', 'lots')  # not a number: the documented default applies
    dd_run_check(make_check(**only('object_limits')))
    table = as_table(aggregator)
    assert emulator.requests['GET /api/v2/quality/forms/evaluations'] == 0
    assert emulator.requests['GET /api/v2/presencedefinitions'] == 0
    skills = before.pop(('routing', 'skills.max', 'skill', None))
    assert table.pop(('routing', 'skills.max', 'skill', None)) == (skills[0], 1000, skills[0] / 1000)
    assert table == {k: v for k, v in before.items() if k[0] not in ('quality', 'presence')}


@pytest.mark.parametrize('org_options', [OrgOptions(seed=8, users=300, queues=40, oauth_clients=5)], ids=['300 users'])
def test_a_collection_over_the_request_pace_resumes_where_it_stopped(make_check, dd_run_check, aggregator, emulator,
                                                                     clock):
    check = make_check(**only('object_limits'), max_requests_per_minute=30)
    spent, runs = 0, 0
    while not aggregator.metrics('genesys_cloud.objects.count'):
        emulator.reset_counters()
        dd_run_check(check)
        # The token and the org lookup (tokens/me, the org collector's) are not this collector's cost.
        spent += sum(n for endpoint, n in emulator.requests.items()
                     if endpoint not in ('POST /oauth/token', 'GET /api/v2/tokens/me'))
        runs += 1
        assert runs <= 3 and not check.warnings
        clock.advance(60)
    assert as_table(aggregator) == expected(emulator)
    documented = ObjectLimitsCollector.minimum_requests(_size(emulator))
    # Nothing measured twice; only a listing two limits read (integrations, Data Actions) may be paged again
    # when the cut falls between them.
    assert runs == 3 and documented <= spent <= documented + 2, (runs, spent, documented)


def _size(emulator):
    objects = org_objects(emulator.org)
    return OrgSize(users=len(emulator.org.users), queues=len(emulator.org.queues), oauth_clients=5,
                   groups=objects.counts['groups'], data_tables=objects.counts['data_tables'])


@pytest.mark.parametrize('docs', [{'at': 'yesterday', 'limits': 'all of them'}, {'at': 0, 'limits': [[1]]}])
def test_tampered_state_is_measured_again(make_check, dd_run_check, aggregator, emulator, clock, docs):
    check = make_check(**only('object_limits'))
    dd_run_check(check)
    clock.advance(3600)
    aggregator.reset()
    emulator.reset_counters()
    state = check_state(check)
    if docs['at'] == 0:
        docs['at'] = clock.time()  # fresh, so only its content can make it unusable
    state.set('docs', docs)
    state.set('table_rows', {'x': 'many', 'y': [1]})
    state.set('progress', {'started': clock.time(), 'done': {
        'routing|skills.max': -3, 'architect|flows.max': 'lots', 'groups|group.members.max': [['Group 1', 'x']],
        'routing|languages.max': 4000}})
    dd_run_check(check)
    # Each value of the wrong shape is discarded with one warning naming its key; everything is measured afresh.
    assert as_table(aggregator) == expected(emulator)
    assert emulator.requests[DOCS] == 1 and emulator.requests['GET /api/v2/routing/languages'] == 1
    warned = ' '.join(check.warnings)
    assert all(f'object_limits.{key}' in warned for key in ('docs', 'table_rows', 'progress')), check.warnings


def check_state(check):
    return StateStore.for_check(check).scoped('object_limits')


@pytest.mark.parametrize('org_options', [OrgOptions(seed=8, users=30, queues=2, oauth_clients=2)], ids=['small'])
def test_a_row_scan_resumed_at_a_tight_pace_counts_each_table_once(make_check, dd_run_check, aggregator, emulator,
                                                                    clock):
    org_objects(emulator.org).set_count('data_tables', 60)
    check = make_check(**only('object_limits', object_limits={'parents_per_run': 20}), max_requests_per_minute=12)
    runs = 0
    while not aggregator.metrics('genesys_cloud.objects.count'):
        dd_run_check(check)
        runs += 1
        assert runs <= 8
        clock.advance(60)
    # Twenty tables in the collection however often it was cut short, and none of them twice.
    assert emulator.requests[ROWS] == 20 and runs > 2

"""object_limits against the emulator: every mapped limit's exact count, limit and utilization from the synthetic
org's ground truth; an org near and over a limit (and the recommended monitors on it); per-parent limits for the
top N parents, the data-table scan spread over runs; limit values shared with org_limits; one object type's
failure costs only that type."""

import logging
import math
import os
import re

import pytest
from datadog_checks.genesys_cloud.collectors.base import OrgSize
from datadog_checks.genesys_cloud.collectors.object_limits import FULL_PASS, ObjectLimitsCollector
from datadog_checks.genesys_cloud.collectors.object_rules import RULES, is_count_limit, readme_table
from datadog_checks.genesys_cloud.state import StateStore

from genesys_cloud_dd.assets_tools.evaluate import ALERT, OK, WARN, evaluate_monitors, load_monitors
from genesys_cloud_dd.check_runner import Submissions
from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.integrations import integrations_state
from genesys_cloud_dd.emulator.data.limits import org_limits
from genesys_cloud_dd.emulator.data.objects import LEGACY_KEYS, org_objects
from genesys_cloud_dd.emulator.routes.integrations import sample_action
from genesys_cloud_dd.resources import project_root

from .conftest import base_tags, only
from .emulator_fixtures import EmulatorApi

DOCS = 'GET /api/v2/organizations/limits/docs'
VALUES = 'GET /api/v2/organizations/limits/namespaces/{namespaceName}'
ROWS = 'GET /api/v2/flows/datatables/{datatableId}/rows'
METRICS = ('genesys_cloud.objects.count', 'genesys_cloud.objects.limit', 'genesys_cloud.objects.utilization')
UNMAPPED = 'genesys_cloud.objects.unmapped'
# Count limits the emulator documents that no rule counts (tokens and notification channels cannot be listed).
EMULATOR_UNMAPPED = {('auth.api', 'active.tokens.max'), ('notifications', 'channels.max'),
                     ('notifications', 'topics.per.channel.max')}
LEGACY = OrgOptions(seed=21, users=60, queues=6, oauth_clients=4, legacy_limit_keys=True)

# object_type -> the emulator's object kind counted for it (org-wide counts, hidden divisions included)
KIND = {
    'location': 'locations', 'skill': 'skills', 'wrapup_code': 'wrapup_codes', 'language': 'languages',
    'utilization_label': 'utilization_labels', 'group': 'groups', 'team': 'teams', 'role': 'roles',
    'flow': 'flows', 'flow_outcome': 'flow_outcomes', 'flow_milestone': 'flow_milestones',
    'data_table': 'data_tables', 'schedule': 'schedules', 'schedule_group': 'schedule_groups',
    'emergency_group': 'emergency_groups', 'call_route': 'ivrs', 'user_prompt': 'prompts', 'site': 'sites',
    'line': 'lines', 'edge': 'edges', 'did_pool': 'did_pools', 'outbound_campaign': 'campaigns',
    'contact_list': 'contact_lists', 'dnc_list': 'dnc_lists', 'response_library': 'response_libraries',
    'evaluation_form': 'evaluation_forms', 'presence_definition': 'presence_definitions',
    'work_type': 'work_types', 'workbin': 'workbins', 'ai_agent': 'virtual_agents', 'nlu_domain': 'nlu_domains',
    'knowledge_base': 'knowledge_bases', 'messenger_deployment': 'messenger_deployments',
    'messenger_configuration': 'messenger_configurations', 'learning_module': 'learning_modules',
    'journey_segment': 'journey_segments', 'action_map': 'action_maps',
}


def objects_only(**sections):
    """object_limits alone, at a pace that lets a cold start (docs, ~20 namespaces, ~45 types) finish in one run."""
    return {**only('object_limits', **sections), 'max_requests_per_minute': 1000}


@pytest.fixture
def org_options():
    return OrgOptions(seed=21, users=60, queues=6, oauth_clients=4)


def add_integrations(emulator, actions_per_integration, names=None, integration_type='custom-rest-actions'):
    """Integrations with published Data Actions, created through the emulator's API as a user would."""
    with EmulatorApi(emulator) as api:
        for i, n in enumerate(actions_per_integration):
            name = names[i] if names else f'Backend {i + 1}'
            integration = api.post('/api/v2/integrations', json={'name': name, 'integrationType': {
                'id': integration_type}}).json()
            for a in range(n):
                draft = api.post('/api/v2/integrations/actions/drafts',
                                 json=sample_action(integration['id'], f'Action {i + 1}.{a + 1}')).json()
                api.post(f'/api/v2/integrations/actions/{draft["id"]}/draft/publish',
                         json={'version': draft['version']})


def ground_truth(emulator, rule):
    """The count for an org-wide rule, {(parent name, parent id): count} for a per-parent one."""
    org, objects = emulator.org, org_objects(emulator.org)
    if rule.object_type in KIND:
        return objects.counts[KIND[rule.object_type]]
    integrations = integrations_state(emulator)
    published = [r for r in integrations.actions.values() if r.published]
    if rule.object_type == 'data_action' and not rule.parent:
        return sum(r.id.startswith('custom_-_') for r in published)
    if rule.object_type == 'data_action':
        actions = {}
        for record in published:
            integration = integrations.integrations[record.integration_id]
            key = (integration.name, integration.id)
            actions[key] = actions.get(key, 0) + 1
        return actions
    if rule.object_type == 'data_table_row':
        return {(objects.entity('data_tables', i).name, objects.entity('data_tables', i).id): rows
                for i, rows in enumerate(objects.table_rows)}
    if rule.object_type == 'group_member':
        return {(objects.entity('groups', i).name, objects.entity('groups', i).id): n
                for i, n in enumerate(objects.group_members)}
    return {
        'user': lambda: len([u for u in org.users if u.state == 'active']),
        'queue': lambda: len(org.queues),
        'queue_member': lambda: {(q.name, q.id): len(q.member_ids) for q in org.queues},
        'division': lambda: len(org.divisions),
        'integration': lambda: len(integrations.integrations),
    }[rule.object_type]()


def documented_key(emulator, rule):
    """The spelling of the rule's limit the emulator org documents."""
    defaults = org_limits(emulator.org).defaults
    return next((ns, key) for ns, key in rule.limit_keys if key in defaults.get(ns, {}))


def reported(aggregator, metric):
    """{(namespace, limit_key, object_type, parent_name or None, parent_id or None): value} of one metric."""
    out = {}
    for point in aggregator.metrics(metric):
        tags = dict(t.split(':', 1) for t in point.tags)
        key = (tags['namespace'], tags['limit_key'], tags.get('object_type'), tags.get('parent_name'),
               tags.get('parent_id'))
        assert key not in out, f'{metric} {key} submitted twice'
        out[key] = point.value
    return out


def expected(emulator, top_n=10):
    """The same shape as reported(): count, limit and utilization per limit from the ground truth."""
    values = org_limits(emulator.org).values
    result = {}
    for rule in RULES:
        truth = ground_truth(emulator, rule)
        namespace, key = documented_key(emulator, rule)
        limit = values[namespace][key]
        if isinstance(truth, dict):
            nearest = sorted(truth.items(), key=lambda item: (-item[1], item[0]))[:top_n]
            items = [(name, pid[:8], n) for (name, pid), n in nearest]
        else:
            items = [(None, None, truth)]
        for parent, pid, count in items:
            result[(namespace, key, rule.object_type, parent, pid)] = (count, limit, count / limit)
    return result


def row_key(emulator, index):
    """The reported key of data table `index`'s rows."""
    table = org_objects(emulator.org).entity('data_tables', index)
    return ('architect', 'datatable.rows.max', 'data_table_row', table.name, table.id[:8])


def as_table(aggregator):
    counts, limits, utilization = (reported(aggregator, m) for m in METRICS)
    assert set(counts) == set(limits) == set(utilization)
    return {key: (counts[key], limits[key], utilization[key]) for key in counts}


def unmapped(aggregator):
    assert all(p.value == 1 for p in aggregator.metrics(UNMAPPED))
    return {(ns, key) for ns, key, _type, _parent, _pid in reported(aggregator, UNMAPPED)}


def documented_count_limits(emulator):
    return {(ns, key) for ns, keys in org_limits(emulator.org).defaults.items() for key in keys
            if is_count_limit(key)}


@pytest.mark.parametrize('org_options', [OrgOptions(seed=21, users=60, queues=6, oauth_clients=4), LEGACY],
                         ids=['live-checked keys', 'legacy keys'])
def test_every_documented_count_limit_is_reported_exactly_or_named_unmapped(make_check, dd_run_check, aggregator,
                                                                            emulator, org_options):
    add_integrations(emulator, [3, 1])
    add_integrations(emulator, [2], names=['Genesys actions'], integration_type='purecloud-data-actions')
    check = make_check(**objects_only())
    dd_run_check(check)
    assert check.scheduler.last_errors == {}
    table = as_table(aggregator)
    assert table == expected(emulator)
    assert unmapped(aggregator) == EMULATOR_UNMAPPED
    reported_keys = {(ns, key) for ns, key, *_ in table}
    assert reported_keys | EMULATOR_UNMAPPED == documented_count_limits(emulator)
    spellings = {(ns, key) for ns, key, *_ in table} & (set(LEGACY_KEYS) | set(LEGACY_KEYS.values()))
    assert spellings == set(LEGACY_KEYS.values() if org_options.legacy_limit_keys else LEGACY_KEYS)
    assert len({object_type for _ns, _key, object_type, *_ in table}) >= 40
    point = aggregator.metrics('genesys_cloud.objects.utilization')[0]
    assert set(base_tags(emulator)) <= set(point.tags)
    assert table[row_key(emulator, 0)] == (4700, 5000, 0.94)  # the seeded table at 94 % of its rows limit


def test_unmapped_count_limits_are_named_in_one_info_line_a_day(make_check, dd_run_check, aggregator, emulator,
                                                                clock, caplog):
    check = make_check(**objects_only())
    caplog.set_level(logging.INFO)
    lines = []
    for hour in range(26):
        caplog.clear()
        dd_run_check(check)
        lines += [(hour, r) for r in caplog.records if 'no counting rule' in r.getMessage()]
        clock.advance(3600)
    # With the docs, read again once they are over a day old.
    assert [hour for hour, _r in lines] == [0, 25] and all(r.levelno == logging.INFO for _h, r in lines)
    lines = [r for _h, r in lines]
    assert 'auth.api/active.tokens.max, notifications/channels.max, notifications/topics.per.channel.max' in \
        lines[0].getMessage()
    # A rule's key spelt differently by the org shows up as unmapped instead of silence.
    limits = org_limits(emulator.org)
    limits.defaults['routing']['queue.count.max'] = limits.defaults['routing'].pop('queues.max')
    limits.values['routing']['queue.count.max'] = limits.values['routing'].pop('queues.max')
    aggregator.reset()
    dd_run_check(make_check(check_id='genesys_cloud:renamed', **objects_only()))  # no cached docs
    assert ('routing', 'queue.count.max') in unmapped(aggregator)
    assert not [k for k in as_table(aggregator) if k[2] == 'queue']


def test_only_custom_data_actions_count_against_the_total(make_check, dd_run_check, aggregator, emulator):
    add_integrations(emulator, [4])
    add_integrations(emulator, [3], names=['Genesys actions'], integration_type='purecloud-data-actions')
    dd_run_check(make_check(**objects_only()))
    table = as_table(aggregator)
    assert table[('dataactions', 'actions.total.max', 'data_action', None, None)] == (4, 500, 0.008)
    per_integration = {k[3]: v[0] for k, v in table.items() if k[1] == 'actions.integration.max'}
    assert per_integration == {'Backend 1': 4, 'Genesys actions': 3}


def test_org_wide_totals_count_every_division(make_check, dd_run_check, aggregator, emulator):
    dd_run_check(make_check(**objects_only()))
    table = as_table(aggregator)
    objects = org_objects(emulator.org)
    with EmulatorApi(emulator) as api:
        listing = api.get('/api/v2/architect/schedules', params={'pageSize': 1}).json()
    assert listing['total'] == objects.counts['schedules'] - 1  # one schedule in a division the client cannot see
    assert table[('architect', 'schedules.max', 'schedule', None, None)][0] == listing['totalNumberOfEntities']
    # phones.max counts lines (a phone can carry several)
    assert table[('telephony.configuration', 'phones.max', 'line', None, None)][0] == objects.counts['lines']
    assert objects.counts['lines'] != objects.counts['phones']
    assert emulator.requests['GET /api/v2/presence/definitions'] == 1
    assert emulator.requests['GET /api/v2/presencedefinitions'] == 0


def test_org_near_and_over_a_limit_fires_the_recommended_monitors(make_check, dd_run_check, aggregator, emulator):
    limits, objects = org_limits(emulator.org), org_objects(emulator.org)
    skills = objects.counts['skills']
    limits.set_value('skills', 'skill.count.max', skills + 1)  # near: one skill left
    objects.set_count('flows', 1200)  # over: a limit lowered under the count (flows.max is 1000)
    objects.set_rows(1, 4100)  # a second table at 82 %: warning
    dd_run_check(make_check(**objects_only()))
    table = as_table(aggregator)
    assert table[('skills', 'skill.count.max', 'skill', None, None)] == (skills, skills + 1, skills / (skills + 1))
    assert table[('architect', 'flows.max', 'flow', None, None)] == (1200, 1000, 1.2)
    assert table[row_key(emulator, 1)] == (4100, 5000, 0.82)

    submissions = Submissions(metrics=[{'name': p.name, 'type': 'gauge', 'value': p.value, 'tags': list(p.tags)}
                                       for m in METRICS for p in aggregator.metrics(m)])
    monitors = load_monitors([os.path.join(project_root(), 'assets', 'monitors', f'object_limit_{name}.json')
                              for name in ('utilization', 'forecast')])
    results = evaluate_monitors(submissions, monitors)
    utilization = {r.group: r.status for r in results if r.title == 'Object limit nearly reached'}
    forecast = {r.group: r.status for r in results if r.title.startswith('Object limit forecast')}
    skill_group = 'namespace:skills,limit_key:skill.count.max,object_type:skill'
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
    check = make_check(**objects_only(object_limits={'parents_per_run': 10, 'top_n': 3}))
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
    assert table[row_key(emulator, 20)] == (5100, 5000, 1.02)


def test_limit_values_are_read_once_for_org_limits_and_object_limits(make_check, dd_run_check, emulator, clock):
    check = make_check(**only('org_limits', 'object_limits'), max_requests_per_minute=1000)
    dd_run_check(check)
    present = set(org_limits(emulator.org).values)
    object_namespaces = {documented_key(emulator, r)[0] for r in RULES}
    org_namespaces = {'platform.api', 'auth.api', 'dataactions', 'datatables', 'integrations', 'analytics',
                      'notifications', 'routing', 'architect'} & present
    assert emulator.requests[VALUES] == len(org_namespaces | object_namespaces)  # not the sum of both
    assert emulator.requests[DOCS] == 1
    emulator.reset_counters()
    clock.advance(3600)
    dd_run_check(check)  # object_limits only (org_limits is every 4 h): docs and values come from the caches
    assert emulator.requests[DOCS] == 0 and emulator.requests[VALUES] == 0
    assert emulator.requests['GET /api/v2/routing/skills'] == 1


def test_a_missing_permission_costs_only_its_object_type(make_check, dd_run_check, aggregator, emulator, caplog):
    emulator.permissions.deny('architect:flow:view')
    check = make_check(**objects_only())
    dd_run_check(check)
    assert check.scheduler.last_errors == {}
    table = as_table(aggregator)
    assert not [k for k in table if k[2] == 'flow']
    assert table == {k: v for k, v in expected(emulator).items() if k[2] != 'flow'}
    lines = [r.getMessage() for r in caplog.records if 'flow not counted' in r.getMessage()]
    assert len(lines) == 1 and 'GET /api/v2/flows' in lines[0]


def test_the_limits_api_failing_fails_the_collector_with_one_line(make_check, dd_run_check, aggregator, emulator):
    emulator.permissions.deny('limits:organization:view')
    check = make_check(**objects_only())
    dd_run_check(check)
    assert not aggregator.metrics('genesys_cloud.objects.count')
    lines = [w for w in check.warnings if w.startswith('object_limits:')]
    assert len(lines) == 1 and 'limits:organization:view' in lines[0]


def test_undocumented_limits_and_bad_items_are_skipped(make_check, dd_run_check, aggregator, emulator):
    limits = org_limits(emulator.org)
    before = expected(emulator)
    del limits.defaults['quality']  # the docs no longer list it: not reported, no request for it
    del limits.values['presence']  # the org lacks the namespace: its limits are not reported
    limits.set_value('skills', 'skill.count.max', 'lots')  # not a number: the documented default applies
    dd_run_check(make_check(**objects_only()))
    table = as_table(aggregator)
    assert emulator.requests['GET /api/v2/quality/forms/evaluations'] == 0
    assert emulator.requests['GET /api/v2/presence/definitions'] == 0
    skills = before.pop(('skills', 'skill.count.max', 'skill', None, None))
    assert table.pop(('skills', 'skill.count.max', 'skill', None, None)) == (skills[0], 1000, skills[0] / 1000)
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
        assert runs <= 5 and not check.warnings
        clock.advance(60)
    assert as_table(aggregator) == expected(emulator)
    documented = ObjectLimitsCollector.minimum_requests(_size(emulator))
    # Nothing measured twice; only a listing two limits read (integrations, Data Actions) may be paged again
    # when the cut falls between them.
    # The pace also counts the token and org requests: one run more than the documented count alone needs.
    assert runs <= math.ceil(documented / 30) + 1 and documented <= spent <= documented + 2, (runs, spent, documented)


def _size(emulator):
    objects = org_objects(emulator.org)
    return OrgSize(users=len(emulator.org.users), queues=len(emulator.org.queues), oauth_clients=5,
                   object_limit_namespaces=len({documented_key(emulator, r)[0] for r in RULES}),
                   groups=objects.counts['groups'], data_tables=objects.counts['data_tables'])


@pytest.mark.parametrize('docs', [{'at': 'yesterday', 'limits': 'all of them'}, {'at': 0, 'limits': [[1]]}])
def test_tampered_state_is_measured_again(make_check, dd_run_check, aggregator, emulator, clock, docs):
    check = make_check(**objects_only())
    dd_run_check(check)
    clock.advance(3600)
    aggregator.reset()
    emulator.reset_counters()
    state = check_state(check)
    if docs['at'] == 0:
        docs['at'] = clock.time()  # fresh, so only its content can make it unusable
    state.set('documented', docs)
    state.set('table_rows', {'x': 'many', 'y': [1]})
    state.set('progress', {'started': clock.time(), 'done': {
        'skills|skill.count.max': -3, 'architect|flows.max': 'lots',
        'groups|group.members.max': [['id-1', 'Group 1', 'x']], 'skills|language.count.max': 4000}})
    dd_run_check(check)
    # Each value of the wrong shape is discarded with one warning naming its key; everything is measured afresh.
    assert as_table(aggregator) == expected(emulator)
    assert emulator.requests[DOCS] == 1 and emulator.requests['GET /api/v2/routing/languages'] == 1
    warned = ' '.join(check.warnings)
    assert all(f'object_limits.{key}' in warned for key in ('documented', 'table_rows', 'progress')), check.warnings


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


# -- the data-table scan always moves on -----------------------------------------------------------------------

@pytest.mark.parametrize('org_options', [OrgOptions(seed=4, users=20, queues=2, oauth_clients=2)], ids=['small'])
@pytest.mark.parametrize('parents_per_run, top_n', [(1, 1), (10, 10), (50, 10), (4, 40)])
def test_every_table_is_counted_within_a_few_hours_whatever_the_options(make_check, dd_run_check, aggregator,
                                                                         emulator, clock, parents_per_run, top_n):
    # The README: "a large org's tables are all measured within a few hours" (FULL_PASS hourly collections),
    # also for the smallest allowed options and when parents_per_run <= top_n (which used to rescan the top
    # tables forever).
    objects = org_objects(emulator.org)
    objects.set_count('data_tables', 170)
    for i in range(170):
        objects.set_rows(i, 10 + i)
    check = make_check(**objects_only(object_limits={'parents_per_run': parents_per_run, 'top_n': top_n}))
    table_ids = {objects.entity('data_tables', i).id for i in range(170)}
    for _ in range(FULL_PASS):
        dd_run_check(check)
        clock.advance(ObjectLimitsCollector.default('interval'))
    assert set(check_state(check).get('table_rows')) == table_ids
    # and the fullest table found on the way is the one reported first
    objects.set_rows(169, 4999)
    for _ in range(FULL_PASS):
        aggregator.reset()
        dd_run_check(check)
        clock.advance(ObjectLimitsCollector.default('interval'))
    assert as_table(aggregator)[row_key(emulator, 169)][0] == 4999


# -- parent tags ----------------------------------------------------------------------------------------------

def test_parents_of_one_name_stay_separate_series(make_check, dd_run_check, aggregator, emulator):
    long_name = 'Order lookup ' + 'x' * 190
    names = ['Web Services Data Actions', 'Web Services Data Actions', 'a,b', 'a b', long_name + '1',
             long_name + '2']
    add_integrations(emulator, [48, 2, 5, 1, 7, 3], names=names)
    dd_run_check(make_check(**objects_only()))
    per_integration = [(k[3], k[4], v[0]) for k, v in as_table(aggregator).items()
                       if k[1] == 'actions.integration.max']
    assert sorted(n for _name, _pid, n in per_integration) == [1, 2, 3, 5, 7, 48]  # the fullest is not masked
    assert len({(name, pid) for name, pid, _n in per_integration}) == 6
    ids = {r.name + r.id: r.id for r in integrations_state(emulator).integrations.values()}
    assert {pid for _name, pid, _n in per_integration} == {i[:8] for i in ids.values()}
    # two names one tag apart only by their id: same parent_name tag, different parent_id
    names_of = {}
    for name, pid, _n in per_integration:
        names_of.setdefault(name, set()).add(pid)
    assert len(names_of['Web Services Data Actions']) == 2
    assert max(len(name) for name in names_of) < len(long_name)  # truncated into one parent_name tag


def test_the_readme_table_is_generated_from_the_rules():
    with open(os.path.join(project_root(), 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    found = re.search(r'<!-- object limits table: generated from object_rules.RULES -->\n(.*?)\n<!-- end -->',
                      readme, re.S)
    assert found, 'README.md lacks the object limits table markers'
    assert found.group(1) == readme_table(), 'regenerate with: python scripts/object_limits_table.py'
    assert len({r.object_type for r in RULES}) >= 40
    assert all(r.sdk and r.docs.startswith('https://developer.genesys.cloud/') for r in RULES)


# -- hostile answers: a bad item costs itself only -----------------------------------------------------------

def _docs_index(emulator, namespace):
    return sorted(org_limits(emulator.org).defaults).index(namespace)


def test_a_docs_entry_with_a_list_name_or_an_object_key_is_skipped_with_one_line(make_check, dd_run_check,
                                                                                  aggregator, emulator, caplog):
    emulator.faults.add(DOCS, corrupt=[
        {'path': ['namespaces', _docs_index(emulator, 'quality')], 'set': {'name': ['quality']}},
        {'path': ['namespaces', _docs_index(emulator, 'presence'), 'limits', 0], 'set': {'key': {'k': 'v'}}}])
    check = make_check(**objects_only())
    dd_run_check(check)
    assert check.scheduler.last_errors == {}
    table = as_table(aggregator)
    assert table == {k: v for k, v in expected(emulator).items() if k[0] not in ('quality', 'presence')}
    lines = [r.getMessage() for r in caplog.records if 'skipped a malformed limits docs' in r.getMessage()]
    assert len(lines) == 2, lines


def test_a_listed_entity_whose_id_is_a_list_is_skipped_with_one_line(make_check, dd_run_check, aggregator,
                                                                     emulator, caplog):
    emulator.faults.add('GET /api/v2/groups', corrupt={'path': ['entities', 1], 'set': {'id': ['g', 1]}})
    check = make_check(**objects_only())
    dd_run_check(check)
    assert check.scheduler.last_errors == {}
    objects = org_objects(emulator.org)
    table, truth = as_table(aggregator), expected(emulator)
    assert table[('groups', 'group.count.max', 'group', None, None)][0] == objects.counts['groups'] - 1
    assert objects.entity('groups', 1).name not in {k[3] for k in table if k[2] == 'group_member'}
    assert {k: v for k, v in table.items() if k[0] != 'groups'} == {k: v for k, v in truth.items()
                                                                    if k[0] != 'groups'}
    lines = [r.getMessage() for r in caplog.records if 'skipped a malformed group entity' in r.getMessage()]
    assert len(lines) == 1 and "['g', 1]" in lines[0]


def test_a_401_digit_total_costs_its_type_only_and_is_not_retried_every_few_minutes(make_check, dd_run_check,
                                                                                    aggregator, emulator, clock,
                                                                                    caplog):
    emulator.faults.add('GET /api/v2/routing/skills', corrupt={'path': [], 'set': {'total': 10**400}}, times=1)
    check = make_check(**objects_only())
    dd_run_check(check)
    assert check.scheduler.last_errors == {}
    table = as_table(aggregator)
    assert table == {k: v for k, v in expected(emulator).items() if k[2] != 'skill'}
    lines = [r.getMessage() for r in caplog.records if 'skill not counted' in r.getMessage()]
    assert len(lines) == 1 and 'total' in lines[0] and '0' * 50 not in lines[0]
    emulator.reset_counters()
    clock.advance(300)
    dd_run_check(check)
    assert sum(emulator.requests.values()) == 0  # next due in an hour, as after any good collection
    clock.advance(3600)
    aggregator.reset()
    dd_run_check(check)
    assert as_table(aggregator) == expected(emulator)


def test_a_limit_value_that_is_not_a_count_costs_its_limit_only(make_check, dd_run_check, aggregator, emulator,
                                                                caplog):
    limits = org_limits(emulator.org)
    limits.set_value('routing', 'queues.max', 10**400)  # would overflow a float
    limits.set_value('quality', 'evaluationforms.max', float('nan'))  # a NaN literal: not JSON, the namespace lost
    check = make_check(**objects_only())
    dd_run_check(check)
    assert check.scheduler.last_errors == {}
    assert as_table(aggregator) == {k: v for k, v in expected(emulator).items() if k[1] != 'queues.max'
                                    and k[0] != 'quality'}
    lines = [r.getMessage() for r in caplog.records if 'is not a count' in r.getMessage()]
    assert len(lines) == 1 and len(lines[0]) < 200
    lines = [r.getMessage() for r in caplog.records if 'namespace quality not reported' in r.getMessage()]
    assert len(lines) == 1


def test_an_unmapped_key_with_a_line_break_stays_on_one_log_line(make_check, dd_run_check, aggregator, emulator,
                                                                 caplog):
    limits = org_limits(emulator.org)
    limits.defaults['routing']['fake\nINFO all limits fine.max'] = 10
    caplog.set_level(logging.INFO)
    dd_run_check(make_check(**objects_only()))
    lines = [r.getMessage() for r in caplog.records if 'no counting rule' in r.getMessage()]
    assert len(lines) == 1 and '\n' not in lines[0] and 'routing/fake?INFO all limits fine.max' in lines[0]
    assert len(unmapped(aggregator)) == len(EMULATOR_UNMAPPED) + 1

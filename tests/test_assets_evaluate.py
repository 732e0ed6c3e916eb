"""Local evaluation of the recommended monitors on one check run's submissions (crafted here)."""

from genesys_cloud_dd.assets_tools.evaluate import (
    ALERT,
    NO_DATA,
    OK,
    WARN,
    evaluate_monitors,
    render_monitor_evaluation,
)
from genesys_cloud_dd.check_runner import Submissions

from .assets_helpers import MONITOR_FAILED, MONITOR_FORECAST, MONITOR_LOGS, MONITOR_WAIT

BASE = ['org_id:o1', 'org_name:Acme', 'region:mypurecloud.com']


def metric(name, value, mtype='gauge', **tags):
    return {'name': name, 'type': mtype, 'value': value, 'tags': sorted(BASE + [f'{k}:{v}' for k, v in tags.items()])}


def by_group(results, title):
    return {r.group: (r.status, r.value) for r in results if r.title == title}


def test_queue_wait_per_queue():
    subs = Submissions(metrics=[
        metric('genesys_cloud.queue.longest_waiting', 400, queue_name='Sales', media_type='voice'),
        metric('genesys_cloud.queue.longest_waiting', 20, queue_name='Sales', media_type='chat'),  # max -> 400
        metric('genesys_cloud.queue.longest_waiting', 200, queue_name='Billing', media_type='voice'),
        metric('genesys_cloud.queue.longest_waiting', 0, queue_name='Support', media_type='voice'),
    ])
    groups = by_group(evaluate_monitors(subs, [MONITOR_WAIT]), MONITOR_WAIT['title'])
    assert groups == {'queue_name:Sales': (ALERT, 400), 'queue_name:Billing': (WARN, 200),
                      'queue_name:Support': (OK, 0)}


def test_failed_ratio_per_client_counts_summed_and_missing_numerators_have_no_data():
    m = 'genesys_cloud.api.requests'
    subs = Submissions(metrics=[
        metric(m, 80, 'count', oauth_client_name='Billing', status_class='2xx'),
        metric(m, 20, 'count', oauth_client_name='Billing', status_class='5xx'),  # 20 % -> ALERT
        metric(m, 90, 'count', oauth_client_name='CRM', status_class='2xx'),
        metric(m, 4, 'count', oauth_client_name='CRM', status_class='5xx'),
        metric(m, 3, 'count', oauth_client_name='CRM', status_class='5xx'),  # summed: 7/97 = 7.2 % -> WARN
        metric(m, 50, 'count', oauth_client_name='WFM', status_class='2xx'),  # no 5xx series: no data, as in Datadog
    ])
    groups = by_group(evaluate_monitors(subs, [MONITOR_FAILED]), MONITOR_FAILED['title'])
    assert set(groups) == {'oauth_client_name:Billing', 'oauth_client_name:CRM'}
    assert groups['oauth_client_name:Billing'] == (ALERT, 20.0)
    status, value = groups['oauth_client_name:CRM']
    assert status == WARN and abs(value - 700 / 97) < 1e-9


def test_forecast_uses_the_current_value_and_says_so():
    subs = Submissions(metrics=[
        metric('genesys_cloud.license.concurrent.peak', 810, license='cloudCX3'),
        metric('genesys_cloud.license.purchased', 800, license='cloudCX3'),
        metric('genesys_cloud.license.concurrent.peak', 90, license='cloudCX1'),
        metric('genesys_cloud.license.purchased', 100, license='cloudCX1'),
        metric('genesys_cloud.license.concurrent.peak', 5, license='wem'),  # no purchased: no pair
    ])
    results = evaluate_monitors(subs, [MONITOR_FORECAST])
    assert {r.group: r.status for r in results} == {'license:cloudCX3': ALERT, 'license:cloudCX1': OK}
    assert all('forecast' in r.note for r in results)


def test_no_data_and_log_monitors():
    results = evaluate_monitors(Submissions(), [MONITOR_WAIT, MONITOR_LOGS])
    assert [(r.title, r.status) for r in results] == [(MONITOR_WAIT['title'], NO_DATA), (MONITOR_LOGS['title'],
                                                                                          NO_DATA)]
    assert 'flows post' in results[1].note


def test_event_monitor_matches_the_checks_events():
    monitor = {
        'title': 'Limit change requests', 'definition': {
            'name': 'x', 'type': 'event-v2 alert', 'options': {'thresholds': {'critical': 0}},
            'query': 'events("source:genesys_cloud status:info").rollup("count").by("namespace")'
                     '.last("1h") > 0'}}
    events = [
        {'msg_title': 'a', 'source_type_name': 'genesys_cloud', 'alert_type': 'info',
         'tags': BASE + ['namespace:platform.api', 'status:approved']},
        {'msg_title': 'b', 'source_type_name': 'genesys_cloud', 'alert_type': 'info',
         'tags': BASE + ['namespace:routing', 'status:approved']},
    ]
    results = evaluate_monitors(Submissions(events=events), [monitor])
    assert [(r.group, r.status, r.value) for r in results] == [
        ('namespace:platform.api', ALERT, 1), ('namespace:routing', ALERT, 1)]


def test_rendered_table_lists_firing_groups_first():
    subs = Submissions(metrics=[metric('genesys_cloud.queue.longest_waiting', v, queue_name=f'Q{i}')
                                for i, v in enumerate([10, 20, 30, 40, 500])])
    table = render_monitor_evaluation(subs, [MONITOR_WAIT, MONITOR_LOGS])
    lines = table.splitlines()
    assert lines[1].split()[:3] == ['STATUS', 'MONITOR', 'GROUP']
    assert lines[2].startswith('ALERT') and 'queue_name:Q4' in lines[2] and '500' in lines[2]
    assert '... and 1 more OK groups' in table
    assert 'would fire: Callers wait too long in a queue' in table
    assert '2 monitors: 1 ALERT, 0 WARN, 4 OK, 1 NO DATA' in table

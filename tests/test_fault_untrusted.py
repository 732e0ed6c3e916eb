"""Fault matrix, part two: everything from outside is untrusted (API items, paging, headers, token lifetimes,
persisted state, configuration), each class of fault with a test that fails on a check that trusts it.

`make faults` prints these rows with the per-collector matrix of tests/test_fault_matrix.py.
"""

import json
from collections import Counter
from datetime import timedelta

import pytest
import yaml
from datadog_checks.genesys_cloud import GenesysCloudCheck
from datadog_checks.genesys_cloud.client import GenesysApiError, GenesysClient
from datadog_checks.genesys_cloud.collectors import COLLECTORS
from datadog_checks.genesys_cloud.scheduler import Outcome

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.limits import org_limits
from genesys_cloud_dd.emulator.data.operational_events import operational_events
from genesys_cloud_dd.emulator.data.ratelimits import ratelimit_history
from genesys_cloud_dd.flows import schema
from genesys_cloud_dd.flows.deploy import FlowDeployer
from tests.conftest import DD_API_KEY_CANARY, only

from .fault_report import record
from .test_fault_matrix import up

TOKEN = 'POST /oauth/token'
QUEUES = 'GET /api/v2/routing/queues'
USERS = 'GET /api/v2/users'
CHANGE_REQUESTS = 'GET /api/v2/organizations/limits/changerequests'
EVENTS_QUERY = 'POST /api/v2/usage/events/query'
RATE_QUERY = 'POST /api/v2/analytics/ratelimits/aggregates/query'


@pytest.fixture
def org_options():
    return OrgOptions(seed=11, users=40, queues=4, oauth_clients=4)


def run(check):
    check.warnings.clear()
    error = check.run()
    assert error == '', error
    return check.scheduler.outcomes


def lines_of(check, name):
    return [w for w in check.warnings if w.startswith(f'{name}:')]


# -- side effects committed item by item ----------------------------------------------------------------

def test_malformed_operational_event_is_skipped_and_nothing_is_sent_twice(make_check, emulator, aggregator, clock,
                                                                          caplog):
    store = operational_events(emulator.org)
    check = make_check(**only('operational_events'))
    run(check)  # no cursor yet: starts from now
    start = clock.now()
    for index in range(3):
        store.publish(store.definitions[0].id, when=start + timedelta(seconds=index + 1), entity_index=index)
    # In the next answer, the second event's `conversation` is a string, not the documented object.
    fault = emulator.faults.add(EVENTS_QUERY, times=1,
                                corrupt={'path': ['entities', 1], 'set': {'conversation': 'oops'}})
    aggregator.reset()
    for _ in range(12):
        clock.advance(300)
        run(check)
    assert fault.corrupted == 1
    expected = store.events(start, clock.now() + timedelta(seconds=1))
    sent = [(e['msg_title'], e['timestamp'], e['msg_text']) for e in aggregator.events]
    # Every event once (a trusting check sends the first again on every run and fails the collection); the
    # corrupted copy is skipped, the true event is read again uncorrupted within the late window and sent once.
    assert len(sent) == len(set(sent)) == len(expected)
    assert up(aggregator, 'operational_events') == 1
    skipped = [r.message for r in caplog.records if 'skipped a malformed operational event' in r.getMessage()]
    assert len(skipped) == 1
    counted = sum(m.value for m in aggregator.metrics('genesys_cloud.operational_events.count'))
    assert counted == len(expected)  # every event counted once, the malformed copy not at all
    record('operational_events: malformed item in a batch', 'skipped with 1 log line, the rest sent once',
           '2 of 3 sent once in 12 runs, 1 line')


def test_malformed_change_request_is_skipped_and_nothing_is_announced_twice(make_check, emulator, aggregator,
                                                                            clock):
    limits = org_limits(emulator.org)
    check = make_check(**only('org_limits', org_limits={'namespaces': ['platform.api']}))
    run(check)  # learns the statuses
    order = [r['id'] for r in check.client.iter_next_uri('/api/v2/organizations/limits/changerequests',
                                                        params={'pageSize': 25})]
    first, second = (limits.change_request(i) for i in order[:2])
    before = first.status
    limits.set_status(first.id, 'Approved' if first.status != 'Approved' else 'Rejected', 'ok')
    limits.set_status(second.id, 'Rejected' if second.status != 'Rejected' else 'Approved', 'no')
    # The later request's statusHistory holds strings, not the documented objects.
    fault = emulator.faults.add(CHANGE_REQUESTS, corrupt={'path': ['entities', 1],
                                                          'set': {'statusHistory': ['a', 'b']}})
    aggregator.reset()
    for _ in range(4):
        clock.advance(14401)
        run(check)
    assert fault.corrupted >= 1
    titles = [e['msg_title'] for e in aggregator.events]
    assert titles == [f'Genesys Cloud limit change request {first.key}: {before} -> {first.status}'], titles
    assert up(aggregator, 'org_limits') == 1
    record('org_limits: malformed change request', 'skipped with 1 log line, the rest announced once',
           '1 event in 4 runs')


def test_change_request_skipped_once_is_not_announced_as_new_when_readable_again(make_check, emulator, aggregator,
                                                                                clock):
    check = make_check(**only('org_limits', org_limits={'namespaces': ['platform.api']}))
    run(check)  # learns the statuses
    fault = emulator.faults.add(CHANGE_REQUESTS, times=1, corrupt={'path': ['entities', 0], 'set': {'id': 7}})
    aggregator.reset()
    for _ in range(3):
        clock.advance(14401)
        run(check)
    assert fault.corrupted == 1
    assert aggregator.events == []  # nothing changed status: nothing to announce
    record('org_limits: change request unreadable for one run', 'still known, not announced again', 'no event')


def test_rate_limit_bucket_without_interval_is_never_counted(make_check, emulator, aggregator, clock):
    org = emulator.org
    check = make_check(**only('rate_limits'))
    run(check)
    start = clock.now()
    ratelimit_history(org).late(clock.now() - timedelta(minutes=1), 'platform.api', 'token.rate.per.minute',
                                org.oauth_clients[1].id, 9)
    fault = emulator.faults.add(RATE_QUERY, corrupt={'path': ['results', 0, 'data', 0], 'drop': ['interval']})
    aggregator.reset()
    for _ in range(12):
        clock.advance(60)
        run(check)
    assert fault.corrupted >= 12
    counted = sum(m.value for m in aggregator.metrics('genesys_cloud.rate_limit.recorded'))
    truth = sum(r.count for r in ratelimit_history(org).records(start - timedelta(minutes=2),
                                                                clock.now() + timedelta(seconds=1)))
    assert counted <= truth  # a trusting check recounts the keyless bucket on every run
    record('rate_limits: bucket without interval', 'never counted', f'{counted} counted of {truth} true')


# -- persisted state ----------------------------------------------------------------------------------------

CORRUPT_STATE = {
    'agents._schedule': '"soon"',
    'org.org': '["not", "an", "org"]',
    'concurrent_usage.peak': '{"period": 7, "levels": "many"}',
    'queues._schedule': '[1, 2]',
    'rate_limits.seen': '{"2026-11-18T13:00:00|a|b|c": "lots"}',
    'api_usage.job.new.day': '{"id": ["x"]}',
    'licenses.assigned': '{not json',
}


def test_corrupt_persisted_values_are_discarded_with_one_warning_each(make_check, emulator, aggregator, clock):
    check = make_check()
    run(check)
    for key, raw in CORRUPT_STATE.items():
        check.write_persistent_cache(key, raw)
    restarted = make_check()  # an Agent restart: same instance, same persistent cache
    clock.advance(60)
    aggregator.reset()
    run(restarted)
    for key in CORRUPT_STATE:
        named = [w for w in restarted.warnings if f'persisted state {key} ' in w]
        assert len(named) == 1, (key, restarted.warnings)
    assert all(up(aggregator, c.name) == 1 for c in COLLECTORS if up(aggregator, c.name) is not None)
    assert up(aggregator, 'org') == 1 and up(aggregator, 'concurrent_usage') == 1
    clock.advance(60)
    run(restarted)
    assert not [w for w in restarted.warnings if 'persisted state' in w]  # once: the bad value is gone
    record('state: wrong-typed or garbage persisted values', 'discarded, 1 warning naming the key, run goes on',
           f'{len(CORRUPT_STATE)} keys, 1 warning each')


def agent_check_id(name, instance, init_config=None):
    """The Agent's check id: name, the instance's `name` if any, and a 64-bit FNV-1 hash of the instance and
    init_config YAML (the scheme of the Agent's checkid.BuildID, config digest taken as 0)."""
    digest = 0xcbf29ce484222325
    data = (b'\0' * 8 + yaml.safe_dump(instance, sort_keys=True).encode()
            + yaml.safe_dump(init_config or {}, sort_keys=True).encode())
    for byte in data:
        digest = (digest * 0x100000001b3) % 2**64 ^ byte
    parts = [name] + ([instance['name']] if instance.get('name') else []) + [f'{digest:x}']
    return ':'.join(parts)


def test_state_survives_config_edits_but_not_another_org(instance, emulator, aggregator, clock):
    def build(config):
        check = GenesysCloudCheck('genesys_cloud', {}, [config], clock=clock)
        check.check_id = agent_check_id('genesys_cloud', config)
        return check

    config = {**instance, **only('concurrent_usage')}
    first = build(config)
    for _ in range(4):
        run(first)
        clock.advance(600)
    peak = first.read_persistent_cache('concurrent_usage.peak')
    assert json.loads(peak)['levels']
    rotated = 'rotated-secret-0123456789'
    emulator.credentials[emulator.client_id] = rotated  # the secret is rotated; tags, budget and interval edited
    edited = {**config, 'tags': ['team:other'], 'max_requests_per_minute': 90, 'client_secret': rotated,
              'concurrent_usage': {'enabled': True, 'interval': 300}}
    second = build(edited)
    assert second.check_id != first.check_id  # the Agent gives an edited instance a new id...
    run(second)
    assert second.read_persistent_cache('concurrent_usage.peak') != ''  # ...but the org's state carries on
    kept = json.loads(second.read_persistent_cache('concurrent_usage.peak'))['levels']
    assert all(kept[level] >= seconds for level, seconds in json.loads(peak)['levels'].items())
    other_org = build({**edited, 'api_url': emulator.url + '/'})
    other_org.run_check_initializations()
    assert other_org.read_persistent_cache('concurrent_usage.peak') != ''  # same org: a trailing slash is no change
    moved = build({**edited, 'client_id': 'another-client'})
    moved.run_check_initializations()
    assert moved.read_persistent_cache('concurrent_usage.peak') == ''  # another OAuth client: state afresh
    assert up(aggregator, 'concurrent_usage') == 1
    record('state: config edited (tags, interval, budget, secret)', 'state kept; another client id starts afresh',
           'peak kept across check ids')


# -- paging, pacing and time ----------------------------------------------------------------------------------

LOOPS = [(collector, endpoint, mode) for collector, endpoint in [('concurrent_usage', USERS),
                                                               ('org_limits', CHANGE_REQUESTS), ('queues', QUEUES)]
         for mode in ('self', 'cycle', 'growing')
         if (collector, mode) != ('concurrent_usage', 'cycle')]  # its second page is empty: the listing just ends


@pytest.mark.parametrize('collector, endpoint, mode', LOOPS)
def test_paging_loop_fails_that_collector_only(collector, endpoint, mode, make_check, emulator, aggregator):
    check = make_check(max_requests_per_minute=200)
    emulator.faults.add(endpoint, paging_loop=mode)
    outcomes = run(check)
    assert up(aggregator, collector) == 0
    lines = lines_of(check, collector)
    assert len(lines) == 1 and 'paging' in lines[0], check.warnings
    assert emulator.requests[endpoint] <= 12  # not the whole budget
    deferred = [name for name, outcome in outcomes.items() if outcome == Outcome.DEFERRED]
    assert deferred == []  # nobody starved
    record(f'{collector}: paging loop ({mode})', 'that collector down with a clear line, others run',
           f'{emulator.requests[endpoint]} requests, 0 deferred')


@pytest.mark.parametrize('org_options', [OrgOptions(seed=5, users=300, queues=3, oauth_clients=3)], ids=['300 users'])
def test_one_big_listing_cannot_starve_the_rest_and_long_deferral_is_reported(make_check, emulator, aggregator,
                                                                              clock):
    # 300 users at 5 a page: 60 requests a scan, against a budget of 30 a minute.
    check = make_check(max_requests_per_minute=30, concurrent_usage={'page_size': 5, 'interval': 60})
    later = [c.name for c in COLLECTORS][[c.name for c in COLLECTORS].index('concurrent_usage') + 1:]
    outcomes = run(check)
    assert outcomes['concurrent_usage'] == Outcome.DEFERRED
    assert outcomes['licenses'] == outcomes['billing'] == Outcome.OK  # their share was kept for them
    overdue = []
    for _ in range(3):
        clock.advance(60)
        aggregator.reset()
        run(check)
        overdue = [m.value for m in aggregator.metrics('genesys_cloud.check.collector.overdue')
                   if 'collector:concurrent_usage' in m.tags]
        if overdue and overdue[-1] > 60:
            break
    assert overdue and overdue[-1] > 60
    assert len([w for w in check.warnings if w.startswith('concurrent_usage: deferred for')]) == 1
    record('all: one listing bigger than the budget', 'others keep their share; deferral > interval reported',
           f'{len(later)} later collectors ran; overdue {overdue[-1]:.0f}s + warning')


@pytest.mark.parametrize('value', ['1e9', 'inf', 'nan', '-5'])
def test_absurd_retry_after_parks_a_collector_an_hour_at_most(value, make_check, emulator, aggregator, clock):
    check = make_check(**only('queues'))
    emulator.faults.add('POST /api/v2/analytics/queues/observations/query', status=429, retry_after=value)
    run(check)
    assert up(aggregator, 'queues') == 0
    emulator.faults.clear()
    clock.advance(3601)
    aggregator.reset()
    run(check)
    assert up(aggregator, 'queues') == 1
    record(f'queues: Retry-After {value}', 'capped at 1 h, non-finite ignored', 'collects again within 1 h')


def test_short_token_lifetime_does_not_mean_a_token_per_call(make_check, emulator, aggregator, clock):
    emulator.tokens.ttl = 300  # the shortest lifetime Genesys allows
    check = make_check()
    for _ in range(6):
        run(check)
        clock.advance(60)
    assert emulator.requests[TOKEN] <= 3  # one every 240 s at most (a token per call: hundreds)
    record('all: 300 s token lifetime', 'renewed ahead in proportion, not per call',
           f'{emulator.requests[TOKEN]} token requests in 6 runs')


def test_slow_answers_stop_the_run_at_its_time_budget(make_check, emulator, aggregator, clock):
    emulator.faults.add('*', slow=1.8)  # every API answer takes 1.8 s (on the shared fake clock)
    check = make_check()
    started = clock.time()
    outcomes = run(check)
    elapsed = clock.time() - started
    assert elapsed <= 45 + 2 * 1.8  # the run's budget is 0.75 x min_collection_interval, plus the last answer
    assert Outcome.DEFERRED in outcomes.values()
    record('all: every answer takes 1.8 s', 'no request started after the run\'s time budget, rest deferred',
           f'run took {elapsed:.1f} s of 45 s')


# -- tags and secrets --------------------------------------------------------------------------------------------

def test_nothing_is_submitted_before_the_org_is_known(make_check, emulator, aggregator, clock):
    emulator.faults.add('GET /api/v2/tokens/me', status=503)
    check = make_check()
    run(check)
    data = [n for n in aggregator.metric_names if not n.startswith(('genesys_cloud.check.', 'genesys_cloud.api.'))]
    assert data == [] and not aggregator.events
    assert set(emulator.requests) <= {TOKEN, 'GET /api/v2/tokens/me'}
    emulator.faults.clear()
    clock.advance(300)
    run(check)
    points = [m for n in aggregator.metric_names for m in aggregator.metrics(n)
              if not n.startswith(('genesys_cloud.check.', 'genesys_cloud.api.'))]
    assert points and all(f'org_id:{emulator.org.id}' in m.tags for m in points)
    record('org: lookup fails on a fresh start', 'no data without org tags', 'nothing submitted, then all tagged')


def test_bearer_token_echoed_by_an_error_never_shows(make_check, emulator, aggregator, caplog):
    check = make_check(**only('queues'))
    # The token starts just before the 300-character cut of an error message.
    emulator.faults.add('POST /api/v2/analytics/queues/observations/query', echo_authorization=True,
                        echo_padding=300 - len('Invalid header: Authorization: Bearer ') - 8)
    run(check)
    tokens = [t.value for t in emulator.tokens]
    assert tokens
    status = aggregator.service_checks('genesys_cloud.can_connect')[-1]
    outputs = ['\n'.join(check.warnings), status.message or '', caplog.text]
    assert any('Invalid header' in text for text in outputs)
    for token in tokens:
        assert not any(token[:8] in text for text in outputs)
    record('all: error body echoes the Authorization header', 'token scrubbed before truncation everywhere',
           'not in warnings, can_connect, logs')


def test_datadog_key_echoed_to_flows_deploy_is_scrubbed_before_truncation(emulator, clock):
    client = GenesysClient.from_settings(emulator.url, emulator.url, emulator.client_id, emulator.client_secret,
                                         clock=clock)
    FlowDeployer(client, DD_API_KEY_CANARY)  # registers its key with the client
    body = {'credentialFields': {'ddApiKey': DD_API_KEY_CANARY}}
    echoed = 'Invalid header: Authorization: Bearer ' + 'x' * 43 + ' ' + json.dumps(body)
    cut = echoed.index(DD_API_KEY_CANARY) + 12  # a 300-character cut would leave 12 of its characters
    emulator.faults.add('POST /api/v2/integrations/credentials', echo_authorization=True, echo_padding=300 - cut)
    with pytest.raises(GenesysApiError) as raised:
        client.post('/api/v2/integrations/credentials', body)
    assert DD_API_KEY_CANARY[:8] not in str(raised.value)
    assert 'Invalid header' in str(raised.value)
    record('flows deploy: error body echoes the Datadog key', 'scrubbed before the 300-character cut',
           'no part of the key shown')


def test_flow_event_tags_fit_datadogs_limit():
    for field in schema.FIELDS:
        if field.tag and field.type == 'string':
            assert len(field.tag) + 1 + field.max_length <= 200, field.name
    record('flows: longest event tag', '200 characters at most', 'every tag field fits')


# -- config --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('overrides, line', [
    ({'region': 123}, 'region: must be a region domain'),
    ({'region': ['x']}, 'region: must be a region domain'),
    ({'timeout': 0}, 'timeout: must be a positive number'),
    ({'timeout': -1}, 'timeout: must be a positive number'),
    ({'agents': {'page_size': 0}}, 'agents.page_size: must be >= 1'),
    ({'queues': {'interval': -5}}, 'queues.interval: must be >= 1'),
    ({'rate_limits': {'window_minutes': 100000}}, 'rate_limits.window_minutes: must be <= 1440'),
    ({'billing': {'license_baseline': {'cloudCX3': 'many'}}}, 'billing.license_baseline.cloudCX3: must be a number'),
    ({'billing': {'billing_period_start_day': 31}}, 'billing.billing_period_start_day: must be <= 28'),
    ({'object_limits': {'parents_per_run': 0}}, 'object_limits.parents_per_run: must be >= 1'),
])
def test_out_of_range_config_is_an_error_naming_the_option(overrides, line, make_check):
    error = make_check(**overrides).run()
    message = json.loads(error)[0]['message']
    assert 'ConfigurationError' in error and any(text.startswith(line) for text in message.splitlines()), error
    assert 'Traceback' not in message
    option = line.split(':')[0]
    record(f'config: {json.dumps(overrides)}', 'ConfigurationError naming the option', f'names `{option}`')


def test_unknown_options_are_warned_once_with_the_nearest_name(make_check, emulator, aggregator, clock):
    check = make_check(max_request_per_minute=30, queus={'enabled': True}, queues={'intervall': 60},
                       billing={'licence_baseline': {}})
    run(check)
    expected = {'max_request_per_minute': 'max_requests_per_minute', 'queus': 'queues',
                'queues.intervall': 'queues.interval', 'billing.licence_baseline': 'billing.license_baseline'}
    for option, nearest in expected.items():
        lines = [w for w in check.warnings if f'`{option}`' in w]
        assert len(lines) == 1 and f'did you mean `{nearest}`' in lines[0], check.warnings
    clock.advance(60)
    run(check)
    assert not [w for w in check.warnings if 'unknown option' in w]  # once
    record('config: misspelled options and sections', '1 warning each with the nearest valid name',
           f'{len(expected)} warnings, once')


def test_spec_examples_are_the_collectors_defaults():
    from tests.test_config import effective_section, spec_sections

    for collector in COLLECTORS:
        spec = spec_sections()[collector.name]
        effective = effective_section(collector.name)
        assert set(effective) == {p['name'] for p in spec['value']['properties']}, collector.name
        example = spec['value']['example']
        for option, value in effective.items():
            assert value == example.get(option), (collector.name, option, value, example.get(option))
    record('config: spec examples vs defaults', 'equal', f'{len(COLLECTORS)} collectors')


# -- the limits collector -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('missing', ['GET /api/v2/organizations/limits/namespaces',
                                     'GET /api/v2/organizations/limits/namespaces/{namespaceName}/defaults'])
def test_org_limits_keep_what_was_read_when_a_listing_404s(missing, make_check, emulator, aggregator):
    check = make_check(**only('org_limits'))
    emulator.faults.add(missing, status=404)
    run(check)
    assert up(aggregator, 'org_limits') == 1
    values = Counter(t for m in aggregator.metrics('genesys_cloud.limits.value') for t in m.tags
                     if t.startswith('namespace:'))
    assert 'namespace:platform.api' in values
    record(f'org_limits: 404 on {missing.rsplit("/", 1)[-1]}', 'values read so far kept',
           f'{sum(values.values())} limit values')

"""The check end to end against the emulator: connection status, org tags, self-monitoring, restarts."""

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics

from tests.conftest import base_tags, only


def test_connected_run_reports_ok_with_org_tags(make_check, dd_run_check, aggregator, emulator):
    check = make_check(**only())
    dd_run_check(check)
    tags = base_tags(emulator)
    aggregator.assert_metric('genesys_cloud.api.can_connect', value=1, tags=tags)
    aggregator.assert_service_check('genesys_cloud.can_connect', AgentCheck.OK, tags=tags)
    aggregator.assert_metric('genesys_cloud.check.collector.up', value=1, tags=tags + ['collector:org'])
    aggregator.assert_metric('genesys_cloud.check.api_requests', value=1, tags=tags + ['endpoint:POST /oauth/token'])
    aggregator.assert_metric('genesys_cloud.check.api_requests', value=1,
                             tags=tags + ['endpoint:GET /api/v2/tokens/me'])
    aggregator.assert_metric('genesys_cloud.check.collector.duration', tags=tags + ['collector:org'])
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())
    aggregator.assert_all_metrics_covered()


def test_bad_secret_is_critical_and_names_the_cause(make_check, dd_run_check, aggregator, emulator):
    check = make_check(client_secret='definitely-wrong-secret')
    dd_run_check(check)
    aggregator.assert_metric('genesys_cloud.api.can_connect', value=0)
    aggregator.assert_service_check('genesys_cloud.can_connect', AgentCheck.CRITICAL)
    message = aggregator.service_checks('genesys_cloud.can_connect')[0].message
    assert 'authentication failed' in message and 'client_id/client_secret' in message
    assert 'definitely-wrong-secret' not in message
    # Nothing else is attempted with credentials that do not work.
    assert set(emulator.requests) == {'POST /oauth/token'}


def test_unreachable_api_is_critical(make_check, dd_run_check, aggregator):
    check = make_check(api_url='http://127.0.0.1:9', login_url='http://127.0.0.1:9')
    dd_run_check(check)
    aggregator.assert_metric('genesys_cloud.api.can_connect', value=0)
    aggregator.assert_service_check('genesys_cloud.can_connect', AgentCheck.CRITICAL)
    assert 'unreachable' in aggregator.service_checks('genesys_cloud.can_connect')[0].message


def test_recovers_on_the_next_run(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check()
    emulator.faults.add('*', status=503)
    dd_run_check(check)
    aggregator.assert_metric('genesys_cloud.check.collector.up', value=0, tags=base_tags(emulator)[2:] +
                             ['collector:org'])
    emulator.faults.clear()
    aggregator.reset()
    clock.advance(300)
    dd_run_check(check)
    aggregator.assert_metric('genesys_cloud.api.can_connect', value=1)
    aggregator.assert_metric('genesys_cloud.check.collector.up', value=1, tags=base_tags(emulator) + ['collector:org'])


def test_gauges_are_resent_between_collections(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check()
    dd_run_check(check)
    first = dict(emulator.requests)
    licences = sorted((m.tags, m.value) for m in aggregator.metrics('genesys_cloud.license.assigned'))
    aggregator.reset()
    clock.advance(60)
    dd_run_check(check)
    # The org lookup and the licence scan are not due again for 15 minutes, so they cost nothing, yet the
    # licence gauges are sent again and the org tags stay on every metric.
    assert emulator.requests['GET /api/v2/tokens/me'] == first['GET /api/v2/tokens/me']
    assert emulator.requests['GET /api/v2/license/users'] == first['GET /api/v2/license/users'] > 0
    assert licences and sorted((m.tags, m.value) for m in aggregator.metrics('genesys_cloud.license.assigned')) \
        == licences
    aggregator.assert_service_check('genesys_cloud.can_connect', AgentCheck.OK, tags=base_tags(emulator))


def test_collectors_due_every_run_persist_no_gauges(make_check, dd_run_check, aggregator, emulator, clock):
    # Only a collector with runs between its collections repeats (and persists) its last gauges: the queues
    # collector, due every run, would otherwise write every queue's series to the persistent cache each minute
    # (11 MB of JSON at 5,000 queues).
    check = make_check(**only('queues', 'licenses'))
    dd_run_check(check)
    queues = next(c for c in check.collectors if c.name == 'queues')
    licenses = next(c for c in check.collectors if c.name == 'licenses')
    assert not queues.repeats_gauges and licenses.repeats_gauges
    assert queues.state.get('_gauges') is None and queues._gauges == []
    assert licenses.state.get('_gauges') and licenses._gauges
    # Between the licence scans the licence gauges are repeated; the queues, collected again, are not doubled.
    clock.advance(60)
    aggregator.reset()
    dd_run_check(check)
    assert aggregator.metrics('genesys_cloud.license.assigned')
    assert queues.state.get('_gauges') is None


def test_the_secret_and_the_last_two_tokens_are_scrubbed(make_check, dd_run_check, emulator):
    check = make_check(**only())
    dd_run_check(check)
    [token] = [t.value for t in emulator.tokens]
    secret = emulator.client_secret
    assert check.sanitize(f'Authorization: Bearer {token}; secret {secret}') == \
        'Authorization: Bearer ********; secret ********'
    # Renewed twice (the client reports each new token): the oldest can no longer appear, so it leaves the list;
    # the current and the previous one, and the secret, stay scrubbed.
    check._token_issued('second-token-value')
    check._token_issued('third-token-value')
    assert check.sanitize(f'{token} second-token-value third-token-value {secret}') == \
        f'{token} ******** ******** ********'
    check.warning('API said: %s', 'third-token-value')
    assert check.get_warnings() == ['API said: ********']

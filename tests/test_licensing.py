"""Named licences, the concurrent-usage estimate and its 30-minute billable peak, against the emulator."""

from datetime import datetime, timezone

import pytest
from datadog_checks.dev.utils import get_metadata_metrics

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.licensing import licensing
from tests.conftest import base_tags, only
from tests.emulator_fixtures import EmulatorApi
from tests.fidelity import assert_sdk_shape

MINE = ('licenses', 'concurrent_usage', 'billing')


@pytest.fixture
def org_options():
    return OrgOptions(seed=11, users=120, queues=3)


def gauge_value(aggregator, name):
    points = aggregator.metrics(name)
    assert points, f'{name} was not sent'
    return points[-1].value


def run(check, dd_run_check, aggregator, clock, minutes=0):
    if minutes:
        clock.advance(minutes * 60)
    aggregator.reset()
    dd_run_check(check)


def test_named_licences_per_definition(make_check, dd_run_check, aggregator, emulator):
    dd_run_check(make_check(**only('licenses')))
    data = licensing(emulator.org)
    expected = {d['id'].lower(): 0 for d in data.definitions}
    expected.update({k.lower(): v for k, v in data.assigned_counts().items()})
    assert sum(expected.values()) > len(emulator.org.users)  # some users hold an add-on as well
    for lic, n in expected.items():
        aggregator.assert_metric('genesys_cloud.license.assigned', value=n,
                                 tags=base_tags(emulator) + [f'license:{lic}'])
    assert emulator.requests['GET /api/v2/license/users'] == 1  # 120 users: one page of 500
    assert emulator.requests['GET /api/v2/license/definitions'] == 1
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())


def test_definitions_are_cached_and_large_orgs_are_not_repaged_every_run(make_check, dd_run_check, aggregator,
                                                                          emulator, clock):
    check = make_check(**only('licenses', licenses={'page_size': 10}))
    for _ in range(31):  # 30 minutes of one-minute runs
        run(check, dd_run_check, aggregator, clock, minutes=1)
    # 12 pages per scan: 15 minutes apart (12 pages / 15 min is under 2 requests per minute) -> 3 scans.
    assert emulator.requests['GET /api/v2/license/users'] == 3 * 12
    assert emulator.requests['GET /api/v2/license/definitions'] == 1


def test_scan_stretches_so_paging_averages_two_requests_per_minute(make_check, dd_run_check, aggregator, emulator,
                                                                   clock):
    check = make_check(**only('licenses', licenses={'page_size': 3}))  # 40 pages: every 20 minutes
    for _ in range(60):
        run(check, dd_run_check, aggregator, clock, minutes=1)
    assert emulator.requests['GET /api/v2/license/users'] == 3 * 40  # at 1, 21 and 41 minutes


def test_refused_page_size_falls_back_to_100(make_check, dd_run_check, aggregator, emulator):
    emulator.faults.add('GET /api/v2/license/users', status=400, times=1)
    dd_run_check(make_check(**only('licenses')))
    assert emulator.requests['GET /api/v2/license/users'] == 1 + 2  # the refused page, then 2 pages of 100
    total = sum(licensing(emulator.org).assigned_counts().values())
    assert sum(p.value for p in aggregator.metrics('genesys_cloud.license.assigned')) == total


def test_users_with_presence_fit_the_sdk_model(emulator):
    with EmulatorApi(emulator) as api:
        answer = api.get('/api/v2/users', params={'expand': 'presence', 'pageSize': 25})
    assert answer.status_code == 200
    assert_sdk_shape(answer.json(), 'UserEntityListing')
    assert all(u['presence']['presenceDefinition']['systemPresence'] for u in answer.json()['entities'])


def test_concurrent_users_counts_every_logged_in_user(make_check, dd_run_check, aggregator, emulator, clock):
    dd_run_check(make_check(**only('concurrent_usage')))
    data = licensing(emulator.org)
    now = clock.time()
    expected = data.concurrent_at(now)
    non_agents = sum(1 for u in emulator.org.users if not u.is_agent and data.presence_at(u, now) != 'OFFLINE')
    assert 0 < non_agents < expected < len(emulator.org.users)  # supervisors and admins count too
    aggregator.assert_metric('genesys_cloud.license.concurrent.users', value=expected, tags=base_tags(emulator))
    aggregator.assert_metric('genesys_cloud.license.concurrent.peak', value=0, tags=base_tags(emulator))
    assert emulator.requests['GET /api/v2/users'] == 1
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())


@pytest.fixture
def warmed_up(make_check, dd_run_check, aggregator, emulator, clock):
    """warmed_up(**sections) -> (check, licensing data, base): a concurrent_usage check sampling every 5 minutes
    has seen the org's frozen presence for 30 minutes, so the peak is the base."""

    def warm_up(**sections):
        check = make_check(**only('concurrent_usage', concurrent_usage={'interval': 300}, **sections))
        data = licensing(emulator.org)
        data.hold()
        base = data.concurrent_at(clock.time())
        for minute in range(0, 35, 5):
            run(check, dd_run_check, aggregator, clock, minutes=5 if minute else 0)
        assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == base
        return check, data, base

    return warm_up


def test_a_20_minute_spike_does_not_move_the_peak(warmed_up, dd_run_check, aggregator, clock):
    check, data, base = warmed_up()
    data.online(clock.time() + 300, minutes=20, count=7)
    seen = []
    for _ in range(10):
        run(check, dd_run_check, aggregator, clock, minutes=5)
        seen.append(gauge_value(aggregator, 'genesys_cloud.license.concurrent.users'))
        assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == base
    assert seen.count(base + 7) == 4 and max(seen) == base + 7


def test_a_35_minute_plateau_moves_the_peak(warmed_up, dd_run_check, aggregator, clock):
    check, data, base = warmed_up()
    data.online(clock.time() + 300, minutes=35, count=4)
    peaks = []
    for _ in range(9):
        run(check, dd_run_check, aggregator, clock, minutes=5)
        peaks.append(gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak'))
    # Samples at +5..+35 see base + 4; the 30th minute at that level is credited by the sample at +35.
    assert peaks == [base] * 6 + [base + 4] * 3


def test_the_30_minutes_need_not_be_contiguous(warmed_up, dd_run_check, aggregator, clock):
    check, data, base = warmed_up()
    data.online(clock.time() + 300, minutes=15, count=3)
    data.online(clock.time() + 3600, minutes=15, count=5)  # 15 + 15 minutes at base + 3 or more
    for _ in range(13):
        run(check, dd_run_check, aggregator, clock, minutes=5)
    assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == base
    for _ in range(3):
        run(check, dd_run_check, aggregator, clock, minutes=5)
    assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == base + 3


def test_peak_survives_a_restart_and_a_lost_cache_never_double_counts(make_check, dd_run_check, aggregator,
                                                                      emulator, clock):
    config = only('concurrent_usage', concurrent_usage={'interval': 300})
    check = make_check(**config)
    data = licensing(emulator.org)
    data.hold()
    base = data.concurrent_at(clock.time())
    data.online(clock.time(), minutes=35, count=2)
    for minute in range(0, 20, 5):  # samples at 0..15: 15 minutes credited at base + 2
        run(check, dd_run_check, aggregator, clock, minutes=5 if minute else 0)
    restarted = make_check(**config)  # same check_id: the persistent cache carries the period's totals
    run(restarted, dd_run_check, aggregator, clock, minutes=5)
    run(restarted, dd_run_check, aggregator, clock, minutes=5)
    assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == 0  # 25 minutes: nothing counted twice
    run(restarted, dd_run_check, aggregator, clock, minutes=5)
    assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == base + 2  # 30 minutes: nothing lost
    fresh = make_check(check_id='genesys_cloud:other', **config)  # cache lost: starts over, under-counts
    run(fresh, dd_run_check, aggregator, clock, minutes=5)
    assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == 0


def test_the_peak_resets_at_the_billing_period_start(warmed_up, dd_run_check, aggregator, clock):
    clock.set(datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc))
    check, data, base = warmed_up()
    assert base > 0
    while clock.now() < datetime(2026, 12, 1, tzinfo=timezone.utc):
        run(check, dd_run_check, aggregator, clock, minutes=5)
    assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == 0
    aggregator.assert_event('estimated billable concurrent peak (30-minute rule) was', exact_match=False, count=1,
                            msg_title=f'Genesys Cloud billing period closed: estimated concurrent peak {base}')
    for _ in range(6):  # 00:00 -> 00:30: half an hour into December
        run(check, dd_run_check, aggregator, clock, minutes=5)
    assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == base


def test_the_billing_period_start_day_is_configurable(warmed_up, dd_run_check, aggregator, clock):
    clock.set(datetime(2026, 12, 17, 23, 0, tzinfo=timezone.utc))
    check, data, base = warmed_up(billing={'enabled': False, 'billing_period_start_day': 18})
    for _ in range(7):  # past midnight: the 18th starts a new period
        run(check, dd_run_check, aggregator, clock, minutes=5)
    assert gauge_value(aggregator, 'genesys_cloud.license.concurrent.peak') == 0


def test_all_licence_metrics_are_covered(make_check, dd_run_check, aggregator, emulator):
    dd_run_check(make_check(**only('licenses', 'concurrent_usage')))
    for name in ('genesys_cloud.api.can_connect', 'genesys_cloud.check.collector.up',
                 'genesys_cloud.check.collector.duration', 'genesys_cloud.check.api_requests'):
        aggregator.assert_metric(name)
    for name in ('genesys_cloud.license.assigned', 'genesys_cloud.license.concurrent.users',
                 'genesys_cloud.license.concurrent.peak'):
        aggregator.assert_metric(name)
    aggregator.assert_all_metrics_covered()

"""Billing contract charges, billable usage (InProgress then Complete), licence baseline, overage and projections."""

from datetime import datetime, timezone

import pytest
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.genesys_cloud.collectors.licensing_support import billing_period, linear_projection

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.licensing import CX_CHARGE, TOKEN_CHARGE, VOICE_CHARGE, licensing
from tests.conftest import base_tags, only
from tests.test_licensing import run

CX_MAP = {'cloudCX3': CX_CHARGE['sku']}


@pytest.fixture
def org_options():
    return OrgOptions(seed=11, users=120, queues=3)


def tags(emulator, *extra):
    return base_tags(emulator) + list(extra)


def test_contract_period_charges_tokens_and_licence_overage(make_check, dd_run_check, aggregator, emulator, clock):
    dd_run_check(make_check(**only('billing', billing={'license_charges': CX_MAP})))
    data = licensing(emulator.org)
    now = clock.now()
    start, end = billing_period(now)
    for spec, prepaid, actual, _ in data.charges(start, end, now):
        t = tags(emulator, f'charge:{spec["name"]}', f'unit:{spec["unit"].lower()}')
        aggregator.assert_metric('genesys_cloud.billing.usage', value=actual, tags=t)
        aggregator.assert_metric('genesys_cloud.billing.prepaid', value=prepaid, tags=t)
        aggregator.assert_metric('genesys_cloud.billing.overage', value=max(0.0, actual - prepaid), tags=t)
    tokens = data.tokens_used(start, end, now)
    aggregator.assert_metric('genesys_cloud.ai_tokens.consumed', value=tokens, tags=tags(emulator))
    aggregator.assert_metric('genesys_cloud.ai_tokens.allowance', value=data.token_allowance, tags=tags(emulator))
    elapsed = (now - start).total_seconds()
    aggregator.assert_metric('genesys_cloud.ai_tokens.projected', tags=tags(emulator),
                             value=pytest.approx(tokens * (end - start).total_seconds() / elapsed))
    lic = tags(emulator, 'license:cloudcx3')
    aggregator.assert_metric('genesys_cloud.license.purchased', value=data.cx_prepaid, tags=lic)
    aggregator.assert_metric('genesys_cloud.license.utilization', value=data.cx_actual / data.cx_prepaid, tags=lic)
    overage = max(0, data.cx_actual - data.cx_prepaid)
    aggregator.assert_metric('genesys_cloud.license.overage', value=overage, tags=lic)
    aggregator.assert_metric('genesys_cloud.license.projected_overage', value=overage, tags=lic)  # anchor: now
    assert emulator.requests['GET /api/v2/billing/contracts'] == 1
    assert emulator.requests['GET /api/v2/billing/contracts/{contractId}/billingperiods/{billingPeriodId}'] == 1
    assert emulator.requests['GET /api/v2/billing/reports/billableusage'] == 0
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())


def test_configured_baseline_and_billable_usage_in_progress_then_complete(make_check, dd_run_check, aggregator,
                                                                          emulator, clock):
    data = licensing(emulator.org)
    data.has_contracts = False
    check = make_check(**only('licenses', 'billing', billing={
        'license_model': 'named', 'license_baseline': {'cloudCX3': 50, 'cloudCX1': 40}, 'ai_token_allowance': 1000}))
    dd_run_check(check)
    assigned = data.assigned_counts()
    for lic, purchased in (('cloudcx3', 50), ('cloudcx1', 40)):
        t = tags(emulator, f'license:{lic}')
        consumed = assigned['cloudCX3' if lic == 'cloudcx3' else 'cloudCX1']
        aggregator.assert_metric('genesys_cloud.license.purchased', value=purchased, tags=t)
        aggregator.assert_metric('genesys_cloud.license.utilization', value=consumed / purchased, tags=t)
        aggregator.assert_metric('genesys_cloud.license.overage', value=max(0, consumed - purchased), tags=t)
    assert assigned['cloudCX3'] > 50 > 40 > assigned['cloudCX1']  # one licence over, one under
    aggregator.assert_metric('genesys_cloud.ai_tokens.allowance', value=1000, tags=tags(emulator))
    assert not aggregator.metrics('genesys_cloud.billing.usage')  # the report is InProgress
    asked = clock.now()
    run(check, dd_run_check, aggregator, clock, minutes=5)  # Complete now
    start, end = billing_period(asked)
    usages = data.billable_usage(start, asked.replace(microsecond=0), clock.now())
    for name, total in usages.items():
        aggregator.assert_metric('genesys_cloud.billing.usage', value=total,
                                 tags=tags(emulator, f'charge:{name}', 'unit:unknown'))
    aggregator.assert_metric('genesys_cloud.ai_tokens.consumed', value=usages[TOKEN_CHARGE['name']],
                             tags=tags(emulator))
    aggregator.assert_metric('genesys_cloud.ai_tokens.allowance', value=1000, tags=tags(emulator))
    assert not aggregator.metrics('genesys_cloud.billing.prepaid')  # the report has no prepaid quantities
    assert emulator.requests['GET /api/v2/billing/contracts'] == 1
    assert emulator.requests['GET /api/v2/billing/reports/billableusage'] == 2
    assert VOICE_CHARGE['name'] in usages


def test_concurrent_model_takes_the_higher_of_estimate_and_contract(make_check, dd_run_check, aggregator, emulator,
                                                                    clock):
    data = licensing(emulator.org)
    data.cx_actual = 1  # Genesys's own count lags behind: the live estimate must win
    check = make_check(**only('concurrent_usage', 'billing', concurrent_usage={'interval': 300},
                              billing={'license_charges': CX_MAP}))
    data.hold()
    base = data.concurrent_at(clock.time())
    for minute in range(0, 35, 5):
        run(check, dd_run_check, aggregator, clock, minutes=5 if minute else 0)
    lic = tags(emulator, 'license:cloudcx3')
    aggregator.assert_metric('genesys_cloud.license.utilization', value=base / data.cx_prepaid, tags=lic)
    aggregator.assert_metric('genesys_cloud.license.overage', value=max(0, base - data.cx_prepaid), tags=lic)


def test_licence_estimates_survive_a_restart(make_check, dd_run_check, aggregator, emulator, clock):
    """After a restart billing is due before the estimating collectors: it uses their persisted last estimates."""
    data = licensing(emulator.org)
    config = only('licenses', 'concurrent_usage', 'billing', billing={
        'license_model': 'named', 'license_baseline': {'cloudCX3': 50}})
    dd_run_check(make_check(**config))
    pages = emulator.requests['GET /api/v2/license/users']
    restarted = make_check(**config)
    run(restarted, dd_run_check, aggregator, clock, minutes=6)  # billing due (5 min), licenses not (15 min)
    assert emulator.requests['GET /api/v2/license/users'] == pages
    t = tags(emulator, 'license:cloudcx3')
    aggregator.assert_metric('genesys_cloud.license.utilization', value=data.assigned_counts()['cloudCX3'] / 50,
                             tags=t)
    assert restarted.collectors[0].ctx.shared['licensing.concurrent']['peak'] == 0  # no 30 minutes recorded yet


def test_billing_data_is_refreshed_hourly_and_licence_figures_every_run(make_check, dd_run_check, aggregator,
                                                                        emulator, clock):
    check = make_check(**only('billing', billing={'license_charges': CX_MAP}))
    for _ in range(60):
        run(check, dd_run_check, aggregator, clock, minutes=1)
    assert emulator.requests['GET /api/v2/billing/contracts'] == 1
    run(check, dd_run_check, aggregator, clock, minutes=1)
    assert emulator.requests['GET /api/v2/billing/contracts'] == 2


def test_linear_projections():
    start, end = datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 12, 1, tzinfo=timezone.utc)
    now = datetime(2026, 11, 11, tzinfo=timezone.utc)  # a third of the period
    assert linear_projection(1000, now, start, end, cumulative=True) == pytest.approx(3000)
    anchor = (datetime(2026, 11, 2, tzinfo=timezone.utc).timestamp(), 90)
    assert linear_projection(100, now, start, end, anchor=anchor) == pytest.approx(100 + 10 / 9 * 20)
    assert linear_projection(100, now, start, end) == 100  # no trend before the anchor
    assert linear_projection(80, now, start, end, anchor=anchor) == 80  # a peak never projects downwards


def test_all_billing_metrics_are_covered(make_check, dd_run_check, aggregator, emulator):
    dd_run_check(make_check(**only('licenses', 'concurrent_usage', 'billing',
                                   billing={'license_charges': CX_MAP})))
    for name in ('genesys_cloud.api.can_connect', 'genesys_cloud.check.collector.up',
                 'genesys_cloud.check.collector.duration', 'genesys_cloud.check.api_requests'):
        aggregator.assert_metric(name)
    for name in ('license.assigned', 'license.concurrent.users', 'license.concurrent.peak', 'license.purchased',
                 'license.utilization', 'license.overage', 'license.projected_overage', 'billing.usage',
                 'billing.prepaid', 'billing.overage', 'ai_tokens.consumed', 'ai_tokens.allowance',
                 'ai_tokens.projected'):
        aggregator.assert_metric('genesys_cloud.' + name)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())


def test_a_start_day_other_than_the_contracts_keeps_the_concurrent_estimate_and_says_so(
        make_check, dd_run_check, aggregator, emulator, clock, caplog):
    """billing_period_start_day 15 against a contract whose periods start on the 1st: the concurrent peak (reset on
    the 15th) must still count, not be dropped silently for belonging to another period, and the log says the two
    disagree."""
    data = licensing(emulator.org)
    data.cx_actual = 1
    check = make_check(**only('concurrent_usage', 'billing', concurrent_usage={'interval': 300},
                              billing={'license_charges': CX_MAP, 'billing_period_start_day': 15}))
    data.hold()
    base = data.concurrent_at(clock.time())
    for minute in range(0, 35, 5):
        run(check, dd_run_check, aggregator, clock, minutes=5 if minute else 0)
    lic = tags(emulator, 'license:cloudcx3')
    aggregator.assert_metric('genesys_cloud.license.utilization', value=base / data.cx_prepaid, tags=lic)
    warnings = [r.getMessage() for r in caplog.records if 'billing_period_start_day' in r.getMessage()]
    assert len(warnings) == 1 and '15' in warnings[0] and '2026-11-01' in warnings[0]


@pytest.mark.parametrize('day, projected', [(1, False), (2, True)], ids=['the-1st', 'the-2nd'])
def test_without_a_contract_the_billable_usage_window_starts_on_the_1st(make_check, dd_run_check, aggregator,
                                                                        emulator, clock, day, projected):
    """The fallback path on the 1st: the report's window is the new period so far (not last month's), and the
    token projection is withheld until a day of it has elapsed."""
    data = licensing(emulator.org)
    data.has_contracts = False
    clock.set(datetime(2026, 12, day, 0, 30, tzinfo=timezone.utc))
    check = make_check(**only('billing', billing={'ai_token_allowance': 1000}))
    asked = clock.now()
    dd_run_check(check)
    run(check, dd_run_check, aggregator, clock, minutes=5)  # the report is Complete now
    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    tokens = data.billable_usage(start, asked, clock.now())[TOKEN_CHARGE['name']]
    aggregator.assert_metric('genesys_cloud.ai_tokens.consumed', value=tokens, tags=tags(emulator))
    points = aggregator.metrics('genesys_cloud.ai_tokens.projected')
    if projected:
        end = datetime(2027, 1, 1, tzinfo=timezone.utc)
        assert [p.value for p in points] == [pytest.approx(tokens * (end - start) / (clock.now() - start))]
    else:
        assert points == []


PERIOD_DETAIL = 'GET /api/v2/billing/contracts/{contractId}/billingperiods/{billingPeriodId}'


@pytest.mark.parametrize('bad', [{'units': 3}, 'lots', 10 ** 401, 'NaN'], ids=['object', 'text', '401-digits', 'nan'])
def test_a_charge_with_a_quantity_that_is_not_a_number_is_skipped_alone(make_check, dd_run_check, aggregator,
                                                                         emulator, clock, caplog, bad):
    """One charge whose quantity is not a finite number costs that charge, not the whole billing collection."""
    data = licensing(emulator.org)
    emulator.faults.add(PERIOD_DETAIL, corrupt={'path': ['charges', 2], 'set': {'actualQuantity': bad}})
    dd_run_check(make_check(**only('billing', billing={'license_charges': CX_MAP})))
    now = clock.now()
    start, end = billing_period(now)
    charged = {t for m in aggregator.metrics('genesys_cloud.billing.usage') for t in m.tags if t.startswith('charge:')}
    assert charged == {f'charge:{CX_CHARGE["name"]}', f'charge:{TOKEN_CHARGE["name"]}'}  # the voice charge skipped
    aggregator.assert_metric('genesys_cloud.ai_tokens.consumed', value=data.tokens_used(start, end, now),
                             tags=tags(emulator))
    aggregator.assert_metric('genesys_cloud.license.utilization', value=data.cx_actual / data.cx_prepaid,
                             tags=tags(emulator, 'license:cloudcx3'))
    [line] = [r.getMessage() for r in caplog.records if 'malformed' in r.getMessage()]
    assert VOICE_CHARGE['sku'].lower() in line and 'charge' in line

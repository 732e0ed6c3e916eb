"""The calendar sweep: the check and both packs at the instants where periods, months and years turn.

At each instant the check (api_usage, billing) and the packs run against the emulator on a FakeClock set there,
and every licence, billing, token and month-to-date figure must equal the emulator's truth: the current billing
period by the one rule of genesys_cloud/periods.py (a late-closing period included), projections withheld until
24 hours and 3 % of the period have elapsed, the month to date starting again at 0 on the 1st.
"""

from datetime import datetime, timedelta, timezone

import pytest
from datadog_checks.genesys_cloud.client import GenesysClient
from datadog_checks.genesys_cloud.clock import FakeClock
from datadog_checks.genesys_cloud.periods import (
    Period,
    current_period,
    month_to_date_days,
    parse_periods,
    projection_ready,
)

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.licensing import CX_CHARGE, TOKEN_CHARGE, licensing
from genesys_cloud_dd.emulator.data.usage import aggregate
from genesys_cloud_dd.reports import licenses, limits
from tests.conftest import base_tags, only
from tests.test_api_usage import client_tags


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


# (instant, seconds the period that ended last stays Open)
EDGES = [
    pytest.param((utc(2026, 11, 30, 23, 59), 0), id='last-minute-of-a-month-and-period'),
    pytest.param((utc(2026, 12, 1, 0, 0, 30), 0), id='first-minute-of-a-month-and-period'),
    pytest.param((utc(2026, 12, 1, 0, 30), 0), id='first-half-hour'),
    pytest.param((utc(2026, 12, 1, 23, 59), 0), id='last-minute-of-the-first-day'),
    pytest.param((utc(2026, 12, 2, 0, 1), 0), id='second-day'),
    pytest.param((utc(2026, 12, 31, 23, 59), 0), id='last-minute-of-a-year'),
    pytest.param((utc(2027, 1, 1, 0, 5), 0), id='first-minutes-of-a-year'),
    pytest.param((utc(2027, 2, 28, 23, 59), 0), id='28-february'),
    pytest.param((utc(2027, 3, 1, 0, 0, 30), 0), id='after-28-february'),
    pytest.param((utc(2028, 2, 29, 12, 0), 0), id='29-february'),
    pytest.param((utc(2027, 3, 31, 23, 55), 0), id='last-minutes-of-march'),
    pytest.param((utc(2026, 12, 1, 3, 0), 6 * 3600), id='late-closing-period'),
]


@pytest.fixture(params=EDGES)
def edge(request):
    return request.param


@pytest.fixture
def clock(edge):
    return FakeClock(edge[0])


@pytest.fixture
def org_options():
    return OrgOptions(seed=11, users=60, queues=3)


@pytest.fixture
def truth(emulator, edge, clock):
    data = licensing(emulator.org)
    data.close_lag = edge[1]
    emulator.jobs.running_polls = 0  # every job done on its first poll: one run reads the instant under test
    now = clock.now()
    _, start, end, _ = data.current_period(now)
    return data, now, start, end


def test_the_check_reads_the_current_period_and_the_month_to_date(make_check, dd_run_check, aggregator, emulator,
                                                                  truth):
    data, now, start, end = truth
    mapping = {'license_charges': {'cloudCX3': CX_CHARGE['sku']}}
    dd_run_check(make_check(**only('api_usage', 'billing', billing=mapping)))
    tags = base_tags(emulator)
    charges = {spec['name']: actual for spec, _, actual, _ in data.charges(start, end, now)}
    for name, actual in charges.items():
        [point] = [m for m in aggregator.metrics('genesys_cloud.billing.usage') if f'charge:{name}' in m.tags]
        assert point.value == actual, name
    tokens = data.tokens_used(start, end, now)
    aggregator.assert_metric('genesys_cloud.ai_tokens.consumed', value=tokens, tags=tags, count=1)
    projected = aggregator.metrics('genesys_cloud.ai_tokens.projected')
    overage = aggregator.metrics('genesys_cloud.license.projected_overage')
    if projection_ready(now, start, end):
        assert [p.value for p in projected] == [pytest.approx(tokens * (end - start) / (now - start))]
        assert len(overage) == 1
    else:
        assert projected == [] and overage == []  # withheld: no projection monitor can fire on the first day
    lic = tags + ['license:cloudcx3']
    aggregator.assert_metric('genesys_cloud.license.overage', value=max(0, data.cx_actual - data.cx_prepaid), tags=lic)

    month = month_to_date_days(now.date())
    yesterday = now.date() - timedelta(days=1)
    mtd = {tuple(sorted(m.tags)): m.value for m in aggregator.metrics('genesys_cloud.api.requests.month_to_date')}
    if month is None:
        assert mtd and set(mtd.values()) == {0}  # the 1st: the month to date starts again at 0 UTC
    else:
        totals = aggregate(emulator.org, month[0], month[1], 'Month', ('client_id',))
        assert month[1] == yesterday
        assert mtd == {tuple(sorted(tags + client_tags(emulator.org, client))): counts['requests']
                       for (_, client), counts in totals.items()}


def test_both_packs_read_the_same_period_and_days(emulator, truth, clock, tmp_path):
    data, now, start, end = truth
    client = GenesysClient.from_settings(emulator.url, emulator.url, emulator.client_id, emulator.client_secret,
                                         clock=clock, max_requests_per_minute=100000)
    pack = licenses.pull_licenses(client, now, clock.sleep, progress=False)
    assert (pack.open_period.start, pack.open_period.end) == (start, end)
    outlooks = {o.name: o for o in licenses.write_report(pack, str(tmp_path / 'licenses'))[2]}
    assert outlooks[TOKEN_CHARGE['name']].consumed == data.tokens_used(start, end, now)
    for o in outlooks.values():
        assert bool(o.withheld) is not projection_ready(now, start, end)
    limits_pack = limits.pull_limits(client, 7, now.date(), clock.sleep, progress=False)
    assert limits_pack.last == now.date() - timedelta(days=1)  # the latest complete UTC day, never today
    assert max(r.day for r in limits_pack.usage) == limits_pack.last
    pulled = sum(r.requests for r in limits_pack.usage if r.day == limits_pack.last)
    truth_total = sum(c['requests'] for c in aggregate(emulator.org, limits_pack.last, limits_pack.last, 'Day',
                                                       ('client_id',)).values())
    assert pulled == truth_total


# The rule itself, on the shapes the API writes (reference 7.2: a last-day dateEnd; the emulator: the next start).
@pytest.mark.parametrize('end_style', ['exclusive', 'last-day'])
def test_current_period_rule(end_style):
    def period(pid, start, end, status):
        if end_style == 'last-day':
            end = end - timedelta(days=1)
        return {'id': pid, 'dateStart': start.date().isoformat(), 'dateEnd': end.date().isoformat(), 'status': status}

    raw = [period('oct', utc(2026, 10, 1), utc(2026, 11, 1), 'Closed'),
           period('nov', utc(2026, 11, 1), utc(2026, 12, 1), 'Open'),  # closes late
           period('dec', utc(2026, 12, 1), utc(2027, 1, 1), 'Open')]
    periods = parse_periods(raw)
    assert [(p.start, p.end) for p in periods] == [(utc(2026, 10, 1), utc(2026, 11, 1)),
                                                   (utc(2026, 11, 1), utc(2026, 12, 1)),
                                                   (utc(2026, 12, 1), utc(2027, 1, 1))]
    assert current_period(periods, utc(2026, 11, 30, 23, 59, 59)).id == 'nov'
    assert current_period(periods, utc(2026, 12, 1)).id == 'dec'  # end exclusive, Open status no excuse
    assert current_period(periods, utc(2026, 12, 31, 23, 59, 59)).id == 'dec'
    assert current_period(periods, utc(2027, 1, 1)) is None  # nothing holds it: report nothing, not December
    skipped = []
    assert parse_periods([{'id': 'x', 'dateStart': 'soon', 'dateEnd': '2026-12-01'}, [1], {'id': ['y']}],
                         lambda entry, why: skipped.append(why)) == []
    assert len(skipped) == 3


def test_current_period_prefers_open_among_those_holding_now():
    both = [Period('a', utc(2026, 12, 1), utc(2027, 1, 1), 'Closed'),
            Period('b', utc(2026, 12, 1), utc(2027, 1, 1), 'Open')]
    assert current_period(both, utc(2026, 12, 15)).id == 'b'


def test_projection_rule_needs_a_day_and_three_percent():
    month = (utc(2026, 12, 1), utc(2027, 1, 1))
    assert not projection_ready(utc(2026, 12, 1, 23, 59), *month)
    assert projection_ready(utc(2026, 12, 2), *month)
    year = (utc(2027, 1, 1), utc(2028, 1, 1))  # 3 % of a year is about 11 days
    assert not projection_ready(utc(2027, 1, 10), *year)
    assert projection_ready(utc(2027, 1, 12), *year)


def test_a_clock_that_is_not_an_instant_is_a_usage_error(monkeypatch, capsys):
    from genesys_cloud_dd.cli.main import main
    from genesys_cloud_dd.fixed_clock import ENV

    monkeypatch.setenv(ENV, 'soon')
    assert main(['assets', 'validate', '--offline']) == 2
    assert capsys.readouterr().err.strip() == (f"Error: {ENV}: 'soon' is not an ISO-8601 instant such as "
                                               "2026-11-20T15:00:00Z")
    assert main(['demo', '--at', 'tomorrow']) == 2

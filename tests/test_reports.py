"""`report limits` and `report licenses` against the emulator (fixed seed and clock) and a local fake Datadog:
the facts the text states equal the emulator's truth, every chart has its CSV, numbers read like numbers."""

import csv
import io
import math
import os
import re
import struct
import subprocess
import sys
from collections import Counter
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from datadog_checks.genesys_cloud.client import GenesysClient
from datadog_checks.genesys_cloud.clock import Clock, FakeClock

from genesys_cloud_dd.emulator import Emulator, OrgOptions
from genesys_cloud_dd.emulator.data.licensing import licensing
from genesys_cloud_dd.emulator.data.limits import org_limits
from genesys_cloud_dd.emulator.data.ratelimits import ratelimit_history
from genesys_cloud_dd.emulator.data.usage import aggregate
from genesys_cloud_dd.reports import licenses, limits
from genesys_cloud_dd.reports.datadog_history import MetricsHistory
from tests.conftest import DD_API_KEY_CANARY, SECRET_CANARY, START

ROOT = Path(__file__).resolve().parents[1]
DAYS = 90
FLOAT_ARTEFACT = re.compile(r'\d\.\d{3,}')  # 643.8000000000002, 0.30000000000000004


@pytest.fixture
def org_options():
    return OrgOptions(seed=7, users=40, queues=3, oauth_clients=11, days=DAYS + 10)


@pytest.fixture
def client(emulator, clock):
    return _client(emulator, clock)


def _client(emu, clock):
    return GenesysClient.from_settings(emu.url, emu.url, emu.client_id, emu.client_secret, clock=clock,
                                       max_requests_per_minute=100000)


def png_size(path):
    """(width, height) from the IHDR chunk, after checking the PNG signature."""
    with open(path, 'rb') as f:
        head = f.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n', f'{path} is not a PNG'
    assert head[12:16] == b'IHDR'
    return struct.unpack('>II', head[16:24])


def read_csv(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))


def effective_truth(org, namespace, key, day):
    """The emulator's value of a limit on `day`: today's value unless an implemented raise came later."""
    truth = org_limits(org)
    value = truth.values[namespace][key]
    for r in truth.change_requests:
        if (r.namespace, r.key, r.status) == (namespace, key, 'ChangeImplemented') and r.date_completed.date() > day:
            value = truth.defaults[namespace][key]
    return value


def assert_readable(out):
    """No float artefact anywhere a person reads: the report, its HTML and every CSV."""
    for path in Path(out).iterdir():
        if path.suffix in ('.md', '.csv') or path.suffix == '.html':
            text = path.read_text(encoding='utf-8')
            if path.suffix == '.html':
                text = re.sub(r'data:image/png;base64,[^"]+', '', text)
            assert not FLOAT_ARTEFACT.search(text), (path.name, FLOAT_ARTEFACT.search(text).group())


def assert_every_chart_has_its_csv(files):
    pngs = [f for f in files if f.endswith('.png')]
    assert pngs
    for png in pngs:
        width, _ = png_size(png)
        assert width >= 800
        assert os.path.splitext(png)[0] + '.csv' in files and os.path.getsize(os.path.splitext(png)[0] + '.csv')


@pytest.fixture(scope='module')
def shared():
    clock = FakeClock(START)
    with Emulator(OrgOptions(seed=7, users=40, queues=3, oauth_clients=11, days=DAYS + 10), clock=clock,
                  client_secret=SECRET_CANARY) as emu:
        yield emu, clock


@pytest.fixture(scope='module')
def limits_pack(shared, tmp_path_factory):
    emulator, clock = shared
    progress = io.StringIO()
    out = tmp_path_factory.mktemp('limits') / 'pack'
    data = limits.pull_limits(_client(emulator, clock), DAYS, clock.now().date(), clock.sleep, stream=progress)
    result = limits.write_report(data, str(out), org_label=emulator.org.name)
    return data, result, out, progress.getvalue()


def test_limits_pack_files_and_charts(limits_pack):
    data, result, out, progress = limits_pack
    names = {os.path.basename(f) for f in result.files}
    assert {'report.md', 'report.html', 'usage_daily.csv', 'ratelimits_hourly.csv', 'limits.csv',
            'binding_limit.png', 'status_429.png', 'status_429_endpoints.png', 'data_action_bursts.png',
            'ratelimit_events.png', 'requests_per_client.png'} <= names
    assert 'busiest_minute.png' not in names  # no Datadog asked: no per-minute chart, and the text says so
    assert_every_chart_has_its_csv(result.files)
    series = {os.path.basename(k): v for k, v in result.chart_series.items()}
    assert series['requests_per_client.png'] == 8 + 1  # 8 named clients + "3 others"; no daily "limit" line
    assert series['ratelimit_events.png'] == len({r.limit_name for r in data.ratelimits}) > 0
    md = (out / 'report.md').read_text()
    html = (out / 'report.html').read_text()
    assert md.index('## Summary') < md.index('![')  # the story first, then the evidence
    assert 'Per-minute request counts are not included' in md
    assert '<img src="data:image/png;base64,' in html and 'src="binding_limit.png"' not in html  # self-contained
    assert progress.splitlines()[-1].startswith('Pulling history [' + '#' * 30 + '] 7/7')
    assert_readable(out)


def test_limits_csv_equals_ground_truth(limits_pack, shared):
    emulator, clock = shared
    data, result, out, _ = limits_pack
    org = emulator.org
    last = clock.now().date() - timedelta(days=1)
    first = last - timedelta(days=DAYS - 1)
    assert (data.first, data.last) == (first, last)
    truth, truth_429 = Counter(), Counter()
    for (_day, client_id), values in aggregate(org, first, last, 'Day', ('client_id',)).items():
        truth[client_id] += values['requests']
        truth_429[client_id] += values['status429']
    got, got_429 = Counter(), Counter()
    for r in read_csv(out / 'usage_daily.csv'):
        got[r['oauth_client_id']] += int(r['requests'])
        got_429[r['oauth_client_id']] += int(r['status429'])
    assert got == truth and got_429 == truth_429
    # The 429 chart's CSV: one column per client (8 + others), its total is the emulator's.
    rows = read_csv(out / 'status_429.csv')
    assert sum(int(v) for r in rows for k, v in r.items() if k != 'date') == sum(truth_429.values())
    start = datetime.combine(first, time(0), tzinfo=timezone.utc)
    records = ratelimit_history(org).records(start, start + timedelta(days=DAYS))
    by_limit, got_by_limit = Counter(), Counter()
    for r in records:
        by_limit[r.limit_name] += r.count
    for r in read_csv(out / 'ratelimits_hourly.csv'):
        got_by_limit[r['limit_name']] += int(r['records'])
    assert got_by_limit == by_limit and sum(by_limit.values()) > 0
    values = {(r['namespace'], r['key']): int(r['value']) for r in read_csv(out / 'limits.csv')}
    assert values == {(ns, k): v for ns, keys in org_limits(org).values.items() for k, v in keys.items()}


def test_summary_states_the_binding_limit_at_its_effective_value(limits_pack, shared):
    emulator, _ = shared
    data, result, out, _ = limits_pack
    top = result.headline
    org = emulator.org
    records = [r for r in data.ratelimits if (r.namespace, r.limit_name) == (top.namespace, top.limit_name)
               and r.entity_id in {c.id for c in org.oauth_clients}]
    assert top.value == effective_truth(org, top.namespace, top.limit_name, max(r.day for r in records))
    assert top.days_hit == len({r.day for r in records})
    assert top.hours_hit == len({r.hour for r in records})
    assert top.days_with_data == DAYS  # the emulator has history for every day asked
    text = result.paragraph
    assert (f'{top.namespace} {top.limit_name} ({top.value:,} requests a minute per OAuth client, in force on '
            f'{top.last_hit.isoformat()}, the last day it was reached') in text
    assert f'on {top.days_hit} of the {DAYS} days with data, in {top.hours_hit} hours in total' in text
    assert 'What the integration already does: not stated' in text and 'Requested: ' in text
    assert text in (out / 'report.md').read_text()
    # Every limit in the per-client lines is the value in force on the day it was last hit.
    clients = {c.id: c.name for c in org.oauth_clients}
    for b in (b for b in result.bindings if b.is_client):
        assert b.entity_name == clients[b.entity_id]
        assert b.limit_value == effective_truth(org, b.namespace, b.limit_name, b.last_hit)
        assert any(line.startswith(f'{b.entity_name}: {b.namespace} {b.limit_name} (limit {b.limit_value:,} '
                                   'when last reached') for line in result.summary)
    # The hourly CSV carries the limit in force at each hour, raised or not.
    for row in read_csv(out / 'ratelimits_hourly.csv')[:200]:
        day = datetime.fromisoformat(row['date']).date()
        assert int(row['effective_limit']) == effective_truth(org, row['namespace'], row['limit_name'], day)


def test_raises_are_marked_and_limits_table_shows_them(limits_pack, shared):
    emulator, _ = shared
    _, _, out, _ = limits_pack
    implemented = [r for r in org_limits(emulator.org).change_requests if r.status == 'ChangeImplemented']
    changes = {(r['namespace'], r['key']): r['changes'] for r in read_csv(out / 'limits.csv')}
    for r in implemented:
        assert f'{r.date_completed.date().isoformat()}: {int(r.current_value / 2):,} -> ' in changes[(r.namespace,
                                                                                                     r.key)]


def test_axes_and_day_counts_cover_only_days_with_data(clock, tmp_path):
    """An org with 40 days of history, asked for 90: the charts start at the first day with data and "N of M
    days" counts only those days."""
    with Emulator(OrgOptions(seed=7, users=20, queues=2, oauth_clients=5, days=40), clock=clock) as emu:
        data = limits.pull_limits(_client(emu, clock), DAYS, clock.now().date(), clock.sleep, progress=False)
        result = limits.write_report(data, str(tmp_path / 'pack'))
    first = min(r.day for r in data.usage)
    assert first > data.first and len(data.days_with_data) < DAYS
    for name in ('binding_limit.csv', 'status_429.csv', 'requests_per_client.csv', 'ratelimit_events.csv'):
        rows = read_csv(tmp_path / 'pack' / name)
        assert rows[0]['date'] == first.isoformat() and rows[-1]['date'] == data.last.isoformat()
    assert f'of the {len(data.days_with_data)} days with data' in result.paragraph
    assert f'of {DAYS} days' not in (tmp_path / 'pack' / 'report.md').read_text()


def test_datadog_velocity_and_objects_are_the_finest_evidence(shared, fake_datadog, tmp_path):
    emulator, clock = shared
    org = emulator.org
    crm, wfm = [c for c in org.oauth_clients if not c.is_check_client][:2]
    day = clock.now().date() - timedelta(days=2)
    limit = effective_truth(org, 'platform.api', 'client.credentials.token.rate.per.minute', day)
    base = datetime.combine(day, time(9), tzinfo=timezone.utc).timestamp()
    for who, level in ((crm, 40), (wfm, 25)):
        tags = {'oauth_client_id': who.id, 'oauth_client_name': who.name}
        # One request count per second-ish: the fake sums them into minutes like Datadog's rollup(sum, 60).
        fake_datadog.add_points('genesys_cloud.velocity.requests', tags,
                                [(base + m * 60 + s, level / 2) for m in range(120) for s in (5, 35)])
    burst = [limit - 5, limit, limit + 3]  # three minutes at the limit: the busiest is limit + 3
    tags = {'oauth_client_id': crm.id, 'oauth_client_name': crm.name}
    fake_datadog.add_points('genesys_cloud.velocity.requests', tags,
                            [(base + 3600 * 3 + i * 60, v) for i, v in enumerate(burst)])
    # 429s in three consecutive minutes from 12:02, and one more at 15:00: 4 minutes, the longest run 3.
    fake_datadog.add_points('genesys_cloud.velocity.rate_limited', dict(tags, template_uri='/api/v2/users/{userId}'),
                            [(base + 3600 * 3 + 120 + 60 * i, 7) for i in range(3)] + [(base + 3600 * 6, 1)])
    end_of_day = datetime.combine(clock.now().date() - timedelta(days=1), time(12), tzinfo=timezone.utc).timestamp()
    obj = {'namespace': 'routing', 'limit_key': 'queues.max', 'object_type': 'queue'}
    fake_datadog.add_points('genesys_cloud.objects.count', obj, [(end_of_day, 930)])
    fake_datadog.add_points('genesys_cloud.objects.limit', obj, [(end_of_day, 1000)])
    history = MetricsHistory(fake_datadog.url, DD_API_KEY_CANARY, 'app-key')
    data = limits.pull_limits(_client(emulator, clock), 7, clock.now().date(), clock.sleep, progress=False,
                              history=history, dd_days=3)
    data.mitigations = ['retries 429s after Retry-After']
    result = limits.write_report(data, str(tmp_path / 'pack'))
    assert history.requests_made == 3 * 2 + 2  # a query per day and velocity metric, then the object counts
    busiest = read_csv(tmp_path / 'pack' / 'busiest_minute.csv')
    assert busiest[0]['date'] == day.isoformat()  # the 3-day window starts a day earlier, without data
    row = next(r for r in busiest if r['date'] == day.isoformat())
    assert int(row[crm.name]) == limit + 3 and int(row[wfm.name]) == 25
    assert int(row['client.credentials.token.rate.per.minute in force']) == limit
    assert (f'the busiest minute was {limit + 3:,} requests by {crm.name} on {day.isoformat()}, against a limit of '
            f'{limit:,}; 3 minutes at 90 % of the limit or more') in result.paragraph
    assert (f'429s came back in 4 minutes; the longest run was 3 consecutive minutes ({crm.name}, from '
            f'{day.isoformat()} 12:02 UTC) [minutes_429.png]') in result.paragraph
    minutes = read_csv(tmp_path / 'pack' / 'minutes_429.csv')
    assert [(r['date'], r[crm.name]) for r in minutes if r[crm.name] != '0'] == [(day.isoformat(), '4')]
    assert 'What the integration already does: retries 429s after Retry-After.' in result.paragraph
    objects = read_csv(tmp_path / 'pack' / 'object_limits.csv')
    assert objects == [{'namespace': 'routing', 'limit_key': 'queues.max', 'object_type': 'queue', 'parent_name': '',
                        'count': '930', 'limit': '1000', 'percent': '93', 'growth_per_week': '',
                        'forecast_date': ''}]
    assert 'queues at 930 of 1,000 (93 %), one day of history, no trend yet' in result.paragraph
    assert_every_chart_has_its_csv(result.files)
    assert_readable(tmp_path / 'pack')


def _noon(day, hour=12):
    return datetime.combine(day, time(hour), tzinfo=timezone.utc).timestamp()


def test_object_limits_history_forecasts_the_reach_date(shared, fake_datadog, tmp_path):
    """Thirty days of object counts in Datadog: the pack fits each count's trend and states, for the objects nearest
    their limit, the growth per week and the date the line reaches the limit, as the seeded lines imply."""
    emulator, clock = shared
    last = clock.now().date() - timedelta(days=1)
    first = last - timedelta(days=limits.OBJECT_DAYS - 1)
    days = [first + timedelta(days=i) for i in range(limits.OBJECT_DAYS)]
    rows = {'namespace': 'architect', 'limit_key': 'datatable.rows.max', 'object_type': 'data_table_row',
            'parent_name': 'Customers'}
    gaps = {5, 6, 17}  # days the collector did not report: the fit ignores them
    # 4,100 rows on the first day, 10 more a day (the daily maximum; an early, lower value each day too), so
    # 5,000 on day 90; the limit was raised from 4,500 to 5,000 on day 10.
    fake_datadog.add_points('genesys_cloud.objects.count', rows,
                            [(_noon(d, h), 4100 + 10 * i - (100 if h == 2 else 0))
                             for i, d in enumerate(days) if i not in gaps for h in (2, 12)])
    fake_datadog.add_points('genesys_cloud.objects.limit', rows,
                            [(_noon(d), 4500 if i < 10 else 5000) for i, d in enumerate(days) if i not in gaps])
    queues = {'namespace': 'routing', 'limit_key': 'queues.max', 'object_type': 'queue'}
    fake_datadog.add_points('genesys_cloud.objects.count', queues, [(_noon(d), 930) for d in days])
    fake_datadog.add_points('genesys_cloud.objects.limit', queues, [(_noon(d), 1000) for d in days])
    skills = {'namespace': 'routing', 'limit_key': 'skills.max', 'object_type': 'skill'}
    fake_datadog.add_points('genesys_cloud.objects.count', skills, [(_noon(d), 990 + 2 * i) for i, d in
                                                                    enumerate(days[-10:])])
    fake_datadog.add_points('genesys_cloud.objects.limit', skills, [(_noon(d), 1000) for d in days[-10:]])
    users = {'namespace': 'directory', 'limit_key': 'users.max', 'object_type': 'user'}
    fake_datadog.add_points('genesys_cloud.objects.count', users, [(_noon(d), 200 + i) for i, d in enumerate(days)])
    fake_datadog.add_points('genesys_cloud.objects.limit', users, [(_noon(d), 10000) for d in days])
    fake_datadog.add_points('genesys_cloud.objects.count', users, [(_noon(first - timedelta(days=1)), 1)])  # before
    history = MetricsHistory(fake_datadog.url, DD_API_KEY_CANARY, 'app-key')
    data = limits.pull_limits(_client(emulator, clock), 7, clock.now().date(), clock.sleep, progress=False,
                              history=history, dd_days=1)
    result = limits.write_report(data, str(tmp_path / 'pack'))
    # One query per object metric over the whole window, rolled up per UTC day (plus one per velocity metric).
    queries = [r.query for r in fake_datadog.by_path('/api/v1/query', 'GET') if 'objects' in r.query['query'][0]]
    assert history.requests_made == 2 + 2 and len(queries) == 2
    assert [q['query'][0] for q in queries] == [
        f'max:genesys_cloud.objects.{m}{{*}} by {{namespace,limit_key,object_type,parent_name}}.rollup(max, 86400)'
        for m in ('count', 'limit')]
    assert {(q['from'][0], q['to'][0]) for q in queries} == {(str(int(_noon(first, 0))),
                                                              str(int(_noon(last, 0)) + 86399))}
    reach = first + timedelta(days=90)
    assert (f"Object limits (daily maximum from Datadog, {first.isoformat()} to {last.isoformat()}; trend by least "
            f"squares), nearest their limit: skills at 1,008 of 1,000 (100.8 %), at or over the limit since "
            f"{days[-5].isoformat()}; data table rows of 'Customers' at 4,390 of 5,000 (87.8 %), growing 70 a week, "
            f"reaching the limit around {reach.isoformat()}; queues at 930 of 1,000 (93 %), not growing "
            f"[object_limits_history.png, object_limits_history.csv, object_limits.csv].") in result.paragraph
    summary = {r['object_type']: r for r in read_csv(tmp_path / 'pack' / 'object_limits.csv')}
    assert [(summary[t]['percent'], summary[t]['growth_per_week'], summary[t]['forecast_date'])
            for t in ('skill', 'queue', 'data_table_row', 'user')] == [
        ('100.8', '14', 'reached'), ('93', '0', ''), ('87.8', '70', reach.isoformat()), ('2.29', '7', '')]
    assert 'users at' not in result.paragraph  # the text names the three nearest; the chart and CSV have four
    history_rows = read_csv(tmp_path / 'pack' / 'object_limits_history.csv')
    assert list(history_rows[0]) == ['namespace', 'limit_key', 'object_type', 'parent_name', 'date', 'count',
                                     'limit', 'trend']
    customers = [r for r in history_rows if r['parent_name'] == 'Customers']
    expected = [(d.isoformat(), str(4100 + 10 * i), str(4500 if i < 10 else 5000), str(4100 + 10 * i))
                for i, d in enumerate(days) if i not in gaps]
    expected.append((reach.isoformat(), '', '5000', '5000'))  # the trend drawn to the reach date
    assert [(r['date'], r['count'], r['limit'], r['trend']) for r in customers] == expected
    assert {r['object_type'] for r in history_rows} == {'skill', 'queue', 'data_table_row', 'user'}
    assert min(r['date'] for r in history_rows) == first.isoformat()  # nothing before the window
    series = {os.path.basename(k): v for k, v in result.chart_series.items()}
    assert series['object_limits_history.png'] == 4 * 2 + 3  # count and limit each, a trend for three (not skills)
    md = (tmp_path / 'pack' / 'report.md').read_text()
    assert md.index('Object limits over time') < md.index('Object counts against object limits')
    assert_every_chart_has_its_csv(result.files)
    assert_readable(tmp_path / 'pack')


def test_datadog_points_that_are_not_finite_numbers_are_skipped():
    """1e400 is valid JSON and parses as infinity: such a point is skipped like any other malformed one."""
    import json

    from genesys_cloud_dd.reports.datadog_history import _series

    item = json.loads('{"scope": "object_type:queue", "pointlist": [[1700000000000, 1e400], [1700086400000, 930], '
                      '[1700172800000, null], [1700259200000, "931"]]}')
    series = _series(item)
    assert series.tags == {'object_type': 'queue'}
    assert series.points == [(datetime(2023, 11, 15, 22, 13, 20, tzinfo=timezone.utc), 930.0)]


def test_object_forecast_is_the_least_squares_line():
    """The pure forecast: an exact line with gaps, a flat and a falling count, one day only, a count over the limit
    and a reach beyond five years."""
    from datetime import date

    from genesys_cloud_dd.reports.objects_analysis import REACHED, forecast

    day0 = date(2026, 1, 1)
    line = [(day0 + timedelta(days=i), 100.0 + 3 * i) for i in range(20) if i % 4]
    trend, reach = forecast(line, 400)
    assert (round(trend.slope, 9), round(trend.at(day0), 6)) == (3, 100) and reach == day0 + timedelta(days=100)
    assert forecast(line, 401)[1] == day0 + timedelta(days=101)  # the first whole day at or over the limit
    assert forecast([(day0 + timedelta(days=i), 50.0) for i in range(10)], 100)[1] is None
    assert forecast([(day0 + timedelta(days=i), 90.0 - i) for i in range(10)], 100)[1] is None
    assert forecast([(day0, 10.0)], 100) == (None, None)
    assert forecast([(day0 + timedelta(days=i), 95.0 + i) for i in range(6)], 100)[1] == REACHED
    assert forecast([(day0 + timedelta(days=i), 1.0 + i / 1000) for i in range(30)], 100)[1] is None
    # Noisy points: the line, not the last point, sets the date (and never a date before tomorrow).
    noisy = [(day0 + timedelta(days=i), v) for i, v in enumerate((10, 14, 11, 17, 15, 19, 18, 23))]
    trend, reach = forecast(noisy, 24)
    assert reach == max(day0 + timedelta(days=math.ceil((24 - trend.intercept) / trend.slope)),
                        day0 + timedelta(days=8))


def test_datadog_failure_leaves_a_note_and_the_genesys_evidence(client, clock, fake_datadog, tmp_path):
    fake_datadog.fail_next(1, status=500)
    history = MetricsHistory(fake_datadog.url, DD_API_KEY_CANARY, 'app-key')
    data = limits.pull_limits(client, 7, clock.now().date(), clock.sleep, progress=False, history=history, dd_days=2)
    assert data.velocity is None and data.usage and data.ratelimits
    assert 'per-minute velocity from Datadog: not available (Datadog metrics query: HTTP 500)' in data.notes
    assert data.objects == []  # the object queries still ran, and Datadog holds no object counts
    result = limits.write_report(data, str(tmp_path / 'pack'))
    assert 'busiest_minute.png' not in {os.path.basename(f) for f in result.files}
    assert 'Not included: per-minute velocity from Datadog' in (tmp_path / 'pack' / 'report.md').read_text()
    assert 'Per-minute request counts could not be read from Datadog' in result.paragraph
    asked = len(fake_datadog.requests)
    rejected = MetricsHistory(fake_datadog.url, DD_API_KEY_CANARY, '')  # no application key: not even sent
    data = limits.pull_limits(client, 3, clock.now().date(), clock.sleep, progress=False, history=rejected, dd_days=1)
    assert any('a key is empty; check DD_API_KEY, DD_APP_KEY' in note for note in data.notes)
    assert len(fake_datadog.requests) == asked
    refused = MetricsHistory(fake_datadog.url, DD_API_KEY_CANARY, 'app-key')
    fake_datadog.fail_next(1, status=403)
    data = limits.pull_limits(client, 3, clock.now().date(), clock.sleep, progress=False, history=refused, dd_days=1)
    assert any('HTTP 403; check DD_API_KEY, DD_APP_KEY' in note for note in data.notes)
    assert not any(DD_API_KEY_CANARY in note for note in data.notes)


def test_missing_permission_leaves_a_note(client, emulator, clock, tmp_path):
    emulator.permissions.deny('analytics:rateLimitAggregate:view')
    data = limits.pull_limits(client, 10, clock.now().date(), clock.sleep, progress=False)
    assert data.ratelimits == [] and data.usage
    assert any(n.startswith('rate-limit aggregates: not available') and 'analytics:rateLimitAggregate:view' in n
               for n in data.notes)
    result = limits.write_report(data, str(tmp_path / 'pack'))
    assert 'Not included: rate-limit aggregates' in (tmp_path / 'pack' / 'report.md').read_text()
    assert 'this pack cannot say which limit binds' in result.paragraph
    assert 'No OAuth client reached' not in result.paragraph  # a refused pull proves nothing
    assert result.chart_series and all((tmp_path / 'pack' / chart).is_file() for chart in result.chart_series)


def test_failed_usage_job_leaves_a_note(client, emulator, clock):
    emulator.faults.add('POST /api/v2/usage/aggregates/query/jobs', failed_job=True, times=1)
    data = limits.pull_limits(client, 10, clock.now().date(), clock.sleep, progress=False)
    assert data.usage == [] and data.ratelimits  # the other pulls went on
    assert any(n.startswith('daily usage per OAuth client: not available') and 'the job ended Failed' in n
               for n in data.notes), data.notes


def test_licenses_pack_matches_billing_ground_truth(client, emulator, clock, tmp_path):
    data = licenses.pull_licenses(client, clock.now(), lambda seconds: None, progress=False)  # the clock stays
    out = tmp_path / 'lic'
    files, chart_series, outlooks, summary = licenses.write_report(data, str(out))
    truth = licensing(emulator.org)
    now = clock.now()
    period_start = datetime(now.year, now.month, 1, tzinfo=timezone.utc)
    assert data.open_period.start == period_start
    rows = read_csv(out / 'licenses_daily.csv')
    tokens = [r for r in rows if r['charge'] == 'AI Experience Tokens']
    assert len(tokens) == (now - period_start).days + 1  # one point per elapsed day, today included
    assert float(tokens[-1]['consumed_to_date']) == truth.tokens_used(period_start, now, now)
    by_name = {o.name: o for o in outlooks}
    cx = by_name['Genesys Cloud CX 3 Concurrent User']
    assert (cx.purchased, cx.consumed) == (truth.cx_prepaid, truth.cx_actual)
    token = by_name['AI Experience Tokens']
    period_seconds = (data.open_period.end - period_start).total_seconds()
    expected = truth.tokens_used(period_start, now, now) * period_seconds / (now - period_start).total_seconds()
    assert token.projected == pytest.approx(expected)
    assert data.assigned == truth.assigned_counts()
    # Purchased vs billable peak per period, in whole users.
    periods = read_csv(out / 'genesys_cloud_cx_3_concurrent_user_per_period.csv')
    assert len(periods) == 3 and periods[-1]['period'].endswith('(open)')
    assert {(r['purchased'], r['billable peak (30-minute rule)']) for r in periods} == {
        (str(truth.cx_prepaid), str(truth.cx_actual))}
    tokens_chart = read_csv(out / 'ai_experience_tokens.csv')
    assert tokens_chart[-1]['projected'] == str(round(expected, 2)).rstrip('0').rstrip('.')
    assert float(tokens_chart[0]['allowance']) == truth.token_allowance
    assert any(line.startswith(f'Genesys Cloud CX 3 Concurrent User: {truth.cx_actual} of the {truth.cx_prepaid} users '
                               f'purchased') for line in summary), summary
    md = (out / 'report.md').read_text()
    assert md.count('30 minutes') == 1  # the rule, explained once
    overage = max(0.0, expected - truth.token_allowance)
    cost = {r['charge']: r for r in read_csv(out / 'overage_cost.csv')}
    assert cost['Genesys Cloud Voice Minutes']['kind'] == 'billed as used'  # nothing prepaid: not an "overage"
    if overage:
        assert cost['AI Experience Tokens'] == {'charge': 'AI Experience Tokens', 'kind': 'overage', 'currency': 'USD',
                                                'projected_cost': str(round(overage * 1.5, 2)).rstrip('0').rstrip('.')}
        assert f'Projected overage cost: {overage * 1.5:,.2f} USD' in md
    assert_every_chart_has_its_csv(files)
    assert set(chart_series) == {f for f in files if f.endswith('.png')}
    assert_readable(out)


@pytest.fixture
def real_emulator():
    with Emulator(OrgOptions(seed=3, users=10, queues=2, oauth_clients=4, days=40), clock=Clock(),
                  job_polls=0) as emu:
        yield emu


def _conf(emu, tmp_path):
    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'instances': [{
        'client_id': emu.client_id, 'client_secret': emu.client_secret,
        'api_url': emu.url, 'login_url': emu.url, 'max_requests_per_minute': 1000}]}))
    return conf


def test_cli_writes_the_pack(real_emulator, tmp_path):
    conf = _conf(real_emulator, tmp_path)

    def report(*args):
        return subprocess.run([sys.executable, '-m', 'genesys_cloud_dd.cli', 'report', *args, '-c', str(conf)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)

    proc = report('limits', '--days', '14', '-o', str(tmp_path / 'out'), '--mitigation', 'caches user lookups')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('The limit that binds is platform.api ')  # the seeded org always has one
    assert 'What the integration already does: caches user lookups.' in proc.stdout
    assert 'Which limit binds, per OAuth client, over 14 days:' in proc.stdout
    assert 'Pulling history [' in proc.stderr
    assert png_size(tmp_path / 'out' / 'binding_limit.png')[0] > 0
    assert real_emulator.client_secret not in proc.stdout + proc.stderr
    assert report('limits', '--days', '400', '-o', str(tmp_path / 'x')).returncode == 2
    proc = report('licenses', '-o', str(tmp_path / 'lic'))
    assert proc.returncode == 0, proc.stderr
    assert 'Projected position at the end of the billing period:' in proc.stdout


def test_missing_charts_extra_is_reported_before_any_request(real_emulator, tmp_path):
    conf = _conf(real_emulator, tmp_path)
    code = ("import sys; sys.modules['matplotlib'] = None; from genesys_cloud_dd.cli.main import main; "
            f"sys.exit(main(['report', 'limits', '-c', {str(conf)!r}, '-o', {str(tmp_path / 'out')!r}]))")
    proc = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert 'pip install "genesys-cloud-dd[reports]"' in proc.stderr
    assert sum(real_emulator.requests.values()) == 0 and not (tmp_path / 'out').exists()


def test_datadog_needs_both_keys(real_emulator, tmp_path):
    conf = _conf(real_emulator, tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ('DD_API_KEY', 'DD_APP_KEY')}
    proc = subprocess.run([sys.executable, '-m', 'genesys_cloud_dd.cli', 'report', 'limits', '-c', str(conf), '-o',
                           str(tmp_path / 'out'), '--datadog'], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env=dict(env, DD_API_KEY='only-one'))
    assert proc.returncode == 2 and 'DD_APP_KEY' in proc.stderr and 'only-one' not in proc.stderr
    assert sum(real_emulator.requests.values()) == 0


def test_a_raise_inside_the_window_changes_the_limit_from_its_date(limits_pack, tmp_path):
    """The limits pack's own data with one more implemented change request, mid-window: every statement uses the
    value in force on its date."""
    import copy

    data = copy.deepcopy(limits_pack[0])
    top = limits_pack[1].headline
    before = data.limits[top.namespace][top.limit_name][0]
    raised_on = data.first + timedelta(days=45)
    data.limits[top.namespace][top.limit_name] = (before * 2, data.limits[top.namespace][top.limit_name][1])
    data.change_requests.append({'id': 'cr-1', 'namespace': top.namespace, 'key': top.limit_name,
                                 'status': 'ChangeImplemented', 'currentValue': float(before * 2),
                                 'requestedValue': float(before * 2), 'dateCreated': '2026-01-01T00:00:00.000Z',
                                 'dateCompleted': f'{raised_on.isoformat()}T09:30:00.000Z'})
    result = limits.write_report(data, str(tmp_path / 'pack'))
    assert result.headline.limit_name == top.limit_name
    assert result.headline.value == (before * 2 if result.headline.last_hit >= raised_on else before)
    assert f'raised from {before:,} to {before * 2:,} on {raised_on.isoformat()}' in result.paragraph
    for row in read_csv(tmp_path / 'pack' / 'ratelimits_hourly.csv'):
        if (row['namespace'], row['limit_name']) == (top.namespace, top.limit_name):
            expected = before if row['date'] < raised_on.isoformat() else before * 2
            assert int(row['effective_limit']) == expected, row
    changes = {(r['namespace'], r['key']): r['changes'] for r in read_csv(tmp_path / 'pack' / 'limits.csv')}
    assert f'{raised_on.isoformat()}: {before:,} -> {before * 2:,}' in changes[(top.namespace, top.limit_name)]

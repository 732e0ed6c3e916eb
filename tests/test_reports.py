"""`report limits` and `report licenses` generated from the emulator: files, valid PNGs with the expected
series, and CSV numbers equal to the emulator's ground truth."""

import csv
import io
import os
import struct
import subprocess
import sys
from collections import Counter
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from datadog_checks.genesys_cloud.client import GenesysClient
from datadog_checks.genesys_cloud.clock import Clock

from genesys_cloud_dd.emulator import Emulator, OrgOptions
from genesys_cloud_dd.emulator.data.licensing import licensing
from genesys_cloud_dd.emulator.data.limits import org_limits
from genesys_cloud_dd.emulator.data.ratelimits import ratelimit_history
from genesys_cloud_dd.emulator.data.usage import aggregate
from genesys_cloud_dd.reports import licenses, limits

ROOT = Path(__file__).resolve().parents[1]
DAYS = 90


@pytest.fixture
def org_options():
    return OrgOptions(seed=7, users=40, queues=3, oauth_clients=11, days=DAYS + 10)


@pytest.fixture
def client(emulator, clock):
    return GenesysClient.from_settings(emulator.url, emulator.url, emulator.client_id, emulator.client_secret,
                                       clock=clock, max_requests_per_minute=100000)


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


@pytest.fixture(scope='module')
def shared():
    """One emulator and one 90-day pack for the read-only limits tests (pulling and drawing take seconds)."""
    from datadog_checks.genesys_cloud.clock import FakeClock

    from tests.conftest import START

    clock = FakeClock(START)
    with Emulator(OrgOptions(seed=7, users=40, queues=3, oauth_clients=11, days=DAYS + 10), clock=clock) as emu:
        yield emu, clock


@pytest.fixture(scope='module')
def limits_pack(shared, tmp_path_factory):
    emulator, clock = shared
    client = GenesysClient.from_settings(emulator.url, emulator.url, emulator.client_id, emulator.client_secret,
                                         clock=clock, max_requests_per_minute=100000)
    progress = io.StringIO()
    out = tmp_path_factory.mktemp('limits') / 'pack'
    data = limits.pull_limits(client, DAYS, clock.now().date(), clock.sleep, stream=progress)
    result = limits.write_report(data, str(out), org_label=emulator.org.name)
    return data, result, out, progress.getvalue()


def test_limits_pack_files_and_charts(limits_pack, shared):
    emulator, _ = shared
    data, result, out, progress = limits_pack
    names = {'report.md', 'report.html', 'usage_daily.csv', 'ratelimits_daily.csv', 'limits.csv',
             'requests_per_client.png', 'status_429.png', 'ratelimit_events.png', 'peak_days.png'}
    assert {os.path.basename(f) for f in result.files} == names
    assert all(os.path.getsize(f) > 0 for f in result.files)
    import matplotlib.image

    for chart in result.chart_series:
        width, height = png_size(chart)
        assert matplotlib.image.imread(chart).shape[:2] == (height, width) and width >= 800
    series = {os.path.basename(k): v for k, v in result.chart_series.items()}
    clients = {r.client_id for r in data.usage}
    assert len(clients) == len(emulator.org.oauth_clients) == 11
    # 8 named clients + "3 other clients" + the limit line.
    assert series['requests_per_client.png'] == 8 + 1 + 1
    throttled = {r.client_id for r in data.usage if r.status429}
    assert series['status_429.png'] == min(len(throttled), 8) + (len(throttled) > 8)
    assert series['ratelimit_events.png'] == len({r.limit_name for r in data.ratelimits}) > 0
    assert series['peak_days.png'] == 2
    md = (out / 'report.md').read_text()
    assert '![Daily requests per OAuth client](requests_per_client.png)' in md
    assert '<img src="status_429.png"' in (out / 'report.html').read_text()
    assert progress.splitlines()[-1].startswith('Pulling history [' + '#' * 30 + '] 7/7')


def test_limits_csv_equals_ground_truth(limits_pack, shared):
    emulator, clock = shared
    data, result, out, _ = limits_pack
    org = emulator.org
    last = clock.now().date() - timedelta(days=1)
    first = last - timedelta(days=DAYS - 1)
    assert (data.first, data.last) == (first, last)
    truth = Counter()
    truth_429 = Counter()
    for (_day, client_id), values in aggregate(org, first, last, 'Day', ('client_id',)).items():
        truth[client_id] += values['requests']
        truth_429[client_id] += values['status429']
    rows = read_csv(out / 'usage_daily.csv')
    assert {r['date'] for r in rows} == {(first + timedelta(days=i)).isoformat() for i in range(DAYS)}
    got, got_429 = Counter(), Counter()
    for r in rows:
        got[r['oauth_client_id']] += int(r['requests'])
        got_429[r['oauth_client_id']] += int(r['status429'])
    assert got == truth and got_429 == truth_429
    start = datetime.combine(first, time(0), tzinfo=timezone.utc)
    records = ratelimit_history(org).records(start, start + timedelta(days=DAYS))
    rl_rows = read_csv(out / 'ratelimits_daily.csv')
    assert sum(int(r['records']) for r in rl_rows) == sum(r.count for r in records) > 0
    by_limit = Counter()
    for r in records:
        by_limit[r.limit_name] += r.count
    got_by_limit = Counter()
    for r in rl_rows:
        got_by_limit[r['limit_name']] += int(r['records'])
    assert got_by_limit == by_limit
    values = {(r['namespace'], r['key']): int(r['value']) for r in read_csv(out / 'limits.csv')}
    assert values == {(ns, k): v for ns, keys in org_limits(org).values.items() for k, v in keys.items()}


def test_binding_limit_per_client_matches_the_records(limits_pack, shared):
    emulator, _ = shared
    data, result, _, _ = limits_pack
    clients = {c.id: c.name for c in emulator.org.oauth_clients}
    days = {}
    for r in data.ratelimits:
        days.setdefault(r.entity_id, {}).setdefault(r.limit_name, set()).add(r.day)
    client_bindings = [b for b in result.bindings if b.is_client]
    assert client_bindings and {b.entity_id for b in client_bindings} == set(days) & set(clients)
    for b in client_bindings:
        most = max(len(d) for d in days[b.entity_id].values())
        assert b.days_hit == len(days[b.entity_id][b.limit_name]) == most
        assert b.entity_name == clients[b.entity_id]
        assert any(line.startswith(f'{b.entity_name}: {b.namespace} {b.limit_name}') for line in result.summary)
    assert any('not OAuth clients' in line for line in result.summary)  # Data Actions, summarised in one line


def test_missing_permission_leaves_a_note(client, emulator, clock, tmp_path):
    emulator.permissions.deny('analytics:rateLimitAggregate:view')
    data = limits.pull_limits(client, 10, clock.now().date(), clock.sleep, progress=False)
    assert data.ratelimits == [] and data.usage
    assert any(n.startswith('rate-limit aggregates: not available') and 'analytics:rateLimitAggregate:view' in n
               for n in data.notes)
    result = limits.write_report(data, str(tmp_path / 'pack'))
    assert 'Not included: rate-limit aggregates' in (tmp_path / 'pack' / 'report.md').read_text()
    assert result.chart_series and all((tmp_path / 'pack' / chart).is_file() for chart in result.chart_series)


def test_failed_usage_job_leaves_a_note(client, emulator, clock):
    emulator.faults.add('POST /api/v2/usage/aggregates/query/jobs', failed_job=True, times=1)
    data = limits.pull_limits(client, 10, clock.now().date(), clock.sleep, progress=False)
    assert data.usage == [] and data.ratelimits  # the other pulls went on
    assert any(n.startswith('daily usage per OAuth client: not available') and 'the job ended Failed' in n
               for n in data.notes), data.notes


def test_licenses_pack_matches_billing_ground_truth(client, emulator, clock, tmp_path):
    data = licenses.pull_licenses(client, clock.now(), lambda seconds: None, progress=False)  # the clock stays
    files, chart_series, outlooks, summary = licenses.write_report(data, str(tmp_path / 'lic'))
    truth = licensing(emulator.org)
    now = clock.now()
    period_start = datetime(now.year, now.month, 1, tzinfo=timezone.utc)
    assert data.open_period.start == period_start
    rows = read_csv(tmp_path / 'lic' / 'licenses_daily.csv')
    tokens = [r for r in rows if r['charge'] == 'AI Experience Tokens']
    assert len(tokens) == (now - period_start).days + 1  # one point per elapsed day, today included
    assert float(tokens[-1]['consumed_to_date']) == truth.tokens_used(period_start, now, now)
    assert float(tokens[0]['consumed_to_date']) == truth.tokens_used(period_start, period_start + timedelta(days=1),
                                                                     now)
    assert float(tokens[0]['purchased']) == truth.token_allowance
    by_name = {o.name: o for o in outlooks}
    cx = by_name['Genesys Cloud CX 3 Concurrent User']
    assert (cx.purchased, cx.consumed) == (truth.cx_prepaid, truth.cx_actual)
    token = by_name['AI Experience Tokens']
    period_seconds = (data.open_period.end - period_start).total_seconds()
    expected = truth.tokens_used(period_start, now, now) * period_seconds / (now - period_start).total_seconds()
    assert token.projected == pytest.approx(expected)
    assert token.projected_overage == pytest.approx(max(0.0, expected - truth.token_allowance))
    assert data.assigned == truth.assigned_counts()
    [chart] = chart_series
    png_size(chart)
    # One panel per charge: consumed + projection, and purchased where something was prepaid (not voice).
    assert chart_series[chart] == 3 * 2 + 2
    assert any(line.startswith('AI Experience Tokens:') for line in summary)
    assert {os.path.basename(f) for f in files} == {'report.md', 'report.html', 'licenses_daily.csv',
                                                   'billing_periods.csv', 'consumption.png'}


@pytest.fixture
def real_emulator():
    with Emulator(OrgOptions(seed=3, users=10, queues=2, oauth_clients=4, days=40), clock=Clock(),
                  job_polls=0) as emu:
        yield emu


def test_cli_writes_the_pack(real_emulator, tmp_path):
    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'instances': [{
        'client_id': real_emulator.client_id, 'client_secret': real_emulator.client_secret,
        'api_url': real_emulator.url, 'login_url': real_emulator.url, 'max_requests_per_minute': 1000}]}))

    def report(*args):
        return subprocess.run([sys.executable, '-m', 'genesys_cloud_dd.cli', 'report', *args, '-c', str(conf)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    proc = report('limits', '--days', '14', '-o', str(tmp_path / 'out'))
    assert proc.returncode == 0, proc.stderr
    assert 'Which limit binds, over 14 days:' in proc.stdout and 'Wrote 9 files' in proc.stdout
    assert 'Pulling history [' in proc.stderr
    assert png_size(tmp_path / 'out' / 'requests_per_client.png')[0] > 0
    assert real_emulator.client_secret not in proc.stdout + proc.stderr
    assert report('limits', '--days', '400', '-o', str(tmp_path / 'x')).returncode == 2

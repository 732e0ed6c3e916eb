"""Agent-less payloads stay under Datadog's documented intake limits (agentless/payloads.py INTAKE_LIMITS):
series v2 500 KB (512,000 bytes) on the wire and 5 MB (5,242,880 bytes) decompressed; events and service checks
held to 512,000 bytes. What cannot fit alone (a tag list of 100,000 tags) is left out with one warning per
process, and never takes the good series of its payload down with it (Datadog refuses a whole payload: 413)."""

import logging

import pytest

from genesys_cloud_dd.agentless import AgentlessRunner, MetricTransformer, build_payloads
from genesys_cloud_dd.agentless import payloads as p
from genesys_cloud_dd.agentless.sender import DatadogSender
from genesys_cloud_dd.check_runner import Submissions

from .conftest import DD_API_KEY_CANARY
from .fault_report import record

WIRE, DECOMPRESSED = 512_000, 5_242_880


@pytest.fixture(autouse=True)
def fresh_warnings():
    p._warned_oversize.clear()
    yield
    p._warned_oversize.clear()


def gauges(count, tags_each, prefix='genesys_cloud.test.m'):
    return [{'name': f'{prefix}{i}', 'type': 'gauge', 'value': i, 'tags': [f't{j}:{i}-{j}' for j in range(tags_each)]}
            for i in range(count)]


def assert_within_limits(payloads):
    for payload in payloads:
        wire, decompressed = p.body_sizes(payload['kind'], payload['items'])
        assert wire <= WIRE and decompressed <= DECOMPRESSED, (payload['kind'], wire, decompressed)


def test_many_large_series_are_split_under_both_limits():
    submissions = Submissions(metrics=gauges(1500, 300))  # 1,500 series of ~5 KB each: ~7 MB
    payloads = build_payloads(submissions, 1000, 60, MetricTransformer())
    assert len(payloads) > 1
    assert_within_limits(payloads)
    sent = [item['metric'] for payload in payloads for item in payload['items']]
    assert sorted(sent) == sorted(m['name'] for m in submissions.metrics)  # each exactly once


def test_a_tag_list_too_long_is_left_out_and_warned_once(caplog):
    huge = gauges(1, 100_000, prefix='genesys_cloud.test.huge')
    normal = gauges(50, 3)
    transformer = MetricTransformer()
    with caplog.at_level(logging.WARNING, logger='genesys_cloud_dd.agentless'):
        first = build_payloads(Submissions(metrics=huge + normal), 1000, 60, transformer)
        second = build_payloads(Submissions(metrics=huge + normal), 1060, 60, transformer)
    for payloads in (first, second):
        assert_within_limits(payloads)
        assert sorted(i['metric'] for pl in payloads for i in pl['items']) == sorted(m['name'] for m in normal)
    warnings = [r.getMessage() for r in caplog.records if 'left out' in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert '1 series left out' in warnings[0] and 'genesys_cloud.test.huge0: 100000 tags' in warnings[0]
    record('agentless: a series with 100,000 tags', 'left out, warned once, the rest sent',
           f'{len(first[0]["items"])} series sent per cycle, 1 warning in 2 cycles')


def test_events_and_service_checks_fit_too(caplog):
    long_tags = [f'tag{i}:{"v" * 20}' for i in range(40_000)]  # ~1.1 MB of tags
    submissions = Submissions(
        events=[{'msg_title': 'x' * 500, 'msg_text': 'y' * 10_000, 'tags': ['a:b'], 'timestamp': 1},
                {'msg_title': 'huge', 'msg_text': 't', 'tags': long_tags, 'timestamp': 1}],
        service_checks=[{'name': f'genesys_cloud.sc{i}', 'status': 'OK', 'tags': [f'x{j}:{i}' for j in range(500)],
                         'message': 'm' * 2000} for i in range(200)])
    payloads = build_payloads(submissions, 1000, 60, MetricTransformer())
    assert_within_limits(payloads)
    events = [i for pl in payloads if pl['kind'] == 'event' for i in pl['items']]
    assert [len(e['title']) for e in events] == [100] and len(events[0]['text']) == 4000
    checks = [i for pl in payloads if pl['kind'] == 'service_check' for i in pl['items']]
    assert len(checks) == 200 and {len(c['message']) for c in checks} == {500}
    assert len([pl for pl in payloads if pl['kind'] == 'service_check']) > 1  # ~2 MB of checks: split
    assert any('1 events left out' in r.getMessage() for r in caplog.records)


def test_what_reaches_the_intake_is_within_its_limits(emulator, instance, clock, fake_datadog):
    # Instance tags go onto every point: 60,000 of them make each series ~1.3 MB decompressed, the 5 of a run
    # 6.5 MB: more than one request may carry.
    instance = {**instance, 'tags': [f'cost_center:{i:05d}' for i in range(60_000)]}
    sender = DatadogSender(DD_API_KEY_CANARY, url=fake_datadog.url)
    runner = AgentlessRunner({}, [instance], sender, clock=clock, sleep=lambda s: None, only=['org']).setup()
    report = runner.cycle()
    assert report.delivered_everything and report.delivered > 1
    requests = fake_datadog.by_path('/api/v2/series')
    assert len(requests) > 1
    for request in requests:
        assert int(request.headers['content-length']) <= WIRE and len(request.body) <= DECOMPRESSED
    assert len(fake_datadog.series) == report.metrics
    runner.close()

"""250 runs of chaos against a clean twin: random 429s (sane and absurd Retry-After), 5xx as JSON and as HTML,
dropped connections, truncated and wrong-shape JSON, paging loops, malformed items, echoed Authorization headers,
slow answers and corrupt persisted values, all through the emulator's fault injection over real HTTP.

The chaos check must finish every run without an error, never count or announce more than its twin (which sees
the same org at the same fake times without faults), have every collector collecting again within one interval
of the chaos stopping, and never show a secret or a bearer token. Both checks run on fake clocks, so the 250
runs of 60 s take seconds of wall time.
"""

import random
from collections import Counter

from datadog_checks.base.stubs import datadog_agent
from datadog_checks.genesys_cloud import GenesysCloudCheck
from datadog_checks.genesys_cloud.clock import FakeClock
from datadog_checks.genesys_cloud.collectors import COLLECTORS
from datadog_checks.genesys_cloud.scheduler import Outcome

from genesys_cloud_dd.emulator import Emulator, OrgOptions
from genesys_cloud_dd.emulator.data.limits import org_limits
from genesys_cloud_dd.emulator.data.operational_events import operational_events
from tests.conftest import SECRET_CANARY, START

from .fault_report import record

RUNS = 250
ABSURD_UNTIL = 180  # absurd Retry-After values (capped at an hour) stop an hour before the chaos does
RECOVERY_RUNS = 16  # 960 s: one interval of the slowest collector below, plus a run
OPTIONS = OrgOptions(seed=23, users=60, queues=5, oauth_clients=5)
# Every collector at 15 minutes or less, so "within one interval" fits a short recovery.
INTERVALS = {'api_usage': {'interval': 900}, 'org_limits': {'interval': 900}, 'object_limits': {'interval': 900}}
CORRUPT_VALUES = ('{bad json', '"a string"', '[1, 2]', '{"k": {"nested": []}}', 'null')
JUNK_ITEMS = ({'conversation': 'oops'}, {'statusHistory': ['a']}, {'id': 7, 'name': {'x': 1}}, {'group': 'g'},
              {'data': 'd'}, {'dateCreated': 'yesterday'}, {'entities': 5}, {'value': 'lots'}, {'metrics': [1]})
LISTS = ('entities', 'results')


def fault_catalogue(rng, run_index):
    sane = rng.choice([1, 5, 30])
    absurd = rng.choice(['1e9', 'inf', '86400', 'nan']) if run_index < ABSURD_UNTIL else sane
    return rng.choice([
        {'status': 429, 'retry_after': sane},
        {'status': 429, 'retry_after': absurd},
        {'status': rng.choice([500, 502, 503])},
        {'status': rng.choice([502, 503]), 'html': True},
        {'status': 503, 'html': True, 'retry_after': absurd},
        {'drop_connection': True},
        {'malformed': True},
        {'wrong_shape': True},
        {'paging_loop': rng.choice(['self', 'cycle', 'growing'])},
        {'corrupt': {'path': [rng.choice(LISTS), rng.randrange(3)], 'set': rng.choice(JUNK_ITEMS)}},
        {'corrupt': {'path': ['results', 0, 'data', 0], 'drop': ['interval']}},
        {'echo_authorization': True, 'echo_padding': rng.randrange(280)},
        {'slow': 5.0},
    ])


class Twin:
    """One check against its own emulator and clock, with what it submitted tallied run by run."""

    def __init__(self, name, aggregator):
        self.clock = FakeClock(START)
        self.emulator = Emulator(OPTIONS, clock=self.clock, client_secret=SECRET_CANARY).__enter__()
        self.aggregator = aggregator
        instance = {'client_id': self.emulator.client_id, 'client_secret': SECRET_CANARY,
                    'api_url': self.emulator.url, 'login_url': self.emulator.url, 'min_collection_interval': 60,
                    **INTERVALS}
        self.check = GenesysCloudCheck('genesys_cloud', {}, [instance], clock=self.clock)
        self.check.check_id = f'genesys_cloud:{name}:0'
        self.counts = Counter()
        self.events = Counter()
        self.sent = Counter()  # (aggregation key, timestamp, text) of each event sent
        self.long_tags = []
        self.warnings = []
        self.messages = []
        self.errors = []
        self.ok_at = {}  # collector -> times of its successful collections

    def run(self):
        self.aggregator.reset()
        self.check.warnings.clear()
        error = self.check.run()
        if error:
            self.errors.append(error)
        for name in self.aggregator.metric_names:
            for metric in self.aggregator.metrics(name):
                if metric.type == self.aggregator.COUNT and not name.startswith('genesys_cloud.check.'):
                    self.counts[name] += metric.value
                self.long_tags += [t for t in metric.tags if len(t) > 200]
        for event in self.aggregator.events:
            self.events[event.get('aggregation_key') or event['msg_title']] += 1
            self.sent[(event.get('aggregation_key'), event.get('timestamp'), event.get('msg_text'))] += 1
            self.long_tags += [t for t in event.get('tags') or [] if len(t) > 200]
        for check in self.aggregator.service_checks('genesys_cloud.can_connect'):
            self.messages.append(check.message or '')
        self.warnings += self.check.warnings
        if self.check.scheduler is not None:
            for collector, outcome in self.check.scheduler.outcomes.items():
                if outcome == Outcome.OK:
                    self.ok_at.setdefault(collector, []).append(self.clock.time())

    def close(self):
        self.emulator.__exit__(None, None, None)


def happen(twins, index):
    """The same things happen in both orgs at the same time: operational events, limit request decisions."""
    for twin in twins:
        if index % 5 == 0:
            store = operational_events(twin.emulator.org)
            store.publish(store.definitions[index % len(store.definitions)].id, entity_index=index,
                          conversation_id=f'c0ffee00-0000-4000-8000-{index:012d}')
        if index % 40 == 20:
            limits = org_limits(twin.emulator.org)
            request = limits.change_requests[(index // 40) % len(limits.change_requests)]
            limits.set_status(request.id, 'Approved' if request.status != 'Approved' else 'Rejected', 'decided')


def corrupt_state(rng, name):
    prefix = f'genesys_cloud:{name}:'
    keys = [k for k, v in datadog_agent._cache.items() if k.startswith(prefix) and v]
    if keys:
        datadog_agent._cache[rng.choice(sorted(keys))] = rng.choice(CORRUPT_VALUES)


def test_250_runs_of_chaos_against_a_clean_twin(aggregator, caplog):
    rng = random.Random(1313)
    clean, chaos = Twin('clean', aggregator), Twin('chaos', aggregator)
    try:
        now = START.timestamp()
        for twin in (clean, chaos):
            twin.run()
        targets = sorted(k for k in clean.emulator.requests if k != 'POST /oauth/token')
        injected = Counter()
        for index in range(RUNS + RECOVERY_RUNS):
            # Both clocks stand at the same time at the start of every run (waits may have moved one ahead).
            now = max(now + 60, clean.clock.time(), chaos.clock.time())
            clean.clock.set(now)
            chaos.clock.set(now)
            chaos.emulator.faults.clear()
            if index < RUNS:
                for _ in range(rng.choice([0, 1, 1, 2, 3])):
                    fault = fault_catalogue(rng, index)
                    chaos.emulator.faults.add(rng.choice(targets), times=rng.choice([1, 2, 5]), **fault)
                    injected[next(iter(fault))] += 1
                if rng.random() < 0.1:
                    corrupt_state(rng, 'chaos')
                    injected['persisted value'] += 1
            if index == RUNS:
                stopped = now
            if index < RUNS:  # both twins see all of it before the test ends
                happen((clean, chaos), index)
            clean.run()
            chaos.run()
        # Waits inside a run move a twin's clock ahead of the other's; one more run at the same time for both
        # lets each count what exists up to the same moment before the totals are compared.
        now = max(clean.clock.time(), chaos.clock.time()) + 600
        for twin in (clean, chaos):
            twin.clock.set(now)
            twin.run()

        assert chaos.errors == [] and clean.errors == []
        assert [key for key, n in chaos.sent.items() if n > 1] == []  # no event sent twice
        over = {name: (n, clean.counts[name]) for name, n in chaos.counts.items() if n > clean.counts[name]}
        assert over == {}, over
        over = {key: (n, clean.events[key]) for key, n in chaos.events.items() if n > clean.events[key]}
        assert over == {}, over
        assert sum(clean.counts.values()) > 0 and sum(clean.events.values()) > 40  # the comparison means something
        # ...and the chaos twin still reports most of it: faults may cost a window, not the data.
        assert sum(chaos.counts.values()) >= 0.9 * sum(clean.counts.values())
        assert sum(chaos.events.values()) >= 0.9 * sum(clean.events.values())
        assert chaos.long_tags == [] and clean.long_tags == []
        for collector in chaos.check.collectors:
            interval = float(collector.config.interval)  # the configured one
            again = [t for t in chaos.ok_at.get(collector.name, []) if stopped < t <= stopped + interval + 60]
            assert again, f'{collector.name} did not collect within {interval:.0f}s of the chaos stopping'
        tokens = [t.value for twin in (clean, chaos) for t in twin.emulator.tokens]
        outputs = [caplog.text, '\n'.join(chaos.warnings), '\n'.join(chaos.messages)]
        for secret in tokens + [SECRET_CANARY]:
            assert not any(secret[:12] in text for text in outputs)
        assert sum(injected.values()) > 250
    finally:
        clean.close()
        chaos.close()
    record(f'all: {RUNS} runs of chaos vs a clean twin',
           'no run error, counts/events <= twin, all collect within 1 interval after, no secret',
           f'{sum(injected.values())} faults, {sum(chaos.counts.values()):.0f}/{sum(clean.counts.values()):.0f} '
           f'counted, {sum(chaos.events.values())}/{sum(clean.events.values())} events, '
           f'{len(COLLECTORS)} collectors back')

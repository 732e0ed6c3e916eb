"""Agent-less mode: run the same check class on a schedule and submit what it produces to the Datadog API.

One cycle = one check run per instance (exactly what the Agent would run), its submissions turned into
API payloads (payloads.py), appended to the outbox, then the outbox flushed oldest first. A failed
delivery is retried with backoff a few times; what still fails stays in the outbox for the next cycle.

With a state directory, everything a restart would otherwise lose lives there: the check's state
(StateStore.in_directory, exactly what the Agent keeps in its persistent cache: job ids, cursors, counted
intervals, and each collector's next due time and last gauges, so a cron-style `--once` every minute keeps
each collector's cadence instead of running all of them every time), the previous samples of rates and
monotonic counts, and the outbox.
"""

import hashlib
import json
import logging
import random
from dataclasses import dataclass, field

from datadog_checks.genesys_cloud.state import StateStore

from ..check_runner import RecordedCheck, initialize, run_once
from ..fixed_clock import toolkit_clock
from .outbox import Outbox, describe
from .payloads import MetricTransformer, build_payloads
from .sender import SendFailed

log = logging.getLogger('genesys_cloud_dd.agentless')


def memory_store():
    data = {}
    return StateStore(lambda k: data.get(k, ''), lambda k, v: data.__setitem__(k, v) if v else data.pop(k, None))


def instance_namespace(instance):
    """A stable name for an instance's state: rotating the secret or editing tags must not orphan it."""
    identity = {k: instance.get(k) for k in ('client_id', 'region', 'api_url', 'name')}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f'genesys_cloud.{digest}'


@dataclass
class CycleReport:
    metrics: int = 0
    events: int = 0
    service_checks: int = 0
    critical: bool = False
    errors: list = field(default_factory=list)
    delivered: int = 0  # payloads Datadog accepted during this cycle's flush (older ones included)
    pending_items: int = 0  # still in the outbox afterwards
    dropped_items: int = 0  # given up during this cycle (buffer full, too old, refused): lost, already logged

    @property
    def delivered_everything(self):
        return self.pending_items == 0


class AgentlessRunner:
    def __init__(self, init_config, instances, sender, state_dir=None, interval=60, clock=None, sleep=None,
                 hostname=None, max_buffer_items=20000, retries=3, backoff=1.0, only=None):
        self.init_config = init_config or {}
        self.instances = instances
        self.sender = sender
        self.state_dir = state_dir
        self.interval = interval
        self.clock = clock or toolkit_clock()
        self._sleep = sleep or self.clock.sleep
        self.hostname = hostname
        self.retries = retries
        self.backoff = backoff
        self.only = only
        self.root = StateStore.in_directory(state_dir, 'agentless') if state_dir else memory_store()
        self.outbox = Outbox(max_buffer_items, self.root, key='outbox')
        self.transformer = MetricTransformer(self.root.get('derivatives', {}))
        self.checks = []
        self.cycles = 0
        self._dropped_at_start = sum(self.outbox.dropped.values())

    # -- setup -----------------------------------------------------------------------------------

    def setup(self):
        """Build and initialize one check per instance; raises errors.UsageError on a bad config."""
        for index, instance in enumerate(self.instances, 1):
            namespace = instance_namespace(instance)
            store = StateStore.in_directory(self.state_dir, namespace) if self.state_dir else memory_store()
            check = RecordedCheck('genesys_cloud', self.init_config, [instance], clock=self.clock, state=store)
            check.check_id = f'genesys_cloud:{namespace.split(".", 1)[1]}'
            initialize(check, f'instance #{index}')
            self.checks.append(check)
        return self

    # -- one cycle -------------------------------------------------------------------------------

    @property
    def lost_items(self):
        """Items this process gave up on since it started (the outbox keeps its own all-time count)."""
        return sum(self.outbox.dropped.values()) - self._dropped_at_start

    def cycle(self) -> CycleReport:
        self.cycles += 1
        report = CycleReport()
        dropped_before = sum(self.outbox.dropped.values())
        payloads = []
        for check in self.checks:
            result = run_once(check, only=self.only)
            timestamp = self.clock.time()
            interval = int(check.instance.get('min_collection_interval') or self.interval)
            payloads.extend(build_payloads(result, timestamp, interval, self.transformer, self.hostname))
            report.metrics += len(result.metrics)
            report.events += len(result.events)
            report.service_checks += len(result.service_checks)
            report.critical = report.critical or result.critical
            if result.error:
                report.errors.append(check.sanitize(result.error))
                log.error('check run failed: %s', check.sanitize(result.error))
            for warning in check.get_warnings():
                log.warning('%s', check.sanitize(warning))
        self.root.set('derivatives', self.transformer.previous)
        self.outbox.add(payloads, enforce=False)
        report.delivered = self.flush()
        self.outbox.enforce_bound()
        report.pending_items = self.outbox.items
        report.dropped_items = sum(self.outbox.dropped.values()) - dropped_before
        log.info('cycle %d: collected %d metric points, %d events, %d service checks; delivered %d payload%s; '
                 'unsent: %s', self.cycles, report.metrics, report.events, report.service_checks, report.delivered,
                 '' if report.delivered == 1 else 's', describe(self.outbox.counts()))
        return report

    def flush(self) -> int:
        """Send the outbox oldest first; stop at the first payload that keeps failing (Datadog is down)."""
        self.outbox.expire(self.clock.time())
        delivered = 0
        for payload in list(self.outbox.payloads):
            error = self._deliver(payload)
            if error is None:
                self.outbox.remove(payload)
                delivered += 1
            elif error.permanent:
                self.outbox.reject(payload, f'Datadog refused it ({error})')
            else:
                left = self.outbox.counts()
                log.error('Datadog submission failed: %s; keeping %s for the next cycle', error, describe(left))
                break
        return delivered

    def _deliver(self, payload):
        for attempt in range(self.retries + 1):
            try:
                self.sender.send(payload)
                return None
            except SendFailed as e:
                if not e.retriable or attempt == self.retries:
                    return e
                delay = min(30.0, self.backoff * 2 ** attempt) * random.uniform(0.8, 1.2)
                if e.retry_after:
                    delay = max(delay, min(e.retry_after, 60.0))
                log.warning('Datadog submission failed (%s); retry %d/%d in %.1fs', e, attempt + 1, self.retries,
                            delay)
                self._sleep(delay)
        return None  # not reached

    # -- loop ------------------------------------------------------------------------------------

    def run(self, stop=None, max_cycles=None):
        """Run cycles every `interval` seconds until `stop` (a threading.Event) is set."""
        while True:
            started = self.clock.time()
            report = self.cycle()
            if max_cycles and self.cycles >= max_cycles:
                return report
            wait = max(0.0, self.interval - (self.clock.time() - started))
            if stop is not None:
                if stop.wait(wait):
                    return report
            else:
                self._sleep(wait)

    def close(self):
        self.outbox.save()
        self.sender.close()


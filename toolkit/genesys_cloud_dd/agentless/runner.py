"""Agent-less mode: run the same check class on a schedule and submit what it produces to the Datadog API.

One cycle = one check run per instance (exactly what the Agent would run), its submissions turned into
API payloads (payloads.py), appended to the outbox, then the outbox flushed oldest first. A failed
delivery is retried with backoff a few times; what still fails stays in the outbox for the next cycle.

With a state directory, everything a restart would otherwise lose lives in one SQLite database there
(statedir.py): the check's state (exactly what the Agent keeps in its persistent cache: job ids, cursors, counted
intervals, and each collector's next due time and last gauges, so a cron-style `--once` every minute keeps
each collector's cadence instead of running all of them every time), the previous samples of rates and
monotonic counts, and the outbox journal. One run owns the directory at a time: a second one stops at once
(StateDirBusy), and a directory that cannot be written stops the run before any request (StateDirUnwritable).
"""

import hashlib
import json
import logging
import random
import sqlite3
from dataclasses import dataclass, field

from ..check_runner import RecordedCheck, initialize, run_once
from ..fixed_clock import toolkit_clock
from .outbox import Outbox, describe
from .payloads import MetricTransformer, build_payloads
from .sender import SendFailed
from .statedir import StateDirectory

GAVE_UP = object()  # an event not sent again: its delivery is uncertain twice over (logged by the outbox)

log = logging.getLogger('genesys_cloud_dd.agentless')


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
    journal_error: str = ''  # the outbox could not be updated (full disk): delivery stopped, already logged

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
        # Raises StateDirBusy or StateDirUnwritable before anything is read, collected or sent.
        self.directory = StateDirectory(state_dir).open()
        self.root = self.directory.store('agentless')
        self.root.on_bad_value(lambda fmt, *args: log.warning(fmt, *args))
        self.outbox = Outbox(max_buffer_items, self.directory)
        self.transformer = MetricTransformer(self.root.get('derivatives', {}, shape=dict[str, tuple[float, float]]))
        self.checks = []
        self.cycles = 0
        self._dropped_at_start = sum(self.outbox.dropped.values()) - self.directory.lost_at_open
        self.journal_error = ''

    # -- setup -----------------------------------------------------------------------------------

    def setup(self):
        """Build and initialize one check per instance; raises errors.UsageError on a bad config."""
        for index, instance in enumerate(self.instances, 1):
            namespace = instance_namespace(instance)
            store = self.directory.store(namespace)
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
        self.journal_error = ''
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
        try:
            self.root.set('derivatives', self.transformer.previous)
            self.outbox.add(payloads, enforce=False)
        except (OSError, sqlite3.Error) as e:
            self.journal_error = f'cannot record this cycle in {self.state_dir or "memory"} ({e})'
            log.error('%s; its data is lost', self.journal_error)
            self.outbox.dropped.update(self.outbox.counts(payloads))
        report.delivered = self.flush()
        try:
            self.outbox.enforce_bound()
        except sqlite3.Error:
            pass  # already reported by flush
        report.journal_error = self.journal_error
        report.pending_items = self.outbox.items
        report.dropped_items = sum(self.outbox.dropped.values()) - dropped_before
        log.info('cycle %d: collected %d metric points, %d events, %d service checks; delivered %d payload%s; '
                 'unsent: %s', self.cycles, report.metrics, report.events, report.service_checks, report.delivered,
                 '' if report.delivered == 1 else 's', describe(self.outbox.counts()))
        return report

    def flush(self) -> int:
        """Send the outbox oldest first; stop at the first payload that keeps failing (Datadog is down)."""
        delivered = 0
        try:
            self.outbox.expire(self.clock.time())
            for entry in self.outbox.entries():
                error = self._deliver(entry)
                if error is GAVE_UP:
                    continue
                if error is None:
                    delivered += 1
                elif error.permanent:
                    self.outbox.reject(entry, f'Datadog refused it ({error})')
                else:
                    left = self.outbox.counts()
                    log.error('Datadog submission failed: %s; keeping %s for the next cycle', error, describe(left))
                    break
        except sqlite3.Error as e:
            self.journal_error = f'cannot update the outbox in {self.state_dir or "memory"} ({e})'
            log.error('%s; delivery stops for this cycle, what was not acknowledged is sent again later',
                      self.journal_error)
        return delivered

    def _deliver(self, entry):
        for attempt in range(self.retries + 1):
            if not self.outbox.may_send(entry):
                return GAVE_UP
            self.outbox.sending(entry)
            try:
                self.sender.send(entry.payload)
            except SendFailed as e:
                if getattr(e, 'after_sending', False):
                    log.warning('outbox record %d: %s after it was sent; Datadog may have it', entry.id, e)
                else:
                    self.outbox.not_sent(entry)
                if not e.retriable or attempt == self.retries:
                    return e
                delay = min(30.0, self.backoff * 2 ** attempt) * random.uniform(0.8, 1.2)
                if e.retry_after:
                    delay = max(delay, min(e.retry_after, 60.0))
                log.warning('Datadog submission failed (%s); retry %d/%d in %.1fs', e, attempt + 1, self.retries,
                            delay)
                self._sleep(delay)
                continue
            self.outbox.delivered(entry)
            return None
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
        self.sender.close()
        self.directory.close()


"""Runs each enabled collector when it is due, isolates its failures, and reports the check's own health."""

import time

from .client import (
    ApiUnreachable,
    AuthenticationError,
    GenesysApiError,
    PermissionDenied,
    RateLimited,
    RequestBudgetExhausted,
)
from .client.auth import TOKEN_ENDPOINT
from .client.jobs import JobFailed
from .collectors.base import OWN_REQUESTS_KEY, OWNER_KEY, Owner, OwnRequests
from .state import StateUnwritable

CONTINUITY = 300  # seconds without a run after which this instance may have run elsewhere meanwhile
RETRY_AFTER_FAILURE = 300  # seconds: a failed slow collector is retried sooner than its cadence, not every run
DEFAULT_RESERVE = 2  # requests kept for a due collector whose cost is not measured yet


class Outcome:
    OK, FAILED, DEFERRED, IDLE = 'ok', 'failed', 'deferred', 'idle'


class Scheduler:
    def __init__(self, check, collectors, clock, state=None):
        self.check = check
        self.state = state
        self.collectors = collectors  # in priority order: cheap, fresh data first
        self.clock = clock
        self.last_errors = {}  # collector name -> GenesysApiError or message
        self.outcomes = {}
        self.overdue = {}  # collector name -> seconds it has been due but deferred for want of budget
        self._deferred_since = {}
        self._cost = {}  # collector name -> requests its last complete collection took
        self.spent = {}  # collector name -> requests it spent in the last run it was due (complete or not)
        now = clock.time()
        self._reanchor_stale_cursors(now)
        self._next_due = {}
        for collector in collectors:
            next_due = collector.restore(now)
            if next_due is not None:
                self._next_due[collector.name] = next_due

    def _reanchor_stale_cursors(self, now):
        if self.state is None:
            return
        written = (self.state.get(OWNER_KEY, shape=Owner) or {}).get('written')
        age = None if written is None else now - written
        dropped = [c.name for c in self.collectors if c.forget_cursors(age)]
        run_interval = float((getattr(self.check, 'instance', None) or {}).get('min_collection_interval') or 60)
        if age is None or not 0 <= age <= max(CONTINUITY, 2 * run_interval):
            self._tally(now, 0, restart=True)  # today's own count no longer covers every request made today
        if dropped:
            when = 'of unknown age' if age is None else f'{age / 60:.0f} min old'
            self.check.log.info('persisted state is %s, older than %s can trust (the instance may have run '
                                'elsewhere meanwhile: a cluster check moved back, a restored backup, a long stop); '
                                'they start afresh and count nothing twice, at most one window is not counted',
                                when, ', '.join(dropped))
        self._heartbeat(now)

    def _heartbeat(self, now):
        if self.state is not None:
            try:
                self.state.set(OWNER_KEY, {'written': now})
            except OSError:
                pass  # a state that cannot be written is reported by the collector that needs it

    def _tally(self, now, requests, restart=False):
        """Add this run's API requests to the day's own count (restart: the count starts over as partial)."""
        if self.state is None:
            return
        day = time.strftime('%Y-%m-%d', time.gmtime(now))
        tally = self.state.get(OWN_REQUESTS_KEY, shape=OwnRequests) or {}
        made, since = tally.get(day, (0, now))
        tally[day] = (requests, now) if restart else (made + requests, since)
        try:
            self.state.set(OWN_REQUESTS_KEY, {d: list(v) for d, v in sorted(tally.items())[-3:]})
        except OSError:
            pass

    def due(self, collector) -> bool:
        return self.clock.time() >= self._next_due.get(collector.name, 0)

    def run(self, only=None):
        """Run due collectors (or those named in `only`, regardless of cadence); return their outcomes."""
        try:
            return self._run(only)
        finally:
            now = self.clock.time()
            self._heartbeat(now)
            counts = getattr(self.check.client, 'request_counts', None) or {}
            self._tally(now, sum(n for endpoint, n in counts.items() if endpoint != TOKEN_ENDPOINT))

    def _run(self, only):
        outcomes = {}
        identity = next((c for c in self.collectors if c.enabled and getattr(c, 'identifies_org', False)), None)
        if identity is not None and not identity.known:
            # Data without org_id/org_name would merge with other orgs' series: nothing else runs (or repeats
            # its gauges) until the org lookup has succeeded once.
            outcomes[identity.name] = self._run_one(identity) if only or self.due(identity) else Outcome.IDLE
            if not identity.known:
                self.outcomes = outcomes
                return outcomes
        enabled = [c for c in self.collectors if c.enabled and (not only or c.name in only) and c.name not in outcomes]
        due = [c for c in enabled if only or self.due(c)]
        for collector in enabled:
            if collector not in due:
                collector.resubmit_gauges()
                outcomes[collector.name] = Outcome.IDLE
                continue
            later = due[due.index(collector) + 1:]
            self.check.client.allow(self._share(later))
            try:
                outcomes[collector.name] = self._run_one(collector)
            finally:
                self.check.client.allow(None)
            if _cannot_log_in(self.last_errors.get(collector.name)):
                # Every other collector would fail the same way and spend requests doing it.
                break
        self.outcomes = outcomes
        return outcomes

    def _share(self, later):
        """What the next collector may spend: the run's budget less what the due collectors after it need
        (their last measured cost, at most an even share each), so one listing cannot starve the rest."""
        if not later:
            return None  # the last due collector starves nobody: pacing alone bounds it
        available = self.check.client.requests_available()
        fair = max(1, available // (len(later) + 1))
        reserved = sum(min(self._cost.get(c.name, DEFAULT_RESERVE), fair) for c in later)
        return max(1, available - reserved)

    def _run_one(self, collector):
        name = collector.name
        started = time.perf_counter()
        spent_before = sum(self.check.client.request_counts.values())
        try:
            collector.run_collection()
        except RequestBudgetExhausted as e:
            return self._deferred(collector, e)  # not marked done: it runs first thing when the budget allows
        except GenesysApiError as e:
            return self._failed(collector, e, retry_after=getattr(e, 'retry_after', None))
        except JobFailed as e:
            return self._failed(collector, f'{e}; a new job will be submitted on the next collection')
        except StateUnwritable as e:
            return self._failed(collector, f'{e}; the collection stopped there and resumes from what was saved')
        except Exception as e:  # a response whose shape we did not expect must not stop the other collectors
            self.check.log.debug('%s: unexpected error', name, exc_info=True)
            return self._failed(collector, f'unexpected response shape ({type(e).__name__}: {e})')
        finally:
            self.check.gauge('check.collector.duration', time.perf_counter() - started,
                             tags=collector.base_tags + [f'collector:{name}'])
            # Whatever the outcome: a deferred listing that spent requests has moved on (it resumes where it
            # stopped) rather than waited.
            self.spent[name] = sum(self.check.client.request_counts.values()) - spent_before
        self._cost[name] = sum(self.check.client.request_counts.values()) - spent_before
        self._next_due[name] = self.clock.time() + collector.interval
        collector.remember_next_due(self._next_due[name])
        self.last_errors.pop(name, None)
        self._deferred_since.pop(name, None)
        self.overdue.pop(name, None)
        return Outcome.OK

    def _deferred(self, collector, reason):
        name = collector.name
        self.last_errors.pop(name, None)  # waiting for budget is not failing: no stale error keeps it down
        now = self.clock.time()
        since = self._deferred_since.setdefault(name, self._next_due.get(name) or now)
        self.overdue[name] = now - since
        if self.overdue[name] > collector.interval:
            # Deferred once is normal pacing; deferred for longer than its own cadence means its data is missing.
            self.check.warning('%s: deferred for %.0fs, longer than its %.0fs interval, for want of request '
                               'budget (%s); raise max_requests_per_minute or lengthen slow collectors\' intervals',
                               name, self.overdue[name], collector.interval, reason)
        else:
            self.check.log.info('%s: deferred to a later run (%s)', name, reason)
        return Outcome.DEFERRED

    def _failed(self, collector, error, retry_after=None):
        name = collector.name
        self._deferred_since.pop(name, None)
        self.overdue.pop(name, None)
        self.last_errors[name] = error
        self.check.warning('%s: %s', name, error)
        delay = min(collector.interval, RETRY_AFTER_FAILURE)
        if retry_after and isinstance(error, (RateLimited, AuthenticationError)):
            delay = max(delay, retry_after)
        if isinstance(error, PermissionDenied):
            delay = max(delay, collector.interval)  # the role will not change by itself within minutes
        self._next_due[name] = self.clock.time() + delay
        return Outcome.FAILED


def _cannot_log_in(error) -> bool:
    return isinstance(error, (AuthenticationError, ApiUnreachable)) and error.endpoint == TOKEN_ENDPOINT

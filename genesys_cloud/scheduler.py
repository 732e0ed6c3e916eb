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
from .client.jobs import JobFailed

TOKEN_ENDPOINT = 'POST /oauth/token'
RETRY_AFTER_FAILURE = 300  # seconds: a failed slow collector is retried sooner than its cadence, not every run


class Outcome:
    OK, FAILED, DEFERRED, IDLE = 'ok', 'failed', 'deferred', 'idle'


class Scheduler:
    def __init__(self, check, collectors, clock):
        self.check = check
        self.collectors = collectors  # in priority order: cheap, fresh data first
        self.clock = clock
        self.last_errors = {}  # collector name -> GenesysApiError or message
        self.outcomes = {}
        now = clock.time()
        self._next_due = {}
        for collector in collectors:
            next_due = collector.restore(now)
            if next_due is not None:
                self._next_due[collector.name] = next_due

    def due(self, collector) -> bool:
        return self.clock.time() >= self._next_due.get(collector.name, 0)

    def run(self, only=None):
        """Run due collectors (or those named in `only`, regardless of cadence); return their outcomes."""
        outcomes = {}
        for collector in self.collectors:
            if not collector.enabled or (only and collector.name not in only):
                continue
            if not only and not self.due(collector):
                collector.resubmit_gauges()
                outcomes[collector.name] = Outcome.IDLE
                continue
            outcomes[collector.name] = self._run_one(collector)
            if _cannot_log_in(self.last_errors.get(collector.name)):
                # Every other collector would fail the same way and spend requests doing it.
                break
        self.outcomes = outcomes
        return outcomes

    def _run_one(self, collector):
        name = collector.name
        started = time.perf_counter()
        try:
            collector.run_collection()
        except RequestBudgetExhausted as e:
            self.check.log.info('%s: deferred to a later run (%s)', name, e)
            self.last_errors.pop(name, None)  # waiting for budget is not failing: no stale error keeps it down
            return Outcome.DEFERRED  # not marked done: it runs first thing when the budget allows
        except GenesysApiError as e:
            return self._failed(collector, e, retry_after=getattr(e, 'retry_after', None))
        except JobFailed as e:
            return self._failed(collector, f'{e}; a new job will be submitted on the next collection')
        except Exception as e:  # a response whose shape we did not expect must not stop the other collectors
            self.check.log.debug('%s: unexpected error', name, exc_info=True)
            return self._failed(collector, f'unexpected response shape ({type(e).__name__}: {e})')
        finally:
            self.check.gauge('check.collector.duration', time.perf_counter() - started,
                             tags=collector.base_tags + [f'collector:{name}'])
        self._next_due[name] = self.clock.time() + collector.interval
        collector.remember_next_due(self._next_due[name])
        self.last_errors.pop(name, None)
        return Outcome.OK

    def _failed(self, collector, error, retry_after=None):
        name = collector.name
        self.last_errors[name] = error
        self.check.warning('%s: %s', name, error)
        delay = min(collector.interval, RETRY_AFTER_FAILURE)
        if isinstance(error, RateLimited) and retry_after:
            delay = max(delay, retry_after)
        if isinstance(error, PermissionDenied):
            delay = max(delay, collector.interval)  # the role will not change by itself within minutes
        self._next_due[name] = self.clock.time() + delay
        return Outcome.FAILED


def _cannot_log_in(error) -> bool:
    return isinstance(error, (AuthenticationError, ApiUnreachable)) and error.endpoint == TOKEN_ENDPOINT

"""`GENESYS_CLOUD_DD_CLOCK`: run any toolkit command as if it started at a fixed UTC instant.

The README's samples, the demo and `make docs-samples` are made this way, so the same command against the same
seed prints the same story on any day. The clock still ticks from that instant (waits and timeouts are real);
unset, the toolkit runs on the machine's clock.
"""

import os
import time
from datetime import datetime, timezone

from datadog_checks.genesys_cloud.clock import Clock

from .errors import UsageError

ENV = 'GENESYS_CLOUD_DD_CLOCK'
# When this process started, on both clocks: every StartedAt and every log line of a process agree.
_STARTED_REAL, _STARTED_MONOTONIC = time.time(), time.monotonic()


class StartedAt(Clock):
    """Wall-clock time shifted so that the process began at `start`."""

    def __init__(self, start: datetime):
        self._offset = start.timestamp() - _STARTED_MONOTONIC

    def time(self) -> float:
        return self._offset + time.monotonic()


def parse(text: str) -> datetime:
    """An ISO-8601 instant (`2026-11-20T15:00:00Z`); naive means UTC. UsageError (exit 2) when it is not one."""
    try:
        when = datetime.fromisoformat(text.strip().replace('Z', '+00:00'))
    except ValueError:
        raise UsageError(f'{text!r} is not an ISO-8601 instant such as 2026-11-20T15:00:00Z') from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _fixed_start(environ=None):
    value = (os.environ if environ is None else environ).get(ENV, '').strip()
    return parse(value) if value else None


def toolkit_clock(environ=None) -> Clock:
    """The clock toolkit commands run on: StartedAt(GENESYS_CLOUD_DD_CLOCK) when it is set, else the real one."""
    try:
        start = _fixed_start(environ)
    except UsageError as e:
        raise UsageError(f'{ENV}: {e}') from None
    return StartedAt(start) if start else Clock()


def log_time(created=None) -> time.struct_time:
    """The time a log line shows: local time, or under GENESYS_CLOUD_DD_CLOCK that clock's (in UTC)."""
    created = time.time() if created is None else created
    try:
        start = _fixed_start()
    except UsageError:
        start = None  # said by the command itself (cli.main checks the variable first)
    if start is None:
        return time.localtime(created)
    return time.gmtime(start.timestamp() + created - _STARTED_REAL)


def log_times_follow_toolkit_clock(logger) -> None:
    """The formatters of `logger`'s handlers show log_time()."""
    for handler in logger.handlers:
        if handler.formatter is not None:
            handler.formatter.converter = log_time

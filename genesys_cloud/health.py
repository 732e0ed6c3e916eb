"""The check's report on itself: can it connect, which collectors work, and what it spent of the org's limits."""

from datadog_checks.base import AgentCheck

from .client import ApiUnreachable, AuthenticationError, PermissionDenied
from .client.auth import TOKEN_ENDPOINT
from .client.errors import LoginFailed

CAN_CONNECT = 'can_connect'


class HealthReporter:
    def __init__(self, check):
        self.check = check
        self._last_status = None
        self._last_message = ''

    def report(self, scheduler, client, base_tags):
        self._connection(scheduler, client, base_tags)
        for collector in scheduler.collectors:
            if collector.enabled and collector.name in scheduler.outcomes:
                up = 0 if collector.name in scheduler.last_errors else 1
                self.check.gauge('check.collector.up', up, tags=base_tags + [f'collector:{collector.name}'])
        for name, seconds in scheduler.overdue.items():
            self.check.gauge('check.collector.overdue', seconds, tags=base_tags + [f'collector:{name}'])
        for endpoint, n in client.request_counts.items():
            self.check.count('check.api_requests', n, tags=base_tags + [f'endpoint:{endpoint}'])
        for endpoint, n in client.rate_limited_counts.items():
            self.check.count('check.rate_limited', n, tags=base_tags + [f'endpoint:{endpoint}'])
        for endpoint, n in client.failed_counts.items():
            self.check.count('check.api_errors', n, tags=base_tags + [f'endpoint:{endpoint}'])

    def _connection(self, scheduler, client, base_tags):
        errors = scheduler.last_errors.values()
        # Failing to log in, or no request at all getting through, means the check cannot work; one endpoint
        # failing while others answer is that collector's problem, reported as a warning.
        nothing_worked = not client.succeeded
        auth = [e for e in errors if isinstance(e, AuthenticationError) and (nothing_worked or _login(e))]
        unreachable = [e for e in errors if isinstance(e, ApiUnreachable) and (nothing_worked or _login(e))]
        denied = {name: e for name, e in scheduler.last_errors.items() if isinstance(e, PermissionDenied)}
        failing = {name: e for name, e in scheduler.last_errors.items()
                   if isinstance(e, (AuthenticationError, ApiUnreachable))}
        if auth:
            what = 'login failed' if isinstance(auth[0], LoginFailed) else 'authentication failed'
            status, message = AgentCheck.CRITICAL, f'{what}: {auth[0]}'
        elif unreachable:
            status, message = AgentCheck.CRITICAL, f'Genesys Cloud unreachable: {unreachable[0]}'
        elif client.succeeded or denied or self._last_status is not None:  # a 403 is an answer: connected
            if not client.succeeded and self._last_status == AgentCheck.CRITICAL:
                status, message = self._last_status, self._last_message  # nothing ran since the failure
            elif denied:
                missing = '; '.join(
                    f'{name} needs one of {", ".join(e.permissions) or "an unknown permission"}'
                    for name, e in sorted(denied.items())
                )
                status, message = AgentCheck.WARNING, f'connected, but permissions are missing: {missing}'
            elif failing:
                name, error = sorted(failing.items())[0]
                status, message = AgentCheck.WARNING, f'connected, but {name} failed: {error}'
            else:
                status, message = AgentCheck.OK, ''
        else:
            return  # nothing has run yet
        problems = getattr(getattr(self.check, 'notifications', None), 'problems', None)
        if problems and status != AgentCheck.CRITICAL:
            # What a lost topic or channel covered is polled meanwhile: data keeps flowing, but at a request cost.
            note = 'notifications fall back to polling: ' + '; '.join(problems[:3])
            status = AgentCheck.WARNING
            message = f'{message}; {note}' if message else f'connected, but {note}'
        self._last_status, self._last_message = status, message
        self.check.gauge('api.can_connect', 0 if status == AgentCheck.CRITICAL else 1, tags=base_tags)
        self.check.service_check(CAN_CONNECT, status, tags=base_tags, message=message or None)


def _login(error) -> bool:
    return error.endpoint == TOKEN_ENDPOINT

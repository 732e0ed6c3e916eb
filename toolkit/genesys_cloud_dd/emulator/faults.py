"""Injected failures: error statuses, latency, broken bodies, dropped connections, stuck or failed jobs."""

import threading
from dataclasses import asdict, dataclass
from typing import Optional

ALL_API_ROUTES = '*'


@dataclass
class Fault:
    target: str  # 'METHOD /route/template', or '*' for every API route (the login endpoint excluded)
    status: Optional[int] = None
    latency: float = 0.0  # real seconds: meant for client timeouts, so keep it small and opt-in
    malformed: bool = False  # 200 with a truncated JSON body
    wrong_shape: bool = False  # 200 with valid JSON of the wrong shape
    stuck_job: bool = False  # a job created or polled through this route stays running
    failed_job: bool = False  # ... or ends failed
    retry_after: Optional[int] = None  # Retry-After header (with status 429/503)
    times: Optional[int] = None  # how many requests it hits; None = until cleared
    drop_connection: bool = False  # close the socket without answering
    hits: int = 0

    def matches(self, key, is_api):
        if self.times is not None and self.hits >= self.times:
            return False
        return self.target == key or (self.target == ALL_API_ROUTES and is_api)

    def as_dict(self):
        return asdict(self)


class Faults:
    def __init__(self, known_targets=None):
        self._faults = []
        self._lock = threading.Lock()
        self._known_targets = known_targets

    def add(self, target, status=None, latency=0.0, malformed=False, wrong_shape=False, stuck_job=False,
            failed_job=False, retry_after=None, times=None, drop_connection=False) -> Fault:
        target = _normalise(target)
        if self._known_targets is not None and target != ALL_API_ROUTES and target not in self._known_targets():
            # A typo would otherwise make a fault test pass for the wrong reason.
            raise ValueError(f'no emulator route {target!r}; targets are "METHOD /template" or "*"')
        fault = Fault(target, status, float(latency), malformed, wrong_shape, stuck_job, failed_job, retry_after,
                      times, drop_connection)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, key, is_api) -> Optional[Fault]:
        """The first active fault for this request, counted as one hit."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(key, is_api):
                    fault.hits += 1
                    return fault
        return None

    def clear(self):
        with self._lock:
            self._faults.clear()

    def __iter__(self):
        with self._lock:
            return iter(list(self._faults))

    def __len__(self):
        return len(self._faults)


def _normalise(target):
    if target == ALL_API_ROUTES:
        return target
    method, _, path = target.strip().partition(' ')
    return f'{method.upper()} {path.strip()}'

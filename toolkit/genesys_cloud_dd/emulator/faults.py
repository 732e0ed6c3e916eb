"""Injected failures: error statuses, latency, broken bodies, dropped connections, stuck or failed jobs, paging
that never ends, absurd Retry-After values, error bodies echoing the Authorization header."""

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
    retry_after: Optional[object] = None  # Retry-After header (with status 429/503), sent as given: 5, 1e9, 'inf'
    paging_loop: Optional[str] = None  # 'self' (nextUri to itself), 'cycle' (two pages), 'growing' (pageCount)
    html: bool = False  # the error status comes with an HTML body (a proxy's or load balancer's page)
    slow: float = 0.0  # simulated seconds the answer takes: advances the emulator's FakeClock, no real wait
    echo_authorization: bool = False  # 400 whose error message quotes the request's Authorization header...
    echo_padding: int = 0  # ...after this many characters, and then the request body (secrets near a cut-off)
    corrupt: Optional[list] = None  # [{'path': ['entities', 1], 'set': {...}, 'drop': [...]}] applied to a 200 body
    corrupted: int = 0  # how many times `corrupt` found its path
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
            failed_job=False, retry_after=None, times=None, drop_connection=False, paging_loop=None, html=False,
            slow=0.0, echo_authorization=False, echo_padding=0, corrupt=None) -> Fault:
        target = _normalise(target)
        if self._known_targets is not None and target != ALL_API_ROUTES and target not in self._known_targets():
            # A typo would otherwise make a fault test pass for the wrong reason.
            raise ValueError(f'no emulator route {target!r}; targets are "METHOD /template" or "*"')
        if paging_loop not in (None, 'self', 'cycle', 'growing'):
            raise ValueError(f'paging_loop is self, cycle or growing, not {paging_loop!r}')
        fault = Fault(target, status=status, latency=float(latency), malformed=malformed, wrong_shape=wrong_shape,
                      stuck_job=stuck_job, failed_job=failed_job, retry_after=retry_after, times=times,
                      drop_connection=drop_connection, paging_loop=paging_loop, html=html, slow=float(slow),
                      echo_authorization=echo_authorization, echo_padding=int(echo_padding),
                      corrupt=[corrupt] if isinstance(corrupt, dict) else corrupt)
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

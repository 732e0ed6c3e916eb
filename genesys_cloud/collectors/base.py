"""What every collector shares: its config section, submission helpers, persisted state and remembered gauges."""

import math
from dataclasses import dataclass, field
from typing import Union

from typing_extensions import TypedDict

from ..config_models.section_defaults import SECTION_DEFAULTS

# Per-collector persisted keys: the next due time (written after every collection) and the last gauges
# (written only when they changed: a daily source such as api_usage repeats thousands of identical gauges).
SCHEDULE_KEY = '_schedule'
GAUGES_KEY = '_gauges'
# Written by the scheduler after every run: when this instance's state was last kept by a running check.
OWNER_KEY = '_owner'


# Requests this instance made per UTC day, API only (the login service is not in the Usage API): day ->
# (requests, counted continuously since). api_usage compares it with what the Usage API reports for the check's
# own OAuth client, to find another Agent or runner using the same instance.
OWN_REQUESTS_KEY = '_own_requests'
OwnRequests = dict[str, tuple[int, float]]


class Owner(TypedDict):
    written: float


class Schedule(TypedDict):
    next_due: float


Gauges = list[tuple[str, Union[int, float], list[str]]]


@dataclass(frozen=True)
class OrgSize:
    """What a collection's request count depends on; the documented budget is a function of it."""

    users: int
    queues: int
    oauth_clients: int
    limit_namespaces: int = 9  # of the configured limit namespaces, how many the org has
    not_responding: int = 0  # agents currently NOT_RESPONDING (their details are paged)
    # object_limits: namespaces holding the object limits it maps, and the objects it pages through
    object_limit_namespaces: int = 21
    groups: int = 0
    data_tables: int = 0
    integrations: int = 0
    data_actions: int = 0
    teams: int = 0
    work_types: int = 0
    workbins: int = 0
    knowledge_bases: int = 0


def describe(item) -> str:
    """A short name for an API item in a log line: its id when it has one."""
    if isinstance(item, dict) and isinstance(item.get('id'), (str, int)):
        return f'id {item["id"]}'
    return repr(item)[:80]


def pages(items: int, page_size: int) -> int:
    """Requests to list `items` at `page_size` a page (an empty listing still costs one)."""
    return max(1, math.ceil(items / page_size))


@dataclass
class CollectorContext:
    """What the check hands each collector."""

    check: object  # the AgentCheck: metrics, events and logging go through it
    client: object  # GenesysClient
    state: object  # StateStore (root; each collector gets its own scope)
    clock: object
    config: object  # the validated InstanceConfig: each collector reads its own section of it
    base_tags: list = field(default_factory=list)  # org, region and user tags; filled once the org is known
    shared: dict = field(default_factory=dict)  # lookups collectors share within the instance (e.g. queue names)


class Collector:
    """One API source mapped to metrics. `name` is also its config section: `self.config` is that section's
    validated model (config_models), with every option defaulted and range-checked, so a collector reads
    `self.config.batch_size` and never re-checks it."""

    name = ''
    permissions = ()
    # Persisted positions that decide what is counted or announced next (cursors, seen buckets, announced ids).
    # Older than `trust_horizon`, they are dropped before the first collection: the instance may have run
    # elsewhere meanwhile (a cluster check moved and came back, a cache restored from a backup, a long stop),
    # and resuming from them would count again what another owner counted.
    cursor_keys = ()

    def __init__(self, ctx: CollectorContext):
        self.ctx = ctx
        self.client = ctx.client
        self.clock = ctx.clock
        self.log = ctx.check.log
        self.state = ctx.state.scoped(self.name)
        self.config = getattr(ctx.config, self.name)
        self._gauges = []  # (name, value, tags) of the last successful collection
        self._pending_gauges = None  # this collection's, while it runs and when it repeats them

    @classmethod
    def default(cls, option):
        """The option's default (config_models/section_defaults.py): what `minimum_requests` is documented for."""
        return SECTION_DEFAULTS[cls.name][option]

    @classmethod
    def minimum_requests(cls, size: OrgSize) -> int:
        """Requests one collection makes from a cold start with default options: the documented budget,
        which tests/test_request_budget.py holds the code to and `make bench` prints beside measured counts."""
        raise NotImplementedError

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    @property
    def interval(self) -> float:
        return float(self.config.interval)

    @property
    def trust_horizon(self) -> float:
        """Seconds a persisted cursor stays trustworthy: twice the interval unless a collector states a shorter
        catch-up window (a plain restart is shorter than this; a move, a restore or a long outage is not)."""
        return 2 * self.interval

    def forget_cursors(self, age) -> bool:
        """Drop the cursors (see `cursor_keys`) of state `age` seconds old (None: unknown) when the horizon is
        passed; True when there were any. The first collection then re-anchors as after a lost cache."""
        if age is not None and -60 <= age <= self.trust_horizon:
            return False
        held = [key for key in self.cursor_keys if self.state.get(key) is not None]
        for key in held:
            self.state.delete(key)
        return bool(held)

    @property
    def base_tags(self) -> list:
        return self.ctx.base_tags

    def collect(self) -> None:
        raise NotImplementedError

    def per_item(self, what, item, build):
        """build(item), or None with one log line naming the item when its shape is not what the API documents:
        one malformed item in a batch is skipped, the rest of the batch goes on."""
        try:
            return build(item)
        except (AttributeError, TypeError, KeyError, ValueError, IndexError, OverflowError) as e:
            self.log.warning('%s: skipped a malformed %s %s (%s: %s)', self.name, what, describe(item),
                             type(e).__name__, e)
            return None

    # -- submission --------------------------------------------------------------------------------

    @property
    def repeats_gauges(self) -> bool:
        """Whether check runs fall between this collector's collections, so that its last gauges are repeated
        there (and persisted, so that a restart repeats them too). A collector due every run keeps none: at 5,000
        queues that would be 69,000 gauges held, and 11 MB of JSON written to the persistent cache each run."""
        # The configured cadence as well as the current one: api_usage comes back every run while its job runs.
        cadence = max(float(self.config.interval), self.interval)
        return cadence > float(self.ctx.config.min_collection_interval or 60)

    def gauge(self, name, value, tags=None):
        tags = list(tags or [])
        if self._pending_gauges is not None:
            self._pending_gauges.append((name, value, tags))
        self.ctx.check.gauge(name, value, tags=self.base_tags + tags)

    def count(self, name, value, tags=None):
        self.ctx.check.count(name, value, tags=self.base_tags + list(tags or []))

    def event(self, title, text, tags=None, alert_type='info', aggregation_key=None, timestamp=None):
        self.ctx.check.event(
            {
                'timestamp': int(timestamp if timestamp is not None else self.clock.time()),
                'event_type': 'genesys_cloud',
                'source_type_name': 'genesys_cloud',
                'msg_title': title[:100],
                'msg_text': text[:4000],
                'alert_type': alert_type,
                'aggregation_key': (aggregation_key or '')[:100] or None,
                'tags': self.base_tags + list(tags or []),
            }
        )

    # -- used by the scheduler -------------------------------------------------------------------

    def run_collection(self) -> None:
        keeping = self.repeats_gauges
        self._pending_gauges = [] if keeping else None
        try:
            self.collect()
        except BaseException:
            self.forget_gauges()  # never keep re-sending numbers from a collection that failed
            raise
        if not keeping:
            if self._gauges:  # kept before the interval was shortened to the run's
                self._gauges = []
                self.state.delete(GAUGES_KEY)
            return
        if self._pending_gauges != self._gauges:
            # Persisted, so an Agent restart re-sends them instead of collecting early.
            self.state.set(GAUGES_KEY, self._pending_gauges)
        self._gauges = self._pending_gauges

    def restore(self, now):
        """After a restart: the time this collector is next due (None: due now) and its last gauges.

        The gauges come back whenever the saved schedule is current (at most one interval overdue), also when
        the collector is due at once: a collection that succeeds replaces them, one that fails forgets them,
        and a collector can draw them meanwhile (api_usage while its job still runs)."""
        next_due = (self.state.get(SCHEDULE_KEY, shape=Schedule) or {}).get('next_due')
        if not isinstance(next_due, (int, float)) or not now - self.interval < next_due <= now + self.interval:
            self.state.delete(GAUGES_KEY)  # unknown, stale, or from a longer cadence than configured now
            return None
        self._gauges = [(name, value, list(tags))
                        for name, value, tags in self.state.get(GAUGES_KEY, shape=Gauges) or []]
        return next_due if next_due > now else None

    def remember_next_due(self, next_due) -> None:
        self.state.set(SCHEDULE_KEY, {'next_due': next_due})

    def resubmit_gauges(self) -> None:
        """Between collections, repeat the last values so a slow cadence still draws a continuous line."""
        for name, value, tags in self._gauges:
            self.ctx.check.gauge(name, value, tags=self.base_tags + tags)

    def forget_gauges(self) -> None:
        self._gauges = []
        self.state.delete(GAUGES_KEY)
        self.state.delete(SCHEDULE_KEY)

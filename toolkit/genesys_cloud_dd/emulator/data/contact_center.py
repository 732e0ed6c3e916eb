"""Contact-center ground truth: agent presence and routing status, queued conversations, Data Action runs.

Everything is a pure function of the org seed, the entity ids and the time asked about, so the emulator and
the tests compute the same numbers at any FakeClock instant without storing timelines:

- Agents (users with `is_agent`) change state at "change points": each minute of a user's own clock (a
  per-user offset of 0-59 s) is a change point with probability CHANGE_PER_MINUTE, and draws a new
  (system presence, routing status) from STATES. A state's start date is the first change point of the run
  of equal values, so `routingStatusDate`/`presenceDate` are real entry times.
- Queued conversations arrive per (queue, media type) in one-minute buckets; each waits, rings an agent
  (alerting) and is then interacting. A queue's media types and busyness are drawn from its id.
- Data Action executions happen per (action, minute) with a duration and an outcome (success or an error
  type and HTTP status).

Semantics the emulator chooses where the platform's are UNVERIFIED (see the reference, section 14):
`oLongestWaiting.calculatedMetricValue` is the epoch-ms start of the longest wait
(`contact_center(org).longest_waiting_as = 'duration'` switches it to elapsed ms, so tests prove the check
handles both); Data Action `errorType`
values and `responseStatus` strings; successes carry no `errorType`.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

MASK = (1 << 64) - 1

# -- hashing ---------------------------------------------------------------------------------------


def mix(*values) -> int:
    """splitmix64 over ints: fast, deterministic across processes (unlike hash() of strings)."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = ((x ^ (v & MASK)) * 0xBF58476D1CE4E5B9) & MASK
        x ^= x >> 31
        x = (x * 0x94D049BB133111EB) & MASK
        x ^= x >> 29
    return x


def unit(*values) -> float:
    """A float in [0, 1) from the hash of `values`."""
    return mix(*values) / 2.0**64


def id_int(entity_id: str) -> int:
    return int(entity_id.replace('-', ''), 16) & MASK


def make_uuid(*values) -> str:
    return str(uuid.UUID(int=(mix(*values) << 64) | mix(*values, 1), version=4))


# -- agents ----------------------------------------------------------------------------------------

ROUTING_STATUSES = ('OFF_QUEUE', 'IDLE', 'INTERACTING', 'NOT_RESPONDING', 'COMMUNICATING')
SYSTEM_PRESENCES = ('AVAILABLE', 'AWAY', 'BUSY', 'OFFLINE', 'IDLE', 'ON_QUEUE', 'MEAL', 'TRAINING', 'MEETING',
                    'BREAK')
# (system presence, routing status, weight per mille) drawn at a change point.
STATES = (
    ('ON_QUEUE', 'IDLE', 240), ('ON_QUEUE', 'INTERACTING', 255), ('ON_QUEUE', 'COMMUNICATING', 40),
    ('ON_QUEUE', 'NOT_RESPONDING', 4),  # rare: an agent who misses an alert is soon put off queue
    ('OFFLINE', 'OFF_QUEUE', 200), ('AVAILABLE', 'OFF_QUEUE', 62), ('AWAY', 'OFF_QUEUE', 40),
    ('BUSY', 'OFF_QUEUE', 40), ('BREAK', 'OFF_QUEUE', 50), ('MEAL', 'OFF_QUEUE', 30), ('MEETING', 'OFF_QUEUE', 20),
    ('TRAINING', 'OFF_QUEUE', 15),
)
_STATE_TOTAL = sum(w for *_, w in STATES)
CHANGE_PER_MINUTE = 0.12
LOOKBACK_MINUTES = 240  # a state older than this is dated at the lookback horizon


def _draw_state(seed, uid, minute):
    pick = mix(seed, uid, minute, 2) % _STATE_TOTAL
    for presence, status, weight in STATES:
        if pick < weight:
            return presence, status
        pick -= weight
    return STATES[-1][:2]


@dataclass(frozen=True)
class AgentState:
    user_id: str
    system_presence: str
    routing_status: str
    presence_date: datetime
    routing_status_date: datetime

    @property
    def logged_in(self):
        return self.system_presence != 'OFFLINE'

    @property
    def on_queue(self):
        return self.system_presence == 'ON_QUEUE'


def agent_state(seed, user_id, t) -> AgentState:
    uid = id_int(user_id)
    offset = mix(seed, uid, 1) % 60
    minute = math.floor((t - offset) / 60)
    current = None
    presence_start = status_start = None
    presence_done = status_done = False
    for k in range(minute, minute - LOOKBACK_MINUTES - 1, -1):
        horizon = k == minute - LOOKBACK_MINUTES
        if not horizon and unit(seed, uid, k, 3) >= CHANGE_PER_MINUTE:
            continue
        presence, status = _draw_state(seed, uid, k)
        if current is None:
            current = (presence, status)
        if not presence_done:
            if presence == current[0]:
                presence_start = k
            else:
                presence_done = True
        if not status_done:
            if status == current[1]:
                status_start = k
            else:
                status_done = True
        if presence_done and status_done:
            break

    def when(k):
        return datetime.fromtimestamp(k * 60 + offset, tz=timezone.utc)

    return AgentState(user_id, current[0], current[1], when(presence_start), when(status_start))


# -- queued conversations --------------------------------------------------------------------------

MEDIA_TYPES = ('voice', 'chat', 'email', 'message', 'callback')
MEDIA_SHARE = {'voice': 1.0, 'chat': 0.5, 'email': 0.3, 'message': 0.4, 'callback': 0.2}
MAX_WAIT = 30 * 60
MAX_ALERT = 15
MAX_INTERACT = 10 * 60
LIFETIME_MINUTES = (MAX_WAIT + MAX_ALERT + MAX_INTERACT) // 60 + 2


@dataclass(frozen=True)
class Conversation:
    id: str
    queue_id: str
    media_type: str
    arrived: float  # epoch s: entered the queue (waiting)
    answered: float  # offered to an agent (alerting)
    connected: float  # interacting
    ended: float

    def state(self, t):
        if t < self.arrived or t >= self.ended:
            return None
        if t < self.answered:
            return 'waiting'
        if t < self.connected:
            return 'alerting'
        return 'interacting'


def queue_media_types(seed, queue_id):
    qid = id_int(queue_id)
    return tuple(m for i, m in enumerate(MEDIA_TYPES) if unit(seed, qid, 10, i) < MEDIA_SHARE[m])


def _queue_profile(seed, qid, media_index):
    """(arrivals per minute, mean wait in s): a third of the queue streams are quiet; the others mostly answer
    within a minute, as a staffed contact center does, and about one in ten is short-staffed."""
    u = unit(seed, qid, 11, media_index)
    if u < 0.33:
        return 0.0, 0
    rate = 0.2 + 1.8 * unit(seed, qid, 12, media_index)
    staffing = unit(seed, qid, 13, media_index)
    mean_wait = 15 + 30 * staffing if staffing < 0.9 else 240 + 960 * (staffing - 0.9)
    return rate, mean_wait


def queue_conversations(seed, queue_id, media_type, t):
    """The conversations of one queue and media type that are waiting, alerting or interacting at t."""
    qid = id_int(queue_id)
    media_index = MEDIA_TYPES.index(media_type)
    rate, mean_wait = _queue_profile(seed, qid, media_index)
    if not rate:
        return []
    base = mix(seed, qid, media_index, 20)
    threshold = int(rate / 3 * 0x10000)
    found = []
    now_minute = math.floor(t / 60)
    for minute in range(now_minute - LIFETIME_MINUTES, now_minute + 1):
        # Up to 3 arrivals per minute, each with probability rate / 3 (16 bits of one hash each).
        h = mix(base, minute)
        for n in range(3):
            if (h >> (16 * n)) & 0xFFFF >= threshold:
                continue
            d = mix(base, minute, n)
            u = [((d >> (16 * i)) & 0xFFFF) / 65536.0 for i in range(4)]
            arrived = minute * 60 + u[0] * 60
            wait = min(MAX_WAIT, -math.log(1 - u[1]) * mean_wait)
            alert = 3 + (MAX_ALERT - 3) * u[2]
            interact = 60 + (MAX_INTERACT - 60) * u[3]
            if not arrived <= t < arrived + wait + alert + interact:
                continue
            found.append(Conversation(make_uuid(base, minute, n), queue_id, media_type, arrived, arrived + wait,
                                      arrived + wait + alert, arrived + wait + alert + interact))
    return found


# -- Data Actions ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DataAction:
    id: str
    name: str
    category: str
    integration_id: str
    integration_name: str
    per_minute: float  # mean executions per minute
    error_rate: float
    median_ms: float


@dataclass(frozen=True)
class Execution:
    action: DataAction
    time: float  # epoch s
    duration_ms: int
    error_type: object  # None for a success
    response_status: str


ACTION_SPECS = (
    # name, category (= integration name), integration type, per minute, error rate, median ms
    ('Datadog - Send Log', 'Datadog', 'custom', 6.0, 0.04, 180),
    ('Datadog - Send Metric', 'Datadog', 'custom', 4.0, 0.02, 140),
    ('CRM - Lookup Account by ANI', 'CRM Web Services', 'custom', 8.0, 0.08, 420),
    ('CRM - Create Case', 'CRM Web Services', 'custom', 1.5, 0.15, 900),
    ('Get User Presence', 'Genesys Cloud Data Actions', 'static', 3.0, 0.01, 90),
    ('Get Queue Estimated Wait Time', 'Genesys Cloud Data Actions', 'static', 5.0, 0.03, 120),
)
# (errorType, responseStatus, weight): UNVERIFIED values, modelled on the Data Actions performance view
# (timeouts, remote endpoint errors, concurrency and volume rate limits, bad requests).
ERRORS = (
    ('TIMEOUT', '504', 30), ('REMOTE_ENDPOINT_ERROR', '500', 25), ('REMOTE_ENDPOINT_ERROR', '503', 10),
    ('REMOTE_ENDPOINT_ERROR', '404', 10), ('CONCURRENCY_RATE_LIMIT', '429', 10), ('VOLUME_RATE_LIMIT', '429', 5),
    ('BAD_REQUEST', '400', 10),
)
_ERROR_TOTAL = sum(w for *_, w in ERRORS)
MAX_PER_MINUTE = 12


def make_actions(seed):
    actions = []
    integrations = {}
    for index, (name, integration, kind, per_minute, error_rate, median) in enumerate(ACTION_SPECS):
        integration_id = integrations.setdefault(integration, make_uuid(seed, 30, len(integrations)))
        prefix = 'custom_-_' if kind == 'custom' else 'static_-_'
        actions.append(DataAction(prefix + make_uuid(seed, 31, index), name, integration, integration_id,
                                  integration, per_minute, error_rate, median))
    return actions


def _executions_in_minute(seed, action, index, minute):
    runs = []
    for n in range(MAX_PER_MINUTE):
        if unit(seed, 40, index, minute, n) >= action.per_minute / MAX_PER_MINUTE:
            continue
        when = minute * 60 + unit(seed, 41, index, minute, n) * 60
        duration = int(action.median_ms * math.exp(0.6 * _normal(seed, index, minute, n)))
        error_type, status = None, '200'
        if unit(seed, 43, index, minute, n) < action.error_rate:
            pick = mix(seed, 44, index, minute, n) % _ERROR_TOTAL
            for candidate, code, weight in ERRORS:
                if pick < weight:
                    error_type, status = candidate, code
                    break
                pick -= weight
            if error_type == 'TIMEOUT':
                duration = 60000  # a timed-out action ran for the full data action timeout
        runs.append(Execution(action, when, max(1, duration), error_type, status))
    return runs


def _normal(seed, *values):
    # Box-Muller from two uniforms.
    u1 = max(1e-12, unit(seed, 42, *values))
    u2 = unit(seed, 45, *values)
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


# -- the org's contact center ----------------------------------------------------------------------

class ContactCenter:
    """Per-org facade with small caches keyed by time (the emulator asks the same instant many times)."""

    def __init__(self, org):
        self.org = org
        self.seed = org.options.seed
        self.actions = make_actions(self.seed)
        self.longest_waiting_as = 'timestamp'  # or 'duration': how oLongestWaiting is reported
        self._agents_at = (None, None)
        self._conversations = {}
        self._presence_ids = {p: make_uuid(self.seed, 50, i) for i, p in enumerate(SYSTEM_PRESENCES)}

    # agents

    def organization_presence_id(self, system_presence):
        return self._presence_ids[system_presence]

    def agent_states(self, t) -> dict:
        """user id -> AgentState of every agent (users with is_agent) at epoch second t."""
        t = float(t)
        cached_t, cached = self._agents_at
        if cached_t == t:
            return cached
        with self.org.lock:
            agents = [u.id for u in self.org.users if u.is_agent and u.state == 'active']
        states = {uid: agent_state(self.seed, uid, t) for uid in agents}
        self._agents_at = (t, states)
        return states

    def queue_agents(self, queue, t) -> dict:
        """The counts a queue observation reports for a queue's members."""
        states = self.agent_states(t)
        members = [states[m] for m in queue.member_ids if m in states]
        routing = dict.fromkeys(ROUTING_STATUSES, 0)
        on_queue = dict.fromkeys(ROUTING_STATUSES, 0)
        active = 0
        for state in members:
            routing[state.routing_status] += 1
            if state.logged_in:
                active += 1
            if state.on_queue:
                on_queue[state.routing_status] += 1
        total_on = sum(on_queue.values())
        return {'members': len(members), 'active': active, 'on_queue': on_queue,
                'on_queue_total': total_on, 'off_queue': active - total_on, 'routing_status': routing}

    # conversations

    def media_types(self, queue_id):
        return queue_media_types(self.seed, queue_id)

    def conversations(self, queue_id, t) -> list:
        """Every conversation of a queue (all its media types) that is waiting, alerting or interacting at t."""
        key = (queue_id, float(t))
        found = self._conversations.get(key)
        if found is None:
            found = [c for m in self.media_types(queue_id) for c in queue_conversations(self.seed, queue_id, m, t)]
            if len(self._conversations) > 50000:
                self._conversations.clear()
            self._conversations[key] = found
        return found

    def queue_counts(self, queue_id, t) -> dict:
        """media type -> {'waiting': n, 'alerting': n, 'interacting': n} for the queue's media types."""
        counts = {m: {'waiting': 0, 'alerting': 0, 'interacting': 0} for m in self.media_types(queue_id)}
        for conv in self.conversations(queue_id, t):
            counts[conv.media_type][conv.state(t)] += 1
        return counts

    def longest_waiting_seconds(self, queue_id, t) -> float:
        """Seconds the longest-waiting conversation of the queue has waited at t (0 when nobody waits)."""
        waiting = [c.arrived for c in self.conversations(queue_id, t) if c.state(t) == 'waiting']
        return t - min(waiting) if waiting else 0.0

    # data actions

    def executions(self, start: datetime, end: datetime, now: float) -> list:
        """Executions with start <= time < end that had happened by `now`."""
        lo, hi = start.timestamp(), min(end.timestamp(), now)
        runs = []
        for index, action in enumerate(self.actions):
            for minute in range(math.floor(lo / 60), math.ceil(hi / 60) + 1):
                runs.extend(r for r in _executions_in_minute(self.seed, action, index, minute) if lo <= r.time < hi)
        return runs

    def executions_between(self, start_ts: float, end_ts: float) -> list:
        """Executions with start_ts <= time < end_ts (epoch seconds), all of them already happened."""
        start, end = (datetime.fromtimestamp(ts, tz=timezone.utc) for ts in (start_ts, end_ts))
        return self.executions(start, end, end_ts)


def contact_center(org) -> ContactCenter:
    return org.ext(ContactCenter)


__all__ = ['ContactCenter', 'contact_center']

"""Licensing ground truth: licence definitions and assignments, every user's presence, the billing contract.

- Licences: agents hold one CX licence (mostly cloudCX3), some also the WEM add-on; other users hold
  Communicate or Collaborate. Definition ids and names are illustrative (the reference marks real ids and SKUs
  UNVERIFIED).
- Presence: agents follow `contact_center.agent_state` (so queue analytics and user presence agree);
  other users (supervisors, admins, QA) work one shift a day drawn from the seed. Tests can `hold()` the
  base timeline at an instant (everyone keeps that presence) and lay `online()` spans over it, e.g. a
  20-minute spike of five more logged-in users, all from the shared FakeClock.
- Billing: one Active contract with monthly periods (1st of the month UTC); the Open period's charges are a
  concurrent CX licence, AI tokens consumed at a steady daily rate, and voice minutes. `has_contracts=False`
  models an org whose contract API lists nothing, so the check falls back to the billable usage report,
  which answers InProgress for its first `emulator.jobs.running_polls` requests per window. `close_lag` keeps
  the period that ended last Open for that many seconds after its end, as a period that closes late does.
"""

import math
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from datadog_checks.genesys_cloud.periods import Period, add_months, current_period, month_start

from .contact_center import agent_state, id_int, make_uuid, mix, unit

LICENSE_DEFINITIONS = (
    ('cloudCX1', 'Genesys Cloud CX 1'),
    ('cloudCX2', 'Genesys Cloud CX 2'),
    ('cloudCX3', 'Genesys Cloud CX 3'),
    ('communicate', 'Genesys Cloud Communicate'),
    ('collaborate', 'Genesys Cloud Collaborate'),
    ('wem', 'Genesys Cloud WEM Add-on II'),
)
# How user presence answers spell system presences (title case, "On Queue"). The analytics enums use
# ON_QUEUE; which form /users?expand=presence uses is UNVERIFIED, so the check accepts both.
PRESENCE_DISPLAY = {
    'AVAILABLE': 'Available', 'AWAY': 'Away', 'BUSY': 'Busy', 'OFFLINE': 'Offline', 'IDLE': 'Idle',
    'ON_QUEUE': 'On Queue', 'MEAL': 'Meal', 'TRAINING': 'Training', 'MEETING': 'Meeting', 'BREAK': 'Break',
}
_SEED_SALT = 0x11CE45E

# Overage rates per unit, USD: illustrative (UNVERIFIED, no public price list is used), of the right order: a
# concurrent user costs far more than a token, a token far more than a voice minute.
CX_CHARGE = {'name': 'Genesys Cloud CX 3 Concurrent User', 'sku': 'GC-CX3-CONCURRENT', 'unit': 'User',
             'overage_rate': 225.0}
TOKEN_CHARGE = {'name': 'AI Experience Tokens', 'sku': 'GC-AI-TOKENS', 'unit': 'Token', 'overage_rate': 1.0}
VOICE_CHARGE = {'name': 'Genesys Cloud Voice Minutes', 'sku': 'GC-VOICE-MIN', 'unit': 'Minute',
                'overage_rate': 0.02}
REFERENCE_DAY = 1_795_392_000  # 2026-11-23 00:00 UTC, a weekday whose presences size the contract
PEAK_SAMPLE = 2000  # users read exactly when sizing the purchase; more are sampled (see _day_peak)
TOKENS_PER_CX_USER = 350  # community figure for concurrent orgs (UNVERIFIED), used only to size the allowance


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    user_ids: frozenset
    presence: str


class Licensing:
    def __init__(self, org):
        self.org = org
        self.seed = org.options.seed ^ _SEED_SALT
        self.lock = threading.Lock()
        self.definitions = [{'id': i, 'description': d} for i, d in LICENSE_DEFINITIONS]
        self.assignments = {u.id: self._licences(u) for u in org.users}
        self.spans = []
        self.hold_at = None
        self.has_contracts = True
        self.close_lag = 0.0  # seconds the period that ended last stays Open (a late close)
        self._cache_t, self._cache = None, {}
        # The same ids contact_center gives organization presences (one per system presence).
        self._presence_ids = {p: make_uuid(org.options.seed, 50, i) for i, p in enumerate(PRESENCE_DISPLAY)}
        # Concurrent licences are bought for the peak of users logged in at once, and billed on the period's
        # peak: both follow the presences the check's estimate reads (concurrent_at), so the contract, the
        # estimate and the licence monitors agree. The purchase is sized with some headroom, sometimes too little.
        day_peak = self._day_peak()
        self.cx_prepaid = max(1, round(day_peak * (1.05 + 0.3 * unit(self.seed, 7))))
        self.cx_actual = max(1, round(day_peak * 1.03))  # a month's peak: a little above one day's
        self.token_allowance = float(self.cx_prepaid * TOKENS_PER_CX_USER)
        # Consumption per day: around the allowance spread over 30 days, sometimes heading for overage.
        self.tokens_per_day = round(self.token_allowance / 30 * (0.8 + 0.5 * unit(self.seed, 8)), 2)
        self.voice_minutes_per_day = round(len(org.users) * (20 + 40 * unit(self.seed, 9)), 2)
        self.contract_id = make_uuid(self.seed, 60)

    # -- licences ---------------------------------------------------------------------------------

    def _licences(self, user):
        draw = unit(self.seed, id_int(user.id), 1)
        if user.is_agent:
            licences = ['cloudCX3' if draw < 0.8 else ('cloudCX2' if draw < 0.92 else 'cloudCX1')]
            if unit(self.seed, id_int(user.id), 2) < 0.25:
                licences.append('wem')
            return licences
        return ['communicate' if draw < 0.5 else 'collaborate']

    def assigned_counts(self) -> Counter:
        """Licence id -> users of the org (active) holding it: what GET /license/users adds up to."""
        counts = Counter()
        for user in self.org.users:
            if user.state == 'active':
                counts.update(self.assignments[user.id])
        return counts

    # -- presence ---------------------------------------------------------------------------------

    def hold(self, when=None):
        """Freeze the base timeline at `when` (default now): every user keeps that presence until release()."""
        self.hold_at = float(self.org.clock.time() if when is None else when)

    def release(self):
        self.hold_at = None

    def online(self, start, minutes, count, presence='AVAILABLE'):
        """Log `count` more users in (users OFFLINE at `start`) for `minutes`; returns their ids."""
        start = float(start)
        chosen = [u.id for u in self._active_users() if self.presence_at(u, start) == 'OFFLINE'][:count]
        if len(chosen) < count:
            raise ValueError(f'only {len(chosen)} users are offline at {start}')
        with self.lock:
            self.spans.append(Span(start, start + minutes * 60, frozenset(chosen), presence))
        return chosen

    def _active_users(self):
        with self.org.lock:
            return [u for u in self.org.users if u.state == 'active']

    def presence_at(self, user, t) -> str:
        """The user's system presence (analytics enum form, e.g. ON_QUEUE) at epoch second t."""
        t = float(t)
        for span in reversed(self.spans):
            if span.start <= t < span.end and user.id in span.user_ids:
                return span.presence
        if self.hold_at is not None and t >= self.hold_at:
            t = self.hold_at
        with self.lock:
            if self._cache_t != t:  # one instant at a time: a scan of every page asks about the same instant
                self._cache_t, self._cache = t, {}
            cache = self._cache
        found = cache.get(user.id)
        if found is None:
            if user.is_agent:
                found = agent_state(self.org.options.seed, user.id, t).system_presence
            else:
                found = self._shift_presence(user, t)
            cache[user.id] = found
        return found

    def _shift_presence(self, user, t):
        uid = id_int(user.id)
        day = math.floor(t / 86400)
        if unit(self.seed, uid, day, 3) >= 0.7:
            return 'OFFLINE'  # not working today
        start = day * 86400 + (10 + mix(self.seed, uid, day, 4) % 16) * 1800  # 05:00-12:30 UTC
        length = (8 + mix(self.seed, uid, day, 5) % 3) * 3600
        if not start <= t < start + length:
            return 'OFFLINE'
        slot = math.floor(t / 1800)
        return ('AVAILABLE', 'AVAILABLE', 'AVAILABLE', 'BUSY', 'MEETING', 'AWAY')[mix(self.seed, uid, slot, 6) % 6]

    def _day_peak(self) -> int:
        """The reference day's hourly peak of users logged in, for sizing the purchase. Above PEAK_SAMPLE users it
        is read off every k-th user and scaled: the exact count costs 24 presence walks per user (87 s at 50,000
        users), and a purchase is a round figure anyway; the billed and live figures stay exact."""
        users = self._active_users()
        step = max(1, math.ceil(len(users) / PEAK_SAMPLE))
        sample = users[::step]
        peak = max(sum(1 for u in sample if self.presence_at(u, REFERENCE_DAY + hour * 3600) != 'OFFLINE')
                   for hour in range(24))
        return round(peak * len(users) / max(1, len(sample)))

    def concurrent_at(self, t) -> int:
        """Active users whose presence is not OFFLINE at t: what the check's estimate must report."""
        return sum(1 for u in self._active_users() if self.presence_at(u, t) != 'OFFLINE')

    def presence_id(self, system_presence):
        return self._presence_ids[system_presence]

    # -- billing ----------------------------------------------------------------------------------

    def periods(self, now: datetime):
        """(id, start, end exclusive, status) of the contract's last three monthly periods. The period that ended
        last stays Open for `close_lag` seconds after its end, as a late-closing period does."""
        current = month_start(now)
        result = []
        for back in (2, 1, 0):
            start = add_months(current, -back)
            end = add_months(start, 1)
            still_open = back == 0 or (back == 1 and now.timestamp() < end.timestamp() + self.close_lag)
            result.append((make_uuid(self.seed, 61, start.year, start.month), start, end,
                           'Open' if still_open else 'Closed'))
        return result

    def current_period(self, now: datetime):
        """(id, start, end, status) of the period the check and the packs must read at `now`: the one rule of
        genesys_cloud/periods.py applied to what the contract lists."""
        listed = self.periods(now)
        chosen = current_period([Period(*p) for p in listed], now)
        return next(p for p in listed if p[0] == chosen.id)

    def period(self, period_id, now):
        return next((p for p in self.periods(now) if p[0] == period_id), None)

    def _elapsed_days(self, start, end, now):
        end = min(end, now)
        return max(0.0, (end - start).total_seconds() / 86400)

    def tokens_used(self, start, end, now) -> float:
        return round(self.tokens_per_day * self._elapsed_days(start, end, now), 2)

    def voice_minutes(self, start, end, now) -> float:
        return round(self.voice_minutes_per_day * self._elapsed_days(start, end, now), 2)

    def charges(self, start, end, now):
        """Charges of the period [start, end) as of `now`: (spec, prepaid, actual, extra fields)."""
        tokens = self.tokens_used(start, end, now)
        return [
            (CX_CHARGE, float(self.cx_prepaid), float(self.cx_actual), {}),
            (TOKEN_CHARGE, self.token_allowance, tokens, {'convertedTokenCount': tokens, 'tokenConversionRate': 1.0}),
            (VOICE_CHARGE, 0.0, self.voice_minutes(start, end, now), {}),
        ]

    def billable_usage(self, start, end, now):
        """Usage name -> total over [start, end) as of now (the billable usage report's `usages`)."""
        return {
            CX_CHARGE['name']: float(self.cx_actual),
            TOKEN_CHARGE['name']: self.tokens_used(start, end, now),
            VOICE_CHARGE['name']: self.voice_minutes(start, end, now),
        }


def licensing(org) -> Licensing:
    return org.ext(Licensing)


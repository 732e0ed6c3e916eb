"""One per-minute request stream per OAuth client (and a per-minute concurrency stream per Data Action): the one
source the daily usage, the rate-limit aggregates and the 429 answers are all derived from, so they agree by
construction, as they do on the platform.

- A client's day is its background traffic (the Usage API rows of data/usage.py, without any 429) spread over
  the 1,440 minutes by one diurnal shape (an exact integer split: the minutes add up to the day), never above
  80 % of a per-minute limit, plus burst episodes of some clients: minutes in which it sends about its limit
  (between 86 % and 112 % of the value in force that day).
- In a minute at 90 % or more of the limit in force, Genesys records the limit once (a rate-limit record of
  count 1; emulator choice: the platform's granularity is UNVERIFIED); the requests above the limit in that
  minute are answered 429. Both land in that day's usage rows (the burst endpoint's row).
- Which limit: client-credentials clients share nothing, each has `client.credentials.token.rate.per.minute`;
  user-facing apps (code, implicit grants) are limited per token, `token.rate.per.minute`. Four habits (by
  the client's position, see BURSTS): a nightly batch, office-hours peaks, a user app's peaks, short syncs
  just under the limit.
- Data Actions (contact_center's actions: their real ids) have bursts of concurrent executions; a minute whose
  peak reaches 90 % of `actions.concurrent.executions.max` is recorded under the action's id. The execution
  analytics are not bent to match those peaks (the concurrency stream is its own).

Ground truth for tests: `traffic(org).minutes(client, day, background)`, `.day(...)` and `.records(day, ...)`.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from .contact_center import contact_center
from .limits import org_limits

CLIENT_LIMIT = ('platform.api', 'client.credentials.token.rate.per.minute')
TOKEN_LIMIT = ('platform.api', 'token.rate.per.minute')
ACTION_LIMIT = ('dataactions', 'actions.concurrent.executions.max')
NEAR = 0.9  # Genesys records a trackable limit at 90 % (reference 4.4)
BACKGROUND_CEILING = 0.8  # background traffic never reaches more than this share of the default limit a minute
MINUTES = 1440

# Burst habits by the client's position in the org (0 is the check's own client, which never bursts):
# (days with a burst: 'weekdays' or a probability, episodes a day, minutes per episode, UTC hours they start in,
# requests a minute as a share of the limit in force).
BURSTS = {
    1: ('weekdays', (1, 2), (6, 22), (1, 4), (0.86, 1.12)),  # a nightly batch that runs into its limit
    3: (0.3, (1, 1), (3, 12), (9, 17), (0.86, 1.12)),  # office-hours peaks now and then
    4: (0.15, (1, 1), (2, 6), (12, 18), (0.86, 1.05)),
    5: ('weekdays', (6, 10), (1, 2), (8, 18), (0.9, 0.98)),  # short syncs close to the limit, never over it
}
ACTION_BURST_PER_HOUR = 0.05  # per action and business hour (08-20 UTC): a campaign that floods one action


def _shape():
    """Cumulative diurnal weights per minute (a business-day bump at 13:30 UTC over a night floor), 0..1."""
    weights = [0.15 + math.exp(-(((m / 60) - 13.5) / 3.2) ** 2) for m in range(MINUTES)]
    total = sum(weights)
    cumulative, running = [0.0], 0.0
    for w in weights:
        running += w
        cumulative.append(running / total)
    cumulative[-1] = 1.0
    return cumulative, max(weights) / total


CUMULATIVE, PEAK_SHARE = _shape()


def split(total, minute):
    """The background requests in `minute` of a day of `total`: an integer split that adds up to `total`."""
    return math.floor(total * CUMULATIVE[minute + 1]) - math.floor(total * CUMULATIVE[minute])


def background_cap(default_limit):
    """The most background requests a day may hold so that no minute reaches BACKGROUND_CEILING of the limit."""
    return int((BACKGROUND_CEILING * default_limit - 1) / PEAK_SHARE)


@dataclass
class ClientDay:
    """What the stream adds to a client's background day: burst requests, 429s and the minutes near the limit."""
    limit: tuple  # (namespace, key)
    limit_value: int
    extra: int = 0  # requests sent in bursts above the background
    status429: int = 0
    near: list = field(default_factory=list)  # [(minute index, requests that minute)] at >= 90 % of the limit
    bursts: dict = field(default_factory=dict)  # minute index -> requests sent that minute


@dataclass(frozen=True)
class Record:
    time: datetime
    namespace: str
    limit_name: str
    entity_id: str
    max: int  # the limit in force (Genesys's estimate of the limit that was hit)
    count: int = 1


class Traffic:
    def __init__(self, org):
        self.org = org
        self._days = {}
        self._actions = {}

    # -- limits in force ----------------------------------------------------------------------------

    def limit_value(self, namespace, key, day: date) -> int:
        """The value in force on `day`: today's, or the default before an implemented raise completed."""
        truth = org_limits(self.org)
        value = truth.values.get(namespace, {}).get(key)
        for r in truth.change_requests:
            if (r.namespace, r.key, r.status) == (namespace, key, 'ChangeImplemented') and r.date_completed and \
                    r.date_completed.date() > day:
                value = truth.defaults[namespace][key]
        return int(value or truth.defaults.get(namespace, {}).get(key) or 300)

    @staticmethod
    def limit_of(client):
        return CLIENT_LIMIT if client.authorized_grant_type == 'CLIENT-CREDENTIALS' else TOKEN_LIMIT

    # -- clients --------------------------------------------------------------------------------------

    def day(self, client, day: date, background: int) -> ClientDay:
        """The bursts of `client` on `day` over its `background` requests (cached)."""
        key = (client.id, day)
        if key not in self._days:
            self._days[key] = self._client_day(client, day, background)
        return self._days[key]

    def _client_day(self, client, day, background):
        limit = self.limit_of(client)
        value = self.limit_value(*limit, day)
        out = ClientDay(limit, value)
        position = self.org.oauth_clients.index(client) if client in self.org.oauth_clients else 0
        habit = BURSTS.get(position)
        if client.is_check_client or not habit:
            return out
        days, episodes, length, hours, level = habit
        rng = self.org.rng(f'traffic:{client.id}:{day.isoformat()}')
        if days == 'weekdays':
            if day.weekday() >= 5:
                return out
        elif rng.random() >= days:
            return out
        for _ in range(rng.randint(*episodes)):
            start = rng.randint(hours[0] * 60, hours[1] * 60 - 1)
            for minute in range(start, min(MINUTES, start + rng.randint(*length))):
                base = split(background, minute)
                sent = max(base, math.ceil(value * rng.uniform(*level)))
                out.bursts[minute] = max(out.bursts.get(minute, 0), sent)
        for minute, sent in sorted(out.bursts.items()):
            out.extra += sent - split(background, minute)
            out.status429 += max(0, sent - value)
            if sent >= NEAR * value:
                out.near.append((minute, sent))
        return out

    def minutes(self, client, day: date, background: int):
        """The client's 1,440 per-minute request counts of `day` over its `background` requests (usage.py's
        background_total): what the companion module would count."""
        extra = self.day(client, day, background).bursts
        return [extra.get(m, split(background, m)) for m in range(MINUTES)]

    # -- Data Actions ---------------------------------------------------------------------------------

    def action_peaks(self, day: date):
        """{(action id, minute index): peak concurrent executions} of the minutes at 90 % of the limit."""
        if day not in self._actions:
            peaks = {}
            value = self.limit_value(*ACTION_LIMIT, day)
            for action in contact_center(self.org).actions:
                rng = self.org.rng(f'traffic:action:{action.id}:{day.isoformat()}')
                for hour in range(8, 20):
                    if rng.random() >= ACTION_BURST_PER_HOUR:
                        continue
                    start = hour * 60 + rng.randrange(60)
                    for minute in range(start, min(MINUTES, start + rng.randint(1, 6))):
                        peaks[(action.id, minute)] = int(math.ceil(value * rng.uniform(NEAR, 1.0)))
            self._actions[day] = peaks
        return self._actions[day]

    # -- rate-limit records ---------------------------------------------------------------------------

    def records(self, day: date, background_total):
        """Every rate-limit record of `day` (one per entity, limit and minute at 90 % or more), by time;
        background_total(client, day) is usage.py's (passed in: usage.py builds on this module)."""
        midnight = datetime.combine(day, time(0), tzinfo=timezone.utc)
        with self.org.lock:
            clients = list(self.org.oauth_clients)
        out = []
        for client in clients:
            if client.is_check_client:
                continue
            cd = self.day(client, day, background_total(client, day))
            for minute, _sent in cd.near:
                out.append(Record(midnight + timedelta(minutes=minute, seconds=_offset(client.id, minute)),
                                  cd.limit[0], cd.limit[1], client.id, cd.limit_value))
        value = self.limit_value(*ACTION_LIMIT, day)
        for (action_id, minute), _peak in self.action_peaks(day).items():
            out.append(Record(midnight + timedelta(minutes=minute, seconds=_offset(action_id, minute)),
                              ACTION_LIMIT[0], ACTION_LIMIT[1], action_id, value))
        return sorted(out, key=lambda r: (r.time, r.entity_id))


def _offset(entity_id, minute):
    """The second within the minute the limit was reached (stable, spread)."""
    return sum(map(ord, entity_id[:12])) * 7 % 47 + minute % 11


def traffic(org) -> Traffic:
    return org.ext(Traffic)

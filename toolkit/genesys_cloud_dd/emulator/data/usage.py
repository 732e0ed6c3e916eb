"""API usage per OAuth client, URL template, HTTP method and UTC day: ground truth for the Usage API.

Every client of the org has a profile (the endpoints it calls and how hard), and each (client, day) has
deterministic background counts drawn from the org seed, with no 429 (kept under 80 % of any per-minute limit
in every minute); data/traffic.py adds the client's bursts from its per-minute stream: the requests sent
in minutes at about the limit and the 429s of the minutes above it, on the endpoint the client bursts on (its
busiest). Days run from `org.anchor - days` to yesterday of the emulator clock: the current UTC day is never
available, as on the platform (reference 5.4).

Tests use the same functions the routes use: `aggregate(org, first_day, last_day, 'Day', group_by)`.
"""

import threading
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .traffic import background_cap, traffic

# Real Platform API template URIs with the method an integration typically calls them with.
ENDPOINTS = (
    ('/api/v2/users', 'GET'),
    ('/api/v2/users/{userId}', 'GET'),
    ('/api/v2/users/{userId}/presences/purecloud', 'PATCH'),
    ('/api/v2/users/{userId}/routingstatus', 'GET'),
    ('/api/v2/users/{userId}/queues', 'GET'),
    ('/api/v2/users/search', 'POST'),
    ('/api/v2/routing/queues', 'GET'),
    ('/api/v2/routing/queues/{queueId}', 'GET'),
    ('/api/v2/routing/queues/{queueId}/members', 'GET'),
    ('/api/v2/routing/queues/{queueId}/estimatedwaittime', 'GET'),
    ('/api/v2/routing/skills', 'GET'),
    ('/api/v2/routing/wrapupcodes', 'GET'),
    ('/api/v2/analytics/conversations/details/query', 'POST'),
    ('/api/v2/analytics/conversations/aggregates/query', 'POST'),
    ('/api/v2/analytics/queues/observations/query', 'POST'),
    ('/api/v2/analytics/users/aggregates/query', 'POST'),
    ('/api/v2/analytics/users/details/query', 'POST'),
    ('/api/v2/conversations/{conversationId}', 'GET'),
    ('/api/v2/conversations/calls/{conversationId}', 'GET'),
    ('/api/v2/conversations/emails/{conversationId}', 'GET'),
    ('/api/v2/conversations/{conversationId}/participants/{participantId}/attributes', 'PATCH'),
    ('/api/v2/conversations/{conversationId}/recordings', 'GET'),
    ('/api/v2/conversations/messages/{conversationId}/messages', 'POST'),
    ('/api/v2/recording/jobs', 'POST'),
    ('/api/v2/externalcontacts/contacts', 'GET'),
    ('/api/v2/externalcontacts/contacts', 'POST'),
    ('/api/v2/externalcontacts/contacts/{contactId}', 'PUT'),
    ('/api/v2/flows/datatables/{datatableId}/rows', 'GET'),
    ('/api/v2/flows/datatables/{datatableId}/rows/{rowId}', 'PUT'),
    ('/api/v2/flows', 'GET'),
    ('/api/v2/notifications/channels', 'POST'),
    ('/api/v2/notifications/channels/{channelId}/subscriptions', 'PUT'),
    ('/api/v2/outbound/campaigns', 'GET'),
    ('/api/v2/outbound/contactlists/{contactListId}/contacts', 'POST'),
    ('/api/v2/quality/evaluations/query', 'GET'),
    ('/api/v2/workforcemanagement/managementunits', 'GET'),
    ('/api/v2/groups', 'GET'),
    ('/api/v2/scripts', 'GET'),
    ('/api/v2/telephony/providers/edges', 'GET'),
    ('/api/v2/authorization/divisions', 'GET'),
    ('/api/v2/integrations/actions/{actionId}/execute', 'POST'),
    ('/api/v2/knowledge/knowledgebases', 'GET'),
    ('/api/v2/journey/actionmaps', 'GET'),
    ('/api/v2/speechandtextanalytics/conversations/{conversationId}', 'GET'),
    ('/api/v2/tokens/me', 'GET'),
    ('/api/v2/organizations/me', 'GET'),
    ('/api/v2/oauth/clients', 'GET'),
    ('/api/v2/notifications/channels/{channelId}/subscriptions', 'DELETE'),
)

# What the check's own client calls (its profile is these, whatever the seed).
CHECK_ENDPOINTS = (
    ('/api/v2/tokens/me', 'GET'),
    ('/api/v2/oauth/clients', 'GET'),
    ('/api/v2/analytics/queues/observations/query', 'POST'),
    ('/api/v2/routing/queues', 'GET'),
)

WIDE_CLIENT_ENDPOINTS = 32  # one client calls more endpoints than max_endpoints_per_client's default (25)
METRICS = ('requests', 'status200', 'status300', 'status400', 'status429', 'status500')


@dataclass(frozen=True)
class UsageRow:
    """One (client, template URI, method, day) of usage. status429 is a subset of status400."""

    client_id: str
    template_uri: str
    http_method: str
    day: date
    requests: int
    status200: int
    status300: int
    status400: int
    status429: int
    status500: int


class UsageHistory:
    def __init__(self, org):
        self.org = org
        self.first_day = org.anchor.date() - timedelta(days=org.options.days)
        self._profiles = {}
        self._rows = {}
        self._background = {}
        # Requests the emulator served since the org came to life: (client, day, template, method) -> Counter of
        # requests and status classes. From the org's first day on, the check's own client's usage is what it
        # really asked (two checks with one client show up as twice the traffic), not a drawn profile.
        self._traffic = {}
        self._lock = threading.Lock()

    def record(self, client_id, day, template_uri, method, status):
        counts = {'requests': 1, 'status200': int(200 <= status < 300), 'status300': int(300 <= status < 400),
                  'status400': int(400 <= status < 500), 'status429': int(status == 429),
                  'status500': int(status >= 500 or status == 0)}
        with self._lock:
            total = self._traffic.setdefault((client_id, day, template_uri, method), dict.fromkeys(METRICS, 0))
            for name, n in counts.items():
                total[name] += n

    def last_day(self) -> date:
        """The latest complete UTC day: the platform never serves the current day."""
        return self.org.clock.now().date() - timedelta(days=1)

    def profile(self, client):
        """[(template_uri, method, daily base volume)] for a client, fixed for the org's life."""
        if client.id not in self._profiles:
            rng = self.org.rng(f'usage:profile:{client.id}')
            position = self.org.oauth_clients.index(client) if client in self.org.oauth_clients else 0
            if client.is_check_client:
                endpoints = list(CHECK_ENDPOINTS)
            else:
                count = WIDE_CLIENT_ENDPOINTS if position == 2 else rng.randint(2, 12)
                endpoints = rng.sample(ENDPOINTS, min(count, len(ENDPOINTS)))
            scale = 0.2 if client.authorized_grant_type != 'CLIENT-CREDENTIALS' else 1.0
            self._profiles[client.id] = [
                (uri, method, max(1, int(rng.lognormvariate(6, 1.2) * scale))) for uri, method in endpoints
            ]
        return self._profiles[client.id]

    def day_rows(self, day: date):
        """Every client's rows for one UTC day ([] for today, the future and before the history starts)."""
        if day < self.first_day or day > self.last_day():
            return []
        with self.org.lock:
            clients = list(self.org.oauth_clients)
        rows = []
        for client in clients:
            if client.is_check_client and day >= self.org.anchor.date():
                rows.extend(self._served(client, day))
                continue
            key = (client.id, day)
            if key not in self._rows:
                self._rows[key] = self._draw(client, day)
            rows.extend(self._rows[key])
        return rows

    def _served(self, client, day):
        with self._lock:
            traffic = [(key, dict(counts)) for key, counts in self._traffic.items() if key[:2] == (client.id, day)]
        return [UsageRow(client.id, uri, method, day, **counts) for (_, _, uri, method), counts in sorted(traffic)]

    def background(self, client, day):
        """The client's rows of `day` without its bursts: no 429 (no minute near a limit), cached."""
        key = (client.id, day)
        if key in self._background:
            return self._background[key]
        rng = self.org.rng(f'usage:{client.id}:{day.isoformat()}')
        weekday = 0.35 if day.weekday() >= 5 else 1.0
        cap = background_cap(300)
        rows = []
        for uri, method, base in self.profile(client):
            requests = int(base * weekday * rng.uniform(0.6, 1.4))
            if requests == 0:
                continue
            status400 = int(requests * rng.choice((0, 0, 0.01, 0.03, 0.12)))
            rng.random()  # the draw that once chose a 429 share: kept so the other counts stay as they were
            status500 = int(requests * rng.choice((0, 0, 0, 0.002, 0.02)))
            status300 = int(requests * rng.choice((0, 0, 0, 0.01))) if method == 'GET' else 0
            status200 = requests - status400 - status500 - status300
            rows.append(UsageRow(client.id, uri, method, day, requests, status200, status300, status400, 0,
                                 status500))
        total = sum(r.requests for r in rows)
        if total > cap:  # a heavy client is spread thinner rather than over a limit: bursts are drawn on purpose
            rows = [_scaled(r, cap / total) for r in rows]
            rows = [r for r in rows if r.requests]
        self._background[key] = rows
        return rows

    def background_total(self, client, day) -> int:
        return sum(r.requests for r in self.background(client, day))

    def burst_endpoint(self, client):
        """The endpoint a client's bursts go to: its busiest one."""
        uri, method, _ = max(self.profile(client), key=lambda p: (p[2], p[0], p[1]))
        return uri, method

    def _draw(self, client, day):
        rows = list(self.background(client, day))
        burst = traffic(self.org).day(client, day, sum(r.requests for r in rows))
        if not burst.extra:
            return rows
        uri, method = self.burst_endpoint(client)
        at = next((i for i, r in enumerate(rows) if (r.template_uri, r.http_method) == (uri, method)), None)
        row = rows[at] if at is not None else UsageRow(client.id, uri, method, day, 0, 0, 0, 0, 0, 0)
        served = burst.extra - burst.status429
        row = replace(row, requests=row.requests + burst.extra, status200=row.status200 + served,
                      status400=row.status400 + burst.status429, status429=burst.status429)
        if at is None:
            rows.append(row)
        else:
            rows[at] = row
        return rows

    def rows(self, first_day: date, last_day: date):
        day = first_day
        out = []
        while day <= last_day:
            out.extend(self.day_rows(day))
            day += timedelta(days=1)
        return out


def _scaled(row, factor):
    requests = int(row.requests * factor)
    status300, status400, status500 = (int(v * factor) for v in (row.status300, row.status400, row.status500))
    return replace(row, requests=requests, status200=requests - status300 - status400 - status500,
                   status300=status300, status400=status400, status500=status500)


def usage_history(org) -> UsageHistory:
    return org.ext(UsageHistory)


def bucket_start(day: date, granularity: str, first_day: date) -> date:
    """The first day of the Day/Week/Month bucket holding `day`, clipped to the query's first day."""
    if granularity == 'Week':
        start = day - timedelta(days=day.weekday())
    elif granularity == 'Month':
        start = day.replace(day=1)
    else:
        start = day
    return max(start, first_day)


# groupBy names of each API -> UsageRow attribute
NEW_GROUP_FIELDS = {'OauthClientId': 'client_id', 'OauthClientName': 'client_id', 'TemplateUri': 'template_uri',
                    'HttpMethod': 'http_method'}
LEGACY_GROUP_FIELDS = {'OAuthClientId': 'client_id', 'TemplateUri': 'template_uri', 'HttpMethod': 'http_method'}


def aggregate(org, first_day: date, last_day: date, granularity='Day', group_by=('client_id',), rows=None):
    """Sum usage over [first_day, last_day] into buckets, grouped by UsageRow attributes.

    Returns {(bucket_day, *group values): {metric: total}} with the metrics of METRICS."""
    rows = usage_history(org).rows(first_day, last_day) if rows is None else rows
    totals = {}
    for row in rows:
        key = (bucket_start(row.day, granularity, first_day),) + tuple(getattr(row, f) for f in group_by)
        bucket = totals.setdefault(key, dict.fromkeys(METRICS, 0))
        for metric in METRICS:
            bucket[metric] += getattr(row, metric)
    return totals

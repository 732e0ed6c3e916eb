"""Integrations instrumented with the companion module (genesys_cloud_velocity), run against the emulator.

The toolkit does not depend on the companion: it is a separate distribution customers add to their own
integrations. When it is installed beside the toolkit (`make` installs both), these scenes use it exactly as an
integration does, through the official SDK, with a real DogStatsD listener on loopback receiving what it sends:

- `sample_run`: a few requests of every kind (2xx, 404, 429 with Retry-After), so `assets validate` knows the
  tags each `genesys_cloud.velocity.*` metric really carries;
- `ramp`: an integration speeding up minute by minute against the emulator's per-token limit (300 a minute by
  default) while the check reports the limit's value; each minute's metrics go through the local monitor
  evaluation, showing the 80 % velocity monitor firing before the first 429.
"""

import importlib.util
from dataclasses import dataclass, field
from types import SimpleNamespace

from .dogstatsd import DogStatsdListener

VELOCITY_MONITOR = 'velocity_limit_approach.json'
TOKEN_LIMIT_KEY = 'client.credentials.token.rate.per.minute'
# Requests per minute of the ramp: three minutes over 80 % of 300 (the monitor's `min(last_3m)`), then over 100 %.
DEFAULT_PLAN = (150, 200, 250, 255, 262, 285, 330)
MONITOR_MINUTES = 3  # the monitor's window: min(last_3m) means every one of 3 consecutive minutes


def available():
    return (importlib.util.find_spec('genesys_cloud_velocity') is not None
            and importlib.util.find_spec('PureCloudPlatformClientV2') is not None)


class Integration:
    """An integration using the official SDK, instrumented with the companion's one line of setup."""

    def __init__(self, emulator, listener, name, client_id=None, client_secret=None, wait_on_429=True):
        import genesys_cloud_velocity
        import PureCloudPlatformClientV2 as sdk

        self.sdk = sdk
        self.api = sdk.ApiClient(host=emulator.url)
        if not wait_on_429:
            # The SDK's urllib3 Retry sleeps Retry-After (real seconds) and resends; on the emulator's frozen
            # clock the window never drains, so the ramp's integration handles 429s itself, as many do.
            from urllib3.util import Retry

            pool = self.api.get_http_client().rest_client.pool_manager
            pool.connection_pool_kw['retries'] = Retry(respect_retry_after_header=False)
        self.velocity = genesys_cloud_velocity.instrument(self.api, name=name, host=listener.host,
                                                          port=listener.port)
        self.api.get_client_credentials_token(client_id or emulator.client_id,
                                              client_secret or emulator.client_secret)
        self.users = sdk.UsersApi(self.api)
        self.routing = sdk.RoutingApi(self.api)

    def call(self, i, user_id, queue_id):
        """One request of a mix of templates; returns the HTTP status (the integration's own error handling)."""
        try:
            kind = i % 4
            if kind == 0:
                self.users.get_users(page_size=1)
            elif kind == 1:
                self.users.get_user_routingstatus(user_id)
            elif kind == 2:
                self.routing.get_routing_queues(page_size=1)
            else:
                self.routing.get_routing_queue_members(queue_id, page_size=1)
            return 200
        except self.sdk.rest.ApiException as e:
            return e.status

    def flush(self):
        self.velocity.flush()


def sample_run(emulator):
    """The metrics one instrumented integration sends for 2xx, 404 and 429 answers (a list of metric dicts)."""
    with DogStatsdListener() as listener:
        integration = Integration(emulator, listener, name='catalog-sample')
        user_id, queue_id = emulator.org.users[0].id, emulator.org.queues[0].id
        for i in range(4):
            integration.call(i, user_id, queue_id)
        integration.call(1, 'no-such-user', queue_id)
        emulator.faults.add('GET /api/v2/users', status=429, retry_after=1, times=1)
        integration.call(0, user_id, queue_id)  # the SDK waits the Retry-After (1 s) and sends again: 200
        integration.flush()
        # token + 6 answered requests, 2 lines each (the retried 429 has no latency of its own), plus
        # rate_limited and retry_after for the 429
        listener.wait_lines(2 + 2 * 6 + 3)
        return list(listener.metrics)


@dataclass
class Minute:
    minute: int
    planned: int
    requests: int = 0  # what the companion reported for the minute
    rate_limited: int = 0
    percent: float = None  # the monitor's value: requests / the check's limit value * 100
    status: str = ''  # the monitor's status on this minute alone
    firing: bool = False  # ALERT on this minute and the MONITOR_MINUTES - 1 before it (min over last_3m)


@dataclass
class RampResult:
    limit: float
    client_id: str = ''
    minutes: list = field(default_factory=list)

    @property
    def first_firing(self):
        return next((m.minute for m in self.minutes if m.firing), None)

    @property
    def first_429(self):
        return next((m.minute for m in self.minutes if m.rate_limited), None)


def ramp(emulator, clock, plan=DEFAULT_PLAN, name='crm-sync'):
    """Run the ramp; the emulator must run on `clock` (a FakeClock) so a minute takes no real minute."""
    from .assets_tools.evaluate import ALERT, evaluate_monitors, load_monitors
    from .check_runner import build_check, run_once
    from .resources import asset_files, project_root

    instance = {'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
                'api_url': emulator.url, 'login_url': emulator.url}
    check_run = run_once(build_check({}, instance, clock=clock), only=['org_limits'])
    limits = [m for m in check_run.metrics if m['name'] == 'genesys_cloud.limits.value']
    limit = next(m['value'] for m in limits if f'limit_key:{TOKEN_LIMIT_KEY}' in m['tags'])
    monitor_paths = [p for p in asset_files(project_root())['monitors'] if p.endswith(VELOCITY_MONITOR)]
    monitors = load_monitors(monitor_paths)
    # The integration is another OAuth client of the org, with its own token and so its own per-token limit.
    other = next(c for c in emulator.org.oauth_clients if not c.is_check_client)
    emulator.credentials.setdefault(other.id, 'companion-ramp-secret')
    result = RampResult(limit=limit, client_id=other.id)
    with DogStatsdListener() as listener:
        integration = Integration(emulator, listener, name, client_id=other.id,
                                  client_secret=emulator.credentials[other.id], wait_on_429=False)
        user_id, queue_id = emulator.org.users[0].id, emulator.org.queues[0].id
        integration.flush()
        listener.wait_lines(2)
        listener.take()  # the token request: not part of the ramp's minutes
        for number, planned in enumerate(plan, start=1):
            statuses = []
            for i in range(planned):
                clock.advance(60.0 / planned)
                statuses.append(integration.call(i, user_id, queue_id))
            integration.flush()
            limited = statuses.count(429)
            listener.wait_lines(2 * planned + 2 * limited)
            window = listener.take()
            minute = Minute(number, planned,
                            requests=int(sum(m['value'] for m in window if m['name'].endswith('.requests'))),
                            rate_limited=int(sum(m['value'] for m in window if m['name'].endswith('.rate_limited'))))
            evaluation = evaluate_monitors(SimpleNamespace(metrics=window + limits, events=[]), monitors)
            row = next((r for r in evaluation if f'oauth_client_name:{name}' in r.group), None)
            if row is not None:
                minute.percent, minute.status = row.value, row.status
            recent = result.minutes[-(MONITOR_MINUTES - 1):] + [minute]
            minute.firing = len(recent) == MONITOR_MINUTES and all(m.status == ALERT for m in recent)
            result.minutes.append(minute)
    return result

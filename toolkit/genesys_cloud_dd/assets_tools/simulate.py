"""A simulated day of the check against the emulator, on a fake clock: what the dashboard previews draw.

The check runs every `step` minutes for `hours` against a local emulator, as the Agent would run it (same
check class, same state kept between runs); each run's submissions are kept with the run's instant. Nothing
is looked up in the emulator's ground truth: a preview shows what Datadog would have received.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

# The demo's org and instant, which the previews' simulated day ends at: both tell of the same org.
DEMO_INSTANT = '2026-11-20T15:00:00Z'
END = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)  # DEMO_INSTANT
# At that instant this org is healthy but for one thing: a data table nearly at its row limit (flows writing to it
# would start failing). Other seeds tell other stories, often with more trouble at once.
DEMO_SEED = SEED = 8
# The licence whose purchased and consumed quantities come from the contract's charge (billing.license_charges),
# so the licence monitors evaluate: licence definition id -> charge name.
LICENSE_CHARGES = {'cloudcx3': 'Genesys Cloud CX 3 Concurrent User'}


@dataclass
class Snapshot:
    time: float  # epoch seconds of the run
    metrics: list  # the run's metric dicts (name, type, value, tags)
    events: list = field(default_factory=list)


def simulate_day(hours=24, step_minutes=15, seed=SEED, end=END, users=200, queues=8, oauth_clients=6):
    """[Snapshot] of one check run every `step_minutes` over the `hours` before `end`."""
    from datadog_checks.genesys_cloud.clock import FakeClock

    from ..check_runner import build_check, run_once
    from ..emulator import Emulator, OrgOptions

    clock = FakeClock(end - timedelta(hours=hours))
    options = OrgOptions(seed=seed, users=users, queues=queues, oauth_clients=oauth_clients)
    snapshots = []
    with Emulator(options, clock=clock, job_polls=0) as emulator:
        instance = {'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
                    'api_url': emulator.url, 'login_url': emulator.url, 'max_requests_per_minute': 200,
                    'min_collection_interval': step_minutes * 60, 'tags': ['env_name:preview'],
                    'billing': {'license_charges': dict(LICENSE_CHARGES)}}
        check = build_check({}, instance, clock=clock)
        started = clock.time()
        runs = int(hours * 60 / step_minutes)
        for index in range(runs + 1):
            # Each run at its own instant (a run's own pacing may move the fake clock on a little).
            clock.set(max(clock.time(), started + index * step_minutes * 60))
            result = run_once(check)
            snapshots.append(Snapshot(clock.time(), result.metrics, result.events))
    return snapshots

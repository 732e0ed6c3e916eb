"""End to end: an instrumented integration ramps up against the emulator's 300-a-minute per-token limit while
the check reports that limit; the local monitor evaluation fires the 80 % velocity monitor before the first 429
(what `genesys-cloud-dd demo` shows as its velocity scene)."""

import pytest

from genesys_cloud_dd import companion_run
from genesys_cloud_dd.assets_tools.evaluate import ALERT, OK
from genesys_cloud_dd.cli.demo_velocity import render_ramp
from genesys_cloud_dd.emulator import OrgOptions


@pytest.fixture
def org_options():
    return OrgOptions(seed=11, users=20, queues=3, oauth_clients=3)


def test_velocity_monitor_fires_before_the_first_429(emulator, clock):
    result = companion_run.ramp(emulator, clock)

    assert result.limit == 300  # genesys_cloud.limits.value{limit_key:client.credentials.token.rate.per.minute}
    assert [m.requests for m in result.minutes] == list(companion_run.DEFAULT_PLAN)
    # The emulator refuses what exceeds 300 in any 60 s window: only the last minute (330) gets 429s, and every
    # one of them was counted by the companion.
    assert [m.rate_limited for m in result.minutes] == [0, 0, 0, 0, 0, 0, 30]
    assert [round(m.percent, 1) for m in result.minutes] == [50.0, 66.7, 83.3, 85.0, 87.3, 95.0, 110.0]
    assert [m.status for m in result.minutes] == [OK, OK, ALERT, ALERT, ALERT, ALERT, ALERT]
    assert (result.first_firing, result.first_429) == (5, 7)
    text = render_ramp(result)
    assert text.splitlines()[-1] == ('The velocity monitor fired at minute 5, 2 minutes before the first 429 '
                                     '(minute 7).')

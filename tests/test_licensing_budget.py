"""The request budget of the licence, concurrent-usage and billing collectors for an org of 20,000 users.

Documented in the README: with P = ceil(users / 500) pages, one hour costs 6 P (presence samples every 10
minutes) + P x 60 / max(15, P / 2) (licence scans every 15 minutes, stretched to average at most 2 requests per
minute) + 2 (contract and billing period, hourly) requests, plus the licence definitions once a day.
20,000 users: P = 40 -> 240 + 120 + 2 = 362 per hour (+1 definitions), about 6 per minute.
10,000 users: P = 20 -> 120 + 80 + 2 = 202 per hour, about 3.4 per minute.
"""

import pytest

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.licensing import licensing
from tests.conftest import only
from tests.test_licensing import run

USERS = 20000


@pytest.fixture
def org_options():
    return OrgOptions(seed=3, users=USERS, queues=0, oauth_clients=1)  # no queues: builds in a second


def hourly_budget(users):
    pages = -(-users // 500)
    return 6 * pages + pages * 60 // max(15, pages // 2) + 2


def test_an_hour_for_20000_users_costs_what_the_readme_says(make_check, dd_run_check, aggregator, emulator, clock):
    # The default max_requests_per_minute (60) cannot fit the first run's 83 requests: the licence scan is
    # deferred mid-way and resumes on the next run without fetching any page twice.
    check = make_check(**only('licenses', 'concurrent_usage', 'billing'))
    licensing(emulator.org).hold()  # the same presences all hour: the emulator computes 20,000 of them once
    for minute in range(60):
        run(check, dd_run_check, aggregator, clock, minutes=1 if minute else 0)
    spent = {k: v for k, v in emulator.requests.items() if 'license' in k or 'billing' in k or k == 'GET /api/v2/users'}
    assert spent == {
        'GET /api/v2/users': 6 * 40,
        'GET /api/v2/license/users': 3 * 40,
        'GET /api/v2/license/definitions': 1,
        'GET /api/v2/billing/contracts': 1,
        'GET /api/v2/billing/contracts/{contractId}/billingperiods/{billingPeriodId}': 1,
    }
    assert sum(spent.values()) == hourly_budget(USERS) + 1 == 363
    assert hourly_budget(10000) == 202 and hourly_budget(10000) / 60 < 4

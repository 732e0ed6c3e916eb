"""The documented request budget is what the code spends: each collector's `minimum_requests` against the
emulator's request counter, one cold-start collection at a time, for orgs of several sizes."""

import pytest
from datadog_checks.genesys_cloud.collectors import COLLECTORS
from datadog_checks.genesys_cloud.collectors.base import OrgSize
from datadog_checks.genesys_cloud.collectors.object_limits import MAPPINGS as OBJECT_MAPPINGS
from datadog_checks.genesys_cloud.collectors.org_limits import OrgLimitsCollector

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.contact_center import contact_center
from genesys_cloud_dd.emulator.data.integrations import integrations_state
from genesys_cloud_dd.emulator.data.limits import org_limits
from genesys_cloud_dd.emulator.data.objects import org_objects

SIZES = [OrgOptions(seed=5, users=0, queues=0, oauth_clients=1), OrgOptions(seed=5, users=1200, queues=230,
                                                                            oauth_clients=30)]


def org_size(emulator, clock):
    states = contact_center(emulator.org).agent_states(clock.time()).values()
    present = set(org_limits(emulator.org).namespaces)
    return OrgSize(
        users=len(emulator.org.users), queues=len(emulator.org.queues), oauth_clients=len(emulator.org.oauth_clients),
        limit_namespaces=len(present & set(OrgLimitsCollector.default('namespaces'))),
        not_responding=sum(s.routing_status == 'NOT_RESPONDING' for s in states),
        object_limit_namespaces=len(present & {m.namespace for m in OBJECT_MAPPINGS}),
        groups=org_objects(emulator.org).counts['groups'], data_tables=org_objects(emulator.org).counts['data_tables'],
        integrations=len(integrations_state(emulator).integrations),
        data_actions=sum(1 for a in integrations_state(emulator).actions.values() if a.published),
    )


@pytest.mark.parametrize('org_options', SIZES, ids=['empty org', '1200 users'])
@pytest.mark.parametrize('collector', COLLECTORS, ids=lambda c: c.name)
def test_a_collection_costs_what_is_documented(collector, make_check, emulator, clock):
    # The budget, not the pacing, is under test here.
    check = make_check(check_id=f'genesys_cloud:{collector.name}', max_requests_per_minute=100000)
    check.run_check_initializations()
    check.check(None, only={'org'})  # nothing collects before the org is known
    emulator.reset_counters()
    check.check(None, only={collector.name})
    spent = sum(n for endpoint, n in emulator.requests.items() if endpoint != 'POST /oauth/token')
    assert check.scheduler.last_errors == {}
    assert spent == collector.minimum_requests(org_size(emulator, clock))

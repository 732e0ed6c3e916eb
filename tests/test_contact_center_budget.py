"""Request budget of the contact-center collectors on a 10,000-user, 1,000-queue org (README, Request budget)."""

import math

import pytest

from genesys_cloud_dd.emulator import OrgOptions
from genesys_cloud_dd.emulator.data.contact_center import contact_center
from tests.conftest import only
from tests.test_contact_center import (
    ACTIONS,
    CONVERSATION_ACTIVITY,
    MINE,
    OBSERVATIONS,
    QUEUE_LIST,
    ROUTING_ACTIVITY,
)

USERS, QUEUES = 10_000, 1_000


@pytest.fixture
def org_options():
    return OrgOptions(seed=5, users=USERS, queues=QUEUES, divisions=4)


def test_documented_requests_per_cycle_at_10k_users_1k_queues(make_check, dd_run_check, aggregator, emulator, clock):
    check = make_check(**only(*MINE))
    dd_run_check(check)
    t = clock.time()
    not_responding = sum(s.routing_status == 'NOT_RESPONDING'
                         for s in contact_center(emulator.org).agent_states(t).values())
    assert 0 < not_responding <= 100  # realistic: a few agents at a time, one page of details
    cycle = {
        QUEUE_LIST: math.ceil(QUEUES / 100),  # the shared list, every 10 minutes
        OBSERVATIONS: math.ceil(QUEUES / 100),  # queues: one query per 100 queues
        CONVERSATION_ACTIVITY: 1,  # longest_wait: one query for all queues
        ROUTING_ACTIVITY: 1 + math.ceil(not_responding / 100),  # agents: counts + NOT_RESPONDING pages
        ACTIONS: 1,  # data_actions: one query per collection
    }
    assert {k: emulator.requests[k] for k in cycle} == cycle
    aggregator.assert_metric('genesys_cloud.queue.agents.members', count=QUEUES)
    base_tags = list(aggregator.metrics('genesys_cloud.api.can_connect')[0].tags)
    for collector in MINE:
        aggregator.assert_metric('genesys_cloud.check.collector.up', value=1,
                                 tags=base_tags + [f'collector:{collector}'])

    # One minute later: the queue list is reused and Data Actions are not due (every 5 minutes).
    emulator.reset_counters()
    clock.advance(60)
    dd_run_check(check)
    not_responding = sum(s.routing_status == 'NOT_RESPONDING'
                         for s in contact_center(emulator.org).agent_states(clock.time()).values())
    second = {QUEUE_LIST: 0, OBSERVATIONS: 10, CONVERSATION_ACTIVITY: 1,
              ROUTING_ACTIVITY: 1 + math.ceil(not_responding / 100), ACTIONS: 0}
    assert {k: emulator.requests[k] for k in second} == second

    # Average with the default cadences (queues, longest_wait, agents every 60 s; data_actions every 300 s;
    # the queue list every 600 s): under 15 requests a minute for the four collectors together.
    per_minute = (cycle[OBSERVATIONS] + cycle[CONVERSATION_ACTIVITY] + cycle[ROUTING_ACTIVITY]
                  + cycle[ACTIONS] / 5 + cycle[QUEUE_LIST] / 10)
    assert per_minute < 15

"""Shared fixtures: a seeded emulator on a real socket, a fake clock both sides share, and check builders."""

from datetime import datetime, timezone

import pytest

from genesys_cloud import GenesysCloudCheck
from genesys_cloud.clock import FakeClock
from genesys_cloud.emulator import Emulator, OrgOptions

START = datetime(2026, 11, 18, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def org_options():
    """Override in a test module to size the synthetic org."""
    return OrgOptions(seed=7)


@pytest.fixture
def emulator(org_options, clock):
    with Emulator(org_options, clock=clock) as emu:
        yield emu


@pytest.fixture
def instance(emulator):
    return {
        'client_id': emulator.client_id,
        'client_secret': emulator.client_secret,
        'api_url': emulator.url,
        'login_url': emulator.url,
        'tags': ['team:cx'],
        'min_collection_interval': 60,
    }


@pytest.fixture
def make_check(instance, clock):
    """Build a check the way the Agent does; `check_id` fixed so a rebuilt check finds its persisted state."""

    def make(check_id='genesys_cloud:test', **overrides):
        config = {**instance, **overrides}
        check = GenesysCloudCheck('genesys_cloud', {}, [config], clock=clock)
        check.check_id = check_id
        return check

    return make

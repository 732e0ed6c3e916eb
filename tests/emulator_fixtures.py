"""Fixtures for tests that talk to the emulator over real HTTP.

Import what you use: `from tests.emulator_fixtures import clock, emu, api  # noqa: F401`.
"""

from datetime import datetime, timezone

import pytest
import requests
from datadog_checks.genesys_cloud.clock import FakeClock

from genesys_cloud_dd.emulator import Emulator, OrgOptions

START = datetime(2025, 6, 10, 12, 0, tzinfo=timezone.utc)


class EmulatorApi:
    """A requests session logged in to an emulator. Fidelity samples get one: .org, .emulator,
    .get/.post/.request(path, ...) -> requests.Response (paths are /api/v2/... or nextUri values)."""

    def __init__(self, emulator, client_id=None, client_secret=None):
        self.emulator = emulator
        self.org = emulator.org
        self.session = requests.Session()
        self.client_id = client_id or emulator.client_id
        self.client_secret = client_secret or emulator.client_secret
        self.login()

    def login(self):
        response = self.session.post(self.emulator.url + '/oauth/token', auth=(self.client_id, self.client_secret),
                                     data={'grant_type': 'client_credentials'}, timeout=10)
        response.raise_for_status()
        self.token = response.json()['access_token']
        self.session.headers['Authorization'] = 'Bearer ' + self.token
        return self.token

    def request(self, method, path, **kwargs):
        kwargs.setdefault('timeout', 10)
        return self.session.request(method, self.emulator.url + path, **kwargs)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def post(self, path, **kwargs):
        return self.request('POST', path, **kwargs)

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def emu(clock):
    with Emulator(OrgOptions(seed=7, users=30, queues=4, oauth_clients=6, divisions=3), clock=clock) as emulator:
        yield emulator


@pytest.fixture
def api(emu):
    with EmulatorApi(emu) as client:
        yield client

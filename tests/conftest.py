"""Shared fixtures: a seeded emulator on a real socket, a fake clock both sides share, and check builders."""

import logging
import sys
from datetime import datetime, timezone
from pathlib import Path

import datadog_checks
import pytest

# The check is `datadog_checks.genesys_cloud` wherever it runs; here it is the source tree's genesys_cloud/,
# found first on the namespace package's path, so tests never run a stale installed copy.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in datadog_checks.__path__:
    datadog_checks.__path__.insert(0, _ROOT)
assert 'datadog_checks.genesys_cloud' not in sys.modules, 'the check was imported before tests/conftest.py'

from datadog_checks.genesys_cloud import GenesysCloudCheck  # noqa: E402  (after the path set-up above)
from datadog_checks.genesys_cloud.clock import FakeClock  # noqa: E402
from datadog_checks.genesys_cloud.collectors import COLLECTORS  # noqa: E402

from genesys_cloud_dd.emulator import Emulator, OrgOptions  # noqa: E402
from tests.fake_datadog import FakeDatadog  # noqa: E402

START = datetime(2026, 11, 18, 14, 0, tzinfo=timezone.utc)

# Recognizable secrets used by every test, so the leak guard below can prove they never come out.
SECRET_CANARY = 'oauth-secret-CANARY-5b1e7d'
DD_API_KEY_CANARY = 'ddapikeyCANARY00000000000000c0de'
CANARIES = (SECRET_CANARY, DD_API_KEY_CANARY)


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def org_options():
    """Override in a test module to size the synthetic org."""
    return OrgOptions(seed=7)


@pytest.fixture
def emulator(org_options, clock):
    with Emulator(org_options, clock=clock, client_secret=SECRET_CANARY) as emu:
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
        # These tests count polling requests; tests/test_notifications*.py turn the transport on.
        'notifications': False,
    }


@pytest.fixture
def make_check(instance, clock):
    """Build a check the way the Agent does; `check_id` fixed so a rebuilt check finds its persisted state."""

    def make(check_id='genesys_cloud:test', **overrides):
        config = {**instance, **overrides}
        check = GenesysCloudCheck('genesys_cloud', {}, [config], clock=clock)
        # `genesys_cloud:<x>` reads as the Agent's id of an instance named <x> (the `name` option), whose
        # persistent cache is its own: a test names another instance to start from an empty cache.
        check.check_id = f'{check_id}:{abs(hash(repr(sorted(config.items())))):x}'
        return check

    return make


def only(*names, **sections):
    """Instance overrides enabling the org lookup and `names`, every other collector disabled; `sections` adds
    options to a collector's section, e.g. `only('queues', queues={'interval': 300})`."""
    config = {c.name: {'enabled': c.name in ('org',) + names} for c in COLLECTORS}
    for name, options in sections.items():
        config[name] = {**config[name], **options}
    return config


def base_tags(emulator):
    """The tags on every submission of a check built by `make_check` against `emulator`."""
    return [f'org_id:{emulator.org.id}', f'org_name:{emulator.org.name}', 'region:mypurecloud.com', 'team:cx']


@pytest.fixture
def fake_datadog():
    """A local fake of the Datadog API (tests/fake_datadog.py) on a free port."""
    with FakeDatadog() as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_secret_leaks(request, caplog, aggregator, datadog_agent):
    """Whatever a test does, the OAuth secret and the Datadog API key never reach logs, submitted data or the
    files it generated (state directories, reports, rendered templates; the conf.yaml a test wrote as input
    holds the secret on purpose).

    It also gives every test a fresh Agent stub (persistent cache included), so no state leaks between tests.
    """
    caplog.set_level(logging.DEBUG)  # debug lines count too: operators turn them on when troubleshooting
    # Taken now, so that tmp_path outlives this fixture's teardown.
    generated = request.getfixturevalue('tmp_path') if 'tmp_path' in request.fixturenames else None
    yield
    places = [('log', caplog.text)]
    for name in aggregator.metric_names:
        for stub in aggregator.metrics(name):
            places.append((f'tags of {name}', ' '.join(stub.tags)))
    for name in aggregator.service_check_names:
        for stub in aggregator.service_checks(name):
            places.append((f'service check {name}', f'{stub.message} {" ".join(stub.tags)}'))
    for event in aggregator.events:
        places.append(('event', repr(event)))
    if generated is not None:
        for path in generated.rglob('*'):
            if path.is_file() and path.name != 'conf.yaml':
                places.append((f'generated file {path.name}', path.read_bytes().decode('utf-8', 'replace')))
    for where, text in places:
        for canary in CANARIES:
            assert canary not in (text or ''), f'a secret leaked into the {where}'


def pytest_addoption(parser):
    parser.addoption('--fault-table', action='store_true', help='print the fault matrix as a table')


def pytest_terminal_summary(terminalreporter, config):
    if not config.getoption('--fault-table'):
        return
    from tests.fault_report import ROWS, render

    failed = len(terminalreporter.stats.get('failed', []))
    terminalreporter.write_sep('=', 'fault matrix')
    terminalreporter.write_line(render(ROWS, failed))

"""The shared fake Datadog API (tests/fake_datadog.py) plus the one intake it lacks: POST /api/v1/check_run.

Service checks answer 202 {"status": "ok"} like the real intake; everything else (recording, DD-API-KEY
403, gzip decoding, `fail_next(n, status)`) is the shared fake's.
"""

import pytest

from tests.fake_datadog import FakeDatadog


class FakeDatadogApi(FakeDatadog):
    def _route(self, method, path, body):
        if path == '/api/v1/check_run' and method == 'POST':
            return 202, {'status': 'ok'}
        return super()._route(method, path, body)

    @property
    def service_checks(self):
        return [sc for r in self.by_path('/api/v1/check_run') if r.status == 202 for sc in (r.json or [])]

    def accepted(self, path):
        return [r for r in self.by_path(path) if 200 <= r.status < 300]


@pytest.fixture
def fake_dd():
    with FakeDatadogApi() as fake:
        yield fake

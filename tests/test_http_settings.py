"""The Agent's HTTP settings apply to every request, the token request included: TLS verification, proxies."""

from datadog_checks.base import AgentCheck


def test_tls_verification_is_on_by_default(make_check, dd_run_check):
    check = make_check()
    dd_run_check(check)
    assert check.http.options['verify'] is True


def test_proxy_is_used_for_login_and_api(make_check, dd_run_check, aggregator, emulator):
    # The hosts below do not resolve; only a proxy (the emulator accepts absolute-form request targets) can
    # answer, so a connected run proves both the token request and the API requests went through it.
    # Plain http off the loopback only because allow_insecure_http says so (test_transport_security.py).
    check = make_check(api_url='http://api.genesys.invalid', login_url='http://login.genesys.invalid',
                       proxy={'http': emulator.url, 'https': emulator.url}, allow_insecure_http=True)
    dd_run_check(check)
    aggregator.assert_service_check('genesys_cloud.can_connect', AgentCheck.OK)
    assert emulator.requests['POST /oauth/token'] == 1
    assert emulator.requests['GET /api/v2/tokens/me'] == 1

"""Bad configuration gets a ConfigurationError that names the option; every region resolves."""

import pytest
from datadog_checks.genesys_cloud import GenesysCloudCheck
from datadog_checks.genesys_cloud.regions import REGION_DOMAINS, resolve_domain
from datadog_checks.genesys_cloud.settings import Settings

VALID = {'client_id': 'id', 'client_secret': 'shh-not-printed'}


def run_error(instance):
    check = GenesysCloudCheck('genesys_cloud', {}, [instance])
    return check.run()


@pytest.mark.parametrize(
    'instance, option, words',
    [
        ({'client_id': 'id'}, 'client_secret', 'Field required'),
        ({'client_secret': 'x'}, 'client_id', 'Field required'),
        ({**VALID, 'region': 'mars_north_1'}, 'region', 'valid regions: mypurecloud.com (us_east_1)'),
        ({**VALID, 'api_url': 'not a url'}, 'api_url', 'must be an http(s) URL'),
        ({**VALID, 'login_url': 'ftp://login.example'}, 'login_url', 'must be an http(s) URL'),
        ({**VALID, 'max_requests_per_minute': 0}, 'max_requests_per_minute', 'greater than or equal to 1'),
        ({**VALID, 'org': {'interval': 'often'}}, 'org -> interval', 'valid integer'),
    ],
)
def test_bad_config_names_the_option(instance, option, words):
    error = run_error(instance)
    assert 'ConfigurationError' in error
    assert f'\\n{option}\\n' in error
    assert words in error
    assert 'shh-not-printed' not in error


def test_every_region_resolves_by_domain_and_key():
    assert len(REGION_DOMAINS) == 18
    for key, domain in REGION_DOMAINS.items():
        assert resolve_domain(domain) == domain
        assert resolve_domain(key) == domain
        assert resolve_domain(key.upper().replace('_', '-')) == domain
    assert resolve_domain('https://api.mypurecloud.ie/') == 'mypurecloud.ie'


@pytest.mark.parametrize('region, api, login', [
    ('sa_east_1', 'https://api.sae1.pure.cloud', 'https://login.sae1.pure.cloud'),
    ('mypurecloud.ie', 'https://api.mypurecloud.ie', 'https://login.mypurecloud.ie'),
    (None, 'https://api.mypurecloud.com', 'https://login.mypurecloud.com'),
])
def test_urls_follow_the_region(region, api, login):
    settings = Settings.from_instance({**VALID, 'region': region})
    assert (settings.api_url, settings.login_url) == (api, login)


def test_overrides_win_over_the_region():
    settings = Settings.from_instance({**VALID, 'region': 'eu_west_1', 'api_url': 'http://127.0.0.1:9/',
                                       'login_url': 'http://127.0.0.1:9'})
    assert settings.api_url == settings.login_url == 'http://127.0.0.1:9'

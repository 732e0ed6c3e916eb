"""Bad configuration gets a ConfigurationError that names the option; every region resolves."""

import json
import re
from collections.abc import Mapping

import pytest
import yaml
from datadog_checks.genesys_cloud import GenesysCloudCheck
from datadog_checks.genesys_cloud.collectors import COLLECTORS
from datadog_checks.genesys_cloud.config_models.section_defaults import SECTION_DEFAULTS
from datadog_checks.genesys_cloud.regions import REGION_DOMAINS, resolve_domain
from datadog_checks.genesys_cloud.settings import Settings
from pydantic import BaseModel

VALID = {'client_id': 'id', 'client_secret': 'shh-not-printed'}


def run_error(instance):
    check = GenesysCloudCheck('genesys_cloud', {}, [instance])
    return check.run()


@pytest.mark.parametrize(
    'instance, line',
    [
        ({'client_id': 'id'}, 'client_secret: is required'),
        ({'client_secret': 'x'}, 'client_id: is required'),
        ({**VALID, 'region': 'mars_north_1'}, 'region: unknown Genesys Cloud region'),
        ({**VALID, 'api_url': 'not a url'}, 'api_url: must be an http(s) URL'),
        ({**VALID, 'login_url': 'ftp://login.example'}, 'login_url: must be an http(s) URL'),
        ({**VALID, 'max_requests_per_minute': 0}, 'max_requests_per_minute: must be >= 1'),
        ({**VALID, 'org': {'interval': 'often'}}, 'org.interval: Input should be a valid integer'),
        ({**VALID, 'queues': 'all'}, 'queues: Input should be a valid dictionary'),
        ({**VALID, 'billing': {'license_model': 'Named'}}, "billing.license_model: Input should be 'concurrent' or"),
        ({**VALID, 'object_limits': {'top_n': 2.5}}, 'object_limits.top_n: Input should be a valid integer'),
    ],
)
def test_bad_config_names_the_option(instance, line):
    error = run_error(instance)
    assert 'ConfigurationError' in error
    message = json.loads(error)[0]['message']
    assert any(text.startswith(line) for text in message.splitlines()), message
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


# -- collector sections: one source for defaults and ranges ------------------------------------------------------

def spec_sections() -> dict:
    """The instance options of spec.yaml that are collector sections (objects), by name."""
    from genesys_cloud_dd.resources import project_root

    with open(f'{project_root()}/assets/configuration/spec.yaml', encoding='utf-8') as f:
        spec = yaml.safe_load(f)
    options = [o for t in spec['files'][0]['options'] if t.get('template') == 'instances' for o in t['options']]
    return {o['name']: o for o in options if o.get('value', {}).get('type') == 'object' and o['name'] in
            {c.name for c in COLLECTORS}}


def plain(value):
    """A model's value as YAML would write it: nested models without their unset options, lists, dicts."""
    if isinstance(value, BaseModel):
        return {k: plain(v) for k, v in value if v is not None}
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


def loaded(instance) -> GenesysCloudCheck:
    check = GenesysCloudCheck('genesys_cloud', {}, [instance])
    check.load_configuration_models()
    return check


def effective_section(name, given=None) -> dict:
    """What the collector `name` reads as `self.config.<option>` when its section is `given` (None: left out)."""
    instance = dict(VALID) if given is None else {**VALID, name: given}
    return {option: plain(value) for option, value in getattr(loaded(instance).config, name)}


def test_every_collector_has_a_section_and_reads_it_typed():
    assert set(spec_sections()) == {c.name for c in COLLECTORS} == set(SECTION_DEFAULTS)
    check = loaded({**VALID, 'queues': {'batch_size': 7}})
    assert check.config.queues.batch_size == 7
    assert check.config.queues.queue_list_refresh == SECTION_DEFAULTS['queues']['queue_list_refresh']  # filled in
    assert check.config.object_limits.parents_per_run == 50  # a section left out is filled too


@pytest.mark.parametrize('given', [None, {}, {'enabled': None, 'interval': None}])
def test_an_option_left_out_or_null_takes_the_spec_example(given):
    # Every collector section, left out, empty, or with null options: each option is its spec.yaml example.
    for name, spec in spec_sections().items():
        example = spec['value']['example']
        assert effective_section(name, given) == {p['name']: example.get(p['name'])
                                                   for p in spec['value']['properties']}, name


def _numeric_options():
    for name, spec in sorted(spec_sections().items()):
        for prop in spec['value']['properties']:
            if prop['type'] in ('integer', 'number'):
                yield name, prop


def test_every_numeric_section_option_declares_its_range():
    missing = [f'{name}.{prop["name"]}' for name, prop in _numeric_options() if 'minimum' not in prop]
    assert missing == []


@pytest.mark.parametrize('name, option, value, words', [
    (name, prop['name'], value, words)
    for name, prop in _numeric_options()
    for value, words in ((prop['minimum'] - 1, f'must be >= {prop["minimum"]}'),
                         *(((prop['maximum'] + 1, f'must be <= {prop["maximum"]}'),) if 'maximum' in prop else ()))
])
def test_an_out_of_range_section_option_is_refused_with_its_full_path(name, option, value, words):
    error = run_error({**VALID, name: {option: value}})
    message = json.loads(error)[0]['message']
    assert message == f'{name}.{option}: {words}'


def test_a_bad_queue_regex_is_refused_with_its_full_path():
    message = json.loads(run_error({**VALID, 'queues': {'queues': {'name': '(unclosed'}}}))[0]['message']
    assert message.startswith("queues.queues.name: invalid regular expression '(unclosed'")


def test_section_prose_leaves_the_defaults_to_the_examples():
    # The example under each section (conf.yaml.example) shows its defaults; a number repeated in the prose would be
    # a fourth place to keep in step.
    for name, spec in spec_sections().items():
        assert not re.search(r'\bdefault:? \d|\bDefault \d', spec['description']), name

"""Instance settings the check needs before it can talk to Genesys Cloud, read from the validated config model.

The config models (generated from spec.yaml, with config_models/validators.py for what a schema cannot say:
real regions, http(s) URLs) are the one place where types, defaults and ranges are checked; this module only
derives what follows from them (the region's URLs).
"""

import importlib
import re
from dataclasses import dataclass

from datadog_checks.base import AgentCheck, ConfigurationError

from . import regions
from .config_models.section_defaults import SECTION_DEFAULTS

MODELS = f'{__package__}.config_models'
# pydantic's error type -> what the message says, for the bounds spec.yaml declares.
BOUNDS = {'greater_than_equal': ('ge', '>='), 'less_than_equal': ('le', '<='), 'greater_than': ('gt', '>'),
          'less_than': ('lt', '<')}
INNER_PATH = re.compile(r'([\w-]+(?:\.[\w-]+)*): (.*)', re.S)


def load_config_model(import_path, model_name, config, context):
    """AgentCheck.load_configuration_model, with each error named by the option's full path
    (`object_limits.parents_per_run: must be >= 1`) instead of pydantic's wording."""
    from pydantic import ValidationError

    model = getattr(importlib.import_module(import_path), model_name, None)
    try:
        if model is not None:
            model.model_validate(config, context=context)
    except ValidationError as e:
        raise ConfigurationError('\n'.join(describe_error(error) for error in e.errors())) from None
    # Valid: the base class validates it again (a few milliseconds, once) and adds its own security checks.
    return AgentCheck.load_configuration_model(import_path, model_name, config, context)


def describe_error(error) -> str:
    path = '.'.join(f'[{part + 1}]' if isinstance(part, int) else str(part) for part in error['loc'])
    path = path.replace('.[', '[')
    bound = BOUNDS.get(error['type'])
    if bound and bound[0] in (error.get('ctx') or {}):
        limit = error['ctx'][bound[0]]
        message = f'must be {bound[1]} {int(limit) if float(limit).is_integer() else limit}'
    elif error['type'] == 'missing':
        message = 'is required'
    else:
        message = str(error['msg']).removeprefix('Value error, ')
        inner = INNER_PATH.match(message) if error['type'] == 'value_error' else None
        # A validator's error inside a section names the option within it (validators.py).
        if inner and error['loc'] and error['loc'][0] in SECTION_DEFAULTS:
            path, message = f'{path}.{inner[1]}' if path else inner[1], inner[2]
    return f'{path}: {message}' if path else message


@dataclass(frozen=True)
class Settings:
    client_id: str
    client_secret: str
    domain: str
    api_url: str
    login_url: str
    max_requests_per_minute: int

    @classmethod
    def from_config(cls, config) -> 'Settings':
        """From the check's InstanceConfig (already validated, defaults applied)."""
        for option in ('client_id', 'client_secret'):
            if not getattr(config, option).strip():
                raise ConfigurationError(f'`{option}` is required: the OAuth client (Client Credentials grant)')
        domain = regions.resolve_domain(config.region or regions.DEFAULT_REGION)
        api_url = (config.api_url or '').rstrip('/') or regions.api_url(domain)
        login_url = (config.login_url or '').rstrip('/') or regions.login_url(domain)
        return cls(config.client_id.strip(), config.client_secret, domain, api_url, login_url,
                   config.max_requests_per_minute)

    @classmethod
    def from_instance(cls, instance: dict) -> 'Settings':
        """From a raw instance (CLI tools), validated by the same config model the check uses."""
        return cls.from_config(instance_config(instance))


def instance_config(instance: dict):
    """The validated InstanceConfig of a raw instance (CLI tools), as the check builds it."""
    context = {'configured_fields': frozenset(instance), 'security_config': {}}
    return load_config_model(MODELS, 'InstanceConfig', instance, context)

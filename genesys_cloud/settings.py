"""Instance settings the check needs before it can talk to Genesys Cloud, read from the validated config model.

The config models (generated from spec.yaml, with config_models/validators.py for what a schema cannot say:
real regions, http(s) URLs) are the one place where types, defaults and ranges are checked; this module only
derives what follows from them (the region's URLs).
"""

from dataclasses import dataclass

from datadog_checks.base import AgentCheck, ConfigurationError

from . import regions


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
        context = {'configured_fields': frozenset(instance), 'security_config': {}}
        model = AgentCheck.load_configuration_model(f'{__package__}.config_models', 'InstanceConfig', instance,
                                                    context)
        return cls.from_config(model)

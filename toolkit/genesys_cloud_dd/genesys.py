"""The Genesys Cloud client of a toolkit command, built exactly as the check builds its own.

An instance of the conf.yaml (or one made of command-line flags) becomes a GenesysCloudCheck, whose
`genesys_client()` validates it with the check's config models and sends every request through the check's
`self.http`: the instance's and init_config's `proxy`, `skip_proxy`, TLS and timeout options, and the proxy
environment variables, as the Agent applies them. A command behind a proxy reaches Genesys wherever the check does.
"""


def client_for(instance, init_config=None, clock=None):
    """The GenesysClient for `instance`; raises datadog_checks.base.ConfigurationError naming the option."""
    from datadog_checks.genesys_cloud.check import GenesysCloudCheck

    check = GenesysCloudCheck('genesys_cloud', init_config or {}, [instance], clock=clock)
    return check.genesys_client()

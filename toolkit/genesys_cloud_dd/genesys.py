"""The Genesys Cloud client of a toolkit command, built exactly as the check builds its own.

An instance of the conf.yaml (or one made of command-line flags) becomes a GenesysCloudCheck, whose
`genesys_client()` validates it with the check's config models and sends every request through the check's
`self.http`: the instance's and init_config's `proxy`, `skip_proxy`, TLS and timeout options, and the proxy
environment variables, as the Agent applies them. A command behind a proxy reaches Genesys wherever the check does.
The client secret and the client's tokens are registered for scrubbing (redaction.py); what the check warns
about while building the client (a plain-http URL accepted by `allow_insecure_http`) is logged.
"""

import logging

from .redaction import SECRETS

log = logging.getLogger('genesys_cloud_dd')


def client_for(instance, init_config=None, clock=None):
    """The GenesysClient for `instance`; raises datadog_checks.base.ConfigurationError naming the option."""
    from datadog_checks.genesys_cloud.check import GenesysCloudCheck

    if isinstance(instance, dict):
        SECRETS.add(instance.get('client_secret'))
    check = GenesysCloudCheck('genesys_cloud', init_config or {}, [instance], clock=clock)
    client = check.genesys_client()
    SECRETS.watch(client)  # its bearer tokens
    for warning in check.get_warnings():
        log.warning('%s', warning)
    return client

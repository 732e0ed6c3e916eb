"""genesys-cloud-dd: the operator toolkit around the `genesys_cloud` Agent check.

Its commands live in `cli/`; what each command reads from the project (dashboards, monitors, metadata.csv,
service checks, the flow kit's snippets) is found by `resources.project_root()`.

Importing the toolkit makes this process an Agent host for checks (agent_host.install) before anything imports
datadog_checks.base, so the check runs here on the Agent's code path and never on datadog-checks-base's test
stubs.
"""

from . import agent_host
from .__about__ import __version__

agent_host.install()

__all__ = ['__version__']

"""genesys-cloud-dd: the operator toolkit around the `genesys_cloud` Agent check.

Its commands live in `cli/`; what each command reads from the project (dashboards, monitors, metadata.csv,
service checks, the flow kit's snippets) is found by `resources.project_root()`.
"""

from .__about__ import __version__

__all__ = ['__version__']

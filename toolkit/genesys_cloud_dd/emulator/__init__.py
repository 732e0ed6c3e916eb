"""A local Genesys Cloud: the API paths, shapes, paging, errors and limits the check relies on.

See README.md in this directory for how to add an endpoint.
"""

from .org import OrgOptions, SyntheticOrg
from .server import Emulator

__all__ = ['Emulator', 'OrgOptions', 'SyntheticOrg']

"""Where the toolkit's dependency on the check comes from (a hatchling metadata hook).

Built from a clone (`pip install ./toolkit`, `pipx install ./toolkit`), the check is the clone's own project
one directory up, named by a direct reference to it: nothing is looked up under a name no index publishes.
A wheel made to be handed on (`make wheel` sets GENESYS_CLOUD_DD_PORTABLE=1) names the check plainly, so pip
finds it in the wheels beside it (`--find-links dist`).
"""

import os
from pathlib import Path

import tomllib
from hatchling.metadata.plugin.interface import MetadataHookInterface

CHECK = 'datadog-genesys-cloud'
CHECK_EXTRAS = '[agent]'  # what the Agent ships beside datadog-checks-base, since here there is no Agent


class CheckFromCloneHook(MetadataHookInterface):
    PLUGIN_NAME = 'custom'

    def update(self, metadata):
        requirement = CHECK + CHECK_EXTRAS
        clone = Path(self.root).resolve().parent
        if os.environ.get('GENESYS_CLOUD_DD_PORTABLE') != '1' and _is_the_check(clone / 'pyproject.toml'):
            requirement += f' @ {clone.as_uri()}'
        metadata['dependencies'] = [requirement, *self.config.get('dependencies', [])]


def _is_the_check(path):
    try:
        with open(path, 'rb') as f:
            return tomllib.load(f).get('project', {}).get('name') == CHECK
    except (OSError, tomllib.TOMLDecodeError):
        return False

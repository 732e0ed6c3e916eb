"""Where the project files the commands read live: package data when installed, the clone when run from source.

The wheel carries `assets/`, `metadata.csv`, `manifest.json` and `architect_snippets/` under
`genesys_cloud_dd/project/` with the repository's own layout (see toolkit/pyproject.toml), so every command
works from any directory and finds the same relative paths either way.
"""

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def project_root() -> str:
    packaged = _PACKAGE / 'project'
    if (packaged / 'metadata.csv').is_file():
        return str(packaged)
    clone = _PACKAGE.parents[1]  # toolkit/genesys_cloud_dd -> the repository
    if (clone / 'metadata.csv').is_file():
        return str(clone)
    raise FileNotFoundError(f'the project files are neither packaged in {packaged} nor in a clone at {clone}; '
                            'reinstall genesys-cloud-dd from a wheel or a clone')


def project_path(*parts) -> str:
    return str(Path(project_root(), *parts))


def asset_files(root):
    """{'dashboards': [paths], 'monitors': [paths]} of the project under `root`, sorted."""
    files = {}
    for kind in ('dashboards', 'monitors'):
        directory = os.path.join(root, 'assets', kind)
        names = sorted(n for n in os.listdir(directory) if n.endswith('.json')) if os.path.isdir(directory) else []
        files[kind] = [os.path.join(directory, n) for n in names]
    return files

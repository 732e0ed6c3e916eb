"""Where `genesys-cloud-dd check` keeps the check's state between runs (what the Agent keeps in its persistent
cache): pending usage jobs are polled by the next run instead of being submitted again and forgotten."""

import os
from pathlib import Path

ENV = 'GENESYS_CLOUD_DD_STATE_DIR'


def default_state_dir() -> str:
    """$GENESYS_CLOUD_DD_STATE_DIR, else $XDG_STATE_HOME/genesys-cloud-dd, else ~/.local/state/genesys-cloud-dd."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    base = os.environ.get('XDG_STATE_HOME') or str(Path.home() / '.local' / 'state')
    return os.path.join(base, 'genesys-cloud-dd')


def add_state_argument(parser):
    parser.add_argument('--state-dir', default=None, metavar='DIR',
                        help=f'where the check keeps its state between runs (pending usage jobs, cursors, counted '
                             f'windows), as the Agent does in its persistent cache (default: ${ENV}, else '
                             '$XDG_STATE_HOME/genesys-cloud-dd, else ~/.local/state/genesys-cloud-dd); '
                             '--state-dir none keeps it in memory for this run only')


def resolve_state_dir(value):
    """The directory to use, or None for in-memory state (`--state-dir none`)."""
    if value is None:
        return default_state_dir()
    return None if value.strip().lower() in ('none', '') else value

"""The companion's one logger, and warnings given once per kind per process: a wrong argument in a hot loop must
not flood the integration's logs."""

import logging
import os
import threading

log = logging.getLogger('genesys_cloud_velocity')

_warned = set()
_warned_lock = threading.Lock()  # guards the set only: never held while logging (a handler may do I/O)


def warn_once(key, message, *args):
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning('genesys_cloud_velocity: ' + message, *args)


def _after_fork_in_child():
    global _warned_lock
    _warned_lock = threading.Lock()  # another thread may have held it at the fork


os.register_at_fork(after_in_child=_after_fork_in_child)

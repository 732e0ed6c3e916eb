"""Which permissions the check's OAuth client has (all of them unless a test takes some away)."""

import threading

from .errors import ApiError


class Permissions:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.denied = set()
            self.only = None  # None: every permission not denied

    def deny(self, *permissions):
        with self._lock:
            self.denied.update(permissions)

    def allow_only(self, permissions):
        with self._lock:
            self.only = set(permissions)

    def has(self, permission) -> bool:
        with self._lock:
            if permission in self.denied:
                return False
            return self.only is None or permission in self.only

    def check(self, required):
        """Raise the real 403 unless at least one of `required` is granted (none required: allowed)."""
        if not required or any(self.has(p) for p in required):
            return
        message = ('Unable to perform the requested action. You must have at least one of the following '
                   'permissions assigned: [{}]'.format(', '.join(required)))
        raise ApiError(403, 'missing.any.permissions', message)

    def describe(self):
        return {'denied': sorted(self.denied), 'allowOnly': None if self.only is None else sorted(self.only)}

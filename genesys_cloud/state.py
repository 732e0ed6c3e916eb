"""Persisted collector state: pending job ids, cursors, counted intervals, seen ids, peaks.

Values are JSON. Inside the Agent they live in the check's persistent cache (kept across Agent restarts);
the Agent-less runner stores them in a directory instead.
"""

import json
import os
import re
import tempfile


class StateStore:
    """Key/value store of JSON values; `scoped(prefix)` gives each collector its own namespace."""

    def __init__(self, read, write, prefix=''):
        self._read = read
        self._write = write
        self._prefix = prefix

    def scoped(self, prefix: str) -> 'StateStore':
        return StateStore(self._read, self._write, f'{self._prefix}{prefix}.')

    def get(self, key: str, default=None):
        raw = self._read(self._prefix + key)
        if not raw:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default  # a corrupt entry must not stop collection; it is rebuilt

    def set(self, key: str, value) -> None:
        self._write(self._prefix + key, json.dumps(value, sort_keys=True, separators=(',', ':')))

    def delete(self, key: str) -> None:
        self._write(self._prefix + key, '')

    @classmethod
    def for_check(cls, check) -> 'StateStore':
        return cls(check.read_persistent_cache, check.write_persistent_cache)

    @classmethod
    def in_directory(cls, directory: str, namespace: str) -> 'StateStore':
        os.makedirs(directory, exist_ok=True)

        def path(key):
            return os.path.join(directory, re.sub(r'[^A-Za-z0-9_.-]', '_', f'{namespace}.{key}') + '.json')

        def read(key):
            try:
                with open(path(key), encoding='utf-8') as f:
                    return f.read()
            except FileNotFoundError:
                return ''

        def write(key, value):
            target = path(key)
            if not value:
                try:
                    os.remove(target)
                except FileNotFoundError:
                    pass
                return
            # Write then rename, so a crash mid-write never leaves half a state file.
            fd, tmp = tempfile.mkstemp(dir=directory)
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                f.write(value)
            os.replace(tmp, target)

        return cls(read, write)

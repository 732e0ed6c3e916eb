"""Persisted collector state: pending job ids, cursors, counted intervals, seen ids, peaks.

Values are JSON. Inside the Agent they live in the check's persistent cache (kept across Agent restarts);
the Agent-less runner stores them in a directory instead.

What comes back is untrusted (an older version wrote it, a person edited it, a disk truncated it): every read
names the shape it expects, and a value that is not JSON or not of that shape is discarded with one warning
naming the key, after which the collector carries on as after a lost cache.
"""

import json
import math
import os
import re
import tempfile
from functools import cache

from pydantic import TypeAdapter, ValidationError


class StateUnwritable(OSError):
    """A persisted value could not be written (full disk, read-only directory): the collection that needed it
    stops, reported as such, instead of counting what it could not record."""


class StateStore:
    """Key/value store of JSON values; `scoped(prefix)` gives each collector its own namespace."""

    def __init__(self, read, write, prefix='', warn=None):
        self._read = read
        self._write = write
        self._prefix = prefix
        self._warn = [warn]  # shared with scoped stores, so the check can attach its logger once

    def scoped(self, prefix: str) -> 'StateStore':
        store = StateStore(self._read, self._write, f'{self._prefix}{prefix}.')
        store._warn = self._warn
        return store

    def on_bad_value(self, warn) -> None:
        """warn(format, *args) is called once for each persisted value that is discarded."""
        self._warn[0] = warn

    def get(self, key: str, default=None, shape=None):
        """The value stored under `key`, or `default` when there is none or it is not valid JSON of `shape`
        (a type such as `dict[str, int]` or a TypedDict; JSON-compatible coercions only, e.g. 3 for 3.0)."""
        raw = self._read(self._prefix + key)
        if not raw:
            return default
        try:
            value = json.loads(raw)
        except (ValueError, TypeError):
            return self._discard(key, 'is not valid JSON', default)
        if shape is not None:
            try:
                value = _adapter(shape).validate_python(value)
            except ValidationError as e:
                problem = e.errors()[0]
                where = '.'.join(str(p) for p in problem.get('loc') or ()) or 'value'
                return self._discard(key, f'has the wrong shape ({where}: {problem.get("msg")})', default)
            if not _finite(value):
                return self._discard(key, 'holds a number that is not finite', default)
        return value

    def _discard(self, key, problem, default):
        self.delete(key)
        if self._warn[0] is not None:
            self._warn[0]('persisted state %s %s; discarded, collection continues as after a lost cache',
                          self._prefix + key, problem)
        return default

    def set(self, key: str, value) -> None:
        self._write(self._prefix + key, json.dumps(value, sort_keys=True, separators=(',', ':')))

    def delete(self, key: str) -> None:
        self._write(self._prefix + key, '')

    @classmethod
    def for_check(cls, check) -> 'StateStore':
        return cls(check.read_persistent_cache, check.write_persistent_cache, warn=check.warning)

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
            tmp = None
            try:
                fd, tmp = tempfile.mkstemp(dir=directory)
                with os.fdopen(fd, 'w', encoding='utf-8') as f:
                    f.write(value)
                os.replace(tmp, target)
            except OSError as e:
                if tmp is not None and os.path.exists(tmp):
                    os.remove(tmp)  # a full disk must not also fill the directory with half-written files
                raise StateUnwritable(f'cannot save state in {directory} ({e.strerror or e})') from None

        return cls(read, write)


@cache
def _adapter(shape):
    return TypeAdapter(shape)


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    return True

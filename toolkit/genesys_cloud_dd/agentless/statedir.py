"""The Agent-less state directory: one SQLite database (stdlib `sqlite3`) owned by one run at a time.

Everything a restart must keep lives in `state.sqlite3`: the check's persisted values (the same keys the Agent
keeps in its persistent cache), the previous samples of rates and monotonic counts, and the outbox journal
(outbox.py). Every write is its own transaction, so a crash or a full disk never leaves half a value and no
temporary files behind.

Ownership: `lock` in the directory is held with an exclusive, non-blocking `flock` for the whole run. A second
run (cron every minute, one run slow) finds it held and stops before it reads or writes anything else.

Before any request is spent, `open()` proves the directory is writable (a 256 KB probe written, synced and
removed, and one transaction); a read-only directory or a full disk is one line (StateDirUnwritable).
"""

import json
import logging
import os
import sqlite3
import time

from datadog_checks.genesys_cloud.state import StateStore, StateUnwritable

DB_NAME = 'state.sqlite3'
LOCK_NAME = 'lock'
PROBE_BYTES = 256 * 1024  # a run writes far less than this before its next transaction can fail loudly

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT, created INTEGER, items INTEGER NOT NULL DEFAULT 0,
    body TEXT,
    uncertain INTEGER NOT NULL DEFAULT 0  -- sends whose outcome is unknown (timed out after sending, killed)
);
CREATE TABLE IF NOT EXISTS dropped (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

log = logging.getLogger('genesys_cloud_dd.agentless')


class StateDirBusy(Exception):
    """Another run holds the state directory."""


class StateDirUnwritable(Exception):
    """The state directory cannot be written (read-only, full, missing permissions)."""


class StateDirectory:
    """`path=None`: an in-memory database (nothing survives the process, nothing is locked)."""

    def __init__(self, path=None):
        self.path = path
        self.db = None
        self._lock = None
        self.lost_at_open = 0  # records of a corrupt database that could not be read (counted as lost)

    # -- opening ---------------------------------------------------------------------------------

    def open(self):
        if self.path is None:
            self.db = _connect(':memory:')
            self.db.executescript(SCHEMA)
            return self
        self._take_lock()
        try:
            self._probe()
            self.db = self._connect_checked()
            self._import_json_files()
        except BaseException:
            self.close()
            raise
        return self

    def _take_lock(self):
        import fcntl

        try:
            os.makedirs(self.path, exist_ok=True)
            fd = os.open(os.path.join(self.path, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise StateDirUnwritable(_unwritable(self.path, e)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_pid(fd)
            os.close(fd)
            by = f' (pid {holder})' if holder else ''
            raise StateDirBusy(f'another run owns the state directory {self.path}{by}; this run did nothing; '
                               f'run them further apart or give each its own --state-dir') from None
        self._lock = fd
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass  # the pid is a courtesy for the next line above; the probe reports an unwritable directory

    def _probe(self):
        probe = os.path.join(self.path, f'.probe-{os.getpid()}')
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                block = memoryview(b'\0' * PROBE_BYTES)
                while block:  # a short write is how a nearly full disk first shows
                    block = block[os.write(fd, block):]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise StateDirUnwritable(_unwritable(self.path, e)) from None
        finally:
            try:
                os.remove(probe)
            except OSError:
                pass

    def _connect_checked(self):
        target = os.path.join(self.path, DB_NAME)
        db = None
        try:
            db = _connect(target)
            db.executescript(SCHEMA)
            db.execute('BEGIN IMMEDIATE')
            db.execute("INSERT OR REPLACE INTO kv VALUES ('agentless.opened', ?)", (json.dumps(time.time()),))
            db.execute('COMMIT')
            db.execute('PRAGMA quick_check').fetchall()
            return db
        except sqlite3.DatabaseError as e:
            if not _is_corrupt(e):
                raise StateDirUnwritable(_unwritable(self.path, e)) from None
        # Not a database, or a damaged one: keep it for inspection, count what it held as lost, start afresh.
        aside = f'{target}.corrupt-{int(time.time())}'
        if db is not None:
            db.close()
        os.replace(target, aside)
        self.lost_at_open = 1
        log.error('the state database %s is corrupt; moved to %s and started afresh: the unsent data it held is '
                  'lost, and collectors re-anchor as after a lost cache', target, aside)
        db = _connect(target)
        db.executescript(SCHEMA)
        return db

    def _import_json_files(self):
        """State directories of earlier versions held one JSON file per key (and the outbox as one file): taken
        into the database once, then removed; an unreadable one is named and moved aside (an outbox: lost)."""
        names = sorted(n for n in os.listdir(self.path) if n.endswith('.json') and not n.startswith('.'))
        if not names:
            return
        imported = []
        for name in names:
            key, path = name[:-len('.json')], os.path.join(self.path, name)
            try:
                with open(path, encoding='utf-8') as f:
                    text = f.read()
                value = json.loads(text)
            except (OSError, ValueError) as e:
                aside = f'{path}.unreadable'
                os.replace(path, aside)
                lost = key == 'agentless.outbox'
                self.lost_at_open += lost
                log.warning('state file %s from an earlier version is unreadable (%s); moved to %s%s', path,
                            type(e).__name__, aside, ': the unsent data it held is lost' if lost else '')
                continue
            if key == 'agentless.outbox':
                payloads = value.get('payloads') if isinstance(value, dict) else None
                rows = [(p.get('kind'), p.get('created'), _items(p), json.dumps(p, separators=(',', ':')))
                        for p in payloads or [] if isinstance(p, dict)]
                self.db.executemany('INSERT INTO outbox (kind, created, items, body) VALUES (?, ?, ?, ?)', rows)
            else:
                self.db.execute('INSERT OR IGNORE INTO kv VALUES (?, ?)', (key, text))
            imported.append(path)
        for path in imported:
            os.remove(path)
        log.info('took %d state files of an earlier version into %s', len(imported), DB_NAME)

    def close(self):
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None

    # -- key/value -------------------------------------------------------------------------------

    def store(self, namespace) -> StateStore:
        """A StateStore over the `kv` table; keys are `<namespace>.<key>`."""
        db = self.db

        def read(key):
            row = db.execute('SELECT value FROM kv WHERE key = ?', (key,)).fetchone()
            return row[0] if row else ''

        def write(key, value):
            try:
                if value:
                    db.execute('INSERT OR REPLACE INTO kv VALUES (?, ?)', (key, value))
                else:
                    db.execute('DELETE FROM kv WHERE key = ?', (key,))
            except sqlite3.Error as e:
                raise StateUnwritable(f'cannot save state in {self.path or "memory"} ({e})') from None

        return StateStore(read, write, prefix=f'{namespace}.')


def _items(payload):
    items = payload.get('items')
    if not isinstance(items, list):
        return 0
    return sum(len(i.get('points') or [None]) if isinstance(i, dict) else 1 for i in items)


def _connect(target):
    db = sqlite3.connect(target, isolation_level=None, timeout=5.0)  # autocommit: every write is a transaction
    db.execute('PRAGMA journal_mode=DELETE')  # no -wal/-shm files left beside it
    return db


def _is_corrupt(error):
    text = str(error).lower()
    return 'not a database' in text or 'malformed' in text or 'corrupt' in text


def _unwritable(path, error):
    reason = getattr(error, 'strerror', None) or str(error)
    return (f'the state directory {path} is not writable ({reason}); nothing was collected or sent: free disk '
            f'space or fix its permissions, or point --state-dir elsewhere')


def _read_pid(fd):
    try:
        text = os.pread(fd, 32, 0).decode().strip()
        return int(text) if text.isdigit() else None
    except (OSError, ValueError):
        return None

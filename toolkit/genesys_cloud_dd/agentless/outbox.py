"""The outbox: a journal of payloads not yet accepted by Datadog, one SQLite row (with an id) per payload.

A payload (a dict: kind, created, items; payloads.py builds them) is the unit the journal stores and the
sender delivers. Acknowledged means deleted in its own transaction, so an acknowledged payload is never sent
again and a delivery costs one small write whatever the outbox holds (linear in what is delivered).

Before each send the row's `uncertain` count goes up, and comes down again when the attempt ends in a
definite answer or a refused connection. A row still uncertain was sent but never acknowledged: the request
timed out after sending, or the process was killed between the intake's answer and the delete. Series and
service checks are simply sent again (same timestamps: Datadog keeps one point per series and timestamp); an
event is re-sent at most once, said so in the log, and then given up.

Nothing leaves the journal silently: a payload goes only when Datadog accepted it, or with a log line that
says why and how many points, events and service checks went with it:
- the buffer is full (`max_items` series points + events + service checks): the oldest payloads go;
- the intake would refuse it anyway because it is too old (series 1 hour, service checks 10 minutes,
  events 18 hours: Datadog's documented limits for submitted timestamps);
- Datadog rejected its content (HTTP 400/413/422: resending the same bytes cannot succeed);
- its record is corrupt or of the wrong shape (named by id): counted as lost.
"""

import json
import logging
from collections import Counter

from .statedir import StateDirectory

MAX_AGE = {'series': 3600, 'service_check': 600, 'event': 18 * 3600}
KIND_LABELS = {'series': 'metric points', 'event': 'events', 'service_check': 'service checks',
               'corrupt': 'corrupt records'}
MAX_EVENT_SENDS = 2  # an event whose delivery is uncertain is re-sent once, never more

log = logging.getLogger('genesys_cloud_dd.agentless')


def describe(counts):
    """Counter{kind: n} -> '12 metric points, 1 service checks'."""
    parts = [f'{counts[kind]} {label}' for kind, label in KIND_LABELS.items() if counts.get(kind)]
    return ', '.join(parts) or 'nothing'


def payload_size(payload):
    return sum(len(item.get('points') or [None]) for item in payload['items'])


class Entry:
    """One journal row: its id, its payload and how many of its sends have an unknown outcome."""

    __slots__ = ('id', 'payload', 'uncertain')

    def __init__(self, id, payload, uncertain):
        self.id, self.payload, self.uncertain = id, payload, uncertain

    @property
    def kind(self):
        return self.payload['kind']


class Outbox:
    def __init__(self, max_items=20000, directory=None):
        if max_items < 1:
            raise ValueError('the buffer must hold at least one item')
        self.max_items = max_items
        self._dir = directory or StateDirectory().open()
        self.db = self._dir.db
        self.dropped = Counter(dict(self.db.execute('SELECT kind, n FROM dropped')))
        if self._dir.lost_at_open:
            self._count_dropped(Counter(corrupt=self._dir.lost_at_open))

    def __len__(self):
        return self.db.execute('SELECT COUNT(*) FROM outbox').fetchone()[0]

    @property
    def items(self):
        return self.db.execute('SELECT COALESCE(SUM(items), 0) FROM outbox').fetchone()[0]

    @property
    def payloads(self):
        return [entry.payload for entry in self.entries()]

    def counts(self, payloads=None):
        counts = Counter()
        if payloads is None:
            for kind, n in self.db.execute('SELECT kind, SUM(items) FROM outbox GROUP BY kind'):
                counts[kind] += n
            return counts
        for p in payloads:
            counts[p['kind']] += payload_size(p)
        return counts

    # -- writing ---------------------------------------------------------------------------------

    def add(self, payloads, enforce=True):
        """Append a cycle's payloads in one transaction. The runner defers the bound until after its flush
        (`enforce_bound`), so a cycle in which Datadog is reachable again never drops anything."""
        rows = [(p['kind'], int(p['created']), payload_size(p), json.dumps(p, separators=(',', ':')))
                for p in payloads]
        with self._transaction():
            self.db.executemany('INSERT INTO outbox (kind, created, items, body) VALUES (?, ?, ?, ?)', rows)
        if enforce:
            self.enforce_bound()

    def entries(self):
        """Every readable entry, oldest first, one row at a time (a corrupt one is dropped, named, as lost)."""
        last = 0
        while True:
            row = self.db.execute('SELECT id, kind, created, body, uncertain FROM outbox WHERE id > ? ORDER BY id '
                                  'LIMIT 1', (last,)).fetchone()
            if row is None:
                return
            last = row[0]
            entry = self._parse(*row)
            if entry is not None:
                yield entry

    def _parse(self, row_id, kind, created, body, uncertain):
        try:
            payload = json.loads(body)
            problem = _shape_problem(payload)
        except (TypeError, ValueError) as e:
            problem = f'not JSON ({type(e).__name__})'
        if problem:
            log.warning('outbox record %d is corrupt (%s); skipped: the data it held is lost', row_id, problem)
            with self._transaction():
                self.db.execute('DELETE FROM outbox WHERE id = ?', (row_id,))
                self._count_dropped(Counter(corrupt=1))
            return None
        return Entry(row_id, payload, int(uncertain or 0))

    def sending(self, entry):
        """Recorded before the request goes out: until `delivered` or `not_sent`, its outcome is unknown."""
        entry.uncertain += 1
        self.db.execute('UPDATE outbox SET uncertain = ? WHERE id = ?', (entry.uncertain, entry.id))

    def not_sent(self, entry):
        """The attempt ended in a definite answer (or never connected): Datadog did not keep it."""
        entry.uncertain = max(0, entry.uncertain - 1)
        self.db.execute('UPDATE outbox SET uncertain = ? WHERE id = ?', (entry.uncertain, entry.id))

    def delivered(self, entry):
        self.db.execute('DELETE FROM outbox WHERE id = ?', (entry.id,))

    def may_send(self, entry):
        """False for an event already sent twice without an answer: a third copy could reach Datadog."""
        if entry.kind != 'event' or entry.uncertain == 0:
            return True
        if entry.uncertain < MAX_EVENT_SENDS:
            log.warning('outbox record %d: the delivery of its event is uncertain (the intake did not answer after '
                        'it was sent); re-sending it once', entry.id)
            return True
        log.warning('outbox record %d: its event was sent %d times without an answer; not sent again (it may have '
                    'arrived)', entry.id, entry.uncertain)
        self.db.execute('DELETE FROM outbox WHERE id = ?', (entry.id,))
        return False

    def expire(self, now):
        old = []
        for kind, age in MAX_AGE.items():
            old += [(row_id, kind, n) for row_id, n in self.db.execute(
                'SELECT id, items FROM outbox WHERE kind = ? AND ? - created > ?', (kind, now, age))]
        if old:
            self._drop_rows(old, 'older than Datadog accepts (series 1 h, service checks 10 min, events 18 h)')

    def reject(self, entry, reason):
        self._drop_rows([(entry.id, entry.kind, payload_size(entry.payload))], reason)

    def remove(self, payload):
        """Delete the first stored payload equal to `payload` (tests and tools; the runner uses entries)."""
        for entry in self.entries():
            if entry.payload == payload:
                self.delivered(entry)
                return
        raise ValueError('payload not in the outbox')

    def save(self):
        """Every change is committed as it happens; kept for callers of the former file-based outbox."""

    def enforce_bound(self):
        total = self.items
        if total <= self.max_items:
            return
        dropped = []
        rows = self.db.execute('SELECT id, kind, items FROM outbox ORDER BY id').fetchall()
        # Oldest first; the newest payload always stays, even when it alone is over the bound.
        for row_id, kind, n in rows[:-1]:
            if total <= self.max_items:
                break
            total -= n
            dropped.append((row_id, kind, n))
        if dropped:
            self._drop_rows(dropped, f'the buffer of unsent data is full ({self.max_items} items)')

    # -- bookkeeping -----------------------------------------------------------------------------

    def _drop_rows(self, rows, reason):
        counts = Counter()
        for _, kind, n in rows:
            counts[kind] += n
        with self._transaction():
            self.db.executemany('DELETE FROM outbox WHERE id = ?', [(row_id,) for row_id, _, _ in rows])
            self._count_dropped(counts)
        log.warning('dropped %d unsent payload%s (%s): %s', len(rows), '' if len(rows) == 1 else 's',
                    describe(counts), reason)

    def _count_dropped(self, counts):
        self.dropped.update(counts)
        for kind, n in counts.items():
            self.db.execute('INSERT INTO dropped VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET n = n + excluded.n',
                            (kind, n))

    def _transaction(self):
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute('BEGIN IMMEDIATE')

    def __exit__(self, exc_type, *_):
        self.db.execute('ROLLBACK' if exc_type else 'COMMIT')


def _shape_problem(payload):
    if not isinstance(payload, dict):
        return 'not an object'
    if payload.get('kind') not in MAX_AGE:
        return f'unknown kind {str(payload.get("kind"))[:40]!r}'
    if not isinstance(payload.get('created'), int) or isinstance(payload.get('created'), bool):
        return 'no creation time'
    items = payload.get('items')
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return 'items are not a list of objects'
    if payload['kind'] == 'series' and not all(
            isinstance(i.get('points'), list) and all(isinstance(p, list) and len(p) == 2 for p in i['points'])
            for i in items):
        return 'series without points'
    return None

"""A bounded, persisted FIFO of payloads not yet accepted by Datadog.

Nothing leaves it silently: a payload goes out only when Datadog accepted it, or with a log line that
says why and how many points, events and service checks went with it:
- the buffer is full (`max_items` series points + events + service checks): the oldest payloads go;
- the intake would refuse it anyway because it is too old (series 1 hour, service checks 10 minutes,
  events 18 hours: Datadog's documented limits for submitted timestamps);
- Datadog rejected its content (HTTP 400/413/422: resending the same bytes cannot succeed).
"""

import logging
from collections import Counter

MAX_AGE = {'series': 3600, 'service_check': 600, 'event': 18 * 3600}
KIND_LABELS = {'series': 'metric points', 'event': 'events', 'service_check': 'service checks'}

log = logging.getLogger('genesys_cloud_dd.agentless')


def describe(counts):
    """Counter{kind: n} -> '12 metric points, 1 service checks'."""
    parts = [f'{counts[kind]} {label}' for kind, label in KIND_LABELS.items() if counts.get(kind)]
    return ', '.join(parts) or 'nothing'


def payload_size(payload):
    return sum(len(item.get('points') or [None]) for item in payload['items'])


class Outbox:
    def __init__(self, max_items=20000, store=None, key='agentless.outbox'):
        if max_items < 1:
            raise ValueError('the buffer must hold at least one item')
        self.max_items = max_items
        self._store = store
        self._key = key
        saved = store.get(key, {}) if store else {}
        self.payloads = list(saved.get('payloads') or [])
        self.dropped = Counter(saved.get('dropped') or {})  # kind -> items dropped since the state began

    def __len__(self):
        return len(self.payloads)

    @property
    def items(self):
        return sum(payload_size(p) for p in self.payloads)

    def counts(self, payloads=None):
        counts = Counter()
        for p in self.payloads if payloads is None else payloads:
            counts[p['kind']] += payload_size(p)
        return counts

    def add(self, payloads, enforce=True):
        """Append a cycle's payloads. The runner defers the bound until after its flush (`enforce_bound`),
        so a cycle in which Datadog is reachable again never drops anything."""
        self.payloads.extend(payloads)
        if enforce:
            self.enforce_bound()
        self.save()

    def expire(self, now):
        fresh, old = [], []
        for p in self.payloads:
            (old if now - p['created'] > MAX_AGE.get(p['kind'], 3600) else fresh).append(p)
        if old:
            self.payloads = fresh
            self._drop(old, 'older than Datadog accepts (series 1 h, service checks 10 min, events 18 h)')
            self.save()

    def remove(self, payload):
        self.payloads.remove(payload)
        self.save()

    def reject(self, payload, reason):
        self.payloads.remove(payload)
        self._drop([payload], reason)
        self.save()

    def save(self):
        if self._store is not None:
            self._store.set(self._key, {'payloads': self.payloads, 'dropped': dict(self.dropped)})

    def enforce_bound(self):
        total = self.items
        dropped = []
        # Oldest first; the newest payload always stays, even when it alone is over the bound.
        while total > self.max_items and len(self.payloads) > 1:
            payload = self.payloads.pop(0)
            total -= payload_size(payload)
            dropped.append(payload)
        if dropped:
            self._drop(dropped, f'the buffer of unsent data is full ({self.max_items} items)')
            self.save()

    def _drop(self, payloads, reason):
        counts = self.counts(payloads)
        self.dropped.update(counts)
        log.warning('dropped %d unsent payload%s (%s): %s', len(payloads), '' if len(payloads) == 1 else 's',
                    describe(counts), reason)

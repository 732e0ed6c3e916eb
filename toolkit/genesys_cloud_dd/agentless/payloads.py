"""Turn what one check run submitted into Datadog API payloads, the way the Agent would have sent them.

Metric types follow the Agent's aggregator (so metadata.csv stays true outside the Agent):
  gauge           -> v2 series type 3 (gauge), last value of the run
  count           -> type 1 (count), summed over the run, `interval` = the run interval
  monotonic_count -> type 1 (count) of the increase since the previous run (first sample, or a reset: nothing)
  rate            -> type 3 (gauge) of the per-second derivative since the previous run (the Agent flushes
                     `self.rate()` as a gauge; first sample: nothing)
  histogram       -> .avg/.median/.max/.95percentile gauges and a .count rate (type 2), as the Agent does
The previous samples of monotonic counts and rates are persisted, so a restart resumes the derivative
instead of losing a point or inventing a jump.

Payloads are plain JSON (not API-client objects) so unsent ones can be written to the state directory.

Every payload fits Datadog's intake limits (INTAKE_LIMITS): series are packed by count and size, a chunk whose
gzip body would be too large is split in halves, and an item that alone is too large (a tag list of tens of
thousands of tags) is left out with a warning given once per process and kind: Datadog would refuse the whole
payload (HTTP 413) and, with it, every good series sent alongside.
"""

import gzip
import json
import logging
import math

log = logging.getLogger('genesys_cloud_dd.agentless')

SERIES_PER_PAYLOAD = 1000  # ~100 bytes a point: far below the 500 KB intake limit, even uncompressed

# Datadog's documented intake limits, https://docs.datadoghq.com/api/latest/metrics/#submit-metrics (v2):
# "The maximum payload size is 500 kilobytes (512000 bytes). Compressed payloads must have a decompressed size
# of less than 5 megabytes (5242880 bytes)." Series go gzip-compressed (sender.py), so both bounds apply.
# Events (https://docs.datadoghq.com/api/latest/events/#post-an-event) and service checks
# (https://docs.datadoghq.com/api/latest/service-checks/) document field limits (event text 4,000
# characters, check message 500) but no body limit; they go uncompressed and are held to the same 512,000 bytes.
# MARGIN: the API client's JSON is not byte for byte ours (points become {"timestamp", "value"} objects).
MAX_PAYLOAD_BYTES = 512_000
MAX_DECOMPRESSED_BYTES = 5_242_880
MARGIN = 0.85
INTAKE_LIMITS = {  # kind -> (max bytes on the wire, max bytes once decompressed)
    'series': (int(MAX_PAYLOAD_BYTES * MARGIN), int(MAX_DECOMPRESSED_BYTES * MARGIN)),
    'event': (int(MAX_PAYLOAD_BYTES * MARGIN), int(MAX_PAYLOAD_BYTES * MARGIN)),
    'service_check': (int(MAX_PAYLOAD_BYTES * MARGIN), int(MAX_PAYLOAD_BYTES * MARGIN)),
}
EVENT_TEXT_LIMIT, EVENT_TITLE_LIMIT, CHECK_MESSAGE_LIMIT = 4000, 100, 500
KIND_NAMES = {'series': 'series', 'event': 'events', 'service_check': 'service checks'}
_warned_oversize = set()  # kinds already warned about in this process
GAUGE, COUNT, RATE = 3, 1, 2
STATUS_CODES = {'OK': 0, 'WARNING': 1, 'CRITICAL': 2, 'UNKNOWN': 3}


def context_key(name, tags):
    return name + '|' + ','.join(sorted(tags))


class MetricTransformer:
    """Stateful part of the Agent's aggregation: derivatives of rates and monotonic counts."""

    def __init__(self, previous=None):
        self.previous = dict(previous or {})  # context key -> [timestamp, value]

    def series(self, metrics, timestamp, interval):
        """metrics: dicts name/type/value/tags (check_runner.Submissions.metrics) -> series items."""
        grouped = {}
        for m in metrics:
            key = (m['name'], m['type'], tuple(sorted(m['tags'])))
            grouped.setdefault(key, []).append(float(m['value']))
        items = []
        for (name, mtype, tags), values in grouped.items():
            tags = list(tags)
            if mtype == 'gauge':
                items.append(_item(name, GAUGE, timestamp, values[-1], tags))
            elif mtype == 'count':
                items.append(_item(name, COUNT, timestamp, sum(values), tags, interval))
            elif mtype in ('monotonic_count', 'rate', 'counter'):
                item = self._derive(name, mtype, timestamp, values[-1], tags, interval)
                if item:
                    items.append(item)
            elif mtype in ('histogram', 'historate'):
                items.extend(_histogram(name, timestamp, values, tags, interval))
            else:
                items.append(_item(name, GAUGE, timestamp, values[-1], tags))
        return items

    def _derive(self, name, mtype, timestamp, value, tags, interval):
        key = context_key(name, tags)
        previous = self.previous.get(key)
        self.previous[key] = [timestamp, value]
        if not previous or timestamp <= previous[0]:
            return None
        then, before = previous
        if mtype == 'rate':
            return _item(name, GAUGE, timestamp, (value - before) / (timestamp - then), tags)
        if value < before:
            return None  # the counter was reset: the Agent skips this point rather than send a negative count
        return _item(name, COUNT, timestamp, value - before, tags, interval)


def _item(name, mtype, timestamp, value, tags, interval=None):
    item = {'metric': name, 'type': mtype, 'points': [[int(timestamp), value]], 'tags': list(tags)}
    if interval and mtype in (COUNT, RATE):
        item['interval'] = int(interval)
    return item


def _histogram(name, timestamp, values, tags, interval):
    ordered = sorted(values)

    def percentile(p):
        return ordered[max(0, min(len(ordered) - 1, int(math.ceil(p * len(ordered))) - 1))]

    return [
        _item(f'{name}.avg', GAUGE, timestamp, sum(ordered) / len(ordered), tags),
        _item(f'{name}.median', GAUGE, timestamp, percentile(0.5), tags),
        _item(f'{name}.max', GAUGE, timestamp, ordered[-1], tags),
        _item(f'{name}.95percentile', GAUGE, timestamp, percentile(0.95), tags),
        _item(f'{name}.count', RATE, timestamp, len(ordered) / float(interval or 1), tags, interval),
    ]


def event_item(event, hostname=None):
    """An AgentCheck event dict -> the v1 events API body."""
    item = {
        'title': str(event.get('msg_title') or '')[:EVENT_TITLE_LIMIT],
        'text': str(event.get('msg_text') or '')[:EVENT_TEXT_LIMIT],
        'alert_type': event.get('alert_type') or 'info',
        'tags': list(event.get('tags') or []),
        'date_happened': int(event.get('timestamp') or 0),
        'source_type_name': event.get('source_type_name') or 'genesys_cloud',
    }
    if event.get('aggregation_key'):
        item['aggregation_key'] = event['aggregation_key']
    if hostname:
        item['host'] = hostname
    return item


def service_check_item(sc, timestamp, hostname=None):
    """A captured service check (check_runner.Submissions.service_checks) -> the v1 check_run body item."""
    item = {
        'check': sc['name'],
        'status': STATUS_CODES.get(sc['status'], 3),
        'tags': list(sc['tags']),
        'timestamp': int(timestamp),
        # The API requires the field; without --hostname the status belongs to the org (its tags), not a host.
        'host_name': hostname or '',
    }
    if sc.get('message'):
        item['message'] = str(sc['message'])[:CHECK_MESSAGE_LIMIT]
    return item


def build_payloads(submissions, timestamp, interval, transformer, hostname=None):
    """One run's submissions -> outbox payloads: series in chunks, one per event, service checks together; each
    within INTAKE_LIMITS."""
    payloads = []
    series = transformer.series(submissions.metrics, timestamp, interval)
    if hostname:
        for item in series:
            item['resources'] = [{'type': 'host', 'name': hostname}]
    for chunk in fit('series', series, SERIES_PER_PAYLOAD):
        payloads.append({'kind': 'series', 'created': int(timestamp), 'items': chunk})
    for chunk in fit('event', [event_item(event, hostname) for event in submissions.events], 1):
        payloads.append({'kind': 'event', 'created': int(timestamp), 'items': chunk})
    checks = [service_check_item(sc, timestamp, hostname) for sc in submissions.service_checks]
    for chunk in fit('service_check', checks, len(checks) or 1):
        payloads.append({'kind': 'service_check', 'created': int(timestamp), 'items': chunk})
    return payloads


def body_sizes(kind, items):
    """(bytes on the wire, bytes decompressed) of `items` sent as one payload of `kind`."""
    raw = json.dumps({'series': items} if kind == 'series' else items).encode('utf-8')
    return (len(gzip.compress(raw, compresslevel=6)) if kind == 'series' else len(raw)), len(raw)


def _fits(kind, items):
    wire, decompressed = body_sizes(kind, items)
    max_wire, max_decompressed = INTAKE_LIMITS[kind]
    return wire <= max_wire and decompressed <= max_decompressed


def fit(kind, items, per_payload):
    """`items` in chunks of at most `per_payload` that each fit INTAKE_LIMITS; an item too large on its own is
    left out (warned once per process and kind)."""
    chunks, oversize = [], []
    max_wire, max_decompressed = INTAKE_LIMITS[kind]
    chunk, size = [], 0
    for item in items:
        item_size = len(json.dumps(item).encode('utf-8')) + 2
        if item_size > max_wire // 4 and not _fits(kind, [item]):  # only a large item is worth compressing alone
            oversize.append(item)
            continue
        if chunk and (len(chunk) >= per_payload or size + item_size > max_decompressed):
            chunks.extend(_halve(kind, chunk, oversize))
            chunk, size = [], 0
        chunk.append(item)
        size += item_size
    if chunk:
        chunks.extend(_halve(kind, chunk, oversize))
    if oversize:
        _warn_oversize(kind, oversize)
    return chunks


def _halve(kind, chunk, oversize):
    """The chunk itself when it fits, else its halves (recursively); a single item that does not fit goes to
    `oversize`."""
    if _fits(kind, chunk):
        return [chunk]
    if len(chunk) == 1:
        oversize.append(chunk[0])
        return []
    middle = len(chunk) // 2
    return _halve(kind, chunk[:middle], oversize) + _halve(kind, chunk[middle:], oversize)


def _warn_oversize(kind, items):
    if kind in _warned_oversize:
        return
    _warned_oversize.add(kind)
    biggest = max(items, key=lambda item: len(json.dumps(item)))
    name = biggest.get('metric') or biggest.get('check') or biggest.get('title') or kind
    wire, decompressed = body_sizes(kind, [biggest])
    limit = f'{MAX_PAYLOAD_BYTES:,} bytes' + (f', {MAX_DECOMPRESSED_BYTES:,} decompressed' if kind == 'series' else '')
    log.warning('%d %s left out: each is larger than Datadog accepts in one request (%s: %d tags, %s bytes, %s '
                'decompressed; the intake takes %s); shorten the tag list (instance `tags`?). Given once.',
                len(items), KIND_NAMES[kind], name, len(biggest.get('tags') or ()), f'{wire:,}', f'{decompressed:,}',
                limit)

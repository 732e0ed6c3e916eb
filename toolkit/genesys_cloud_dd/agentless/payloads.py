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
"""

import math

SERIES_PER_PAYLOAD = 1000  # ~100 bytes a point: far below the 500 KB intake limit, even uncompressed
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
        'title': str(event.get('msg_title') or '')[:100],
        'text': str(event.get('msg_text') or '')[:4000],
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
        item['message'] = sc['message']
    return item


def build_payloads(submissions, timestamp, interval, transformer, hostname=None):
    """One run's submissions -> outbox payloads: series in chunks, one per event, service checks together."""
    payloads = []
    series = transformer.series(submissions.metrics, timestamp, interval)
    if hostname:
        for item in series:
            item['resources'] = [{'type': 'host', 'name': hostname}]
    for start in range(0, len(series), SERIES_PER_PAYLOAD):
        payloads.append({'kind': 'series', 'created': int(timestamp),
                         'items': series[start:start + SERIES_PER_PAYLOAD]})
    for event in submissions.events:
        payloads.append({'kind': 'event', 'created': int(timestamp), 'items': [event_item(event, hostname)]})
    if submissions.service_checks:
        payloads.append({'kind': 'service_check', 'created': int(timestamp),
                         'items': [service_check_item(sc, timestamp, hostname) for sc in submissions.service_checks]})
    return payloads

"""Rate-limit spikes: `POST /api/v2/analytics/ratelimits/aggregates/query` over a trailing window.

Genesys records a trackable limit when it reaches 90 % (a best-effort estimate; reference 4.4). Each
collection re-reads the last `window_minutes` in 5-minute buckets per (namespace, limit, entity) and counts
only what is new: the count each bucket had when last seen is persisted, so a bucket that grows or arrives
late is counted once (its increase), also across an Agent restart. A bucket published later than the window
is not counted.

When the persisted state is lost (a new check id, a config change), the check cannot know what an earlier
instance already counted: its first run records the window as seen and counts nothing, losing at most one
window of counts rather than counting any twice.
"""

from datetime import timedelta

from .. import tagging
from ..clock import iso_utc
from .base import Collector
from .oauth_clients import oauth_client_names

PATH = '/api/v2/analytics/ratelimits/aggregates/query'
BUCKET = timedelta(minutes=5)
GRANULARITY = 'PT5M'
METRIC = 'oRateLimitRecorded'


class RateLimitsCollector(Collector):
    name = 'rate_limits'
    permissions = ('analytics:rateLimitAggregate:view',)

    @classmethod
    def minimum_requests(cls, size):
        return 1  # one aggregates query for the trailing window

    def collect(self):
        now = self.clock.now()
        epoch = now.replace(hour=0, minute=0, second=0, microsecond=0)
        end = epoch + BUCKET * ((now - epoch) // BUCKET + 1)  # the end of the bucket holding "now"
        window = timedelta(minutes=self.config.window_minutes)
        start = end - BUCKET * -(-window // BUCKET)
        body = {
            'interval': f'{iso_utc(start)}/{iso_utc(end)}',
            'granularity': GRANULARITY,
            'groupBy': ['namespace', 'limitName', 'entityId'],
            'metrics': [METRIC],
        }
        data = self.client.post(PATH, body) or {}

        seen = self.state.get('seen', shape=dict[str, int])
        baseline = seen is None  # no memory of what was counted: count nothing this once (see module doc)
        seen = {k: v for k, v in (seen or {}).items() if k.split('|', 1)[0] >= iso_utc(start)[:19]}
        new_counts, peaks = {}, {}
        results = data.get('results') if isinstance(data, dict) else None
        for result in results if isinstance(results, list) else []:
            for key, bucket_key, count, peak in self.per_item('rate-limit result', result, _buckets) or ():
                before = seen.get(bucket_key, 0)
                if count > before:
                    seen[bucket_key] = count
                    new_counts[key] = new_counts.get(key, 0) + count - before
                if peak is not None:
                    peaks[key] = max(peaks.get(key, 0), peak)
        self.state.set('seen', seen)  # before the counts go out: a failure after this loses, never doubles

        names = oauth_client_names(self)
        if new_counts or peaks:
            names.refresh()
        for key in sorted(set(new_counts) | set(peaks), key=lambda k: tuple(x or '' for x in k)):
            tags = self._tags(names, *key)
            if key in new_counts and not baseline:
                self.count('rate_limit.recorded', new_counts[key], tags)
            if key in peaks:
                self.gauge('rate_limit.max', peaks[key], tags)

    @staticmethod
    def _tags(names, namespace, limit_name, entity_id):
        tags = [tagging.tag('namespace', namespace), tagging.tag('limit_name', limit_name)]
        if entity_id and names.known(entity_id):
            return tags + names.tags(entity_id)
        if entity_id:
            tags.append(tagging.tag('entity_id', entity_id))
        return tags


def _buckets(result):
    """[(group key, bucket key, count, peak)] of one result. A bucket that cannot be keyed (no interval start) is
    never counted: it would look new on every run."""
    group = result.get('group') or {}
    key = tuple(_text(group.get(k)) for k in ('namespace', 'limitName', 'entityId'))
    out = []
    for bucket in result.get('data') or []:
        stats = _stats(bucket)
        interval = bucket.get('interval')
        if stats is None or not isinstance(interval, str) or len(interval.split('/')[0]) < 19:
            continue
        count = stats.get('count') or 0
        peak = stats.get('max')
        if not isinstance(count, (int, float)) or (peak is not None and not isinstance(peak, (int, float))):
            raise ValueError('stats are not numbers')
        out.append((key, '|'.join([interval.split('/')[0][:19]] + [k or '' for k in key]), int(count),
                    None if peak is None else float(peak)))
    return out


def _text(value):
    return value if isinstance(value, str) else None


def _stats(bucket):
    for metric in bucket.get('metrics') or []:
        if metric.get('metric') == METRIC:
            return metric.get('stats') or {}
    return None



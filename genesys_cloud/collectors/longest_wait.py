"""How long the longest-waiting conversation of each queue has waited, in seconds (0 when nobody waits).

`oLongestWaiting` exists only in `POST /api/v2/analytics/conversations/activity/query` (reference 8.5). The
filter is optional there (Java SDK ConversationActivityQuery: `filter` [optional]), so one request grouped by
queueId covers every queue; queues absent from the answer have nobody waiting.

What `calculatedMetricValue` holds for oLongestWaiting: the SDK types it as an int64 described only as
"Calculated metric value" (models/conversation_activity_metric_value.py, Java
ConversationActivityMetricValue), so the unit is UNVERIFIED. Integrations in the field read it as the epoch
milliseconds at which the oldest conversation started waiting (read as a duration it would be ~56 years).
We accept both: a value above 1e11 ms (after March 1973, a wait of over 3 years) is a start timestamp and the
wait is now - start; a smaller value is an elapsed duration in ms. "now" is the check's clock at the query.

With notifications, a queue whose observations topic is live reads oLongestWaiting from it (same reading of
calculatedMetricValue, UNVERIFIED there too); the query above runs only while some queue is not live, grouped
by queueId and mediaType so that its answer seeds those queues' topics.
"""

from ..notifications import hub_of
from ..notifications.topics import LONGEST_WAITING
from . import queue_list
from .base import Collector, pages
from .queue_list import queue_tags, results_of, selected_queues

PATH = '/api/v2/analytics/conversations/activity/query'
TIMESTAMP_THRESHOLD_MS = 1e11


def waited_seconds(value_ms, now):
    value_ms = float(value_ms)
    if value_ms > TIMESTAMP_THRESHOLD_MS:
        return max(0.0, now - value_ms / 1000.0)  # epoch ms when the wait began
    return max(0.0, value_ms / 1000.0)  # an elapsed duration in ms


class LongestWaitCollector(Collector):
    name = 'longest_wait'
    permissions = ('analytics:queueObservation:view',)  # and routing:queue:view for the queue list

    @classmethod
    def minimum_requests(cls, size):
        return pages(size.queues, queue_list.PAGE_SIZE) + 1  # the queue list, then one query for all queues

    def collect(self):
        queues = selected_queues(self.ctx)
        hub = hub_of(self.ctx)
        if hub is not None:
            return self._collect_live(queues, hub)
        body = {'metrics': [{'metric': 'oWaiting'}, {'metric': 'oLongestWaiting'}], 'groupBy': ['queueId']}
        results = results_of(self.client.post(PATH, body), PATH)
        now = self.clock.time()
        longest = {}
        for result in results:
            queue_id = (result.get('group') or {}).get('queueId')
            for entry in result.get('data') or []:
                if entry.get('metric') == 'oLongestWaiting' and entry.get('calculatedMetricValue') is not None:
                    waited = waited_seconds(entry['calculatedMetricValue'], now)
                    longest[queue_id] = max(longest.get(queue_id, 0.0), waited)
        for queue in queues:
            self.gauge('queue.longest_waiting', longest.get(queue['id'], 0.0), tags=queue_tags(queue))

    def _collect_live(self, queues, hub):
        now = self.clock.time()
        live, missing = hub.split_queues(queues, 'longest')
        longest = {queue_id: max((waited_seconds(v[LONGEST_WAITING], now) for v in values.values()
                                  if v.get(LONGEST_WAITING) is not None), default=0.0)
                   for queue_id, values in live.items()}
        if missing:
            body = {'metrics': [{'metric': 'oWaiting'}, {'metric': 'oLongestWaiting'}],
                    'groupBy': ['queueId', 'mediaType']}
            polled = {}
            for result in results_of(self.client.post(PATH, body), PATH):
                group = result.get('group') or {}
                for entry in result.get('data') or []:
                    if entry.get('metric') == 'oLongestWaiting' and entry.get('calculatedMetricValue') is not None:
                        media = polled.setdefault(group.get('queueId'), {})
                        media[group.get('mediaType') or ''] = float(entry['calculatedMetricValue'])
            for queue, gen in missing:
                per_media = polled.get(queue['id'], {})
                longest[queue['id']] = max((waited_seconds(v, now) for v in per_media.values()), default=0.0)
                if gen is not None:
                    hub.state.seed_queue(queue['id'], gen, longest=per_media)
        for queue in queues:
            self.gauge('queue.longest_waiting', longest.get(queue['id'], 0.0), tags=queue_tags(queue))

"""What each queue holds right now: conversations waiting/alerting/interacting and its agents by status.

One `POST /api/v2/analytics/queues/observations/query` per `batch_size` selected queues (an `or` of queueId
predicates) plus the shared queue list (queue_list.py). Conversation metrics come back per
`{queueId, mediaType}`, agent metrics per `{queueId}` (reference 8.3).
"""

import math

from .. import tagging
from . import queue_list
from .base import Collector, pages
from .queue_list import queue_tags, results_of, selected_queues

PATH = '/api/v2/analytics/queues/observations/query'
ROUTING_STATUSES = ('OFF_QUEUE', 'IDLE', 'INTERACTING', 'NOT_RESPONDING', 'COMMUNICATING')
# API metric -> metric name, for the per-media conversation counts.
CONVERSATION_METRICS = {'oWaiting': 'queue.waiting', 'oInteracting': 'queue.interacting', 'oAlerting': 'queue.alerting'}
# API metric -> metric name, for per-queue agent counts (summed over qualifiers when the API splits them).
AGENT_METRICS = {
    'oOnQueueUsers': 'queue.agents.on_queue',
    'oOffQueueUsers': 'queue.agents.off_queue',
    'oActiveUsers': 'queue.agents.active',
    'oMemberUsers': 'queue.agents.members',
}
ROUTING_METRIC = 'oUserRoutingStatuses'
METRICS = list(CONVERSATION_METRICS) + list(AGENT_METRICS) + [ROUTING_METRIC]


class QueuesCollector(Collector):
    name = 'queues'
    permissions = ('analytics:queueObservation:view',)  # and routing:queue:view for the queue list

    @classmethod
    def minimum_requests(cls, size):
        batches = math.ceil(size.queues / cls.default('batch_size'))
        return pages(size.queues, queue_list.PAGE_SIZE) + batches

    def collect(self):
        queues = selected_queues(self.ctx)
        size = self.config.batch_size
        for start in range(0, len(queues), size):
            batch = queues[start:start + size]
            body = {
                'filter': {'type': 'or', 'predicates': [{'dimension': 'queueId', 'value': q['id']} for q in batch]},
                'metrics': METRICS,
            }
            self._submit(batch, results_of(self.client.post(PATH, body), PATH))

    def _submit(self, batch, results):
        by_id = {q['id']: q for q in batch}
        agents, media = {}, {}
        for result in results:
            group = result.get('group') or {}
            if group.get('queueId') not in by_id:
                continue
            if group.get('mediaType'):
                media.setdefault(group['queueId'], []).append((group['mediaType'], result.get('data') or []))
            else:
                agents.setdefault(group['queueId'], []).extend(result.get('data') or [])
        # A queue the API no longer returns (deleted since the list was fetched) gets no series at all.
        for queue_id in by_id.keys() & (agents.keys() | media.keys()):
            tags = queue_tags(by_id[queue_id])
            for media_type, data in media.get(queue_id, []):
                media_tags = tags + [tagging.tag('media_type', media_type)]
                for entry in data:
                    name = CONVERSATION_METRICS.get(entry.get('metric'))
                    if name:
                        self.gauge(name, _count(entry), tags=media_tags)
            if queue_id in agents:
                self._agents(agents[queue_id], tags)

    def _agents(self, data, tags):
        totals = dict.fromkeys(AGENT_METRICS.values())
        qualified = dict.fromkeys(AGENT_METRICS.values(), 0)
        statuses = dict.fromkeys(ROUTING_STATUSES, 0)
        for entry in data:
            metric = entry.get('metric')
            if metric == ROUTING_METRIC:
                status = entry.get('qualifier')
                if status:
                    statuses[status] = statuses.get(status, 0) + _count(entry)
            elif metric in AGENT_METRICS:
                name = AGENT_METRICS[metric]
                if entry.get('qualifier'):
                    qualified[name] += _count(entry)  # e.g. oOnQueueUsers split by routing status
                else:
                    totals[name] = _count(entry)
        for name in AGENT_METRICS.values():
            # An unqualified entry is the total; otherwise the qualified entries add up to it.
            self.gauge(name, totals[name] if totals[name] is not None else qualified[name], tags=tags)
        for status, n in statuses.items():
            self.gauge('queue.agents.routing_status', n, tags=tags + [tagging.tag('routing_status', status.lower())])


def _count(entry):
    return (entry.get('stats') or {}).get('count') or 0

"""What each queue holds right now: conversations waiting/alerting/interacting and its agents by status.

One `POST /api/v2/analytics/queues/observations/query` per `batch_size` selected queues (an `or` of queueId
predicates) plus the shared queue list (queue_list.py). Conversation metrics come back per
`{queueId, mediaType}`, agent metrics per `{queueId}` (reference 8.3).

With notifications (notifications/hub.py), a queue whose observations topic is live reads its conversation
counts from the notifications; only the others are queried (in the same batches, conversation metrics only).
The topic carries no member statuses (SDK V2QueueObservationMetricCountData's metric enum), so agents per
queue come from one `POST /api/v2/analytics/routing/activity/query` grouped by queueId for all queues.
"""

import math

from .. import tagging
from ..notifications import hub_of
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
    # logged in, not On Queue: not routing_status:off_queue, which counts logged-out members too
    'oOffQueueUsers': 'queue.agents.active_off_queue',
    'oActiveUsers': 'queue.agents.active',
    'oMemberUsers': 'queue.agents.members',
}
ROUTING_METRIC = 'oUserRoutingStatuses'
METRICS = list(CONVERSATION_METRICS) + list(AGENT_METRICS) + [ROUTING_METRIC]
ROUTING_ACTIVITY = '/api/v2/analytics/routing/activity/query'


class QueuesCollector(Collector):
    name = 'queues'
    permissions = ('analytics:queueObservation:view',)  # and routing:queue:view for the queue list

    @classmethod
    def minimum_requests(cls, size):
        batches = math.ceil(size.queues / cls.default('batch_size'))
        return pages(size.queues, queue_list.PAGE_SIZE) + batches

    def collect(self):
        queues = selected_queues(self.ctx)
        hub = hub_of(self.ctx)
        if hub is not None:
            return self._collect_live(queues, hub)
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

    def _collect_live(self, queues, hub):
        body = {'metrics': [{'metric': m} for m in list(AGENT_METRICS) + [ROUTING_METRIC]], 'groupBy': ['queueId']}
        agents = {}
        for result in results_of(self.client.post(ROUTING_ACTIVITY, body), ROUTING_ACTIVITY):
            queue_id = (result.get('group') or {}).get('queueId')
            agents.setdefault(queue_id, []).extend(e for e in result.get('data') or [] if isinstance(e, dict))
        live, polled = hub.split_queues(queues, 'counts')
        size = self.config.batch_size
        for start in range(0, len(polled), size):
            batch = polled[start:start + size]
            body = {
                'filter': {'type': 'or', 'predicates': [{'dimension': 'queueId', 'value': q['id']} for q, _ in batch]},
                'metrics': list(CONVERSATION_METRICS),
            }
            media = _conversation_counts(results_of(self.client.post(PATH, body), PATH))
            for queue, gen in batch:
                if queue['id'] in media:
                    live[queue['id']] = media[queue['id']]
                    if gen is not None:
                        hub.state.seed_queue(queue['id'], gen, media=media[queue['id']])
        for queue in queues:
            if queue['id'] not in live and queue['id'] not in agents:
                continue  # gone since the list was fetched
            tags = queue_tags(queue)
            for media_type, values in sorted((live.get(queue['id']) or {}).items()):
                media_tags = tags + [tagging.tag('media_type', media_type)]
                for metric, name in CONVERSATION_METRICS.items():
                    self.gauge(name, values.get(metric) or 0, tags=media_tags)
            self._agents(agents.get(queue['id'], []), tags)

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


def _conversation_counts(results) -> dict:
    """queue id -> media type -> {metric: count} of an observation answer's conversation groups."""
    found = {}
    for result in results:
        group = result.get('group') or {}
        if not group.get('mediaType') or not group.get('queueId'):
            continue
        values = dict.fromkeys(CONVERSATION_METRICS, 0)
        for entry in result.get('data') or []:
            if entry.get('metric') in CONVERSATION_METRICS:
                values[entry['metric']] = _count(entry)
        found.setdefault(group['queueId'], {})[group['mediaType']] = values
    return found


def _count(entry):
    """An entry's count: under `stats` in observation answers, at the top in routing activity answers."""
    stats = entry.get('stats')
    return (stats.get('count') if isinstance(stats, dict) else entry.get('count')) or 0

"""Agents org-wide by routing status and system presence, and the longest current NOT_RESPONDING.

`POST /api/v2/analytics/routing/activity/query` (reference 8.4), never one request per user:
1. counts: metrics oUserRoutingStatuses + oUserPresences with an empty `groupBy` (one org-wide group; the
   Java SDK marks groupBy required and its only value is queueId, which would count an agent once per queue);
2. only when someone is NOT_RESPONDING: the same query filtered on routingStatus NOT_RESPONDING with
   `details: true`, paged (pageSize/pageNumber) while `truncated`, for each agent's `routingStatusDate`
   (the time the agent entered the status).
"""

import math
from datetime import datetime

from .. import tagging
from .base import Collector
from .queue_list import results_of

PATH = '/api/v2/analytics/routing/activity/query'
ROUTING_STATUSES = ('OFF_QUEUE', 'IDLE', 'INTERACTING', 'NOT_RESPONDING', 'COMMUNICATING')
SYSTEM_PRESENCES = ('AVAILABLE', 'AWAY', 'BUSY', 'OFFLINE', 'IDLE', 'ON_QUEUE', 'MEAL', 'TRAINING', 'MEETING',
                    'BREAK')
MAX_PAGES = 50  # 5,000 NOT_RESPONDING agents at 100 a page: beyond that the org has a bigger problem


class AgentsCollector(Collector):
    name = 'agents'
    permissions = ('analytics:queueObservation:view',)
    # page_size: NOT_RESPONDING entities per page (the activity queries' page size ceiling is UNVERIFIED).

    @classmethod
    def minimum_requests(cls, size):
        extra = math.ceil(size.not_responding / cls.default('page_size'))
        return 1 + extra  # one org-wide query, plus a page per page_size agents NOT_RESPONDING

    def collect(self):
        body = {'metrics': [{'metric': 'oUserRoutingStatuses'}, {'metric': 'oUserPresences'}], 'groupBy': []}
        results = results_of(self.client.post(PATH, body), PATH)
        statuses = dict.fromkeys(ROUTING_STATUSES, 0)
        presences = dict.fromkeys(SYSTEM_PRESENCES, 0)
        for result in results:
            for entry in result.get('data') or []:
                qualifier, count = entry.get('qualifier'), entry.get('count') or 0
                if not qualifier:
                    continue
                if entry.get('metric') == 'oUserRoutingStatuses':
                    statuses[qualifier] = statuses.get(qualifier, 0) + count
                elif entry.get('metric') == 'oUserPresences':
                    presences[qualifier] = presences.get(qualifier, 0) + count
        for status, n in statuses.items():
            self.gauge('agents.routing_status', n, tags=[tagging.tag('routing_status', status.lower())])
        for presence, n in presences.items():
            self.gauge('agents.presence', n, tags=[tagging.tag('system_presence', presence.lower())])
        longest = self._longest_not_responding() if statuses.get('NOT_RESPONDING') else 0.0
        self.gauge('agents.not_responding.longest', longest)

    def _longest_not_responding(self):
        body = {
            'metrics': [{'metric': 'oUserRoutingStatuses', 'details': True}],
            'groupBy': [],
            'filter': {'type': 'and', 'predicates': [{'dimension': 'routingStatus', 'value': 'NOT_RESPONDING'}]},
            'order': 'asc',
        }
        now = self.clock.time()
        oldest = None
        size = self.config.page_size
        for page in range(1, MAX_PAGES + 1):
            results = results_of(self.client.post(PATH, body, params={'pageSize': size, 'pageNumber': page}), PATH)
            more = False
            for result in results:
                more = more or bool(result.get('truncated'))
                for entity in result.get('entities') or []:
                    if entity.get('routingStatus') != 'NOT_RESPONDING' or not entity.get('routingStatusDate'):
                        continue
                    since = _epoch(entity['routingStatusDate'])
                    oldest = since if oldest is None else min(oldest, since)
            if not more:
                break
        return max(0.0, now - oldest) if oldest is not None else 0.0


def _epoch(text):
    return datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp()

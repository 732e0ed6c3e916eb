"""Agents org-wide by routing status and system presence, and the longest current NOT_RESPONDING.

`POST /api/v2/analytics/routing/activity/query` (reference 8.4), never one request per user:
1. counts: metrics oUserRoutingStatuses + oUserPresences with an empty `groupBy` (one org-wide group; the
   Java SDK marks groupBy required and its only value is queueId, which would count an agent once per queue);
2. only when someone is NOT_RESPONDING: the same query filtered on routingStatus NOT_RESPONDING with
   `details: true`, paged (pageSize/pageNumber) while `truncated`, for each agent's `routingStatusDate`
   (the time the agent entered the status).

With notifications, when every user of the org has a live activity topic (notifications/hub.py), the counts
and the longest NOT_RESPONDING come from the activity notifications and cost nothing. Each user is seeded once
per connection generation (what happened while a socket was down is lost) by the same query filtered on up to
100 userIds with `details: true` (SEED_QUERIES_PER_RUN a run); users it does not return take no queue routing
and are left out, as the org-wide query leaves them out. Until all are seeded, and whenever a topic is not
live or some users have none (a large org), the polling above runs.
"""

import math
from datetime import datetime

from .. import tagging
from ..notifications import hub_of
from ..notifications.topics import epoch, user_topic
from .base import Collector
from .queue_list import results_of

PATH = '/api/v2/analytics/routing/activity/query'
ROUTING_STATUSES = ('OFF_QUEUE', 'IDLE', 'INTERACTING', 'NOT_RESPONDING', 'COMMUNICATING')
SYSTEM_PRESENCES = ('AVAILABLE', 'AWAY', 'BUSY', 'OFFLINE', 'IDLE', 'ON_QUEUE', 'MEAL', 'TRAINING', 'MEETING',
                    'BREAK')
MAX_PAGES = 50  # 5,000 NOT_RESPONDING agents at 100 a page: beyond that the org has a bigger problem
SEED_BATCH = 100  # userId predicates per seeding query (the activity query's predicate limit is UNVERIFIED)
SEED_QUERIES_PER_RUN = 10


class AgentsCollector(Collector):
    name = 'agents'
    permissions = ('analytics:queueObservation:view',)
    # page_size: NOT_RESPONDING entities per page (the activity queries' page size ceiling is UNVERIFIED).

    @classmethod
    def minimum_requests(cls, size):
        extra = math.ceil(size.not_responding / cls.default('page_size'))
        return 1 + extra  # one org-wide query, plus a page per page_size agents NOT_RESPONDING

    def collect(self):
        hub = hub_of(self.ctx)
        if hub is not None and self._collect_live(hub):
            return
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
        longest = self._longest_not_responding() if statuses.get('NOT_RESPONDING') else 0.0
        self._submit(statuses, presences, longest)

    def _submit(self, statuses, presences, longest):
        for status, n in statuses.items():
            self.gauge('agents.routing_status', n, tags=[tagging.tag('routing_status', status.lower())])
        for presence, n in presences.items():
            self.gauge('agents.presence', n, tags=[tagging.tag('system_presence', presence.lower())])
        self.gauge('agents.not_responding.longest', longest)

    def _collect_live(self, hub) -> bool:
        """Submit from the activity notifications; False when they do not cover every user (poll instead)."""
        plan = hub.plan
        if plan is None or plan.users_left_out or not hub.user_ids:
            return False
        known, unseeded = [], []
        for user_id in hub.user_ids:
            gen = hub.gen(user_topic(user_id))
            if gen is None:
                return False
            item = hub.state.user(user_id, gen)
            if item is None:
                unseeded.append((user_id, gen))
            else:
                known.append(item)
        if unseeded:
            limit = SEED_BATCH * SEED_QUERIES_PER_RUN
            self._seed(hub, unseeded[:limit])
            if len(unseeded) > limit:
                return False
            known.extend(item for item in (hub.state.user(u, g) for u, g in unseeded) if item is not None)
            if len(known) < len(hub.user_ids):
                return False
        statuses = dict.fromkeys(ROUTING_STATUSES, 0)
        presences = dict.fromkeys(SYSTEM_PRESENCES, 0)
        now = self.clock.time()
        oldest = None
        for item in known:
            if not item.get('agent'):
                continue
            if item.get('routing') in statuses:
                statuses[item['routing']] += 1
            if item.get('presence') in presences:
                presences[item['presence']] += 1
            if item.get('routing') == 'NOT_RESPONDING' and item.get('routing_since'):
                oldest = item['routing_since'] if oldest is None else min(oldest, item['routing_since'])
        self._submit(statuses, presences, max(0.0, now - oldest) if oldest is not None else 0.0)
        return True

    def _seed(self, hub, users):
        for start in range(0, len(users), SEED_BATCH):
            batch = users[start:start + SEED_BATCH]
            body = {
                'metrics': [{'metric': 'oUserRoutingStatuses', 'details': True}, {'metric': 'oUserPresences'}],
                'groupBy': [],
                'filter': {'type': 'or', 'predicates': [{'dimension': 'userId', 'value': u} for u, _ in batch]},
            }
            params = {'pageSize': SEED_BATCH, 'pageNumber': 1}
            found = {}
            for result in results_of(self.client.post(PATH, body, params=params), PATH):
                for entity in result.get('entities') or []:
                    if isinstance(entity, dict) and isinstance(entity.get('userId'), str):
                        found[entity['userId']] = entity
            for user_id, gen in batch:
                entity = found.get(user_id)
                if entity is None:
                    hub.state.seed_user(user_id, gen, agent=False)
                    continue
                presence = entity.get('systemPresence')
                hub.state.seed_user(user_id, gen, routing=entity.get('routingStatus'),
                                    routing_since=epoch(entity.get('routingStatusDate')),
                                    presence=presence.upper() if isinstance(presence, str) else None)

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

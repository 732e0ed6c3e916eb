"""Activity queries: who is in which routing status / presence, and what conversations are doing right now.

- POST /api/v2/analytics/routing/activity/query (SDK RoutingActivityQuery / RoutingActivityResponse)
- POST /api/v2/analytics/conversations/activity/query (SDK ConversationActivityQuery / ConversationActivityResponse)

Both take `?pageSize&pageNumber` (SDK apis/routing_api.py, conversations_api.py). `metrics` and `groupBy` are
required (Java SDK: not [optional]); groupBy enums from the Java SDK (routing: `queueId` only). Emulator
choices, UNVERIFIED on the platform: an empty `groupBy` gives one org-wide group `{}`; paging applies to each
group's `entities` (only present for metrics asked with `details: true`), `truncated` says more pages exist;
`order` sorts entities by activityDate (asc by default); `entityIds` are listed only for metrics with details;
routing activity covers agents (users with queue routing); groups without data are left out; for
oLongestWaiting/oLongestInteracting `calculatedMetricValue` is the epoch ms the oldest conversation entered the
state (ContactCenter.longest_waiting_as = 'duration' reports elapsed ms instead).
"""

from datetime import datetime

from ..data.contact_center import contact_center
from ..formats import iso_ms, utc
from ..routing import Sample, route
from ..validation import check_enum, require
from .analytics_common import check_filter, check_groupby, entity_page, group_rows, matches, values_of

ORDERS = ('asc', 'desc', 'unordered')

ROUTING_METRICS = ('oActiveUsers', 'oMemberUsers', 'oOffQueueUsers', 'oOnQueueUsers', 'oUserPresences',
                   'oUserRoutingStatuses')
ROUTING_DIMENSIONS = ('organizationPresenceId', 'presenceDate', 'queueId', 'queueMembershipStatus', 'routingStatus',
                      'routingStatusDate', 'systemPresence', 'teamId', 'userId')
ROUTING_GROUP_BY = ('queueId',)

CONVERSATION_METRICS = ('oAlerting', 'oInteracting', 'oLongestInteracting', 'oLongestWaiting', 'oWaiting')
CONVERSATION_DIMENSIONS = ('activeRouting', 'addressFrom', 'addressTo', 'agentScore', 'ani', 'conversationId',
                           'convertedFrom', 'convertedTo', 'direction', 'dnis', 'mediaType', 'participantName',
                           'queueId', 'requestedLanguageId', 'requestedRouting', 'requestedRoutingSkillId',
                           'routingPriority', 'scoredAgentId', 'sessionId', 'teamId', 'usedRouting', 'userId')


def _query(json, metrics_allowed, group_by_allowed, dimensions):
    """(metrics as [(metric, details)], groupBy, filter or None, order) of a valid activity query body."""
    body = require(json, 'metrics')
    metrics = body['metrics']
    if not isinstance(metrics, list):
        check_enum(metrics, metrics_allowed, 'metrics')
    parsed = []
    for entry in metrics:
        if not isinstance(entry, dict):
            check_enum(entry, (), 'metrics')
        parsed.append((check_enum(entry.get('metric'), metrics_allowed, 'metrics.metric'), bool(entry.get('details'))))
    group_by = check_groupby(body, group_by_allowed, required=True)
    flt = body.get('filter')
    if flt is not None:
        check_filter(flt, dimensions)
    return parsed, group_by, flt, check_enum(body.get('order', 'asc'), ORDERS, 'order')


def _order(rows, order, key='activityDate'):
    if order == 'unordered':
        return rows
    return sorted(rows, key=lambda r: (r[key], r.get('userId') or r.get('conversationId') or ''),
                  reverse=order == 'desc')


# -- routing activity -------------------------------------------------------------------------------

def _routing_rows(org, cc, t, by_queue, flt):
    states = cc.agent_states(t)
    queue_ids = values_of(flt, 'queueId') if by_queue else []
    with org.lock:
        if by_queue:
            queues = [org.queue(q) for q in queue_ids] if queue_ids else list(org.queues)
            pairs = [(q.id, m) for q in queues if q is not None for m in q.member_ids if m in states]
        else:
            pairs = [(None, uid) for uid in states]
    rows = []
    for queue_id, user_id in pairs:
        state = states[user_id]
        row = {'userId': user_id, 'routingStatus': state.routing_status, 'systemPresence': state.system_presence,
               'organizationPresenceId': cc.organization_presence_id(state.system_presence),
               'routingStatusDate': state.routing_status_date, 'presenceDate': state.presence_date,
               'activityDate': max(state.routing_status_date, state.presence_date)}
        if queue_id is not None:
            row['queueId'] = queue_id
        if matches(flt, _filterable(row)):
            rows.append(row)
    return rows


def _filterable(row):
    return {k: iso_ms(v) if isinstance(v, datetime) else v for k, v in row.items()}


def _routing_selection(metric, rows):
    """[(qualifier, secondary qualifier, rows)] a metric reports, or [(None, None, rows)] when unqualified."""
    logged_in = [r for r in rows if r['systemPresence'] != 'OFFLINE']
    if metric == 'oMemberUsers':
        return [(None, None, rows)]
    if metric == 'oActiveUsers':
        return [(None, None, logged_in)]
    if metric == 'oOffQueueUsers':
        return [(None, None, [r for r in logged_in if r['systemPresence'] != 'ON_QUEUE'])]
    if metric == 'oOnQueueUsers':
        rows = [r for r in rows if r['systemPresence'] == 'ON_QUEUE']
    key = 'systemPresence' if metric == 'oUserPresences' else 'routingStatus'
    found = {}
    for row in rows:
        found.setdefault(row[key], []).append(row)
    return [(qualifier, group[0]['organizationPresenceId'] if key == 'systemPresence' else None, group)
            for qualifier, group in sorted(found.items())]


def _routing_entity(row):
    entity = {'activityDate': iso_ms(row['activityDate']), 'userId': row['userId'],
              'routingStatus': row['routingStatus'], 'routingStatusDate': iso_ms(row['routingStatusDate']),
              'systemPresence': row['systemPresence'], 'organizationPresenceId': row['organizationPresenceId'],
              'presenceDate': iso_ms(row['presenceDate'])}
    if 'queueId' in row:
        entity['queueId'] = row['queueId']
    return entity


def _routing_sample(api):
    queue_id = api.org.queues[0].id
    return [
        Sample(json={'metrics': [{'metric': m} for m in ROUTING_METRICS], 'groupBy': []}),
        Sample(query={'pageSize': '5', 'pageNumber': '1'},
               json={'metrics': [{'metric': 'oUserRoutingStatuses', 'details': True}, {'metric': 'oOnQueueUsers'}],
                     'groupBy': ['queueId'], 'order': 'asc',
                     'filter': {'type': 'or', 'predicates': [{'dimension': 'queueId', 'value': queue_id}]}}),
    ]


@route('POST', '/api/v2/analytics/routing/activity/query', sdk_model='RoutingActivityResponse',
       permissions=('analytics:queueObservation:view',), samples=_routing_sample)
def post_routing_activity(request):
    metrics, group_by, flt, order = _query(request.json, ROUTING_METRICS, ROUTING_GROUP_BY, ROUTING_DIMENSIONS)
    org, t = request.org, request.clock.time()
    cc = contact_center(org)
    rows = _routing_rows(org, cc, t, 'queueId' in group_by, flt)
    results = []
    for group, members in group_rows(rows, group_by):
        data, detailed = [], {}
        for metric, details in metrics:
            for qualifier, secondary, selected in _routing_selection(metric, members):
                entry = {'metric': metric}
                if qualifier is not None:
                    entry['qualifier'] = qualifier
                if secondary is not None:
                    entry['secondaryQualifier'] = secondary
                if details:
                    entry['entityIds'] = [r['userId'] for r in selected]
                    for row in selected:
                        detailed[(row['userId'], row.get('queueId'))] = row
                entry['count'] = len(selected)
                data.append(entry)
        result = {'group': group, 'data': data}
        if any(details for _, details in metrics):
            page, truncated = entity_page(request, _order(list(detailed.values()), order))
            result['truncated'] = truncated
            result['entities'] = [_routing_entity(r) for r in page]
        results.append(result)
    return {'results': results, 'entityIdDimension': 'userId'}


# -- conversation activity ---------------------------------------------------------------------------

STATE_OF = {'oWaiting': 'waiting', 'oAlerting': 'alerting', 'oInteracting': 'interacting',
            'oLongestWaiting': 'waiting', 'oLongestInteracting': 'interacting'}


def _conversation_rows(org, cc, t, flt):
    queue_ids = values_of(flt, 'queueId')
    with org.lock:
        queue_ids = [q for q in queue_ids if org.queue(q)] if queue_ids else [q.id for q in org.queues]
    rows = []
    for queue_id in queue_ids:
        for conv in cc.conversations(queue_id, t):
            state = conv.state(t)
            entered = {'waiting': conv.arrived, 'alerting': conv.answered, 'interacting': conv.connected}[state]
            row = {'conversationId': conv.id, 'sessionId': conv.id, 'queueId': queue_id, 'mediaType': conv.media_type,
                   'direction': 'inbound', 'usedRouting': 'Standard', 'requestedRouting': 'Standard',
                   'routingPriority': 0, 'state': state, 'entered': entered, 'activityDate': utc(entered)}
            if matches(flt, {k: v for k, v in row.items() if k in CONVERSATION_DIMENSIONS}):
                rows.append(row)
    return rows


def _conversation_entity(row, metric):
    return {'activityDate': iso_ms(row['activityDate']), 'metric': metric, 'conversationId': row['conversationId'],
            'sessionId': row['sessionId'], 'queueId': row['queueId'], 'mediaType': row['mediaType'],
            'direction': row['direction'], 'routingPriority': row['routingPriority'],
            'requestedRoutings': ['Standard'], 'usedRouting': row['usedRouting']}


def _conversation_sample(api):
    queue_ids = [q.id for q in api.org.queues]
    return [
        Sample(json={'metrics': [{'metric': m} for m in CONVERSATION_METRICS], 'groupBy': ['queueId']}),
        Sample(query={'pageSize': '3'},
               json={'metrics': [{'metric': 'oWaiting', 'details': True}, {'metric': 'oLongestWaiting'}],
                     'groupBy': ['queueId', 'mediaType'], 'order': 'asc',
                     'filter': {'type': 'or',
                                'predicates': [{'dimension': 'queueId', 'value': q} for q in queue_ids]}}),
    ]


@route('POST', '/api/v2/analytics/conversations/activity/query', sdk_model='ConversationActivityResponse',
       permissions=('analytics:queueObservation:view',), samples=_conversation_sample)
def post_conversation_activity(request):
    metrics, group_by, flt, order = _query(request.json, CONVERSATION_METRICS, CONVERSATION_DIMENSIONS,
                                           CONVERSATION_DIMENSIONS)
    org, t = request.org, request.clock.time()
    cc = contact_center(org)
    results = []
    for group, members in group_rows(_conversation_rows(org, cc, t, flt), group_by):
        data, entities = [], []
        for metric, details in metrics:
            selected = [r for r in members if r['state'] == STATE_OF[metric]]
            if not selected:
                continue
            if metric in ('oLongestWaiting', 'oLongestInteracting'):
                oldest = min(selected, key=lambda r: r['entered'])
                value = oldest['entered'] * 1000
                if cc.longest_waiting_as == 'duration':
                    value = (t - oldest['entered']) * 1000
                entry = {'metric': metric, 'count': 1, 'calculatedMetricValue': int(value)}
                selected = [oldest]
            else:
                entry = {'metric': metric, 'count': len(selected)}
            if details:
                entry['entityIds'] = [r['conversationId'] for r in selected]
                entities.extend(_conversation_entity(r, metric) for r in selected)
            data.append(entry)
        if not data:
            continue
        result = {'group': group, 'data': data}
        if any(details for _, details in metrics):
            page, truncated = entity_page(request, _order(entities, order))
            result['truncated'] = truncated
            result['entities'] = page
        results.append(result)
    return {'results': results, 'entityIdDimension': 'conversationId'}

"""POST /api/v2/analytics/queues/observations/query: what each queue holds right now.

SDK models QueueObservationQuery / QueueObservationQueryResponse (purecloudplatformclientv2 269.0.0); metric
and detailMetrics enums from the Java SDK (reference 8.3). The split of user metrics under `{queueId}` and
conversation metrics under `{queueId, mediaType}` follows real responses (UNVERIFIED as a rule). Ground truth:
emulator/data/contact_center.py.
"""

from ..data.contact_center import ROUTING_STATUSES, SYSTEM_PRESENCES, contact_center
from ..errors import bad_request
from ..formats import iso_ms, utc
from ..routing import Sample, route
from ..validation import check_enum_list, require
from .analytics_common import check_filter, values_of

METRICS = ('oActiveUsers', 'oAlerting', 'oInteracting', 'oMemberUsers', 'oOffQueueUsers', 'oOnQueueUsers',
           'oUserPresences', 'oUserRoutingStatuses', 'oWaiting')
CONVERSATION_METRICS = {'oWaiting': 'waiting', 'oInteracting': 'interacting', 'oAlerting': 'alerting'}
DIMENSIONS = ('mediaType', 'queueId')
# Most predicates one query takes. UNVERIFIED for this endpoint: 100 is the documented ceiling of the user
# aggregates query; the emulator enforces it so a batch_size above it shows up as a 400 in tests.
MAX_PREDICATES = 100


def _sample(api):
    queue_ids = [q.id for q in api.org.queues[:2]]
    return [
        Sample(json={'filter': {'type': 'or', 'predicates': [{'dimension': 'queueId', 'value': q} for q in queue_ids]},
                     'metrics': list(METRICS), 'detailMetrics': ['oWaiting', 'oUserRoutingStatuses']}),
        Sample(json={'filter': {'type': 'and', 'clauses': [
            {'type': 'or', 'predicates': [{'dimension': 'queueId', 'value': queue_ids[0]}]},
            {'type': 'or', 'predicates': [{'dimension': 'mediaType', 'value': 'voice'}]}]},
            'metrics': ['oWaiting', 'oOnQueueUsers']}),
    ]


def _count(metric, count, qualifier=None, observations=None):
    entry = {'metric': metric}
    if qualifier is not None:
        entry['qualifier'] = qualifier
    entry['stats'] = {'count': count}
    if observations is not None:
        entry['truncated'] = False
        entry['observations'] = observations
    return entry


def _user_data(cc, queue, t, metrics, details):
    counts = cc.queue_agents(queue, t)
    members = []
    if details or 'oUserPresences' in metrics:
        states = cc.agent_states(t)
        members = [states[m] for m in queue.member_ids if m in states]

    def entry(metric, count, qualifier=None, selected=()):
        observations = None
        if metric in details:
            observations = [{'observationDate': iso_ms(s.routing_status_date), 'userId': s.user_id}
                            for s in selected]
        return _count(metric, count, qualifier, observations)

    data = []
    for metric in metrics:
        if metric == 'oMemberUsers':
            data.append(entry(metric, counts['members'], selected=members))
        elif metric == 'oActiveUsers':
            data.append(entry(metric, counts['active'], selected=[s for s in members if s.logged_in]))
        elif metric == 'oOffQueueUsers':
            off = [s for s in members if s.logged_in and not s.on_queue]
            data.append(entry(metric, counts['off_queue'], selected=off))
        elif metric in ('oOnQueueUsers', 'oUserRoutingStatuses'):
            on_queue_only = metric == 'oOnQueueUsers'
            by_status = counts['on_queue'] if on_queue_only else counts['routing_status']
            present = [s for s in ROUTING_STATUSES if by_status[s]]
            for status in present:
                selected = [s for s in members if s.routing_status == status and (s.on_queue or not on_queue_only)]
                data.append(entry(metric, by_status[status], status, selected))
            if not present:
                data.append(entry(metric, 0))
        elif metric == 'oUserPresences':
            for presence in SYSTEM_PRESENCES:
                selected = [s for s in members if s.system_presence == presence]
                if selected:
                    data.append(entry(metric, len(selected), presence, selected))
    return data


def _conversation_data(cc, queue_id, media_type, t, metrics, details):
    conversations = [c for c in cc.conversations(queue_id, t) if c.media_type == media_type]
    data = []
    for metric in metrics:
        state = CONVERSATION_METRICS.get(metric)
        if state is None:
            continue
        matching = sorted((c for c in conversations if c.state(t) == state), key=lambda c: c.arrived)
        observations = None
        if metric in details:
            # Oldest first, so the first waiting observation is the longest waiter (reference 8.3).
            observations = [{'observationDate': iso_ms(utc(c.arrived)), 'conversationId': c.id, 'sessionId': c.id,
                             'direction': 'inbound', 'routingPriority': 0, 'requestedRoutings': ['Standard'],
                             'usedRouting': 'Standard'} for c in matching]
        data.append(_count(metric, len(matching), observations=observations))
    return data


@route('POST', '/api/v2/analytics/queues/observations/query', sdk_model='QueueObservationQueryResponse',
       permissions=('analytics:queueObservation:view',), samples=_sample)
def post_queue_observations(request):
    body = require(request.json, 'filter', 'metrics')
    metrics = check_enum_list(body['metrics'], METRICS, 'metrics')
    details = set(check_enum_list(body.get('detailMetrics') or [], METRICS, 'detailMetrics'))
    predicates = check_filter(body['filter'], DIMENSIONS)
    if predicates > MAX_PREDICATES:
        raise bad_request(f'The filter has {predicates} predicates; at most {MAX_PREDICATES} are allowed.',
                          field='filter.predicates')
    queue_ids = values_of(body['filter'], 'queueId')
    if not queue_ids:
        raise bad_request('The filter must include at least one queueId predicate.', field='filter')
    media_filter = set(values_of(body['filter'], 'mediaType'))
    org, t = request.org, request.clock.time()
    cc = contact_center(org)
    results = []
    user_metrics = [m for m in metrics if m not in CONVERSATION_METRICS]
    conversation_metrics = [m for m in metrics if m in CONVERSATION_METRICS]
    with org.lock:
        queues = [q for q in (org.queue(qid) for qid in queue_ids) if q is not None]
    for queue in queues:
        if user_metrics:
            results.append({'group': {'queueId': queue.id},
                            'data': _user_data(cc, queue, t, user_metrics, details)})
        if conversation_metrics:
            for media_type in cc.media_types(queue.id):
                if media_filter and media_type not in media_filter:
                    continue
                results.append({'group': {'queueId': queue.id, 'mediaType': media_type},
                                'data': _conversation_data(cc, queue.id, media_type, t, conversation_metrics,
                                                           details)})
    answer = {'results': results}
    if 'oUserPresences' in metrics:
        answer['systemToOrganizationMappings'] = {p: [cc.organization_presence_id(p)] for p in SYSTEM_PRESENCES}
    return answer

"""Notifications API facts: topic names, limits, and the messages a channel's WebSocket carries.

Sources (purecloudplatformclientv2 269.0.0 unless marked):
- Channel `{id, connectUri, expires}` (models/channel.py); subscriptions `[{"id": topic}]`, answered with
  ChannelTopic `{id, state: Permitted|Rejected, rejectionReason, missingPermissions}` (models/channel_topic.py);
  endpoints in apis/notifications_api.py.
- `v2.analytics.queues.{id}.observations`: V2QueueObservationObservationCountNotification
  `{results: [{mediaType, data: [{metric, count, calculatedMetricValue}]}]}`, metric one of oAlerting,
  oInteracting, oWaiting, oFlow, oLongestWaiting, oLongestInteracting (models/v2_queue_observation_*.py).
  It carries NO member routing statuses (the SDK's metric enum has none), so agents per queue are polled.
  UNVERIFIED: that each notification holds every media type of the queue (we keep the media types a message
  leaves out) and that oLongestWaiting's calculatedMetricValue means what the activity query's does.
- `v2.users.{id}.activity`: UserActivity `{id, routingStatus{status, startTime}, presence{presenceDefinition{id,
  systemPresence}, presenceMessage, modifiedDate}, outOfOffice, activeQueueIds, dateActiveQueuesChanged}`
  (models/user_activity*.py). UNVERIFIED: that this model is the topic's body (the .NET SDK's topic map names
  AgentActivityNotification for it; the fields match).
- Limits (reference 12, VERIFIED-doc): 20 channels per user and app, 1,000 topics per channel, one WebSocket per
  channel, 24 h lifetime unless resubscribed. Heartbeats carry topicName `channel.metadata`; their text and
  interval are UNVERIFIED, so any `channel.metadata` message counts as a sign of life.
- `v2.system.socket_closing` before maintenance, and `{"message": "ping"}` answered on `channel.metadata`
  (reference 12 / issue notes): the pong's text is UNVERIFIED, so any `channel.metadata` message received after
  a ping answers it.
- The envelope `{topicName, version, eventBody, metadata}`; `timestamp` in it is UNVERIFIED over WebSocket
  (EventBridge carries one): used to drop an out-of-order message when present.
"""

from datetime import datetime

MAX_CHANNELS = 20
MAX_TOPICS_PER_CHANNEL = 1000
CHANNEL_LIFETIME = 24 * 3600

QUEUE_OBSERVATIONS = 'v2.analytics.queues.{}.observations'
USER_ACTIVITY = 'v2.users.{}.activity'
METADATA_TOPIC = 'channel.metadata'
SOCKET_CLOSING = 'v2.system.socket_closing'
PING = '{"message": "ping"}'

CONVERSATION_METRICS = ('oWaiting', 'oAlerting', 'oInteracting')
LONGEST_WAITING = 'oLongestWaiting'
ROUTING_STATUSES = ('OFF_QUEUE', 'IDLE', 'INTERACTING', 'NOT_RESPONDING', 'COMMUNICATING')


def queue_topic(queue_id) -> str:
    return QUEUE_OBSERVATIONS.format(queue_id)


def user_topic(user_id) -> str:
    return USER_ACTIVITY.format(user_id)


def parse_topic(name):
    """('queue', id) or ('user', id) for the topics the check subscribes to, else None."""
    if not isinstance(name, str):
        return None
    parts = name.split('.')
    if len(parts) == 5 and parts[:3] == ['v2', 'analytics', 'queues'] and parts[4] == 'observations' and parts[3]:
        return 'queue', parts[3]
    if len(parts) == 4 and parts[:2] == ['v2', 'users'] and parts[3] == 'activity' and parts[2]:
        return 'user', parts[2]
    return None


def epoch(text):
    """Epoch seconds of an ISO-8601 date, or None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp()
    except ValueError:
        return None


def observation(body) -> dict:
    """media type -> {metric: count, 'oLongestWaiting': calculatedMetricValue or None} of an observation body;
    raises ValueError/TypeError on a body of another shape."""
    results = body['results']
    if not isinstance(results, list):
        raise TypeError('results is not a list')
    media = {}
    for group in results:
        media_type = group['mediaType']
        if not isinstance(media_type, str):
            raise TypeError('mediaType is not a string')
        values = dict.fromkeys(CONVERSATION_METRICS, 0)
        values[LONGEST_WAITING] = None
        for entry in group.get('data') or []:
            metric = entry.get('metric')
            if metric in CONVERSATION_METRICS:
                values[metric] = int(entry.get('count') or 0)
            elif metric == LONGEST_WAITING and entry.get('calculatedMetricValue') is not None:
                values[LONGEST_WAITING] = float(entry['calculatedMetricValue'])
        media[media_type] = values
    return media


def activity(body) -> dict:
    """{routing, routing_since, presence, queues} of a UserActivity body; raises on another shape."""
    routing = body.get('routingStatus') or {}
    presence = body.get('presence') or {}
    status = routing.get('status')
    if status is not None and status not in ROUTING_STATUSES:
        raise ValueError(f'unknown routing status {status!r}')
    definition = presence.get('presenceDefinition') or {}
    system = definition.get('systemPresence')
    queues = body.get('activeQueueIds')
    return {
        'routing': status,
        'routing_since': epoch(routing.get('startTime')),
        'presence': system.upper().replace(' ', '_') if isinstance(system, str) else None,
        'presence_since': epoch(presence.get('modifiedDate')),
        'queues': [q for q in queues if isinstance(q, str)] if isinstance(queues, list) else [],
    }

"""Notifications API REST endpoints (SDK apis/notifications_api.py; models Channel, ChannelEntityListing,
ChannelTopicEntityListing, AvailableTopicEntityListing). The channels and their WebSocket live in
emulator/notifications.py. Channels belong to the OAuth client of the token that created them.
"""

from ..notifications import TOPICS
from ..routing import Response, Sample, route

CHANNELS = '/api/v2/notifications/channels'


def _service(request):
    return request.emulator.notifications


def _channel(request):
    return _service(request).get(request.path_params['channelId'], request.token.client_id)


def _existing_channel(api):
    """A sample channel created through the API, so the sample asks about one that exists."""
    channel_id = api.post(CHANNELS).json()['id']
    queue_topic = f'v2.analytics.queues.{api.org.queues[0].id}.observations'
    return {'channelId': channel_id}, [{'id': queue_topic}]


def _subscription_samples(api):
    params, body = _existing_channel(api)
    return [Sample(path_params=params, json=body)]


def _get_samples(api):
    params, _ = _existing_channel(api)
    return [Sample(path_params=params)]


@route('POST', CHANNELS, sdk_model='Channel', samples=Sample())
def create_channel(request):
    service = _service(request)
    return service.render(service.create(request.token.client_id))


@route('GET', CHANNELS, sdk_model='ChannelEntityListing', samples=Sample(query={'includechannels': 'oauthclient'}))
def list_channels(request):
    service = _service(request)
    return {'entities': [service.render(c) for c in service.owned(request.token.client_id)]}


# HEAD answers no body: there is no model to check, only the status (200 alive, 404 gone).
@route('HEAD', CHANNELS + '/{channelId}', sdk_model=None, samples=_get_samples)
def head_channel(request):
    _channel(request)
    return Response(200)


@route('GET', CHANNELS + '/{channelId}/subscriptions', sdk_model='ChannelTopicEntityListing', samples=_get_samples)
def get_subscriptions(request):
    channel = _channel(request)
    return {'entities': [_service(request).render_topic(name) for name in channel.topics]}


def _subscribe(request, replace):
    service = _service(request)
    channel = _channel(request)
    return {'entities': service.subscribe(channel, request.json, replace, request.emulator.permissions)}


@route('POST', CHANNELS + '/{channelId}/subscriptions', sdk_model='ChannelTopicEntityListing',
       samples=_subscription_samples)
def add_subscriptions(request):
    return _subscribe(request, replace=False)


@route('PUT', CHANNELS + '/{channelId}/subscriptions', sdk_model='ChannelTopicEntityListing',
       samples=_subscription_samples)
def replace_subscriptions(request):
    return _subscribe(request, replace=True)


# DELETE answers 204 without a body (SDK: delete_notifications_channel_subscriptions returns None).
@route('DELETE', CHANNELS + '/{channelId}/subscriptions', sdk_model=None, samples=_get_samples)
def delete_subscriptions(request):
    _service(request).unsubscribe(_channel(request))
    return Response(204)


@route('GET', '/api/v2/notifications/availabletopics', sdk_model='AvailableTopicEntityListing',
       samples=[Sample(), Sample(query={'expand': 'requiresPermissions,schema', 'includePreview': 'true'})])
def available_topics(request):
    entities = []
    for name, (description, permissions) in TOPICS.items():
        entities.append({'id': name, 'description': description, 'requiresPermissions': permissions,
                         'visibility': 'Public', 'transports': ['Websocket', 'EventBridge'],
                         'publicApiTemplateUriPaths': [], 'topicParameters': ['id']})
    return {'entities': entities}

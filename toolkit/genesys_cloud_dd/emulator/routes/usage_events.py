"""Operational events: /api/v2/usage/events/* (reference 4.5).

Models (purecloudplatformclientv2 269.0.0, apis/operational_events_api.py): EventDefinitionListing,
EventDefinition, EventQueryRequest -> EventQueryResponse{entities: OperationalEvent}, EventAggregatesQueryRequest
-> EventAggregatesResponse. Permission `usage:events:view` from the SDK docs ("Requires ALL permissions").
Paging: before/after cursors with nextUri/previousUri, pageSize up to 200.
"""

from ..data.operational_events import operational_events
from ..errors import not_found
from ..formats import iso_ms
from ..paging import before_after_page
from ..routing import Sample, route
from ..validation import check_enum, parse_interval, require

PERMISSIONS = ('usage:events:view',)
SORT_ORDERS = ('ASC', 'DESC')


def _definition(d):
    return {'id': d.id, 'name': d.name, 'description': d.description}


@route('GET', '/api/v2/usage/events/definitions', sdk_model='EventDefinitionListing', permissions=PERMISSIONS)
def get_event_definitions(request):
    return {'entities': [_definition(d) for d in operational_events(request.org).definitions]}


@route('GET', '/api/v2/usage/events/definitions/{eventDefinitionId}', sdk_model='EventDefinition',
       permissions=PERMISSIONS,
       samples=lambda api: Sample(path_params={'eventDefinitionId': operational_events(api.org).definitions[0].id}))
def get_event_definition(request):
    found = operational_events(request.org).definition(request.path_params['eventDefinitionId'])
    if found is None:
        raise not_found('Event definition not found: ' + request.path_params['eventDefinitionId'])
    return _definition(found)


def render_event(event):
    """SDK model OperationalEvent (phone numbers are never part of the emulated events)."""
    body = {
        'eventDefinition': {'id': event.definition_id, 'selfUri': '/api/v2/usage/events/definitions/'
                            + event.definition_id},
        'entityId': event.entity_id,
        'entityName': event.entity_name,
        'dateCreated': iso_ms(event.date_created),
    }
    for key, value in (('errorCode', event.error_code), ('previousValue', event.previous_value),
                       ('currentValue', event.current_value)):
        if value is not None:
            body[key] = value
    if event.conversation_id:
        body['conversation'] = {'id': event.conversation_id,
                                'selfUri': '/api/v2/conversations/' + event.conversation_id}
    return body


def _interval_sample(api):
    now = api.org.clock.now().replace(microsecond=0)
    start = now.replace(hour=0, minute=0, second=0)
    return f'{start.strftime("%Y-%m-%dT%H:%M:%SZ")}/{now.strftime("%Y-%m-%dT%H:%M:%SZ")}'


@route('POST', '/api/v2/usage/events/query', sdk_model='EventQueryResponse', permissions=PERMISSIONS,
       samples=lambda api: [Sample(json={'interval': _interval_sample(api), 'sortOrder': 'ASC'},
                                   query={'pageSize': '2'}),
                            Sample(json={'interval': _interval_sample(api)})])
def post_events_query(request):
    body = require(request.json, 'interval')
    start, end = parse_interval(body['interval'])
    order = check_enum(body.get('sortOrder', 'DESC'), SORT_ORDERS, 'sortOrder')
    ids = set(body.get('eventDefinitionIds') or [])
    term = (body.get('searchTerm') or '').lower()
    events = [e for e in operational_events(request.org).events(start, end)
              if (not ids or e.definition_id in ids) and (not term or term in e.entity_name.lower())]
    if order == 'DESC':
        events.reverse()
    return before_after_page(request, events, render_event, default_size=25, max_size=200)


@route('POST', '/api/v2/usage/events/aggregates/query', sdk_model='EventAggregatesResponse', permissions=PERMISSIONS,
       samples=lambda api: Sample(json={'interval': _interval_sample(api)}))
def post_events_aggregates(request):
    body = require(request.json, 'interval')
    start, end = parse_interval(body['interval'])
    counts = {}
    for event in operational_events(request.org).events(start, end):
        counts[event.definition_id] = counts.get(event.definition_id, 0) + 1
    return {'interval': body['interval'], 'eventDefinitionAggregates': [
        {'eventDefinition': {'id': d, 'selfUri': '/api/v2/usage/events/definitions/' + d}, 'eventCount': n}
        for d, n in sorted(counts.items())]}

"""Limits API: namespaces, effective and default values, change requests (reference 4.3).

Models (purecloudplatformclientv2 269.0.0, apis/organization_api.py): LimitsEntityListing{entities: Limit},
LimitChangeRequestsEntityListing, LimitChangeRequestDetails. The namespaces listing is typed `object` by the
SDK (its shape is UNVERIFIED): the emulator answers entities of {name} with page-number fields.
"""

from datetime import timedelta

from ..data.limits import STATUSES, org_limits
from ..errors import not_found
from ..formats import iso_ms
from ..paging import short_listing, uri
from ..routing import Sample, route
from ..validation import check_enum, int_param

PERMISSIONS = ('limits:organization:view',)


def _limits(request, table):
    """LimitsEntityListing of one namespace of `table` (effective values or defaults); 404 when absent."""
    name = request.path_params['namespaceName']
    if name not in table:
        raise not_found(f'Namespace {name} not found')
    return {'entities': [{'key': k, 'namespace': name, 'value': v} for k, v in sorted(table[name].items())]}


# SDK response_type 'object' (untyped), hence sdk_model=None.
@route('GET', '/api/v2/organizations/limits/namespaces', sdk_model=None, permissions=PERMISSIONS)
def get_limit_namespaces(request):
    return short_listing(request, org_limits(request.org).namespaces, lambda n: {'name': n}, default_size=100,
                         max_size=100)


@route('GET', '/api/v2/organizations/limits/namespaces/{namespaceName}', sdk_model='LimitsEntityListing',
       permissions=PERMISSIONS, samples=Sample(path_params={'namespaceName': 'platform.api'}))
def get_limit_namespace(request):
    return _limits(request, org_limits(request.org).values)


@route('GET', '/api/v2/organizations/limits/namespaces/{namespaceName}/defaults', sdk_model='LimitsEntityListing',
       permissions=PERMISSIONS, samples=Sample(path_params={'namespaceName': 'dataactions'}))
def get_limit_namespace_defaults(request):
    return _limits(request, org_limits(request.org).defaults)


def render_change_request(request_obj):
    r = request_obj
    body = {
        'id': r.id,
        'key': r.key,
        'namespace': r.namespace,
        'requestedValue': r.requested_value,
        'currentValue': r.current_value,
        'description': r.description,
        'status': r.status,
        'dateCreated': iso_ms(r.date_created),
        'statusHistory': [],
        'approvalNamespaces': [{'namespace': r.namespace, 'status': r.status, 'type': 'Primary'}],
        'selfUri': '/api/v2/organizations/limits/changerequests/' + r.id,
    }
    for change in r.history:
        item = {'dateStatusChanged': iso_ms(change.when), 'status': change.status, 'namespace': r.namespace}
        if change.previous:
            item['previousStatus'] = change.previous
        if change.message:
            item['message'] = change.message
        body['statusHistory'].append(item)
    if r.date_completed:
        body['dateCompleted'] = iso_ms(r.date_completed)
    if r.reject_reason:
        body['rejectReason'] = r.reject_reason
    return body


def _epoch_ms(when):
    return int(when.timestamp() * 1000)


@route('GET', '/api/v2/organizations/limits/changerequests', sdk_model='LimitChangeRequestsEntityListing',
       permissions=PERMISSIONS, samples=[Sample(), Sample(query={'pageSize': '2'}), Sample(query={'status': 'Open'})])
def get_limit_change_requests(request):
    now = request.clock.now()
    # `after`/`before` are integer timestamps (epoch ms: UNVERIFIED). No bound means the last 365 days.
    after = int_param(request, 'after', None)
    before = int_param(request, 'before', None)
    if after is None and before is None:
        after = _epoch_ms(now - timedelta(days=365))
    status = request.query.get('status')
    if status:
        check_enum(status, STATUSES, 'status')
    size = int_param(request, 'pageSize', 25, minimum=1, maximum=100)
    items = [r for r in org_limits(request.org).change_requests
             if (after is None or _epoch_ms(r.date_created) > after)
             and (before is None or _epoch_ms(r.date_created) < before)
             and (not status or r.status == status)]
    items.sort(key=lambda r: (r.date_created, r.id), reverse=True)
    page = items[:size]
    body = {'entities': [render_change_request(r) for r in page], 'selfUri': uri(request)}
    if len(items) > size:
        body['nextUri'] = uri(request, before=_epoch_ms(page[-1].date_created))
    return body


@route('GET', '/api/v2/organizations/limits/changerequests/{requestId}', sdk_model='LimitChangeRequestDetails',
       permissions=PERMISSIONS,
       samples=lambda api: Sample(path_params={'requestId': org_limits(api.org).change_requests[0].id}))
def get_limit_change_request(request):
    found = org_limits(request.org).change_request(request.path_params['requestId'])
    if found is None:
        raise not_found('Limit change request not found: ' + request.path_params['requestId'])
    return render_change_request(found)

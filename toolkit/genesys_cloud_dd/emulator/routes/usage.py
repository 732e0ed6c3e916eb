"""Usage API: the new aggregates jobs and the legacy org query (reference section 5).

Models (purecloudplatformclientv2 269.0.0): OrganizationPublicApiUsageQueryRequest -> OrganizationUsageQueryResponse,
OrganizationPublicApiUsageResultsResponse{entities: OrganizationPublicApiUsage}; ApiUsageOrganizationQuery ->
UsageExecutionResult, ApiUsageQueryResult{results: ApiUsageRow}. List enums (metrics, groupBy) from the Java SDK
models of the same names, as the reference gives them.
"""

from datetime import timedelta

from ..data.usage import LEGACY_GROUP_FIELDS, NEW_GROUP_FIELDS, aggregate, usage_history
from ..errors import bad_request
from ..jobs import AGGREGATES_JOB_STATES, LEGACY_USAGE_STATES
from ..paging import next_uri_page
from ..routing import Sample, route
from ..validation import check_enum, check_enum_list, parse_interval, require

GRANULARITIES = ('Day', 'Week', 'Month')
NEW_METRICS = ('Requests', 'Status200', 'Status300', 'Status400', 'Status429', 'Status500')
NEW_GROUP_BY = ('OauthClientName', 'OauthClientId', 'UserId', 'HttpMethod', 'TemplateUri', 'Platform')
HTTP_METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD')
LEGACY_METRICS = ('Status200', 'Status300', 'Status400', 'Status500', 'Status429', 'Requests')
LEGACY_GROUP_BY = ('OAuthClientId', 'OrganizationId', 'UserId', 'TemplateUri', 'HttpMethod')
# metric name -> (aggregate key, JSON field of the new entity, JSON field of the legacy row)
METRIC_FIELDS = {
    'Requests': ('requests', 'requestCount', 'requests'),
    'Status200': ('status200', 'status200', 'status200'),
    'Status300': ('status300', 'status300', 'status300'),
    'Status400': ('status400', 'status400', 'status400'),
    'Status429': ('status429', 'status429', 'status429'),
    'Status500': ('status500', 'status500', 'status500'),
}
MAX_RESULTS_PAGE = 1000  # "Page size of the results. Max is 1000."
NEW_PERMISSIONS = ('usage:organization:view',)
LEGACY_PERMISSIONS = ('oauth:client:view', 'usage:organization:view')


def _days(request, body, style, inclusive):
    start, end = parse_interval(body['interval'], style=style)
    if end - start > timedelta(days=90):
        raise bad_request('The interval must not span more than 90 days.', field='interval')
    if start < request.clock.now() - timedelta(days=366):
        raise bad_request('The interval must not start more than one year ago.', field='interval')
    first = start.date()
    # New jobs: the interval is inclusive. Legacy: [start, end), so an end at midnight leaves that day out.
    last = end.date() if inclusive or end.time() != end.time().min else end.date() - timedelta(days=1)
    return first, last


def _client_ref(org, client_id):
    client = org.oauth_client(client_id)
    ref = {'id': client_id, 'selfUri': '/api/v2/oauth/clients/' + client_id}
    if client is not None:
        ref['name'] = client.name
    return ref


# -- new aggregates jobs ----------------------------------------------------------------------------

def _sample_interval(api):
    day = usage_history(api.org).last_day()
    return f'{day.isoformat()}T00:00:00/{day.isoformat()}T23:59:59'


@route('POST', '/api/v2/usage/aggregates/query/jobs', sdk_model='OrganizationUsageQueryResponse',
       permissions=NEW_PERMISSIONS,
       samples=lambda api: Sample(json={'interval': _sample_interval(api), 'groupBy': ['OauthClientId']}))
def post_usage_aggregates_job(request):
    body = require(request.json, 'interval')
    first, last = _days(request, body, 'iso', inclusive=True)
    granularity = check_enum(body.get('granularity', 'Day'), GRANULARITIES, 'granularity')
    metrics = check_enum_list(body.get('metrics') or list(NEW_METRICS), NEW_METRICS, 'metrics')
    group_by = check_enum_list(body.get('groupBy') or [], NEW_GROUP_BY, 'groupBy')
    methods = set(check_enum_list(body.get('httpMethods') or [], HTTP_METHODS, 'httpMethods'))
    uris = set(body.get('templateUris') or [])
    client_ids = set(body.get('oauthClientIds') or [])
    org = request.org

    def compute():
        rows = [r for r in usage_history(org).rows(first, last)
                if (not methods or r.http_method in methods) and (not uris or r.template_uri in uris)
                and (not client_ids or r.client_id in client_ids)]
        # UserId and Platform are accepted but not modelled: every row is API traffic of no particular user.
        fields = tuple(dict.fromkeys(NEW_GROUP_FIELDS[g] for g in group_by if g in NEW_GROUP_FIELDS))
        totals = aggregate(org, first, last, granularity, fields, rows=rows)
        entities = []
        for key, values in totals.items():
            entity = {'date': key[0].isoformat()}  # yyyy-MM-dd
            grouped = dict(zip(fields, key[1:]))
            if 'client_id' in grouped:
                entity['oauthClient'] = _client_ref(org, grouped['client_id'])
            if 'template_uri' in grouped:
                entity['templateUri'] = grouped['template_uri']
            if 'http_method' in grouped:
                entity['httpMethod'] = grouped['http_method']
            for metric in metrics:
                source, field, _ = METRIC_FIELDS[metric]
                entity[field] = values[source]
            entities.append(entity)
        entities.sort(key=lambda e: (e['date'], -e.get('requestCount', 0), e.get('oauthClient', {}).get('id', ''),
                                     e.get('templateUri', ''), e.get('httpMethod', '')))
        return entities

    job = request.emulator.jobs.create(compute, AGGREGATES_JOB_STATES, kind='usage-aggregates', request=request)
    uri = '/api/v2/usage/aggregates/query/jobs/' + job.id
    return {'id': job.id, 'resultsUri': uri, 'selfUri': uri}


def _job_sample(api):
    created = api.post('/api/v2/usage/aggregates/query/jobs',
                       json={'interval': _sample_interval(api), 'groupBy': ['OauthClientId', 'TemplateUri']})
    return Sample(path_params={'jobId': created.json()['id']}, query={'pageSize': '5'}, polls=3)


@route('GET', '/api/v2/usage/aggregates/query/jobs/{jobId}', sdk_model='OrganizationPublicApiUsageResultsResponse',
       permissions=NEW_PERMISSIONS, samples=_job_sample)
def get_usage_aggregates_job(request):
    poll = request.emulator.jobs.poll(request.path_params['jobId'], request, kind='usage-aggregates')
    body = {'queryStatus': poll.state}
    if poll.failed:
        body['errorBody'] = {'message': str(poll.error), 'code': 'internal.server.error', 'status': 500}
    if not poll.done:
        body.update(entities=[], selfUri=request.path)
        return body
    body.update(next_uri_page(request, poll.result, default_size=100, max_size=MAX_RESULTS_PAGE))
    return body


# -- legacy org query -------------------------------------------------------------------------------

def _legacy_sample_body(api):
    day = usage_history(api.org).last_day()
    return {'interval': f'{day.isoformat()}T00:00:00/{(day + timedelta(days=1)).isoformat()}T00:00:00',
            'granularity': 'Day', 'groupBy': ['OAuthClientId', 'TemplateUri', 'HttpMethod']}


@route('POST', '/api/v2/usage/query', sdk_model='UsageExecutionResult', permissions=LEGACY_PERMISSIONS,
       samples=lambda api: Sample(json=_legacy_sample_body(api)))
def post_usage_query(request):
    body = require(request.json, 'interval')
    first, last = _days(request, body, 'usage', inclusive=False)
    granularity = check_enum(body.get('granularity', 'Day'), GRANULARITIES, 'granularity')
    metrics = check_enum_list(body.get('metrics') or list(LEGACY_METRICS), LEGACY_METRICS, 'metrics')
    group_by = check_enum_list(body.get('groupBy') or [], LEGACY_GROUP_BY, 'groupBy')
    org = request.org

    def compute():
        fields = tuple(dict.fromkeys(LEGACY_GROUP_FIELDS[g] for g in group_by if g in LEGACY_GROUP_FIELDS))
        results = []
        for key, values in aggregate(org, first, last, granularity, fields).items():
            row = {'date': key[0].isoformat() + 'T00:00:00Z'}
            grouped = dict(zip(fields, key[1:]))
            if 'client_id' in grouped:
                client = org.oauth_client(grouped['client_id'])
                row['clientId'] = grouped['client_id']
                if client is not None:
                    row['clientName'] = client.name
            if 'OrganizationId' in group_by:
                row['organizationId'] = org.id
            if 'template_uri' in grouped:
                row['templateUri'] = grouped['template_uri']
            if 'http_method' in grouped:
                row['httpMethod'] = grouped['http_method']
            for metric in metrics:
                source, _, field = METRIC_FIELDS[metric]
                row[field] = values[source]
            results.append(row)
        results.sort(key=lambda r: (r['date'], -r.get('requests', 0), r.get('clientId', ''), r.get('templateUri', ''),
                                    r.get('httpMethod', '')))
        return results

    job = request.emulator.jobs.create(compute, LEGACY_USAGE_STATES, kind='usage', request=request)
    return {'executionId': job.id, 'resultsUri': f'/api/v2/usage/query/{job.id}/results'}


def _legacy_results_sample(api):
    created = api.post('/api/v2/usage/query', json=_legacy_sample_body(api))
    return Sample(path_params={'executionId': created.json()['executionId']}, polls=2)


@route('GET', '/api/v2/usage/query/{executionId}/results', sdk_model='ApiUsageQueryResult',
       permissions=LEGACY_PERMISSIONS, samples=_legacy_results_sample)
def get_usage_query_results(request):
    poll = request.emulator.jobs.poll(request.path_params['executionId'], request, kind='usage')
    # The SDK documents no paging for these results: one answer with every row.
    return {'queryStatus': poll.state, 'results': poll.result if poll.done else []}

"""POST /api/v2/analytics/actions/aggregates/query: Data Action executions, failures and durations.

SDK models ActionAggregationQuery / ActionAggregateQueryResponse (purecloudplatformclientv2 269.0.0); groupBy,
filter dimensions and the `tTotalExecution` metric from the Java SDK (reference 8.6). Emulator choices where
the platform is UNVERIFIED: stats `count, sum, max, min` in milliseconds; successes have no `errorType`;
`responseStatus` is the HTTP status as a string; buckets without executions are left out; an execution counts
once it has happened (no ingestion lag). Ground truth: emulator/data/contact_center.py.
"""

from ..data.contact_center import contact_center
from ..errors import bad_request
from ..formats import iso_interval
from ..routing import Sample, route
from ..validation import check_enum, check_enum_list, parse_duration, parse_interval, require
from .analytics_common import check_filter, check_groupby, group_rows, matches

METRICS = ('tTotalExecution',)
DIMENSIONS = ('actionCategory', 'actionId', 'actionName', 'correlationId', 'errorType', 'integrationId',
              'integrationName', 'responseStatus')
MAX_BUCKETS = 1440  # a guard against runaway queries, not a documented platform limit


def _row(execution):
    action = execution.action
    row = {'actionId': action.id, 'actionName': action.name, 'actionCategory': action.category,
           'integrationId': action.integration_id, 'integrationName': action.integration_name,
           'responseStatus': execution.response_status, 'time': execution.time,
           'duration': execution.duration_ms}
    if execution.error_type:
        row['errorType'] = execution.error_type
    return row


@route('POST', '/api/v2/analytics/actions/aggregates/query', sdk_model='ActionAggregateQueryResponse',
       permissions=('integrations:action:view', 'bridge:actions:view'),
       samples=[Sample(json={'interval': '2025-06-10T11:00:00Z/2025-06-10T12:00:00Z', 'granularity': 'PT5M',
                             'groupBy': ['actionId', 'actionName', 'integrationName', 'errorType', 'responseStatus'],
                             'metrics': ['tTotalExecution']}),
                Sample(json={'interval': '2025-06-10T11:00:00.000Z/2025-06-10T12:00:00.000Z',
                             'metrics': ['tTotalExecution'],
                             'filter': {'type': 'and', 'predicates': [{'dimension': 'errorType',
                                                                       'operator': 'exists'}]}})])
def post_action_aggregates(request):
    body = require(request.json, 'interval', 'metrics')
    start, end = parse_interval(body['interval'])
    check_enum_list(body['metrics'], METRICS, 'metrics')
    group_by = check_groupby(body, DIMENSIONS)
    step = parse_duration(body['granularity']) if body.get('granularity') else end - start
    if (end - start) / step > MAX_BUCKETS:
        raise bad_request(f'Too many granularity buckets for interval {body["interval"]}', field='granularity')
    flt = body.get('filter')
    if flt is not None:
        check_filter(flt, DIMENSIONS)
    if body.get('alternateTimeDimension') is not None:
        check_enum(body['alternateTimeDimension'], ('eventTime',), 'alternateTimeDimension')
    cc = contact_center(request.org)
    rows = [r for r in map(_row, cc.executions(start, end, request.clock.time())) if matches(flt, r)]
    results = []
    for group, members in sorted(group_rows(rows, group_by), key=lambda g: sorted(g[0].items())):
        data = []
        bucket_start = start
        while bucket_start < end:
            bucket_end = min(end, bucket_start + step)
            lo, hi = bucket_start.timestamp(), bucket_end.timestamp()
            durations = [r['duration'] for r in members if lo <= r['time'] < hi]
            if durations:
                stats = {'count': len(durations), 'sum': sum(durations), 'max': max(durations),
                         'min': min(durations)}
                data.append({'interval': iso_interval(bucket_start, bucket_end),
                             'metrics': [{'metric': 'tTotalExecution', 'stats': stats}]})
            bucket_start = bucket_end
        if data:
            results.append({'group': group, 'data': data})
    return {'results': results}

"""Rate-limit aggregates: POST /api/v2/analytics/ratelimits/aggregates/query (reference 4.4).

Body: SDK model RateLimitAggregationQuery; answer: RateLimitAggregateQueryResponse (results[] of
RateLimitAggregateDataContainer{group, data[] StatisticalResponse}). groupBy and metrics enums from the Java
SDK model RateLimitAggregationQuery, as the reference lists them. Only buckets with records appear.
"""

from ..data.ratelimits import ratelimit_history
from ..formats import iso_interval
from ..routing import Sample, route
from ..validation import check_enum_list, parse_duration, parse_interval, require
from .analytics_common import check_filter, matches

METRICS = ('oRateLimitRecorded',)
DIMENSIONS = ('correlationId', 'entityId', 'limitName', 'max', 'namespace', 'timeUnit', 'userId')


def _dimensions(record):
    values = {'entityId': record.entity_id, 'limitName': record.limit_name, 'max': str(record.max),
              'namespace': record.namespace}
    if record.limit_name.endswith('.per.minute'):
        values['timeUnit'] = 'minute'
    return values


def _sample(api):
    now = api.org.clock.now().replace(minute=0, second=0, microsecond=0)
    start = now.replace(hour=0)
    interval = f'{start.strftime("%Y-%m-%dT%H:%M:%SZ")}/{now.strftime("%Y-%m-%dT%H:%M:%SZ")}'
    return [Sample(json={'interval': interval, 'granularity': 'PT1H', 'metrics': ['oRateLimitRecorded'],
                         'groupBy': ['namespace', 'limitName', 'entityId']}),
            Sample(json={'interval': interval, 'metrics': ['oRateLimitRecorded']}),
            Sample(json={'interval': interval, 'metrics': ['oRateLimitRecorded'], 'groupBy': ['limitName'],
                         'filter': {'type': 'and', 'predicates': [{'dimension': 'namespace',
                                                                   'value': 'platform.api'}]}})]


@route('POST', '/api/v2/analytics/ratelimits/aggregates/query', sdk_model='RateLimitAggregateQueryResponse',
       permissions=('analytics:rateLimitAggregate:view',), samples=_sample)
def post_ratelimit_aggregates(request):
    body = require(request.json, 'interval', 'metrics')
    start, end = parse_interval(body['interval'])
    check_enum_list(body['metrics'], METRICS, 'metrics')
    group_by = check_enum_list(body.get('groupBy') or [], DIMENSIONS, 'groupBy')
    step = parse_duration(body['granularity']) if body.get('granularity') else end - start
    flt = body.get('filter')
    if flt is not None:
        check_filter(flt, DIMENSIONS)
    results = {}
    for record in ratelimit_history(request.org).records(start, end):
        values = _dimensions(record)
        if not matches(flt, values):
            continue
        group = tuple((d, values[d]) for d in group_by if d in values)
        index = int((record.time - start) / step)
        bucket_start = start + step * index
        data = results.setdefault(group, {})
        stats = data.setdefault(bucket_start, {'count': 0, 'max': 0})
        stats['count'] += record.count
        stats['max'] = max(stats['max'], record.max)
    out = []
    for group, buckets in sorted(results.items()):
        out.append({'group': dict(group), 'data': [
            {'interval': iso_interval(b, min(b + step, end)),
             'metrics': [{'metric': 'oRateLimitRecorded', 'stats': stats}]}
            for b, stats in sorted(buckets.items())
        ]})
    return {'results': out}

"""API usage per OAuth client, URL template and HTTP method for the latest complete UTC day (Usage API).

Usage data is daily, computed in UTC, and never includes the current day (reference 5.4), so each
collection asks for yesterday (per client x template_uri x http_method) and for the month to date (per
client) through async jobs: the new `POST /api/v2/usage/aggregates/query/jobs`, or the legacy
`POST /api/v2/usage/query` where the new one is absent (404) or forbidden (403). A job is submitted once and
polled once per check run (every minute while it runs, its id persisted so an Agent restart polls the same
job); the values are gauges, so re-reading a day never counts anything twice.
"""

from datetime import timedelta

from .. import tagging
from ..client import AsyncJob, MalformedResponse, NotFound, PermissionDenied
from ..client.jobs import DONE, FAILED, RUNNING
from ..periods import month_to_date_days
from .base import Collector
from .oauth_clients import oauth_client_names

NEW_JOBS = '/api/v2/usage/aggregates/query/jobs'
LEGACY_QUERY = '/api/v2/usage/query'
PAGE_SIZE = 1000  # "Page size of the results. Max is 1000." (SDK usage_api.py)
POLL_INTERVAL = 60  # seconds between polls of a running job (the check's own cadence)
LEGACY_RETRY = 86400  # after a 403/404 on the new endpoint, use the legacy one for a day before trying again
NEW_METRICS = ['Requests', 'Status200', 'Status300', 'Status400', 'Status429', 'Status500']
LEGACY_METRICS = ['Requests', 'Status200', 'Status300', 'Status400', 'Status429', 'Status500']
# queryStatus allowed values: OrganizationPublicApiUsageResultsResponse and ApiUsageQueryResult (SDK 269)
NEW_RUNNING, NEW_DONE, NEW_FAILED = ('Queued', 'Running'), 'Succeeded', ('Failed', 'Cancelled')
LEGACY_RUNNING, LEGACY_DONE, LEGACY_FAILED = ('Running',), 'Complete', 'Failed'
OTHER = 'other'

# status_class tag -> field of a normalised row (status429 is a subset of status400, sent as api.rate_limited)
STATUS_CLASSES = (('2xx', 'status200'), ('3xx', 'status300'), ('4xx', 'status400'), ('5xx', 'status500'))
PART_METRICS = {'day': ('api.requests', 'api.responses', 'api.rate_limited'), 'mtd': ('api.requests.month_to_date',)}
COUNT_FIELDS = ('requests', 'status200', 'status300', 'status400', 'status429', 'status500')


class _NewEndpointUnavailable(Exception):
    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


class ApiUsageCollector(Collector):
    name = 'api_usage'
    permissions = ('usage:organization:view', 'oauth:client:view')

    @classmethod
    def minimum_requests(cls, size):
        return 4  # two jobs (latest day, month to date), each polled once

    def __init__(self, ctx):
        super().__init__(ctx)
        self._pending = False
        self._finished = {}  # part -> (query, rows) of a job finished in the current cycle

    @property
    def interval(self) -> float:
        # While a job runs, come back next run to poll it instead of waiting for the hourly cadence.
        configured = super().interval
        return min(configured, POLL_INTERVAL) if self._pending else configured

    # -- collection ------------------------------------------------------------------------------

    def collect(self):
        day = self.clock.now().date() - timedelta(days=1)  # the latest complete UTC day
        by_endpoint = self.config.usage_by_endpoint
        queries = {'day': (day, day, 'Day', by_endpoint)}
        # Month to date through the latest complete day, per client. On the 1st no day of the month is complete:
        # the month to date starts again at 0 at 00:00 UTC, without a query.
        month = month_to_date_days(day + timedelta(days=1))
        if month:
            queries['mtd'] = (*month, 'Month', False)
        results = {}
        for part, query in queries.items():
            finished = self._finished.get(part)
            if self._pending and finished and finished[0] == query:
                # Finished earlier in this cycle while the other part's job ran: asking again would submit a new
                # job, and two jobs out of step would then keep each other pending (and polled) for ever.
                results[part] = finished[1]
            else:
                results[part] = self._query(part, *query)
                if results[part] is not None:
                    self._finished[part] = (query, results[part])
        self._pending = any(rows is None for rows in results.values())
        if not month:
            results['mtd'] = self._mtd_restart(results['day'])
        if not self._pending:
            self._finished.clear()
        if any(rows for rows in results.values()):
            oauth_client_names(self).refresh()
        for part, rows in results.items():
            if rows is None:
                # Keep the last finished query's line while polling: the gauges of the last collection (restored
                # from the persistent cache after a restart) hold it.
                series = [g for g in self._gauges if g[0] in PART_METRICS[part]]
                if part == 'mtd' and not month:
                    series = [(metric, 0, tags) for metric, _, tags in series]  # last month's, restarted
            elif part == 'day':
                series = self._day_series(rows, by_endpoint, day)
            else:
                series = self._mtd_series(rows)
            for metric, value, tags in series:
                self.gauge(metric, value, tags)
        allowance = self.config.fair_use_allowance
        if allowance:
            self.gauge('api.fair_use.allowance', float(allowance))

    # -- mapping ---------------------------------------------------------------------------------

    def _client_tags(self, rows):
        names = oauth_client_names(self)
        return {row['client_id']: names.tags(row['client_id'], row['client_name']) for row in rows}

    def _day_series(self, rows, by_endpoint, day):
        rows = [r for r in rows if r['date'] in (None, day.isoformat())]
        client_tags = self._client_tags(rows)
        per_client = {}
        for row in rows:
            key = (row['template_uri'], row['http_method']) if by_endpoint else None
            endpoints = per_client.setdefault(row['client_id'], {})
            _add(endpoints.setdefault(key, dict.fromkeys(COUNT_FIELDS, 0)), row)
        limit = self.config.max_endpoints_per_client  # 0: every endpoint
        series = []
        for client_id, endpoints in sorted(per_client.items()):
            if by_endpoint:
                ranked = sorted(endpoints.items(), key=lambda item: (-item[1]['requests'], item[0]))
                kept = dict(ranked[:limit]) if limit else dict(ranked)
                for (_uri, method), counts in ranked[len(kept):]:
                    # The long tail is summed per method under template_uri:other, so no request is lost.
                    _add(kept.setdefault((OTHER, method), dict.fromkeys(COUNT_FIELDS, 0)), counts)
                endpoints = kept
            for key, counts in sorted(endpoints.items(), key=lambda item: item[0] or ()):
                tags = list(client_tags[client_id])
                if key is not None:
                    tags += [tagging.tag('template_uri', key[0]), tagging.tag('http_method', key[1].lower())]
                series.append(('api.requests', counts['requests'], tags))
                for status_class, field in STATUS_CLASSES:
                    if counts[field]:
                        series.append(('api.responses', counts[field], tags + [f'status_class:{status_class}']))
                if counts['status429']:
                    series.append(('api.rate_limited', counts['status429'], tags))
        return series

    def _mtd_restart(self, day_rows):
        """Rows that put every client of yesterday's rows at 0 on the 1st; None (the last month-to-date gauges, at 0)
        while yesterday's job still runs."""
        return None if day_rows is None else [{**row, 'requests': 0} for row in day_rows]

    def _mtd_series(self, rows):
        client_tags = self._client_tags(rows)
        totals = {}
        for row in rows:
            totals[row['client_id']] = totals.get(row['client_id'], 0) + row['requests']
        return [('api.requests.month_to_date', total, client_tags[client_id])
                for client_id, total in sorted(totals.items())]

    # -- queries ---------------------------------------------------------------------------------

    def _query(self, part, first, last, granularity, by_endpoint):
        """Normalised rows of a finished query, or None while its job runs."""
        now = self.clock.time()
        if self.state.get('legacy_until', 0, shape=float) > now:
            return self._legacy_query(part, first, last, granularity, by_endpoint)
        try:
            return self._new_query(part, first, last, granularity, by_endpoint)
        except _NewEndpointUnavailable as e:
            new_error = e.error
        try:
            rows = self._legacy_query(part, first, last, granularity, by_endpoint)
        except (NotFound, PermissionDenied) as legacy:
            # Neither works: one error naming both endpoints (and every permission that would do).
            endpoint = f'{new_error.endpoint} (and the legacy {legacy.endpoint})'
            if isinstance(legacy, PermissionDenied):
                permissions = tuple(dict.fromkeys(getattr(new_error, 'permissions', ()) + legacy.permissions))
                raise PermissionDenied(endpoint, legacy.message, code=legacy.code, permissions=permissions) from None
            raise NotFound(endpoint, legacy.message, status=legacy.status, code=legacy.code) from None
        self.log.info('%s: %s; using the legacy %s for a day', self.name, new_error, LEGACY_QUERY)
        self.state.set('legacy_until', now + LEGACY_RETRY)
        return rows

    def _new_query(self, part, first, last, granularity, by_endpoint):
        body = {
            # The interval is inclusive on this endpoint: a whole UTC day ends at 23:59:59 (reference 5.3).
            'interval': f'{first.isoformat()}T00:00:00/{last.isoformat()}T23:59:59',
            'granularity': granularity,
            'metrics': NEW_METRICS,
            'groupBy': ['OauthClientId'] + (['TemplateUri', 'HttpMethod'] if by_endpoint else []),
        }

        def submit():
            try:
                data = self.client.post(NEW_JOBS, body)
            except (NotFound, PermissionDenied) as e:
                raise _NewEndpointUnavailable(e) from None
            return _field(data, 'id', f'POST {NEW_JOBS}')

        def poll(job_id):
            path = f'{NEW_JOBS}/{job_id}'
            first_page = self.client.get(path, params={'pageSize': PAGE_SIZE})
            status = _field(first_page, 'queryStatus', f'GET {NEW_JOBS}/{{jobId}}')
            if status in NEW_RUNNING:
                return RUNNING, None
            if status in NEW_FAILED:
                return FAILED, (first_page.get('errorBody') or {}).get('message') or status
            if status != NEW_DONE:
                raise MalformedResponse(f'GET {NEW_JOBS}/{{jobId}}', f'unknown queryStatus {status!r}')
            entities = list(first_page.get('entities') or [])
            if first_page.get('nextUri'):
                entities.extend(self.client.iter_next_uri(first_page['nextUri']))
            return DONE, entities

        job = AsyncJob(self.state, f'new.{part}', self.clock)
        entities = job.result(submit, poll, fingerprint=body)
        if entities is None:
            return None
        return [_normalise(e.get('date'), (e.get('oauthClient') or {}).get('id'),
                           (e.get('oauthClient') or {}).get('name'), e, 'requestCount') for e in entities]

    def _legacy_query(self, part, first, last, granularity, by_endpoint):
        body = {
            'interval': f'{first.isoformat()}T00:00:00/{(last + timedelta(days=1)).isoformat()}T00:00:00',
            'granularity': granularity,
            'metrics': LEGACY_METRICS,
            'groupBy': ['OAuthClientId'] + (['TemplateUri', 'HttpMethod'] if by_endpoint else []),
        }

        def submit():
            return _field(self.client.post(LEGACY_QUERY, body), 'executionId', f'POST {LEGACY_QUERY}')

        def poll(execution_id):
            endpoint = f'GET {LEGACY_QUERY}/{{executionId}}/results'
            data = self.client.get(f'{LEGACY_QUERY}/{execution_id}/results')
            status = _field(data, 'queryStatus', endpoint)
            if status in LEGACY_RUNNING:
                return RUNNING, None
            if status == LEGACY_FAILED:
                return FAILED, status
            if status != LEGACY_DONE:
                raise MalformedResponse(endpoint, f'unknown queryStatus {status!r}')
            return DONE, data.get('results') or []

        job = AsyncJob(self.state, f'legacy.{part}', self.clock)
        results = job.result(submit, poll, fingerprint=body)
        if results is None:
            return None
        return [_normalise((r.get('date') or '')[:10] or None, r.get('clientId'), r.get('clientName'), r, 'requests')
                for r in results]


def _normalise(date, client_id, client_name, row, requests_field):
    out = {'date': date, 'client_id': client_id or 'unknown', 'client_name': client_name,
           'template_uri': row.get('templateUri') or OTHER, 'http_method': row.get('httpMethod') or OTHER}
    out['requests'] = int(row.get(requests_field) or 0)
    for field in COUNT_FIELDS[1:]:
        out[field] = int(row.get(field) or 0)
    return out


def _field(data, name, endpoint):
    """data[name], or MalformedResponse naming the endpoint (a body of the wrong shape must not pass)."""
    if not isinstance(data, dict) or not data.get(name):
        raise MalformedResponse(endpoint, f'the answer has no {name}')
    return data[name]


def _add(total, counts):
    for field in COUNT_FIELDS:
        total[field] += counts[field]

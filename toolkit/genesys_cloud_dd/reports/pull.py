"""History pulls from Genesys Cloud through the project's GenesysClient (paths and shapes: reference 4.3-5.3, 7).

Each pull returns plain rows; a pull whose permission is missing raises PermissionDenied, which the reports
turn into a note rather than a failure (an evidence pack without rate-limit aggregates is still useful).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from datadog_checks.genesys_cloud.client import GenesysApiError, PermissionDenied  # noqa: F401  (re-exported for the reports)
from datadog_checks.genesys_cloud.collectors.api_usage import NEW_DONE, NEW_FAILED, NEW_METRICS, PAGE_SIZE
from datadog_checks.genesys_cloud.collectors.api_usage import NEW_JOBS as USAGE_JOBS
from datadog_checks.genesys_cloud.collectors.data_actions import PATH as ACTION_AGGREGATES
from datadog_checks.genesys_cloud.collectors.oauth_clients import PATH as OAUTH_CLIENTS
from datadog_checks.genesys_cloud.collectors.rate_limits import METRIC as RATELIMIT_METRIC
from datadog_checks.genesys_cloud.collectors.rate_limits import PATH as RATELIMITS

LIMITS = '/api/v2/organizations/limits'
CHUNK_DAYS = 30  # usage jobs take at most 90 days; smaller chunks make the progress bar honest
# Usage aggregates jobs say `queryStatus` Succeeded; the billable usage report says `status` Complete.
JOB_DONE, JOB_FAILED = (NEW_DONE, 'Complete'), NEW_FAILED


@dataclass
class UsageDay:
    day: date
    client_id: str
    client_name: str
    template_uri: str = ''
    http_method: str = ''
    requests: int = 0
    status200: int = 0
    status300: int = 0
    status400: int = 0
    status429: int = 0
    status500: int = 0


@dataclass
class RateLimitHour:
    hour: datetime  # the start of the UTC hour the records fell in
    namespace: str
    limit_name: str
    entity_id: str
    count: int
    max: int  # Genesys's estimate of the limit that was hit (reference 4.4): the effective value is the Limits API's

    @property
    def day(self) -> date:
        return self.hour.date()


def day_chunks(first: date, last: date, size=CHUNK_DAYS):
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=size - 1))
        yield start, end
        start = end + timedelta(days=1)


def midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


class JobFailed(GenesysApiError):
    advice = 'Genesys could not compute this history; run the report again later'


class JobTimeout(GenesysApiError):
    advice = 'Genesys is still computing this history; run the report again later'


def wait_for_job(client, path, sleep, params=None, timeout=600.0):
    """Poll an async job (no answer before it finishes is usable); back off 1 s -> 10 s; return its first page.

    A failed or unfinished job raises a GenesysApiError, which the reports turn into a note like any refusal.
    """
    waited, delay = 0.0, 1.0
    while True:
        data = client.get(path, params=params) or {}
        state = data.get('queryStatus') or data.get('status')
        if state in JOB_DONE:
            return data
        if state in JOB_FAILED:
            message = (data.get('errorBody') or {}).get('message') or state
            raise JobFailed(f'GET {path}', f'the job ended {state}: {message}')
        if waited >= timeout:
            raise JobTimeout(f'GET {path}', f'still {state} after {waited:.0f}s')
        sleep(delay)
        waited += delay
        delay = min(10.0, delay * 2)


def usage_days(client, first: date, last: date, sleep, progress=None):
    """Daily usage per OAuth client, URL template and method over [first, last] (inclusive UTC days)."""
    rows = []
    for start, end in day_chunks(first, last):
        body = {'interval': f'{start.isoformat()}T00:00:00/{end.isoformat()}T23:59:59', 'granularity': 'Day',
                'metrics': list(NEW_METRICS),
                'groupBy': ['OauthClientId', 'OauthClientName', 'TemplateUri', 'HttpMethod']}
        job = client.post(USAGE_JOBS, body) or {}
        page = wait_for_job(client, f'{USAGE_JOBS}/{job["id"]}', sleep, params={'pageSize': PAGE_SIZE})
        entities = list(page.get('entities') or [])
        if page.get('nextUri'):
            entities.extend(client.iter_next_uri(page['nextUri']))
        for entity in entities:
            oauth = entity.get('oauthClient') or {}
            rows.append(UsageDay(
                day=date.fromisoformat(str(entity['date'])[:10]),
                client_id=oauth.get('id') or 'unknown',
                client_name=oauth.get('name') or oauth.get('id') or 'unknown',
                template_uri=str(entity.get('templateUri') or ''),
                http_method=str(entity.get('httpMethod') or ''),
                requests=int(entity.get('requestCount') or 0),
                status200=int(entity.get('status200') or 0),
                status300=int(entity.get('status300') or 0),
                status400=int(entity.get('status400') or 0),
                status429=int(entity.get('status429') or 0),
                status500=int(entity.get('status500') or 0),
            ))
        if progress:
            progress.step(f'usage {start.isoformat()}..{end.isoformat()}')
    return rows


def ratelimit_hours(client, first: date, last: date, progress=None):
    """Rate-limit records (a trackable limit reached 90 %) per UTC hour, namespace, limit and entity: hours, not
    days, so the pack can say how long a limit was hit."""
    rows = []
    for start, end in day_chunks(first, last):
        interval = (f'{midnight_utc(start).strftime("%Y-%m-%dT%H:%M:%S.000Z")}/'
                    f'{midnight_utc(end + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}')
        body = {'interval': interval, 'granularity': 'PT1H', 'metrics': [RATELIMIT_METRIC],
                'groupBy': ['namespace', 'limitName', 'entityId']}
        data = client.post(RATELIMITS, body) or {}
        for result in data.get('results') or []:
            group = result.get('group') or {}
            for bucket in result.get('data') or []:
                try:
                    hour = datetime.fromisoformat(str(bucket.get('interval', '')).split('/')[0].replace('Z', '+00:00'))
                except ValueError:
                    continue  # a bucket without a readable interval carries no time to place it at
                hour = hour.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
                for metric in bucket.get('metrics') or []:
                    if metric.get('metric') != RATELIMIT_METRIC:
                        continue
                    stats = metric.get('stats') or {}
                    rows.append(RateLimitHour(hour, group.get('namespace', ''), group.get('limitName', ''),
                                             group.get('entityId', ''), int(stats.get('count') or 0),
                                             int(stats.get('max') or 0)))
        if progress:
            progress.step(f'rate limits {start.isoformat()}..{end.isoformat()}')
    return rows


def action_names(client, records, most=50):
    """{action id: name} of the Data Actions with rate-limit records, from the Data Action analytics: one query
    per action, over the hour of its first record, filtered on its id (an action that reached a concurrency limit
    executed in that hour, so it is listed there). An id the analytics do not list is left out: the pack shows it
    as a contradiction between the two sources. At most `most` actions are asked about."""
    first = {}
    for r in sorted(records, key=lambda r: r.hour):
        first.setdefault(r.entity_id, r.hour)
    names = {}
    for action_id, hour in list(first.items())[:most]:
        body = {'interval': f'{hour.strftime("%Y-%m-%dT%H:%M:%S.000Z")}/'
                            f'{(hour + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}',
                'metrics': ['tTotalExecution'], 'groupBy': ['actionId', 'actionName'],
                'filter': {'type': 'and', 'predicates': [{'dimension': 'actionId', 'value': action_id}]}}
        for result in (client.post(ACTION_AGGREGATES, body) or {}).get('results') or []:
            group = result.get('group') or {}
            if group.get('actionId') == action_id:
                names[action_id] = str(group.get('actionName') or action_id)
    return names, len(first) > most


def limit_values(client, progress=None):
    """{namespace: {key: (value, default)}} for every namespace of the org."""
    names = []
    for entity in client.iter_pages(f'{LIMITS}/namespaces', page_size=100):
        # The listing is typed `object` by the SDK: accept strings or {name} (reference 4.3).
        names.append(entity if isinstance(entity, str) else entity.get('name'))
    values = {}
    for name in filter(None, names):
        current = {e['key']: e.get('value') for e in (client.get(f'{LIMITS}/namespaces/{name}') or {})
                   .get('entities') or []}
        defaults = {e['key']: e.get('value') for e in (client.get(f'{LIMITS}/namespaces/{name}/defaults') or {})
                    .get('entities') or []}
        values[name] = {key: (current.get(key), defaults.get(key)) for key in sorted(set(current) | set(defaults))}
        if progress:
            progress.step(f'limits {name}')
    return values


def change_requests(client):
    """Limit change requests of the last 365 days (the API's default window), newest first."""
    return list(client.iter_next_uri(f'{LIMITS}/changerequests', params={'pageSize': 100}))


def oauth_client_names(client):
    return {c['id']: c.get('name') or c['id'] for c in (client.get(OAUTH_CLIENTS) or {}).get('entities')
            or [] if c.get('id')}

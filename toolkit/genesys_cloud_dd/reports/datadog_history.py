"""Metric history from Datadog (`GET /api/v1/query` through datadog-api-client's MetricsApi), the optional
finest evidence of the limits pack.

What the check, the companion module and the object-limits collector sent to Datadog is queried back:
`genesys_cloud.velocity.*` per minute (the companion, one count per API request and per 429) and
`genesys_cloud.objects.*` (object counts against object limits). Keys: DD_API_KEY and DD_APP_KEY (an
application key with `timeseries_query`); the site from DD_SITE, or any base URL with `--dd-url` (a local fake
in the tests). Datadog returns at most about 1,500 points a series, so per-minute series are asked one UTC day
at a time (1,440 points). Answers are validated: a series or point of the wrong shape is skipped with one log
line naming it (the client hands over the answer's JSON unparsed, so one bad series never costs the others).
"""

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from .pull import midnight_utc

log = logging.getLogger('genesys_cloud_dd.reports')

VELOCITY_REQUESTS = 'genesys_cloud.velocity.requests'
VELOCITY_429 = 'genesys_cloud.velocity.rate_limited'
OBJECTS_COUNT, OBJECTS_LIMIT = 'genesys_cloud.objects.count', 'genesys_cloud.objects.limit'
OBJECT_TAGS = ('namespace', 'limit_key', 'object_type', 'parent_name')


class DatadogHistoryError(Exception):
    """Datadog refused or could not answer: the pack notes it and goes on without this evidence."""


@dataclass
class Series:
    tags: dict
    points: list = field(default_factory=list)  # [(datetime UTC, float)]


class MetricsHistory:
    def __init__(self, url, api_key, app_key, timeout=30.0):
        from datadog_api_client import ApiClient, Configuration
        from datadog_api_client.v1.api.metrics_api import MetricsApi
        from requests.utils import get_environ_proxies

        self.url = url.rstrip('/')
        configuration = Configuration(host=self.url)
        configuration.api_key['apiKeyAuth'] = api_key
        configuration.api_key['appKeyAuth'] = app_key
        configuration.request_timeout = timeout
        # The proxy environment variables (HTTPS_PROXY, NO_PROXY...) as requests reads them: urllib3 alone would not.
        proxies = get_environ_proxies(self.url)
        configuration.proxy = proxies.get(urlsplit(self.url).scheme) or proxies.get('all')
        # The raw answer: its series are checked one by one (_series) rather than all-or-nothing by the models.
        configuration.preload_content = False
        self._api = MetricsApi(ApiClient(configuration))
        self.timeout = timeout
        self.requests_made = 0

    @classmethod
    def from_environment(cls, dd_url=None, environ=None):
        """None when no key is set (the pack then uses Genesys evidence only); raises ValueError on half a pair."""
        import os

        environ = os.environ if environ is None else environ
        api_key, app_key = environ.get('DD_API_KEY'), environ.get('DD_APP_KEY')
        if not api_key and not app_key and not dd_url:
            return None
        if not api_key or not app_key:
            raise ValueError('set both DD_API_KEY and DD_APP_KEY (an application key with timeseries_query) to '
                             'read metric history from Datadog')
        return cls(dd_url or f'https://api.{environ.get("DD_SITE") or "datadoghq.com"}', api_key, app_key)

    def query(self, query, start: datetime, end: datetime):
        from datadog_api_client.exceptions import ApiException, ApiValueError

        self.requests_made += 1
        try:
            response = self._api.query_metrics(int(start.timestamp()), int(end.timestamp()), query)
            raw = response.data
            response.release_conn()
        except ApiValueError:  # a key is empty: the client refuses before sending anything
            raise DatadogHistoryError('Datadog metrics query: not sent, a key is empty; check DD_API_KEY, DD_APP_KEY '
                                      '(timeseries_query) and DD_SITE') from None
        except ApiException as e:
            if e.status in (401, 403):
                raise DatadogHistoryError(f'Datadog metrics query: HTTP {e.status}; check DD_API_KEY, '
                                          'DD_APP_KEY (timeseries_query) and DD_SITE') from None
            if e.status:
                raise DatadogHistoryError(f'Datadog metrics query: HTTP {e.status}') from None
            raise DatadogHistoryError('Datadog metrics query: unreachable (TLS)') from None
        except Exception as e:  # connection refused, timeout, DNS: urllib3's errors, raised through the client
            raise DatadogHistoryError(f'Datadog metrics query: unreachable ({type(e).__name__})') from None
        try:
            body = json.loads(raw)
        except ValueError:
            raise DatadogHistoryError('Datadog metrics query: the answer is not JSON') from None
        if not isinstance(body, dict) or not isinstance(body.get('series', []), list):
            raise DatadogHistoryError('Datadog metrics query: the answer has no series list')
        return [s for s in map(_series, body.get('series') or []) if s is not None]

    def per_minute(self, query, first_day, last_day):
        """The query asked one UTC day at a time over [first_day, last_day]; series merged by tag set."""
        merged = {}
        day = first_day
        while day <= last_day:
            start = midnight_utc(day)
            for series in self.query(query, start, start + timedelta(days=1) - timedelta(seconds=1)):
                key = tuple(sorted(series.tags.items()))
                merged.setdefault(key, Series(series.tags)).points.extend(series.points)
            day += timedelta(days=1)
        return list(merged.values())


def _series(item):
    if not isinstance(item, dict) or not isinstance(item.get('pointlist'), list):
        log.warning('Datadog metrics query: skipped a series without a pointlist')
        return None
    tags = {}
    for tag in item.get('tag_set') or str(item.get('scope') or '').split(','):
        if isinstance(tag, str) and ':' in tag:
            name, value = tag.split(':', 1)
            if value.strip() != 'N/A':  # Datadog's value for a series without the group-by tag
                tags[name.strip()] = value.strip()
    points = []
    for point in item['pointlist']:
        if (isinstance(point, list) and len(point) == 2 and isinstance(point[0], (int, float))
                and isinstance(point[1], (int, float)) and not isinstance(point[1], bool)
                and math.isfinite(point[0]) and math.isfinite(point[1])):
            points.append((datetime.fromtimestamp(point[0] / 1000.0, tz=timezone.utc), float(point[1])))
        elif not (isinstance(point, list) and len(point) == 2 and point[1] is None):  # null = no data: expected
            log.warning('Datadog metrics query: skipped a point of series %s: %r', item.get('scope'), point)
    return Series(tags, points)

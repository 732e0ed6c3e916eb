"""Deliver outbox payloads through datadog-api-client (imported lazily: it is operator tooling, not the check).

- metrics:        POST /api/v2/series     (MetricsApi.submit_metrics, gzip)
- events:         POST /api/v1/events     (EventsApi.create_event, one event a request)
- service checks: POST /api/v1/check_run  (ServiceChecksApi.submit_service_check)

Requests go out under the toolkit's one outbound policy (datadog_api.py: the site's hosts only, no redirect
followed). Errors come back as SendFailed with what the retry logic needs, scrubbed of every secret the process
knows (redaction.py) before they are cut short.
"""

from ..datadog_api import Destination
from ..redaction import scrub

PERMANENT = (400, 413, 422)  # the payload itself is refused: resending the same bytes cannot help
AUTH = (401, 403)


class SendFailed(Exception):
    def __init__(self, message, status=None, retry_after=None, after_sending=False):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.after_sending = after_sending  # the request went out but no answer came back: it may have arrived

    @property
    def permanent(self):
        return self.status in PERMANENT

    @property
    def retriable(self):
        """Worth another try within this cycle (network, timeouts, throttling, intake errors)."""
        return self.status is None or self.status in (408, 429) or self.status >= 500


class DatadogSender:
    def __init__(self, api_key, site=None, url=None, timeout=15.0):
        if not api_key:
            raise ValueError('a Datadog API key is required')
        from datadog_api_client import ApiClient

        self.target = Destination(site, url)  # raises OutboundRefused (a ValueError) on a bad site or URL
        # One retry loop, ours: it knows about the outbox and the cycle; urllib3's own retries are off.
        self._client = ApiClient(self.target.configuration(api_key, timeout=timeout, retries=0))
        self.destination = self.target.base_url

    def close(self):
        self._client.close()

    def redact(self, text):
        return scrub(text)

    def send(self, payload):
        from datadog_api_client.exceptions import ApiException

        kind = payload['kind']
        try:
            if kind == 'series':
                self._series(payload['items'])
            elif kind == 'event':
                for item in payload['items']:
                    self._event(item)
            elif kind == 'service_check':
                self._service_checks(payload['items'])
            else:
                raise SendFailed(f'unknown payload kind {kind!r}', status=400)
        except ApiException as e:
            raise SendFailed(self._describe(e), status=e.status, retry_after=_retry_after(e)) from None
        except SendFailed:
            raise
        except Exception as e:  # connection refused, timeout, TLS, DNS
            raise SendFailed(self.redact(f'no response from {self.destination} ({type(e).__name__})'),
                             after_sending=_after_sending(e)) from None

    def _describe(self, e):
        advice = '; check DD_API_KEY and DD_SITE (or --dd-url)' if e.status in AUTH else ''
        return self.target.describe(e, limit=240) + advice

    # -- API calls -------------------------------------------------------------------------------

    def _series(self, items):
        from datadog_api_client.v2.api.metrics_api import MetricsApi
        from datadog_api_client.v2.model.metric_content_encoding import MetricContentEncoding
        from datadog_api_client.v2.model.metric_intake_type import MetricIntakeType
        from datadog_api_client.v2.model.metric_payload import MetricPayload
        from datadog_api_client.v2.model.metric_point import MetricPoint
        from datadog_api_client.v2.model.metric_resource import MetricResource
        from datadog_api_client.v2.model.metric_series import MetricSeries

        series = []
        for item in items:
            extra = {}
            if item.get('interval'):
                extra['interval'] = int(item['interval'])
            if item.get('resources'):
                extra['resources'] = [MetricResource(type=r['type'], name=r['name']) for r in item['resources']]
            series.append(MetricSeries(
                metric=item['metric'],
                type=MetricIntakeType(item['type']),
                points=[MetricPoint(timestamp=int(ts), value=float(value)) for ts, value in item['points']],
                tags=list(item['tags']),
                **extra,
            ))
        MetricsApi(self._client).submit_metrics(body=MetricPayload(series=series),
                                                content_encoding=MetricContentEncoding.GZIP)

    def _event(self, item):
        from datadog_api_client.v1.api.events_api import EventsApi
        from datadog_api_client.v1.model.event_alert_type import EventAlertType
        from datadog_api_client.v1.model.event_create_request import EventCreateRequest

        fields = dict(item)
        alert_type = fields.pop('alert_type', 'info')
        if alert_type not in EventAlertType.allowed_values:
            alert_type = 'info'
        EventsApi(self._client).create_event(body=EventCreateRequest(alert_type=EventAlertType(alert_type),
                                                                     **fields))

    def _service_checks(self, items):
        from datadog_api_client.v1.api.service_checks_api import ServiceChecksApi
        from datadog_api_client.v1.model.service_check import ServiceCheck
        from datadog_api_client.v1.model.service_check_status import ServiceCheckStatus
        from datadog_api_client.v1.model.service_checks import ServiceChecks

        checks = []
        for item in items:
            fields = dict(item)
            status = ServiceCheckStatus(fields.pop('status'))
            checks.append(ServiceCheck(status=status, **fields))
        ServiceChecksApi(self._client).submit_service_check(body=ServiceChecks(checks))


def _after_sending(error):
    """True when the request was sent and the answer did not come (read timeout, connection closed mid-answer)."""
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    return any(isinstance(e, (ReadTimeoutError, ProtocolError)) for e in (error, getattr(error, 'reason', None)))


def _retry_after(e):
    try:
        return max(0.0, float((e.headers or {}).get('Retry-After')))
    except (TypeError, ValueError):
        return None

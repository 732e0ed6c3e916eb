"""`genesys-cloud-dd flows send-test`: post one sample of each kind to Datadog, without Genesys in between.

The payloads are exactly what the flow would send: the Data Action request templates are rendered with
Velocity (genesys_cloud.flows.velocity) for sample inputs, parsed, validated against datadog-api-client's
models, and sent with datadog-api-client (LogsApi.submit_log, EventsApi.create_event) under the toolkit's
outbound policy (datadog_api.py: the site's hosts only, no redirect followed, errors scrubbed). Tooling only:
datadog-api-client and airspeed are imported here, never by the check.
"""

import json

from ..redaction import scrub
from . import schema, templates
from .deploy import mask
from .velocity import render_request

SEND_TEST_EVENT_TYPES = ('data_action.failure',)  # one log and one event; the CLI can ask for more


def sample_payloads(event_types=SEND_TEST_EVENT_TYPES):
    """[(kind, event_type, parsed JSON body)] rendered from the real templates."""
    documents = templates.export_documents(templates.SiteMode.literal(schema.DEFAULT_SITE))
    credentials = {schema.CRED_API_KEY: 'unused', schema.CRED_SITE: schema.DEFAULT_SITE}
    payloads = []
    for event_type in event_types:
        inputs = schema.sample_inputs(event_type, flowName='genesys-cloud-dd send-test')
        for kind, name in (('log', templates.LOG_ACTION), ('event', templates.EVENT_ACTION)):
            _, _, _, body = render_request(documents[name], inputs, credentials)
            payloads.append((kind, event_type, json.loads(body)))
    return payloads


def to_models(kind, body):
    """Deserialize a rendered body into datadog-api-client models (raises on an invalid payload)."""
    from datadog_api_client import Configuration
    from datadog_api_client.model_utils import validate_and_convert_types

    if kind == 'log':
        from datadog_api_client.v2.model.http_log import HTTPLog
        from datadog_api_client.v2.model.http_log_item import HTTPLogItem

        items = [validate_and_convert_types(item, (HTTPLogItem,), ['log'], True, True, configuration=Configuration())
                 for item in body]
        return HTTPLog(items)
    from datadog_api_client.v1.model.event_create_request import EventCreateRequest

    return validate_and_convert_types(body, (EventCreateRequest,), ['event'], True, True,
                                      configuration=Configuration())


def send_test(api_key, site=schema.DEFAULT_SITE, dd_url=None, out=print, event_types=SEND_TEST_EVENT_TYPES):
    """Send the samples; returns the number of failures (a refused redirect is one: nothing was delivered).
    `dd_url` overrides every Datadog host (local intake). Raises datadog_api.OutboundRefused on a bad site/URL."""
    from datadog_api_client import ApiClient
    from datadog_api_client.exceptions import ApiException
    from datadog_api_client.v1.api.events_api import EventsApi
    from datadog_api_client.v2.api.logs_api import LogsApi

    from ..datadog_api import Destination

    destination = Destination(site, dd_url)
    configuration = destination.configuration(api_key, timeout=10, retries=0)
    out(f'Sending flow kit samples to {destination} with API key {mask(api_key)}')
    failures = 0
    with ApiClient(configuration) as api_client:
        logs, events = LogsApi(api_client), EventsApi(api_client)
        for kind, event_type, body in sample_payloads(event_types):
            try:
                model = to_models(kind, body)
                if kind == 'log':
                    logs.submit_log(body=model)
                    out(f'  sent log    {event_type}: search logs for source:{schema.DDSOURCE} '
                        f'@evt.name:{event_type}')
                else:
                    response = events.create_event(body=model)
                    event_id = getattr(getattr(response, 'event', None), 'id', None)
                    out(f'  sent event  {event_type}: {body["title"]!r} (id {event_id})')
            except ApiException as exc:
                failures += 1
                out(f'  FAILED {kind} {event_type}: {destination.describe(exc)}')
            except Exception as exc:  # noqa: BLE001 - report every sample, keep going
                failures += 1
                out(f'  FAILED {kind} {event_type}: {scrub(f"{type(exc).__name__}: {exc}", 300)}')
    return failures

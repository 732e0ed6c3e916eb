"""The one definition of the flow event schema.

Everything else derives from this module: the Data Action export files and the Archy snippets in
`architect_snippets/` (`genesys-cloud-dd flows render`), the field table in `docs/flows.md`, the deploy
(`flows deploy`), the samples sent by `flows send-test`, and the tests.

A flow event is one thing that went wrong (or one breadcrumb) in an Architect flow, posted by the flow itself
to Datadog through a Web Services Data Action. Every field is a Data Action input. Strings are escaped with
`$esc.jsonString` and truncated to `max_length` characters inside the Velocity template, so no input can break
the JSON body or exceed a Datadog limit.
"""

from dataclasses import dataclass
from typing import Optional

# -- Datadog side ------------------------------------------------------------------------------------------

DDSOURCE = 'genesys_cloud'  # the log source: `source:genesys_cloud` (log pipeline and facets)
SERVICE = 'genesys-cloud-flows'  # `service:` of every flow log
SOURCE_TYPE_NAME = 'genesys_cloud'  # events: source_type_name
FIXED_TAGS = ('integration:genesys-cloud', 'genesys_flow_event:true')
ATTRIBUTE_ROOT = 'genesys'  # log attributes live under `@genesys.*`; the event type is also `@evt.name`
AGGREGATION_PREFIX = 'genesys_flow'  # events: aggregation_key = genesys_flow:<event_type>:<flow_name>

# -- Genesys side ------------------------------------------------------------------------------------------

INTEGRATION_NAME = 'Datadog Flow Reporting'  # the Web Services Data Actions integration (= action category)
INTEGRATION_TYPE = 'custom-rest-actions'
CREDENTIAL_NAME = 'Datadog Flow Reporting'
CREDENTIAL_TYPE = 'userDefined'
CREDENTIAL_SLOT = 'basicAuth'  # the integration config slot; Genesys uses this key for every credential type
CRED_API_KEY = 'ddApiKey'  # User Defined credential field: the Datadog API key (never in a template)
CRED_SITE = 'ddSite'  # User Defined credential field: the Datadog site, e.g. datadoghq.eu
CRED_KEY_FINGERPRINT = 'ddApiKeyFingerprint'  # sha256 prefix of the key, lets deploy stay idempotent
DEFAULT_SITE = 'datadoghq.com'
ACTION_TIMEOUT_SECONDS = 3  # Data Action config.timeoutSeconds: reporting never holds the caller long
FLOW_STEP_TIMEOUT_SECONDS = 3  # Architect Call Data Action step timeout in the snippets

# The Datadog sites (reference Part B section 8). Hosts: api.<site> and http-intake.logs.<site>.
SITES = (
    'datadoghq.com',
    'us3.datadoghq.com',
    'us5.datadoghq.com',
    'datadoghq.eu',
    'ap1.datadoghq.com',
    'ap2.datadoghq.com',
    'ddog-gov.com',
    'uk1.datadoghq.com',
    'us2.ddog-gov.com',
)


MAX_TAG_LENGTH = 200  # Datadog's limit for a whole tag, `key:value`


def tag_room(key: str) -> int:
    """The longest value a `key:value` tag can carry within Datadog's limit."""
    return MAX_TAG_LENGTH - len(key) - 1


@dataclass(frozen=True)
class Field:
    """One event field = one Data Action input."""

    name: str  # Data Action input name (camelCase, what the flow passes)
    type: str  # JSON schema type of the input: 'string' or 'integer'
    required: bool  # required in the Data Action contract
    attribute: str  # log attribute under `@genesys.`; event text label uses `label`
    label: str  # human label (event text, docs)
    description: str
    tag: Optional[str] = None  # tag key when the value is also a tag (low cardinality only)
    max_length: Optional[int] = None  # strings are cut to this many characters (Unicode code points)
    personal: bool = False  # personal data: only sent when the flow's opt-in flag is on
    sample: object = ''  # value used by send-test and the docs


FIELDS = (
    Field('eventType', 'string', True, 'event_type', 'Event type',
          'What happened, one of the event types below (free text is accepted and kept).',
          tag='event_type', max_length=64, sample='data_action.failure'),
    Field('level', 'string', False, 'level', 'Level',
          '`error` (default), `warning` or `info`; anything else is treated as `error`. Sets the log `status` '
          'and the event `alert_type`.', max_length=16, sample='error'),
    Field('flowName', 'string', True, 'flow_name', 'Flow',
          'Name of the Architect flow (a literal in the flow: Architect has no verified Flow.Name variable).',
          tag='flow_name', max_length=tag_room('flow_name'), sample='Main IVR'),
    Field('conversationId', 'string', True, 'conversation_id', 'Conversation',
          '`Call.ConversationID`: links the event to the conversation in Genesys Cloud.',
          max_length=64, sample='5f0a4c3e-1b2d-4e5f-8a9b-0c1d2e3f4a5b'),
    Field('message', 'string', True, 'message', 'Message',
          'Human-readable description, e.g. the failure output `userMessage` or a Data Table `errorMessage`.',
          max_length=2000, sample='Data Action "CRM - Get Customer" failed: remote endpoint returned 503'),
    Field('errorCode', 'string', False, 'error_code', 'Error code',
          'Failure output `errorCode` of a Data Action, or `errorType` of a Data Table lookup.',
          tag='error_code', max_length=tag_room('error_code'), sample='ACTION.REMOTE_ENDPOINT'),
    Field('status', 'integer', False, 'http_status', 'HTTP status',
          'Failure output `status` (the HTTP status the action got, e.g. 429, 503).',
          tag='http_status', sample=503),
    Field('correlationId', 'string', False, 'correlation_id', 'Correlation id',
          'Failure output `correlationId`: quote it to Genesys support or find the call in Data Action analytics.',
          max_length=64, sample='a1b2c3d4-0000-4000-8000-000000000001'),
    Field('dataActionName', 'string', False, 'data_action', 'Data Action',
          'Name of the business Data Action that failed.',
          tag='data_action', max_length=tag_room('data_action'), sample='CRM - Get Customer'),
    Field('dataTableName', 'string', False, 'data_table', 'Data Table',
          'Name of the Data Table whose lookup failed.',
          tag='data_table', max_length=tag_room('data_table'), sample=''),
    Field('durationMs', 'integer', False, 'duration_ms', 'Duration (ms)',
          'How long the failed step took, in milliseconds (on a timeout path: the step timeout).',
          sample=3000),
    Field('menuPath', 'string', False, 'menu_path', 'Navigation',
          'Breadcrumb of the menus the caller went through, e.g. `main > billing > agent`.',
          max_length=500, sample=''),
    Field('transferTarget', 'string', False, 'transfer_target', 'Transfer to',
          'Queue (or other destination) the caller is being transferred to.',
          tag='transfer_target', max_length=tag_room('transfer_target'), sample=''),
    Field('callerAni', 'string', False, 'caller_ani', 'Caller number',
          'Caller number (`Call.Ani`). The snippets send it only when their '
          '`Task.DdSendCallerAni`/`Flow.DdSendCallerAni` flag is switched to true.',
          max_length=64, personal=True, sample=''),
)

FIELDS_BY_NAME = {f.name: f for f in FIELDS}
REQUIRED = tuple(f.name for f in FIELDS if f.required)


@dataclass(frozen=True)
class EventType:
    name: str
    level: str
    title: str
    description: str


EVENT_TYPES = (
    EventType('data_action.failure', 'error', 'Data Action failed',
              'A Call Data Action took its **failure** path.'),
    EventType('data_action.timeout', 'error', 'Data Action timed out',
              'A Call Data Action took its **timeout** path (the step timeout elapsed).'),
    EventType('genesys_api.rate_limited', 'error', 'Genesys API rate limited',
              'A Data Action calling a Genesys Cloud API failed with HTTP 429 (failure path, `status` 429).'),
    EventType('data_table.failure', 'error', 'Data Table lookup failed',
              'A Data Table Lookup took its **failure** path (`errorType`, `errorMessage`).'),
    EventType('navigation', 'info', 'Caller navigation before transfer',
              'Breadcrumb: the menus the caller went through, posted just before the transfer.'),
)
EVENT_TYPES_BY_NAME = {e.name: e for e in EVENT_TYPES}

# level input -> (log status, event alert_type); anything else maps to the first entry's values
LEVELS = {
    'error': ('error', 'error'),
    'warning': ('warn', 'warning'),
    'info': ('info', 'info'),
}


def sample_inputs(event_type='data_action.failure', **overrides):
    """A complete, realistic set of inputs for one event type (send-test, deploy test, docs)."""
    inputs = {f.name: f.sample for f in FIELDS}
    event = EVENT_TYPES_BY_NAME[event_type]
    inputs.update(eventType=event.name, level=event.level)
    if event_type == 'data_action.timeout':
        inputs.update(message='Data Action "CRM - Get Customer" timed out', errorCode='', status=0,
                      correlationId='', durationMs=FLOW_STEP_TIMEOUT_SECONDS * 1000)
    elif event_type == 'genesys_api.rate_limited':
        inputs.update(message='Data Action "Genesys - Get Queue Estimate" got HTTP 429 from the Genesys API',
                      errorCode='ACTION.REMOTE_ENDPOINT', status=429, dataActionName='Genesys - Get Queue Estimate')
    elif event_type == 'data_table.failure':
        inputs.update(message='Data Table lookup failed: table not found', errorCode='DataTablesTableNotFoundException',
                      status=0, correlationId='', dataActionName='', dataTableName='VIP Callers', durationMs=0)
    elif event_type == 'navigation':
        inputs.update(message='Caller navigation before transfer', errorCode='', status=0, correlationId='',
                      dataActionName='', durationMs=0, menuPath='main > billing > speak to agent',
                      transferTarget='Billing')
    inputs.update(overrides)
    return inputs


def tag_keys():
    return tuple(f.tag for f in FIELDS if f.tag)

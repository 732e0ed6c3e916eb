"""State of the emulator's integrations, credentials and Data Actions (one store per Emulator instance).

Created lazily on the first request that needs it. Tests reach it with `integrations_state(emulator)`, e.g. to
point the action test endpoint's outbound calls at a local fake intake:

    integrations_state(emu).outbound['http-intake.logs.datadoghq.com'] = fake_datadog.url

Outbound calls from `.../test` go only to loopback hosts or to hosts mapped in `outbound`; anything else fails
the test execution (the emulator never talks to the internet).
"""

import threading
import uuid
import weakref
from dataclasses import dataclass, field

WEB_SERVICES_TYPE = {
    'id': 'custom-rest-actions',
    'name': 'Web Services Data Actions',
    'description': 'Call web services from Architect flows and scripts.',
    'provider': 'clientapps',
    'category': 'Data Actions',
}
GENESYS_DATA_ACTIONS_TYPE = {
    'id': 'purecloud-data-actions',
    'name': 'Genesys Cloud Data Actions',
    'description': 'Call Genesys Cloud APIs from Architect flows and scripts.',
    'provider': 'clientapps',
    'category': 'Data Actions',
}
INTEGRATION_TYPES = {t['id']: t for t in (WEB_SERVICES_TYPE, GENESYS_DATA_ACTIONS_TYPE)}

CREDENTIAL_TYPES = (
    {'id': 'basicAuth', 'name': 'basicAuth', 'properties': {'userName': {'type': 'string'},
                                                            'password': {'type': 'string'}},
     'displayOrder': ['userName', 'password'], 'required': ['userName', 'password']},
    {'id': 'userDefined', 'name': 'userDefined', 'properties': {}, 'displayOrder': [], 'required': []},
    {'id': 'userDefinedOAuth', 'name': 'userDefinedOAuth', 'properties': {}, 'displayOrder': [], 'required': []},
    {'id': 'pureCloudOAuthClient', 'name': 'pureCloudOAuthClient',
     'properties': {'clientId': {'type': 'string'}, 'clientSecret': {'type': 'string'}},
     'displayOrder': ['clientId', 'clientSecret'], 'required': ['clientId', 'clientSecret']},
)
CREDENTIAL_TYPE_NAMES = {t['name'] for t in CREDENTIAL_TYPES}


@dataclass
class IntegrationRecord:
    id: str
    type_id: str
    name: str
    created: object
    intended_state: str = 'DISABLED'
    notes: str = ''
    config_version: int = 1
    config_name: str = ''
    properties: dict = field(default_factory=dict)
    advanced: dict = field(default_factory=dict)
    config_notes: str = ''
    credentials: dict = field(default_factory=dict)  # slot -> credential id
    modified: object = None


@dataclass
class CredentialRecord:
    id: str
    name: str
    type_name: str
    fields: dict
    created: object
    modified: object


@dataclass
class ActionRecord:
    id: str
    integration_id: str
    published: dict = None  # Action body of the published version (config included)
    draft: dict = None  # Action body of the draft


class IntegrationsState:
    def __init__(self):
        self.lock = threading.RLock()
        self.integrations = {}  # id -> IntegrationRecord (insertion order = creation order)
        self.credentials = {}  # id -> CredentialRecord
        self.actions = {}  # id -> ActionRecord
        self.outbound = {}  # host[:port] -> base URL the action test endpoint sends to instead
        self.test_requests = []  # (method, url, headers, body) sent by the test endpoints, for tests

    @staticmethod
    def new_id():
        return str(uuid.uuid4())

    @staticmethod
    def new_action_id(category, type_id='custom-rest-actions'):
        """Custom actions (Web Services Data Actions) have ids starting `custom_-_`, what counts against
        dataactions/actions.total.max; other integration types' ids start with the type (UNVERIFIED form)."""
        slug = ''.join(c if c.isalnum() else '_' for c in category.lower())[:20] or 'custom'
        prefix = 'custom' if type_id == 'custom-rest-actions' else type_id
        return f'{prefix}_-_{slug}_{uuid.uuid4()}'


_STATES = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def integrations_state(emulator):
    with _STATES_LOCK:
        state = _STATES.get(emulator)
        if state is None:
            state = _STATES[emulator] = IntegrationsState()
        return state

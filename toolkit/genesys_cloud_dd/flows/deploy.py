"""`genesys-cloud-dd flows deploy`: install the flow kit in a Genesys Cloud org, idempotently.

Creates or updates, through the Genesys Cloud API:
1. the User Defined credential holding the Datadog API key and site (`ddApiKey`, `ddSite`, and
   `ddApiKeyFingerprint`, a short SHA-256 prefix of the key that lets a re-run see whether the key changed
   without ever reading a secret back);
2. the Web Services Data Actions integration, its configuration (name, credential) and its ENABLED state;
3. the Data Actions (draft -> publish; an existing action whose definition differs gets a new draft that is
   patched and published);
then runs each action's test endpoint once, which posts one real test log/event to Datadog.

A second run with the same inputs changes nothing. `dry_run=True` only reads and reports what would change.
"""

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Optional

from . import schema, templates
from .templates import SiteMode

INTEGRATIONS = '/api/v2/integrations'
CREDENTIALS = '/api/v2/integrations/credentials'
ACTIONS = '/api/v2/integrations/actions'


def mask(secret):
    """Show a secret as `****` plus at most its last four characters (none for short values)."""
    if not secret:
        return '<not set>'
    return '****' + secret[-4:] if len(secret) >= 16 else '****'


def fingerprint(api_key):
    return hashlib.sha256(api_key.encode('utf-8')).hexdigest()[:16]


@dataclass
class Change:
    action: str  # create | update | unchanged | test
    kind: str  # credential | integration | integration config | integration state | action
    name: str
    detail: str = ''

    def __str__(self):
        text = f'{self.action:<9} {self.kind} {self.name!r}'
        return f'{text}: {self.detail}' if self.detail else text


@dataclass
class DeployResult:
    changes: list = field(default_factory=list)
    tests: dict = field(default_factory=dict)  # action name -> TestExecutionResult
    integration_id: Optional[str] = None
    credential_id: Optional[str] = None
    action_ids: dict = field(default_factory=dict)

    @property
    def changed(self):
        return [c for c in self.changes if c.action in ('create', 'update')]

    @property
    def tests_passed(self):
        return all(r.get('success') for r in self.tests.values())


def test_inputs():
    """The input the deploy test sends: a recognisable info-level log/event."""
    return schema.sample_inputs(
        'data_action.failure', eventType='flows.deploy_test', level='info',
        message='Test event from genesys-cloud-dd flows deploy: the Datadog Data Action works.',
        flowName='genesys-cloud-dd flows deploy', errorCode='', status=0, correlationId='', dataActionName='',
        durationMs=0)


def _projection(action):
    """The parts of an action the deploy owns (what decides whether an update is needed)."""
    config = action.get('config') or {}
    request = config.get('request') or {}
    response = config.get('response') or {}
    contract = action.get('contract') or {}
    return {
        'name': action.get('name'),
        'category': action.get('category'),
        'secure': bool(action.get('secure', False)),
        'timeoutSeconds': config.get('timeoutSeconds'),
        'request': {k: request.get(k) for k in ('requestUrlTemplate', 'requestType', 'headers', 'requestTemplate')},
        'response': {k: response.get(k) for k in ('translationMap', 'translationMapDefaults', 'successTemplate')},
        'inputSchema': (contract.get('input') or {}).get('inputSchema'),
        'successSchema': (contract.get('output') or {}).get('successSchema'),
    }


def _differences(current, desired):
    a, b = _projection(current), _projection(desired)
    return [key for key in b if a.get(key) != b.get(key)]


class FlowDeployer:
    def __init__(self, client, api_key, site=schema.DEFAULT_SITE, site_mode=None, dry_run=False, run_test=True,
                 out=print):
        if not api_key:
            raise ValueError('a Datadog API key is required')
        self.client = client
        self.api_key = api_key
        client.register_secret(api_key)  # an error body echoing the key is scrubbed before it is cut short
        self.site = site or schema.DEFAULT_SITE
        self.site_mode = site_mode or SiteMode.credential()
        self.dry_run = dry_run
        self.run_test = run_test and not dry_run
        self.out = out
        self.result = DeployResult()

    # -- helpers ---------------------------------------------------------------------------------------

    def _record(self, action, kind, name, detail=''):
        change = Change(action, kind, name, self.client.scrub(detail))
        self.result.changes.append(change)
        prefix = 'would ' if self.dry_run and action in ('create', 'update') else ''
        self.out(f'  {prefix}{change}')
        return change

    def _credential_fields(self):
        return {
            schema.CRED_API_KEY: self.api_key,
            schema.CRED_SITE: self.site,
            schema.CRED_KEY_FINGERPRINT: fingerprint(self.api_key),
        }

    def _credential_summary(self):
        return f'{schema.CRED_SITE}={self.site}, {schema.CRED_API_KEY}={mask(self.api_key)}'

    # -- steps -----------------------------------------------------------------------------------------

    def deploy(self):
        self.out('Genesys Cloud flow kit deploy' + (' (dry run: nothing is changed)' if self.dry_run else ''))
        credential_id = self.ensure_credential()
        integration_id = self.ensure_integration(credential_id)
        self.ensure_actions(integration_id)
        if self.run_test:
            self.test_actions()
        return self.result

    def ensure_credential(self):
        name = schema.CREDENTIAL_NAME
        existing = next((c for c in self.client.iter_pages(CREDENTIALS) if c.get('name') == name), None)
        body = {'name': name, 'type': {'name': schema.CREDENTIAL_TYPE}, 'credentialFields': self._credential_fields()}
        if existing is None:
            self._record('create', 'credential', name, self._credential_summary())
            if self.dry_run:
                return None
            created = self.client.post(CREDENTIALS, body=body)
            self.result.credential_id = created['id']
            return created['id']
        cred_id = existing['id']
        self.result.credential_id = cred_id
        current = self.client.get(f'{CREDENTIALS}/{cred_id}') or {}
        fields = current.get('credentialFields') or {}
        stale = []
        if fields.get(schema.CRED_SITE) != self.site:
            stale.append(f'{schema.CRED_SITE} {fields.get(schema.CRED_SITE)!r} -> {self.site!r}')
        if fields.get(schema.CRED_KEY_FINGERPRINT) != fingerprint(self.api_key):
            stale.append(f'{schema.CRED_API_KEY} -> {mask(self.api_key)}')
        if ((current.get('type') or {}).get('name') or schema.CREDENTIAL_TYPE) != schema.CREDENTIAL_TYPE:
            raise ValueError(f'credential {name!r} exists with type {current["type"].get("name")!r}, not '
                             f'{schema.CREDENTIAL_TYPE!r}; rename or delete it first (Genesys does not allow '
                             'changing a credential type)')
        if not stale:
            self._record('unchanged', 'credential', name, self._credential_summary())
            return cred_id
        self._record('update', 'credential', name, '; '.join(stale))
        if not self.dry_run:
            self.client.put(f'{CREDENTIALS}/{cred_id}', body=body)
        return cred_id

    def _find_integration(self):
        for integration in self.client.iter_pages(INTEGRATIONS, params={'integrationType': schema.INTEGRATION_TYPE}):
            if ((integration.get('integrationType') or {}).get('id') == schema.INTEGRATION_TYPE
                    and integration.get('name') == schema.INTEGRATION_NAME):
                return integration
        return None

    def ensure_integration(self, credential_id):
        name = schema.INTEGRATION_NAME
        integration = self._find_integration()
        if integration is None:
            self._record('create', 'integration', name, f'type {schema.INTEGRATION_TYPE}, credential slot '
                         f'{schema.CREDENTIAL_SLOT}, ENABLED')
            if self.dry_run:
                return None
            integration = self.client.post(INTEGRATIONS, body={'integrationType': {'id': schema.INTEGRATION_TYPE}})
        integration_id = integration['id']
        self.result.integration_id = integration_id
        config = self.client.get(f'{INTEGRATIONS}/{integration_id}/config/current') or {}
        slot = (config.get('credentials') or {}).get(schema.CREDENTIAL_SLOT) or {}
        needs = []
        if config.get('name') != name:
            needs.append(f'name -> {name!r}')
        if credential_id and slot.get('id') != credential_id:
            needs.append(f'credential -> {schema.CREDENTIAL_NAME!r}')
        if needs:
            if integration.get('name') == name:  # an existing integration whose configuration drifted
                self._record('update', 'integration config', name, ', '.join(needs))
            if not self.dry_run:
                body = {
                    'name': name,
                    'version': config.get('version', 1),
                    'properties': config.get('properties') or {},
                    'advanced': config.get('advanced') or {},
                    'notes': 'Managed by genesys-cloud-dd flows deploy: flow failures posted to Datadog.',
                    'credentials': {schema.CREDENTIAL_SLOT: {'id': credential_id}},
                }
                self.client.put(f'{INTEGRATIONS}/{integration_id}/config/current', body=body)
        if integration.get('intendedState') != 'ENABLED':
            if integration.get('name') == name:
                self._record('update', 'integration state', name, f'{integration.get("intendedState")} -> ENABLED')
            if not self.dry_run:
                self.client.patch(f'{INTEGRATIONS}/{integration_id}', body={'intendedState': 'ENABLED'})
        if not needs and integration.get('intendedState') == 'ENABLED':
            self._record('unchanged', 'integration', name)
        return integration_id

    def _find_action(self, path, name, integration_id):
        params = {'name': name, 'includeConfig': 'true'}
        for action in self.client.iter_pages(path, params=params):
            if action.get('name') == name and action.get('integrationId') == integration_id:
                return action
        return None

    def ensure_actions(self, integration_id):
        for name, export in templates.export_documents(self.site_mode).items():
            desired = templates.to_post_action_input(export, integration_id, schema.INTEGRATION_NAME)
            if integration_id is None:  # dry run before the integration exists
                self._record('create', 'action', name, self._action_summary(desired))
                continue
            self.result.action_ids[name] = self._ensure_action(name, desired, integration_id)

    def _action_summary(self, desired):
        request = desired['config']['request']
        timeout = desired['config']['timeoutSeconds']
        return f'{request["requestType"]} {request["requestUrlTemplate"]}, timeout {timeout}s'

    def _ensure_action(self, name, desired, integration_id):
        published = self._find_action(ACTIONS, name, integration_id)
        draft = self._find_action(f'{ACTIONS}/drafts', name, integration_id)
        if published is None and draft is None:
            self._record('create', 'action', name, self._action_summary(desired))
            if self.dry_run:
                return None
            created = self.client.post(f'{ACTIONS}/drafts', body=desired)
            return self._publish(created['id'], created['version'])
        if published is not None:
            differences = _differences(published, desired)
            if not differences:
                self._record('unchanged', 'action', name, self._action_summary(desired))
                return published['id']
            action_id = published['id']
        else:
            differences = ['unpublished draft']
            action_id = draft['id']
        self._record('update', 'action', name, 'changed: ' + ', '.join(differences))
        if self.dry_run:
            return action_id
        if draft is None:
            draft = self.client.post(f'{ACTIONS}/{action_id}/draft')
        patch = {k: copy.deepcopy(desired[k]) for k in ('name', 'category', 'config', 'contract', 'secure')}
        patch['version'] = draft['version']
        patched = self.client.patch(f'{ACTIONS}/{action_id}/draft', body=patch)
        return self._publish(action_id, patched['version'])

    def _publish(self, action_id, version):
        published = self.client.post(f'{ACTIONS}/{action_id}/draft/publish', body={'version': version})
        return published.get('id', action_id)

    def test_actions(self):
        for name, action_id in self.result.action_ids.items():
            if not action_id:
                continue
            result = self.client.post(f'{ACTIONS}/{action_id}/test', body=test_inputs()) or {}
            self.result.tests[name] = result
            if result.get('success'):
                self._record('test', 'action', name, 'passed: Datadog accepted the test '
                             + ('log' if name == templates.LOG_ACTION else 'event'))
            else:
                error = result.get('error') or {}
                self._record('test', 'action', name, 'FAILED: {} {}'.format(error.get('code', ''),
                                                                           error.get('message', '')).strip())

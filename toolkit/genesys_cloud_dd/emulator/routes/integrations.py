"""Integrations, credentials and Data Actions (what `genesys-cloud-dd flows deploy` uses).

Field names follow the SDK models named on each route (purecloudplatformclientv2 269.0.0: Integration,
IntegrationConfiguration, CredentialInfo, Credential, CredentialType, Action, ActionEntityListing,
TestExecutionResult). Lifecycle as on the platform: POST .../actions/drafts creates a draft, PATCH .../draft
updates it (optimistic `version`), POST .../draft/publish publishes it; POST .../{id}/draft opens a new draft
from the published action.

The test endpoints really render the action's request with Velocity (genesys_cloud.flows.velocity, which needs
the `airspeed` package) and send it over HTTP: to loopback hosts, or to the base URL a test mapped the host to
in `integrations_state(emulator).outbound`. No call ever leaves the machine.

Permission names are the platform's naming scheme (`integrations:<entity>:<action>`); the exact permission
each credential endpoint checks is UNVERIFIED.
"""

import copy
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from ..data.integrations import (
    CREDENTIAL_TYPE_NAMES,
    CREDENTIAL_TYPES,
    INTEGRATION_TYPES,
    ActionRecord,
    CredentialRecord,
    IntegrationRecord,
    IntegrationsState,
    integrations_state,
)
from ..errors import ApiError, bad_request, not_found
from ..formats import iso_ms
from ..paging import full_listing
from ..routing import Sample, route
from ..validation import require

VIEW = ('integrations:integration:view',)
ADD = ('integrations:integration:add',)
EDIT = ('integrations:integration:edit',)
ACTION_VIEW = ('integrations:action:view', 'bridge:actions:view')
ACTION_ADD = ('integrations:action:add',)
ACTION_EDIT = ('integrations:action:edit',)
ACTION_EXECUTE = ('integrations:action:execute',)

JSON_MEDIA_TYPES = ('application/json', '*/*', 'application/*')
REDACTED = '*****'


def _state(request) -> IntegrationsState:
    return integrations_state(request.emulator)


def _truthy(value):
    return str(value).lower() == 'true'


# -- renderers -------------------------------------------------------------------------------------


def render_credential_info(request, cred):
    """SDK model CredentialInfo."""
    return {
        'id': cred.id,
        'name': cred.name,
        'createdDate': iso_ms(cred.created),
        'modifiedDate': iso_ms(cred.modified),
        'type': {'name': cred.type_name},
        'selfUri': '/api/v2/integrations/credentials/' + cred.id,
    }


def render_configuration(request, record):
    """SDK model IntegrationConfiguration."""
    state = _state(request)
    credentials = {}
    for slot, cred_id in record.credentials.items():
        cred = state.credentials.get(cred_id)
        credentials[slot] = render_credential_info(request, cred) if cred else {'id': cred_id}
    return {
        'id': record.id,
        'name': record.config_name or record.name,
        'version': record.config_version,
        'properties': record.properties,
        'advanced': record.advanced,
        'notes': record.config_notes,
        'credentials': credentials,
        'selfUri': f'/api/v2/integrations/{record.id}/config/current',
    }


def render_integration(request, record):
    """SDK model Integration."""
    integration_type = dict(INTEGRATION_TYPES[record.type_id])
    integration_type['selfUri'] = '/api/v2/integrations/types/' + record.type_id
    active = record.intended_state == 'ENABLED'
    return {
        'id': record.id,
        'name': record.name,
        'integrationType': integration_type,
        'notes': record.notes,
        'intendedState': record.intended_state,
        'config': {'current': render_configuration(request, record)},
        'reportedState': {'code': 'ACTIVE' if active else 'INACTIVE', 'effective': 'Active' if active else 'Inactive',
                          'lastUpdated': iso_ms(record.modified or record.created)},
        'attributes': {},
        'selfUri': '/api/v2/integrations/' + record.id,
    }


def render_action(body, include_config=True):
    """SDK model Action (`config` only when asked for, as the platform does)."""
    out = {k: copy.deepcopy(v) for k, v in body.items() if k != 'config' or include_config}
    out['selfUri'] = '/api/v2/integrations/actions/' + body['id']
    return out


# -- integrations ----------------------------------------------------------------------------------


def _integration(request, integration_id):
    record = _state(request).integrations.get(integration_id)
    if record is None:
        raise not_found(f'Integration {integration_id} not found')
    return record


def _create_integration_sample(api):
    response = api.post('/api/v2/integrations', json={'integrationType': {'id': 'custom-rest-actions'}})
    return response.json()['id']


def _after(create, sample):
    """A samples callable that first creates something, so a listing has an entity to show."""

    def build(api):
        create(api)
        return sample

    return build


@route('GET', '/api/v2/integrations', permissions=VIEW, sdk_model='IntegrationEntityListing',
       samples=_after(_create_integration_sample, Sample(query={'pageSize': '5'})))
def list_integrations(request):
    state = _state(request)
    wanted_type = request.query.get('integrationType')
    with state.lock:
        items = [r for r in state.integrations.values() if not wanted_type or r.type_id == wanted_type]
        return full_listing(request, items, lambda r: render_integration(request, r), default_size=25, max_size=100)


@route('POST', '/api/v2/integrations', permissions=ADD, sdk_model='Integration',
       samples=Sample(json={'integrationType': {'id': 'custom-rest-actions'}}))
def create_integration(request):
    body = request.json or {}
    type_id = ((body.get('integrationType') or {}).get('id') or '').strip()
    if type_id not in INTEGRATION_TYPES:
        raise bad_request('Unknown integration type: {}'.format(type_id or '<missing>'), field='integrationType.id')
    now = request.clock.now()
    state = _state(request)
    record = IntegrationRecord(state.new_id(), type_id, body.get('name') or INTEGRATION_TYPES[type_id]['name'], now)
    with state.lock:
        state.integrations[record.id] = record
    return render_integration(request, record)


@route('GET', '/api/v2/integrations/{integrationId}', permissions=VIEW, sdk_model='Integration',
       samples=lambda api: Sample(path_params={'integrationId': _create_integration_sample(api)}))
def get_integration(request):
    return render_integration(request, _integration(request, request.path_params['integrationId']))


@route('PATCH', '/api/v2/integrations/{integrationId}', permissions=EDIT, sdk_model='Integration',
       samples=lambda api: Sample(path_params={'integrationId': _create_integration_sample(api)},
                                  json={'intendedState': 'ENABLED'}))
def patch_integration(request):
    record = _integration(request, request.path_params['integrationId'])
    body = request.json or {}
    state = body.get('intendedState')
    if state is not None:
        if str(state).upper() not in ('ENABLED', 'DISABLED'):
            raise bad_request('intendedState must be ENABLED or DISABLED', field='intendedState')
        record.intended_state = str(state).upper()
    if 'notes' in body:
        record.notes = body.get('notes') or ''
    record.modified = request.clock.now()
    return render_integration(request, record)


@route('GET', '/api/v2/integrations/{integrationId}/config/current', permissions=VIEW,
       sdk_model='IntegrationConfiguration',
       samples=lambda api: Sample(path_params={'integrationId': _create_integration_sample(api)}))
def get_config(request):
    return render_configuration(request, _integration(request, request.path_params['integrationId']))


def _config_sample(api):
    integration_id = _create_integration_sample(api)
    return Sample(path_params={'integrationId': integration_id},
                  json={'name': 'Sample', 'version': 1, 'properties': {}, 'advanced': {}, 'notes': '',
                        'credentials': {}})


@route('PUT', '/api/v2/integrations/{integrationId}/config/current', permissions=EDIT,
       sdk_model='IntegrationConfiguration', samples=_config_sample)
def put_config(request):
    record = _integration(request, request.path_params['integrationId'])
    body = request.json or {}
    state = _state(request)
    with state.lock:
        if body.get('version') != record.config_version:
            raise ApiError(409, 'conflict', 'The version of the configuration ({}) is not the current version '
                           '({}).'.format(body.get('version'), record.config_version))
        credentials = {}
        for slot, ref in (body.get('credentials') or {}).items():
            cred_id = (ref or {}).get('id')
            if cred_id not in state.credentials:
                raise bad_request(f'Credential {cred_id} not found', field=f'credentials.{slot}.id')
            credentials[slot] = cred_id
        record.config_name = body.get('name') or record.config_name
        if body.get('name'):
            record.name = body['name']
        record.properties = body.get('properties') or {}
        record.advanced = body.get('advanced') or {}
        record.config_notes = body.get('notes') or ''
        record.credentials = credentials
        record.config_version += 1
        record.modified = request.clock.now()
    return render_configuration(request, record)


# -- credentials -----------------------------------------------------------------------------------


def _credential(request, cred_id):
    cred = _state(request).credentials.get(cred_id)
    if cred is None:
        raise not_found(f'Credential {cred_id} not found')
    return cred


def _credential_body(body):
    require(body, 'name')
    type_name = ((body.get('type') or {}).get('name') or '').strip()
    if type_name not in CREDENTIAL_TYPE_NAMES:
        raise bad_request('Unknown credential type: {}'.format(type_name or '<missing>'), field='type.name')
    fields = body.get('credentialFields') or {}
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise bad_request('credentialFields must map names to strings', field='credentialFields')
    return body['name'], type_name, dict(fields)


SAMPLE_CREDENTIAL = {'name': 'Sample credential', 'type': {'name': 'userDefined'},
                     'credentialFields': {'token': 'sample'}}


def _create_credential_sample(api):
    return api.post('/api/v2/integrations/credentials', json=SAMPLE_CREDENTIAL).json()['id']


@route('GET', '/api/v2/integrations/credentials', permissions=VIEW, sdk_model='CredentialInfoListing',
       samples=_after(_create_credential_sample, Sample(query={'pageSize': '5'})))
def list_credentials(request):
    state = _state(request)
    with state.lock:
        items = list(state.credentials.values())
    return full_listing(request, items, lambda c: render_credential_info(request, c), default_size=25, max_size=100)


@route('POST', '/api/v2/integrations/credentials', permissions=ADD, sdk_model='CredentialInfo',
       samples=Sample(json=SAMPLE_CREDENTIAL))
def create_credential(request):
    name, type_name, fields = _credential_body(request.json)
    now = request.clock.now()
    state = _state(request)
    cred = CredentialRecord(state.new_id(), name, type_name, fields, now, now)
    with state.lock:
        state.credentials[cred.id] = cred
    return render_credential_info(request, cred)


@route('GET', '/api/v2/integrations/credentials/types', permissions=VIEW, sdk_model='list[CredentialType]')
def credential_types(request):
    return [dict(t) for t in CREDENTIAL_TYPES]


@route('GET', '/api/v2/integrations/credentials/{credentialId}', permissions=VIEW, sdk_model='Credential',
       samples=lambda api: Sample(path_params={'credentialId': _create_credential_sample(api)}))
def get_credential(request):
    cred = _credential(request, request.path_params['credentialId'])
    return {'id': cred.id, 'name': cred.name, 'type': {'name': cred.type_name},
            'credentialFields': dict(cred.fields), 'selfUri': '/api/v2/integrations/credentials/' + cred.id}


@route('PUT', '/api/v2/integrations/credentials/{credentialId}', permissions=EDIT, sdk_model='CredentialInfo',
       samples=lambda api: Sample(path_params={'credentialId': _create_credential_sample(api)},
                                  json=SAMPLE_CREDENTIAL))
def put_credential(request):
    cred = _credential(request, request.path_params['credentialId'])
    name, type_name, fields = _credential_body(request.json)
    if type_name != cred.type_name:
        raise bad_request('The credential type cannot be changed', field='type.name')
    with _state(request).lock:
        cred.name, cred.fields, cred.modified = name, fields, request.clock.now()
    return render_credential_info(request, cred)


# -- actions ---------------------------------------------------------------------------------------


def _validate_action_body(state, body, partial=False):
    require(body, *(() if partial else ('name', 'category', 'integrationId', 'config', 'contract')))
    if not partial and body['integrationId'] not in state.integrations:
        raise bad_request('Integration {} not found'.format(body['integrationId']), field='integrationId')
    config = body.get('config')
    if config is not None:
        timeout = config.get('timeoutSeconds')
        if timeout is not None and not (isinstance(timeout, int) and 1 <= timeout <= 60):
            raise bad_request('timeoutSeconds must be between 1 and 60', field='config.timeoutSeconds')
        req = config.get('request') or {}
        if not req.get('requestUrlTemplate') or not req.get('requestType'):
            raise bad_request('config.request needs requestUrlTemplate and requestType', field='config.request')
        accept = {k.lower(): v for k, v in (req.get('headers') or {}).items()}.get('accept')
        if accept is not None and not any(m in accept.lower() for m in JSON_MEDIA_TYPES):
            raise ApiError(400, 'INVALID_SCHEMA', 'The Accept header must allow a JSON media type.')
    contract = body.get('contract')
    if contract is not None:
        schema = (contract.get('input') or {}).get('inputSchema')
        if not isinstance(schema, dict) or schema.get('type') != 'object':
            raise bad_request('contract.input.inputSchema must be an object schema', field='contract.input')


def _contract(contract):
    """ActionContract as the platform returns it (input/output with schemas)."""
    contract = copy.deepcopy(contract or {})
    out = {'input': {'inputSchema': (contract.get('input') or {}).get('inputSchema') or {'type': 'object'}},
           'output': {'successSchema': (contract.get('output') or {}).get('successSchema') or {'type': 'object'}}}
    return out


def _action(request, action_id):
    record = _state(request).actions.get(action_id)
    if record is None or record.published is None:
        raise not_found(f'Action {action_id} not found')
    return record


def _draft(request, action_id):
    record = _state(request).actions.get(action_id)
    if record is None or record.draft is None:
        raise not_found(f'Draft for action {action_id} not found')
    return record


def _name_taken(state, integration_id, name, except_id=None):
    for record in state.actions.values():
        if record.id == except_id or record.integration_id != integration_id:
            continue
        for body in (record.published, record.draft):
            if body and body['name'] == name:
                return True
    return False


SAMPLE_ACTION_URL = 'http://127.0.0.1:9/api/v2/logs'  # discard port: nothing listens, tests fail cleanly


def sample_action(integration_id, name='Sample action'):
    return {
        'name': name, 'category': 'Sample', 'integrationId': integration_id, 'secure': False,
        'config': {'timeoutSeconds': 2,
                   'request': {'requestUrlTemplate': SAMPLE_ACTION_URL, 'requestType': 'POST',
                               'headers': {'Content-Type': 'application/json', 'Accept': 'application/json'},
                               'requestTemplate': '{"message":"$esc.jsonString(${input.message})"}'},
                   'response': {'translationMap': {}, 'translationMapDefaults': {}, 'successTemplate': '{}'}},
        'contract': {'input': {'inputSchema': {'type': 'object', 'required': ['message'],
                                               'properties': {'message': {'type': 'string'}}}},
                     'output': {'successSchema': {'type': 'object', 'properties': {}}}},
    }


def _published_sample_action(api, name='Sample action'):
    integration_id = _create_integration_sample(api)
    draft = api.post('/api/v2/integrations/actions/drafts', json=sample_action(integration_id, name)).json()
    api.post('/api/v2/integrations/actions/{}/draft/publish'.format(draft['id']), json={'version': draft['version']})
    return draft['id']


def _draft_sample_action(api):
    integration_id = _create_integration_sample(api)
    return api.post('/api/v2/integrations/actions/drafts', json=sample_action(integration_id)).json()


def _list_actions(request, drafts):
    state = _state(request)
    query = request.query
    name = (query.get('name') or '').lower()
    category = query.get('category')
    ids = set(filter(None, (query.get('ids') or '').split(',')))
    include_config = _truthy(query.get('includeConfig'))
    with state.lock:
        bodies = [r.draft if drafts else r.published for r in state.actions.values()]
    items = [b for b in bodies if b and (not name or name in b['name'].lower())
             and (not category or b['category'] == category) and (not ids or b['id'] in ids)]
    items.sort(key=lambda b: b['name'].lower())
    return full_listing(request, items, lambda b: render_action(b, include_config), default_size=25, max_size=500)


@route('GET', '/api/v2/integrations/actions', permissions=ACTION_VIEW, sdk_model='ActionEntityListing',
       samples=_after(_published_sample_action, Sample(query={'name': 'sample', 'includeConfig': 'true'})))
def list_actions(request):
    return _list_actions(request, drafts=False)


@route('GET', '/api/v2/integrations/actions/drafts', permissions=ACTION_VIEW, sdk_model='ActionEntityListing',
       samples=_after(_draft_sample_action, Sample(query={'pageSize': '5'})))
def list_drafts(request):
    return _list_actions(request, drafts=True)


@route('POST', '/api/v2/integrations/actions/drafts', permissions=ACTION_ADD, sdk_model='Action',
       samples=lambda api: Sample(json=sample_action(_create_integration_sample(api))))
def create_draft(request):
    state = _state(request)
    body = request.json
    _validate_action_body(state, body)
    with state.lock:
        if _name_taken(state, body['integrationId'], body['name']):
            raise ApiError(400, 'bad.request', 'An action named {!r} already exists in this integration.'.format(
                body['name']))
        action_id = state.new_action_id(body['category'], state.integrations[body['integrationId']].type_id)
        draft = {'id': action_id, 'name': body['name'], 'integrationId': body['integrationId'],
                 'category': body['category'], 'contract': _contract(body['contract']), 'version': 1,
                 'secure': bool(body.get('secure', False)), 'config': copy.deepcopy(body['config'])}
        state.actions[action_id] = ActionRecord(action_id, body['integrationId'], None, draft)
    return render_action(draft)


@route('GET', '/api/v2/integrations/actions/{actionId}', permissions=ACTION_VIEW, sdk_model='Action',
       samples=lambda api: Sample(path_params={'actionId': _published_sample_action(api)},
                                  query={'includeConfig': 'true'}))
def get_action(request):
    record = _action(request, request.path_params['actionId'])
    return render_action(record.published, _truthy(request.query.get('includeConfig')))


@route('GET', '/api/v2/integrations/actions/{actionId}/draft', permissions=ACTION_VIEW, sdk_model='Action',
       samples=lambda api: Sample(path_params={'actionId': _draft_sample_action(api)['id']},
                                  query={'includeConfig': 'true'}))
def get_draft(request):
    record = _draft(request, request.path_params['actionId'])
    return render_action(record.draft, _truthy(request.query.get('includeConfig')))


@route('POST', '/api/v2/integrations/actions/{actionId}/draft', permissions=ACTION_EDIT, sdk_model='Action',
       samples=lambda api: Sample(path_params={'actionId': _published_sample_action(api)}))
def create_draft_from_action(request):
    record = _action(request, request.path_params['actionId'])
    with _state(request).lock:
        if record.draft is not None:
            raise ApiError(409, 'conflict', f'A draft already exists for action {record.id}.')
        record.draft = copy.deepcopy(record.published)
        record.draft['version'] = record.published['version'] + 1
    return render_action(record.draft)


def _patch_sample(api):
    draft = _draft_sample_action(api)
    return Sample(path_params={'actionId': draft['id']},
                  json={'version': draft['version'], 'config': sample_action('x')['config']})


@route('PATCH', '/api/v2/integrations/actions/{actionId}/draft', permissions=ACTION_EDIT, sdk_model='Action',
       samples=_patch_sample)
def patch_draft(request):
    state = _state(request)
    record = _draft(request, request.path_params['actionId'])
    body = request.json
    _validate_action_body(state, body, partial=True)
    with state.lock:
        if body.get('version') != record.draft['version']:
            raise ApiError(409, 'conflict', 'The draft version ({}) is not the current version ({}).'.format(
                body.get('version'), record.draft['version']))
        if body.get('name') and body['name'] != record.draft['name'] and _name_taken(
                state, record.integration_id, body['name'], except_id=record.id):
            raise ApiError(400, 'bad.request', 'An action named {!r} already exists.'.format(body['name']))
        for key in ('name', 'category'):
            if body.get(key):
                record.draft[key] = body[key]
        if 'secure' in body:
            record.draft['secure'] = bool(body['secure'])
        if body.get('config'):
            record.draft['config'] = copy.deepcopy(body['config'])
        if body.get('contract'):
            record.draft['contract'] = _contract(body['contract'])
        record.draft['version'] += 1
    return render_action(record.draft)


@route('POST', '/api/v2/integrations/actions/{actionId}/draft/publish', permissions=ACTION_EDIT,
       sdk_model='Action',
       samples=lambda api: (lambda d: Sample(path_params={'actionId': d['id']}, json={'version': d['version']}))(
           _draft_sample_action(api)))
def publish_draft(request):
    record = _draft(request, request.path_params['actionId'])
    body = request.json or {}
    with _state(request).lock:
        if body.get('version') != record.draft['version']:
            raise ApiError(409, 'conflict', 'The draft version ({}) is not the current version ({}).'.format(
                body.get('version'), record.draft['version']))
        record.published = record.draft
        record.draft = None
    return render_action(record.published)


# -- test execution --------------------------------------------------------------------------------


def _credentials_for(state, integration_id):
    integration = state.integrations.get(integration_id)
    fields = {}
    if integration:
        for cred_id in integration.credentials.values():
            cred = state.credentials.get(cred_id)
            if cred:
                fields.update(cred.fields)
    return fields


def _redact(text, secrets):
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def _error(status, code, message):
    return {'message': message, 'code': code, 'status': status}


def _target(state, url):
    """The URL to really call, or None when the emulator must not call it."""
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        return None
    netloc = parts.netloc.rsplit('@', 1)[-1]
    for key in (netloc, parts.hostname):
        if key in state.outbound:
            base = state.outbound[key].rstrip('/')
            return base + parts.path + ('?' + parts.query if parts.query else '')
    if parts.hostname in ('127.0.0.1', 'localhost', '::1'):
        return url
    return None


def run_test(state, action, inputs):
    """Execute an action the way the test endpoint does; returns a TestExecutionResult body."""
    operations = []
    credentials = _credentials_for(state, action['integrationId'])
    secrets = [v for v in credentials.values() if isinstance(v, str)]

    def step(name, success, result=None, error=None):
        op = {'step': len(operations) + 1, 'name': name, 'success': success}
        if result is not None:
            op['result'] = result
        if error is not None:
            op['error'] = error
        operations.append(op)

    def failed(error):
        return {'operations': operations, 'error': error, 'success': False}

    if not isinstance(inputs, dict):
        step('Validate input', False, error=_error(400, 'ACTION.INPUT', 'The test input must be a JSON object.'))
        return failed(operations[-1]['error'])
    schema = (action.get('contract') or {}).get('input', {}).get('inputSchema') or {}
    missing = [name for name in schema.get('required') or [] if name not in inputs]
    if missing:
        error = _error(400, 'ACTION.INPUT', 'Missing required input(s): {}'.format(', '.join(missing)))
        step('Validate input', False, error=error)
        return failed(error)
    step('Validate input', True, result=inputs)
    try:
        from ...flows.velocity import render_request

        method, url, headers, body = render_request(action, inputs, credentials)
    except ImportError:
        error = _error(500, 'ACTION.TEMPLATE', 'The emulator needs the airspeed package to render templates.')
        step('Resolve request templates', False, error=error)
        return failed(error)
    except Exception as exc:  # a template error is a failed execution, as on the platform
        error = _error(400, 'ACTION.TEMPLATE', f'Template rendering failed: {_redact(str(exc), secrets)}')
        step('Resolve request templates', False, error=error)
        return failed(error)
    step('Resolve request URL template', True, result=url)
    step('Resolve request headers', True, result={k: _redact(v, secrets) for k, v in headers.items()})
    step('Resolve request body template', True, result=_redact(body, secrets))
    target = _target(state, url)
    if target is None:
        host = urlsplit(url).hostname
        error = _error(400, 'ACTION.REMOTE_ENDPOINT', f'The emulator does not call external hosts ({host}); map '
                       'the host in integrations_state(emulator).outbound.')
        step('Execute request', False, error=error)
        return failed(error)
    timeout = (action.get('config') or {}).get('timeoutSeconds') or 60
    data = body.encode('utf-8') if body else None
    state.test_requests.append((method, url, dict(headers), body))
    started = time.monotonic()
    try:
        req = urllib.request.Request(target, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, 'reason', exc)
        code = 'ACTION.TIMEOUT' if 'timed out' in str(reason) else 'ACTION.REMOTE_ENDPOINT'
        error = _error(504 if code == 'ACTION.TIMEOUT' else 502, code,
                       f'REST call for action failed: {_redact(str(reason), secrets)}')
        step('Execute request', False, error=error)
        return failed(error)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    text = raw.decode('utf-8', 'replace')
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        error = _error(400, 'ACTION.REMOTE_ENDPOINT', 'The remote endpoint did not answer with JSON.')
        step('Execute request', False, error=error)
        return failed(error)
    if not 200 <= status < 300:
        error = _error(status, 'ACTION.REMOTE_ENDPOINT', 'REST call for action execute failed. Message: Request '
                       f'to backend service failed. Response from web service: {text[:500]}')
        step('Execute request', False, error=error)
        return failed(error)
    step('Execute request', True, result={'status': status, 'elapsedMs': elapsed_ms, 'body': parsed})
    success_template = ((action.get('config') or {}).get('response') or {}).get('successTemplate') or '${rawResult}'
    try:  # a literal success template (the flow kit's '{}'); anything with Velocity passes the body through
        final = parsed if '$' in success_template else json.loads(success_template)
    except ValueError:
        final = parsed
    step('Apply output transformation', True, result=final)
    return {'operations': operations, 'finalResult': final, 'success': True}


def _test_sample(published):
    def build(api):
        action_id = _published_sample_action(api, 'Sample test action') if published else \
            _draft_sample_action(api)['id']
        return Sample(path_params={'actionId': action_id}, json={'message': 'hello'})

    return build


@route('POST', '/api/v2/integrations/actions/{actionId}/test', permissions=ACTION_EXECUTE,
       sdk_model='TestExecutionResult', samples=_test_sample(True))
def test_action(request):
    record = _action(request, request.path_params['actionId'])
    return run_test(_state(request), record.published, request.json)


@route('POST', '/api/v2/integrations/actions/{actionId}/draft/test', permissions=ACTION_EXECUTE,
       sdk_model='TestExecutionResult', samples=_test_sample(False))
def test_draft(request):
    record = _draft(request, request.path_params['actionId'])
    return run_test(_state(request), record.draft, request.json)

"""Data Action templates: import shape, real Velocity rendering (airspeed + a faithful $esc), Datadog models."""

import json
import re

import pytest
from datadog_api_client import Configuration
from datadog_api_client.model_utils import OpenApiModel, validate_and_convert_types
from datadog_api_client.v1.model.event_create_request import EventCreateRequest
from datadog_api_client.v2.model.http_log_item import HTTPLogItem

from genesys_cloud_dd.flows import render, schema, templates
from genesys_cloud_dd.flows.templates import EVENT_ACTION, LOG_ACTION, SiteMode
from genesys_cloud_dd.flows.velocity import JavaString, escape_json, render_json, render_request
from tests.fidelity import assert_sdk_shape

API_KEY = 'dd0123456789abcdef0123456789abcd'
CREDS = {schema.CRED_API_KEY: API_KEY, schema.CRED_SITE: 'datadoghq.eu'}
DOCS = templates.export_documents()

HOSTILE_TEXT = 'He said "no" \\ C:\\path\n\r\ttab\b\f/slash </script> \u0000\u001f\u007f \u2028 é 漢字 😀🎉'
LONG_TEXT = ('x' * 3990) + '😀' * 10  # 4,000 code points, emoji straddling every cut


def load(data, model):
    return validate_and_convert_types(data, (model,), ['root'], True, True, configuration=Configuration())


def unparsed(node, path='$'):
    if isinstance(node, list):
        return [p for i, n in enumerate(node) for p in unparsed(n, f'{path}[{i}]')]
    if not isinstance(node, OpenApiModel):
        return []
    found = [path] if getattr(node, '_unparsed', False) else []
    return found + [p for k, v in node._data_store.items() for p in unparsed(v, f'{path}.{k}')]


def log_item(inputs, docs=DOCS):
    method, url, headers, body = render_json(docs[LOG_ACTION], inputs, CREDS)
    assert method == 'POST' and isinstance(body, list) and len(body) == 1
    item = load(body[0], HTTPLogItem)
    assert not unparsed(item)
    return url, headers, body[0]


def event_body(inputs, docs=DOCS):
    method, url, headers, body = render_json(docs[EVENT_ACTION], inputs, CREDS)
    assert method == 'POST'
    event = load(body, EventCreateRequest)  # enforces text <= 4000, aggregation_key <= 100, alert_type enum
    assert not unparsed(event)
    assert len(body['title']) <= templates.EVENT_TITLE_LIMIT
    return url, headers, body


# -- $esc.jsonString ---------------------------------------------------------------------------------------


@pytest.mark.parametrize('raw, escaped', [
    ('plain', 'plain'),
    ('"', '\\"'),
    ('\\', '\\\\'),
    ('/', '\\/'),
    ('\n\r\t\b\f', '\\n\\r\\t\\b\\f'),
    ('\u0000\u0001\u001f', '\\u0000\\u0001\\u001F'),
    ('\u007f', '\u007f'),  # DEL is not escaped by escapeJson
    ('é', '\\u00E9'),
    ('😀', '\\uD83D\\uDE00'),  # UTF-16 surrogate pair, as Java does
    ("it's", "it's"),  # a single quote stays (escapeJson, unlike escapeJavaScript)
])
def test_escape_json_follows_commons_escape_json(raw, escaped):
    assert escape_json(raw) == escaped
    assert json.loads('"' + escape_json(raw) + '"') == raw


def test_escape_json_of_null_is_null_and_velocity_prints_the_reference():
    assert escape_json(None) is None
    from genesys_cloud_dd.flows.velocity import render

    assert render('$esc.jsonString($input.missing)', {}) == '$esc.jsonString($input.missing)'


def test_java_string_uses_utf16_indices():
    s = JavaString('a😀b')
    assert s.length() == 4
    assert s.codePointCount(0, s.length()) == 3
    assert s.offsetByCodePoints(0, 2) == 3
    assert s.substring(0, 3) == 'a😀'


# -- export shape ------------------------------------------------------------------------------------------


@pytest.mark.parametrize('name', [LOG_ACTION, EVENT_ACTION])
def test_export_has_the_import_format(name):
    doc = DOCS[name]
    assert set(doc) == {'name', 'integrationType', 'actionType', 'config', 'contract', 'secure'}
    assert doc['name'] == name and 'version' not in doc
    assert doc['integrationType'] == 'custom-rest-actions' and doc['actionType'] == 'custom'
    config = doc['config']
    assert 1 <= config['timeoutSeconds'] <= 5, 'reporting must never hold the caller long'
    request = config['request']
    assert request['requestType'] == 'POST'
    assert request['headers'] == {'DD-API-KEY': '${credentials.ddApiKey}', 'Content-Type': 'application/json',
                                  'Accept': 'application/json'}
    assert '${credentials.ddSite}' in request['requestUrlTemplate']
    assert config['response']['successTemplate'] == '{}'
    input_schema = doc['contract']['input']['inputSchema']
    assert input_schema['type'] == 'object'
    assert set(input_schema['required']) == {f.name for f in schema.FIELDS if f.required}
    assert set(input_schema['properties']) == {f.name for f in schema.FIELDS}
    # the SDK's create body (export minus integrationType/actionType plus integrationId/category)
    assert_sdk_shape(templates.to_post_action_input(doc, 'integration-id', schema.INTEGRATION_NAME),
                     'PostActionInput')


def test_both_actions_share_one_contract():
    """Snippets switch between the log and the event action by name only."""
    log_input = DOCS[LOG_ACTION]['contract']['input']['inputSchema']
    event_input = DOCS[EVENT_ACTION]['contract']['input']['inputSchema']
    assert {k: v for k, v in log_input.items() if k != 'title'} == {k: v for k, v in event_input.items()
                                                                       if k != 'title'}


@pytest.mark.parametrize('name', [LOG_ACTION, EVENT_ACTION])
def test_every_input_goes_through_the_prelude_and_the_escaper(name):
    template = DOCS[name]['config']['request']['requestTemplate']
    # $input.<x> appears only in the prelude's #if/#set/matches, never printed directly
    for use in re.finditer(r'\$\{?input\.(\w+)\}?', template):
        before = template[max(0, use.start() - 12):use.start()]
        assert before.endswith(('#if(', '#elseif(', '= ')) or \
            template[use.end():use.end() + 11] == '.toString()', before
    # every string local printed inside quotes is wrapped in $esc.jsonString(...), except the two locals the
    # template itself sets to constants
    for printed in re.finditer(r'"(\$[vt]_\w+)', template):
        assert printed.group(1) in ('$v_logStatus', '$v_alertType'), f'{printed.group(1)} printed unescaped'
    # integer locals are printed bare only after the prelude proved them numeric (or set them to null)
    for f in schema.FIELDS:
        if f.type == 'integer':
            assert f'#if($input.{f.name}.toString().matches("[1-9][0-9]{{0,14}}"))' in template
    assert API_KEY not in json.dumps(DOCS)


def test_event_text_fits_the_events_api_limit_for_any_input():
    assert templates.event_text_budget() <= templates.EVENT_TEXT_LIMIT


# -- rendering -------------------------------------------------------------------------------------------


@pytest.mark.parametrize('event_type', [e.name for e in schema.EVENT_TYPES])
def test_log_renders_the_right_values_in_the_right_fields(event_type):
    inputs = schema.sample_inputs(event_type)
    url, headers, item = log_item(inputs)
    assert url == 'https://http-intake.logs.datadoghq.eu/api/v2/logs'
    assert headers['DD-API-KEY'] == API_KEY
    assert item['ddsource'] == schema.DDSOURCE and item['service'] == schema.SERVICE
    assert item['message'] == inputs['message']
    assert item['status'] == schema.LEVELS[inputs['level']][0]
    assert item['evt'] == {'name': event_type}
    attrs = item[schema.ATTRIBUTE_ROOT]
    assert attrs['event_type'] == event_type and attrs['flow_name'] == inputs['flowName']
    assert attrs['conversation_id'] == inputs['conversationId']
    assert attrs['error_code'] == inputs['errorCode']
    assert attrs['http_status'] == (inputs['status'] or None)
    assert attrs['duration_ms'] == (inputs['durationMs'] or None)
    assert attrs['data_action'] == inputs['dataActionName'] and attrs['data_table'] == inputs['dataTableName']
    assert 'caller_ani' not in attrs  # personal data only when the flow sends it
    tags = item['ddtags'].split(',')
    assert set(schema.FIXED_TAGS) <= set(tags)
    assert f'event_type:{event_type}' in tags and 'flow_name:Main IVR' in tags
    if inputs['status']:
        assert f'http_status:{inputs["status"]}' in tags
    assert not any(t.endswith(':') for t in tags), 'no empty tags for unset optional fields'


@pytest.mark.parametrize('event_type', [e.name for e in schema.EVENT_TYPES])
def test_event_renders_the_right_values_in_the_right_fields(event_type):
    inputs = schema.sample_inputs(event_type)
    url, headers, body = event_body(inputs)
    assert url == 'https://api.datadoghq.eu/api/v1/events'
    assert headers['DD-API-KEY'] == API_KEY
    event = schema.EVENT_TYPES_BY_NAME[event_type]
    assert body['title'] == f'{event.title} in Main IVR'
    assert body['text'].startswith(inputs['message'] + '\n')
    assert f'Conversation: {inputs["conversationId"]}' in body['text']
    assert body['alert_type'] == schema.LEVELS[event.level][1]
    assert body['aggregation_key'] == f'genesys_flow:{event_type}:Main IVR'
    assert body['source_type_name'] == schema.SOURCE_TYPE_NAME
    assert f'event_type:{event_type}' in body['tags']


HOSTILE_CASES = {
    'quotes_backslashes_controls_unicode': {
        'message': HOSTILE_TEXT, 'flowName': 'IVR "main", v2\n', 'errorCode': 'E,1 "x"',
        'dataActionName': 'a\\b/c', 'menuPath': HOSTILE_TEXT},
    'long_text': dict.fromkeys((
        'message', 'flowName', 'errorCode', 'conversationId', 'correlationId', 'dataActionName', 'dataTableName',
        'menuPath', 'transferTarget', 'callerAni', 'eventType'), LONG_TEXT),
    'empty_optional_fields': {f.name: ('' if f.type == 'string' else 0) for f in schema.FIELDS if not f.required},
    'absent_optional_fields': 'absent',
    'velocity_syntax_in_input': {'message': '$input.flowName ${credentials.ddApiKey} #set($x = 1) #end ##',
                                 'flowName': '#if(true)x#end'},
    'non_numeric_integer_input': {'status': '429"}', 'durationMs': '1,5'},
    'unknown_level': {'level': 'critical"'},
}


def _hostile_inputs(case):
    inputs = schema.sample_inputs('data_action.failure')
    if case == 'absent_optional_fields':
        return {k: v for k, v in inputs.items() if schema.FIELDS_BY_NAME[k].required}
    inputs.update(HOSTILE_CASES[case])
    return inputs


@pytest.mark.parametrize('case', list(HOSTILE_CASES))
def test_hostile_inputs_render_valid_log(case):
    inputs = _hostile_inputs(case)
    _, _, item = log_item(inputs)
    attrs = item[schema.ATTRIBUTE_ROOT]
    for f in schema.FIELDS:
        if f.name not in inputs or f.type != 'string' or f.name == 'level':
            continue
        value = item['message'] if f.name == 'message' else attrs.get(f.attribute, '')
        expected = inputs[f.name]
        if f.max_length and len(expected) > f.max_length:
            expected = expected[:f.max_length]  # cut on code points: never half an emoji
        if f.personal and not expected:
            assert f.attribute not in attrs
            continue
        assert value == expected, f.name
    if case == 'velocity_syntax_in_input':
        assert API_KEY not in json.dumps(item) and attrs['flow_name'] == '#if(true)x#end'
    if case == 'non_numeric_integer_input':
        assert attrs['http_status'] is None and attrs['duration_ms'] is None
    if case == 'unknown_level':
        assert item['status'] == 'error'
    for tag in item['ddtags'].split(','):
        assert ':' in tag, f'a comma inside a value split a tag: {tag!r}'


@pytest.mark.parametrize('case', list(HOSTILE_CASES))
def test_hostile_inputs_render_valid_event(case):
    inputs = _hostile_inputs(case)
    _, _, body = event_body(inputs)
    assert len(body['text']) <= templates.EVENT_TEXT_LIMIT
    assert len(body['aggregation_key']) <= templates.AGGREGATION_KEY_LIMIT
    if case == 'unknown_level':
        assert body['alert_type'] == 'error'
    if case == 'quotes_backslashes_controls_unicode':
        assert body['text'].startswith(HOSTILE_TEXT)
        assert 'flow_name:IVR "main"_ v2\n' in body['tags']


def test_velocity_null_rendering_never_leaks_into_the_body():
    _, _, _, body = render_request(DOCS[LOG_ACTION], {}, CREDS)  # nothing at all: still valid JSON
    item = json.loads(body)[0]
    assert '$' not in body and item['message'] == ''


def test_site_modes():
    literal = templates.export_documents(SiteMode.literal('us5.datadoghq.com'))
    assert literal[LOG_ACTION]['config']['request']['requestUrlTemplate'] == \
        'https://http-intake.logs.us5.datadoghq.com/api/v2/logs'
    assert literal[EVENT_ACTION]['config']['request']['requestUrlTemplate'] == \
        'https://api.us5.datadoghq.com/api/v1/events'
    local = templates.export_documents(SiteMode.base_url('http://127.0.0.1:9999/'))
    assert local[LOG_ACTION]['config']['request']['requestUrlTemplate'] == 'http://127.0.0.1:9999/api/v2/logs'
    for site in schema.SITES:  # the credential mode resolves to each site's real hosts
        _, url, _, _ = render_request(DOCS[EVENT_ACTION], schema.sample_inputs(), {schema.CRED_SITE: site})
        assert url == f'https://api.{site}/api/v1/events'


def test_committed_files_match_the_generator():
    assert render.check() == [], 'run `genesys-cloud-dd flows render` and commit the result'


def test_render_check_reports_drift(tmp_path):
    render.write(root=str(tmp_path))
    assert render.check(str(tmp_path)) == []
    target = tmp_path / 'architect_snippets' / 'data-actions' / templates.export_file_name(LOG_ACTION)
    target.write_text(target.read_text().replace('"timeoutSeconds": 3', '"timeoutSeconds": 30'))
    (tmp_path / 'architect_snippets' / 'stale.json').write_text('{}')
    assert render.check(str(tmp_path)) == ['architect_snippets/data-actions/Datadog-Send-Flow-Log.custom.json',
                                           'architect_snippets/stale.json']


def test_committed_export_files_are_the_documents():
    for path, text in render.render_files().items():
        if path.endswith('.custom.json'):
            doc = json.loads(text)
            assert doc == DOCS[doc['name']]


def test_render_cli_writes_under_the_current_directory_and_checks_the_carried_copy(tmp_path, monkeypatch, capsys):
    from genesys_cloud_dd.cli.main import main
    from genesys_cloud_dd.resources import project_root

    monkeypatch.chdir(tmp_path)
    assert main(['flows', 'render']) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob('*') if p.is_file())
    assert written == sorted(render.render_files())  # the snippets, into ./architect_snippets/, nothing else
    assert main(['flows', 'render', '--check']) == 0  # default: what the toolkit carries
    assert f'{project_root()}/architect_snippets matches the schema' in capsys.readouterr().out
    assert main(['flows', 'render', '--check', '--root', str(tmp_path)]) == 0
    (tmp_path / 'architect_snippets' / 'README.md').write_text('edited')
    assert main(['flows', 'render', '--check', '--root', str(tmp_path)]) == 1
    assert 'architect_snippets/README.md' in capsys.readouterr().out

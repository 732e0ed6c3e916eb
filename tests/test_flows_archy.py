"""Archy snippets: valid YAML after substitution, reports on every failure path, caller journey continues,
inputs match the Data Action contract, and the caller number stays out unless the flag is switched on."""

import re

import pytest
import yaml

from genesys_cloud_dd.flows import archy, schema, templates
from genesys_cloud_dd.flows.velocity import render_json

SNIPPETS = archy.render_snippets()
CONTRACT = templates.export_documents()[templates.LOG_ACTION]['contract']['input']['inputSchema']


def load(name):
    return yaml.safe_load(archy.substitute(SNIPPETS[name]))


def walk(node):
    """Every (key, value) pair in the document, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def datadog_reports(document):
    """The callData actions that target the Datadog action: [(callData, inputs)]."""
    found = []
    for key, value in walk(document):
        if key == 'callData':
            for integration, category in value['category'].items():
                for action_name, action in category['dataAction'].items():
                    if integration == schema.INTEGRATION_NAME and action_name == templates.LOG_ACTION:
                        found.append((value, action['inputs']))
    return found


def test_every_placeholder_is_documented():
    for text in SNIPPETS.values():
        body = '\n'.join(line for line in text.splitlines() if not line.lstrip().startswith('#'))
        for key in re.findall(r'{{(\w+)}}', body):
            assert key in archy.SUBSTITUTIONS, key
        assert '{{' not in archy.substitute(body)


@pytest.mark.parametrize('name', list(SNIPPETS))
def test_snippet_is_an_inbound_call_flow(name):
    flow = load(name)['inboundCall']
    assert flow['name'] == archy.SUBSTITUTIONS['flow_name'][0]
    assert flow['startUpRef'] == './tasks/task[main]'
    assert [t['task']['refId'] for t in flow['tasks']] == ['main']


@pytest.mark.parametrize('name', list(SNIPPETS))
def test_reports_use_the_contract_and_never_block_the_caller(name):
    document = load(name)
    reports = datadog_reports(document)
    assert reports
    for call, inputs in reports:
        assert set(CONTRACT['required']) <= set(inputs) <= set(CONTRACT['properties'])
        for field_name, value in inputs.items():
            assert set(value) <= {'lit', 'exp', 'var'}, (field_name, value)
            if 'lit' in value:
                expected = int if schema.FIELDS_BY_NAME[field_name].type == 'integer' else str
                assert isinstance(value['lit'], expected), (field_name, value)
        assert call['timeout'] == {'lit': {'seconds': schema.FLOW_STEP_TIMEOUT_SECONDS}}
        assert call['outputs'] == {'success': {'actions': []}, 'failure': {'actions': []},
                                   'timeout': {'actions': []}}
        failure_outputs = next(iter(next(iter(call['category'].values()))['dataAction'].values()))['failureOutputs']
        assert tuple(failure_outputs) == archy.CALL_DATA_FAILURE_OUTPUTS


def test_data_action_failure_and_timeout_paths_report_then_the_flow_transfers():
    task = load('data-action-failure.yaml')['inboundCall']['tasks'][0]['task']
    business, transfer, disconnect = task['actions']
    call = business['callData']
    action = call['category']['CRM']['dataAction']['CRM - Get Customer']
    assert tuple(action['failureOutputs']) == archy.CALL_DATA_FAILURE_OUTPUTS
    assert action['failureOutputs']['errorCode'] == {'var': 'Task.DaErrorCode'}
    assert action['failureOutputs']['status'] == {'var': 'Task.DaStatus'}
    assert action['failureOutputs']['correlationId'] == {'var': 'Task.DaCorrelationId'}
    outputs = call['outputs']
    assert outputs['success'] == {'actions': []}
    failure_inputs = datadog_reports(outputs['failure'])[0][1]
    timeout_inputs = datadog_reports(outputs['timeout'])[0][1]
    assert 'genesys_api.rate_limited' in failure_inputs['eventType']['exp'] and '429' in \
        failure_inputs['eventType']['exp']
    assert 'Task.DaErrorCode' in failure_inputs['errorCode']['exp']
    assert 'Task.DaStatus' in failure_inputs['status']['exp']
    assert 'Task.DaCorrelationId' in failure_inputs['correlationId']['exp']
    assert failure_inputs['dataActionName'] == {'lit': 'CRM - Get Customer'}
    assert timeout_inputs['eventType'] == {'lit': 'data_action.timeout'}
    assert timeout_inputs['durationMs'] == {'lit': archy.BUSINESS_TIMEOUT_SECONDS * 1000}
    assert transfer['transferToAcd']['targetQueue'] == {'lit': {'name': 'General'}}
    assert 'disconnect' in disconnect
    declared = {v['name'] for item in task['variables'] for v in item.values()}
    used = set(re.findall(r'Task\.\w+', yaml.safe_dump(task)))
    assert used <= declared, used - declared


def test_data_table_failure_path_reports():
    task = load('data-table-failure.yaml')['inboundCall']['tasks'][0]['task']
    lookup = task['actions'][0]['dataTableLookup']
    table = lookup['dataTable']['DNIS Routing']
    assert tuple(table['failureOutputs']) == archy.DATA_TABLE_FAILURE_OUTPUTS
    assert set(lookup['outputs']) == {'found', 'notFound', 'failure'}
    inputs = datadog_reports(lookup['outputs']['failure'])[0][1]
    assert inputs['eventType'] == {'lit': 'data_table.failure'}
    assert 'Task.DtErrorType' in inputs['errorCode']['exp'] and 'Task.DtErrorMessage' in inputs['message']['exp']
    assert inputs['dataTableName'] == {'lit': 'DNIS Routing'}
    assert 'transferToAcd' in task['actions'][1]


def test_navigation_breadcrumb_is_posted_before_the_transfer():
    flow = load('navigation-breadcrumb.yaml')['inboundCall']
    actions = flow['tasks'][0]['task']['actions']
    kinds = [next(iter(a)) for a in actions]
    assert kinds == ['updateData', 'updateData', 'callData', 'transferToAcd', 'disconnect']
    inputs = datadog_reports(actions[2])[0][1]
    assert inputs['eventType'] == {'lit': 'navigation'} and inputs['level'] == {'lit': 'info'}
    assert 'Flow.DdNavPath' in inputs['menuPath']['exp']
    assert inputs['transferTarget'] == {'lit': 'General'}


@pytest.mark.parametrize('name', list(SNIPPETS))
def test_caller_number_is_opt_in(name):
    text = SNIPPETS[name]
    document = load(name)
    flags = [v for k, v in walk(document) if k == 'booleanVariable' and v['name'].endswith(archy.ANI_FLAG)]
    assert len(flags) == 1 and flags[0]['initialValue'] == {'lit': False}
    assert '# Privacy flag' in text
    for key, value in walk(document):
        if isinstance(value, str) and 'Call.Ani' in value:
            assert key == 'exp' and value == f'If({flags[0]["name"]}, ToString(Call.Ani), "")', value
    for _, inputs in datadog_reports(document):
        assert 'Call.Ani' in inputs['callerAni']['exp']


def test_snippet_literals_render_through_the_action():
    """What a snippet sends for its literal inputs renders to a valid log with those values."""
    _, inputs = datadog_reports(load('navigation-breadcrumb.yaml'))[0]
    values = {k: v['lit'] for k, v in inputs.items() if 'lit' in v}
    values.update(conversationId='c-1', menuPath='main > billing > speak to agent', callerAni='')
    _, _, _, body = render_json(templates.export_documents()[templates.LOG_ACTION], values,
                                {schema.CRED_API_KEY: 'k', schema.CRED_SITE: 'datadoghq.com'})
    attrs = body[0][schema.ATTRIBUTE_ROOT]
    assert attrs['event_type'] == 'navigation' and attrs['transfer_target'] == 'General'
    assert body[0]['status'] == 'info' and 'caller_ani' not in attrs

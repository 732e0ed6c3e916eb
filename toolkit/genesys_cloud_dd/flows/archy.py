"""Archy YAML snippets generated from the event schema.

Each snippet is a complete, small inbound call flow (Archy format) showing one pattern; copy its task into
your own flow or deploy it as is with `archy publish --optionsFile` or the Terraform `genesyscloud_flow`
resource, both of which replace the `{{key}}` substitutions listed in the header.

Every report to Datadog is a Call Data Action whose three paths (success, failure, timeout) are empty, so the
flow always continues with the caller's journey, whatever happens to the report.
"""

import yaml

from . import schema, templates

# Call Data Action failure outputs, every key, exactly as Archy exports them (reference Part A section 5).
CALL_DATA_FAILURE_OUTPUTS = (
    'errorCode', 'status', 'correlationId', 'entityId', 'entityName', 'userMessage', 'userParamsMessage',
    'userParams.key', 'userParams.value', 'details.errorCode', 'details.fieldName', 'details.entityId',
    'details.entityName',
)
DATA_TABLE_FAILURE_OUTPUTS = ('errorType', 'errorMessage')

BUSINESS_TIMEOUT_SECONDS = 5
ANI_FLAG = 'DdSendCallerAni'  # Task.<flag> / Flow.<flag>: switch to true to send Call.Ani (personal data)

SUBSTITUTIONS = {
    'flow_name': ('Datadog instrumented flow', 'name of the flow (also sent as flowName)'),
    'dd_integration': (schema.INTEGRATION_NAME, 'the Web Services Data Actions integration `flows deploy` created'),
    'dd_action': (templates.LOG_ACTION, f'or `{templates.EVENT_ACTION}`: both take the same inputs'),
    'business_integration': ('CRM', 'integration (category) of the business Data Action'),
    'business_action': ('CRM - Get Customer', 'the business Data Action'),
    'data_table': ('DNIS Routing', 'the Data Table to look up'),
    'queue': ('General', 'the queue the caller is transferred to'),
}


def _lit(value):
    return {'lit': value}


def _exp(text):
    return {'exp': text}


def _no_value():
    return {'noValue': True}


def _no_string(var):
    """A string variable, or "" when it is NOT_SET (required inputs must never be NOT_SET)."""
    return f'If(IsNotSetOrEmpty({var}), "", {var})'


def _no_int(var):
    """An integer variable, or 0 when NOT_SET (the templates treat 0 as "not set")."""
    return f'If(IsSet({var}), {var}, 0)'


def report(name, values, scope='Task'):
    """A Call Data Action to the Datadog action. `values` maps schema field names to Archy values; fields
    not given are sent as "" / 0, so every input is always present and never NOT_SET."""
    inputs = {}
    for f in schema.FIELDS:
        if f.name in values:
            inputs[f.name] = values[f.name]
        elif f.name == 'flowName':
            inputs[f.name] = _lit('{{flow_name}}')
        elif f.name == 'conversationId':
            inputs[f.name] = _exp('Call.ConversationID')
        elif f.name == 'callerAni':
            inputs[f.name] = _exp(f'If({scope}.{ANI_FLAG}, ToString(Call.Ani), "")')
        elif f.type == 'integer':
            inputs[f.name] = _lit(0)
        else:
            inputs[f.name] = _lit('')
    return {
        'callData': {
            'name': name,
            'timeout': _lit({'seconds': schema.FLOW_STEP_TIMEOUT_SECONDS}),
            'category': {
                '{{dd_integration}}': {
                    'dataAction': {
                        '{{dd_action}}': {
                            'inputs': inputs,
                            'failureOutputs': {k: _no_value() for k in CALL_DATA_FAILURE_OUTPUTS},
                        }
                    }
                }
            },
            'outputs': {'success': {'actions': []}, 'failure': {'actions': []}, 'timeout': {'actions': []}},
        }
    }


def _flow(tasks, variables=None):
    flow = {
        'name': '{{flow_name}}',
        'defaultLanguage': 'en-us',
        'startUpRef': './tasks/task[main]',
        'initialGreeting': _exp('ToAudioBlank(1)'),
    }
    if variables:
        flow['variables'] = variables
    flow['tasks'] = tasks
    return {'inboundCall': flow}


def _var(kind, name, initial=None):
    return {kind: {'name': name, 'initialValue': initial if initial is not None else _no_value()}}


def _transfer():
    return [
        {'transferToAcd': {'name': 'Transfer to {{queue}}', 'targetQueue': _lit({'name': '{{queue}}'})}},
        {'disconnect': {'name': 'Disconnect'}},
    ]


def data_action_flow():
    failure_outputs = {k: _no_value() for k in CALL_DATA_FAILURE_OUTPUTS}
    failure_outputs.update({
        'errorCode': {'var': 'Task.DaErrorCode'},
        'status': {'var': 'Task.DaStatus'},
        'correlationId': {'var': 'Task.DaCorrelationId'},
        'userMessage': {'var': 'Task.DaUserMessage'},
    })
    business = {
        'callData': {
            'name': 'Call {{business_action}}',
            'timeout': _lit({'seconds': BUSINESS_TIMEOUT_SECONDS}),
            'category': {
                '{{business_integration}}': {
                    'dataAction': {
                        '{{business_action}}': {
                            'inputs': {},
                            'failureOutputs': failure_outputs,
                        }
                    }
                }
            },
            'outputs': {
                'success': {'actions': []},
                'failure': {'actions': [report('Report Data Action failure to Datadog', {
                    'eventType': _exp('If({} == 429, "genesys_api.rate_limited", "data_action.failure")'.format(
                        _no_int('Task.DaStatus'))),
                    'level': _lit('error'),
                    'message': _exp('If(IsNotSetOrEmpty(Task.DaUserMessage), "Data Action {{business_action}} '
                                    'failed", Task.DaUserMessage)'),
                    'errorCode': _exp(_no_string('Task.DaErrorCode')),
                    'status': _exp(_no_int('Task.DaStatus')),
                    'correlationId': _exp(_no_string('Task.DaCorrelationId')),
                    'dataActionName': _lit('{{business_action}}'),
                })]},
                'timeout': {'actions': [report('Report Data Action timeout to Datadog', {
                    'eventType': _lit('data_action.timeout'),
                    'level': _lit('error'),
                    'message': _lit('Data Action {{business_action}} timed out'),
                    'dataActionName': _lit('{{business_action}}'),
                    'durationMs': _lit(BUSINESS_TIMEOUT_SECONDS * 1000),
                })]},
            },
        }
    }
    task = {
        'name': 'Main',
        'refId': 'main',
        'variables': [
            _var('booleanVariable', 'Task.' + ANI_FLAG, _lit(False)),
            _var('stringVariable', 'Task.DaErrorCode'),
            _var('integerVariable', 'Task.DaStatus'),
            _var('stringVariable', 'Task.DaCorrelationId'),
            _var('stringVariable', 'Task.DaUserMessage'),
        ],
        'actions': [business] + _transfer(),
    }
    return _flow([{'task': task}])


def data_table_flow():
    lookup = {
        'dataTableLookup': {
            'name': 'Look up {{data_table}}',
            'lookupValue': _exp('ToString(Call.CalledAddress)'),
            'dataTable': {
                '{{data_table}}': {
                    'failureOutputs': {
                        'errorType': {'var': 'Task.DtErrorType'},
                        'errorMessage': {'var': 'Task.DtErrorMessage'},
                    },
                }
            },
            'outputs': {
                'found': {'actions': []},
                'notFound': {'actions': []},
                'failure': {'actions': [report('Report Data Table failure to Datadog', {
                    'eventType': _lit('data_table.failure'),
                    'level': _lit('error'),
                    'message': _exp('If(IsNotSetOrEmpty(Task.DtErrorMessage), "Data Table lookup failed", '
                                    'Task.DtErrorMessage)'),
                    'errorCode': _exp(_no_string('Task.DtErrorType')),
                    'dataTableName': _lit('{{data_table}}'),
                })]},
            },
        }
    }
    task = {
        'name': 'Main',
        'refId': 'main',
        'variables': [
            _var('booleanVariable', 'Task.' + ANI_FLAG, _lit(False)),
            _var('stringVariable', 'Task.DtErrorType'),
            _var('stringVariable', 'Task.DtErrorMessage'),
        ],
        'actions': [lookup] + _transfer(),
    }
    return _flow([{'task': task}])


def _breadcrumb(step):
    return {'updateData': {'name': f'Breadcrumb: {step}', 'statements': [
        {'string': {'variable': 'Flow.DdNavPath', 'value': _exp(f'Append(Flow.DdNavPath, " > {step}")')}},
    ]}}


def navigation_flow():
    task = {
        'name': 'Main',
        'refId': 'main',
        'actions': [
            _breadcrumb('billing'),
            _breadcrumb('speak to agent'),
            report('Report navigation to Datadog', {
                'eventType': _lit('navigation'),
                'level': _lit('info'),
                'message': _lit('Caller navigation before transfer'),
                'menuPath': _exp(_no_string('Flow.DdNavPath')),
                'transferTarget': _lit('{{queue}}'),
            }, scope='Flow'),
        ] + _transfer(),
    }
    variables = [
        _var('booleanVariable', 'Flow.' + ANI_FLAG, _lit(False)),
        _var('stringVariable', 'Flow.DdNavPath', _lit('main')),
    ]
    return _flow([{'task': task}], variables)


SNIPPETS = {
    'data-action-failure.yaml': (
        data_action_flow,
        'Calls a business Data Action; on its failure path (HTTP 429 -> genesys_api.rate_limited) and its timeout '
        'path reports to Datadog with the failure outputs, then transfers the caller as usual.',
    ),
    'data-table-failure.yaml': (
        data_table_flow,
        "Looks up a Data Table; on the lookup's failure path reports errorType/errorMessage to Datadog, then "
        'transfers the caller as usual.',
    ),
    'navigation-breadcrumb.yaml': (
        navigation_flow,
        'Appends each menu step to Flow.DdNavPath and posts the breadcrumb just before the transfer.',
    ),
}


def _header(file_name, summary):
    lines = [
        '# GENERATED by `genesys-cloud-dd flows render` from genesys_cloud_dd/flows/schema.py: do not edit.',
        f'# {file_name}',
        '#',
    ]
    words, line = summary.split(), '#'
    for word in words:
        if len(line) + len(word) + 1 > 110:
            lines.append(line)
            line = '#'
        line += ' ' + word
    lines.append(line)
    lines += [
        '#',
        '# Substitutions ({{key}}, replaced by `archy publish --optionsFile` or Terraform genesyscloud_flow):',
    ]
    for key, (default, help_text) in SUBSTITUTIONS.items():
        lines.append(f'#   {key:<22} e.g. "{default}": {help_text}')
    lines += [
        '#',
        '# Privacy: the caller number (Call.Ani) is NOT sent. To send it, set the initialValue of the',
        f'# {ANI_FLAG} boolean variable below to true.',
        '# Every report has empty success/failure/timeout paths: a Datadog problem never blocks the caller.',
        '',
    ]
    return '\n'.join(lines)


def _dump(document):
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=200, allow_unicode=True)
    lines = text.splitlines()
    flags = (f'name: Task.{ANI_FLAG}', f'name: Flow.{ANI_FLAG}')
    for i in range(len(lines) - 1, 0, -1):
        if lines[i].strip() in flags:  # comment the `- booleanVariable:` line above it
            owner = lines[i - 1]
            indent = len(owner) - len(owner.lstrip())
            lines.insert(i - 1, ' ' * indent + '# Privacy flag: set initialValue to true to send Call.Ani to Datadog.')
    return '\n'.join(lines) + '\n'


def render_snippets():
    """{file name: YAML text}."""
    return {name: _header(name, summary) + _dump(build()) for name, (build, summary) in SNIPPETS.items()}


def substitute(text, values=None):
    """Replace `{{key}}` with the given values or the documented examples (what archy/Terraform do)."""
    merged = {k: default for k, (default, _) in SUBSTITUTIONS.items()}
    merged.update(values or {})
    for key, value in merged.items():
        text = text.replace('{{' + key + '}}', value)
    return text

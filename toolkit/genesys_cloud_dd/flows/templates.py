"""Data Action definitions generated from the event schema.

Two actions post a flow event straight to Datadog's public intake:

- `Datadog - Send Flow Log`   -> POST https://http-intake.logs.<site>/api/v2/logs   (a one-item log array)
- `Datadog - Send Flow Event` -> POST https://api.<site>/api/v1/events               (an event)

No count-metric action: `/api/v2/series` needs a point timestamp in epoch seconds (at most 1 h old), Architect has
no verified way to produce one and Velocity has no `$date` tool. See docs/flows.md, "Why no metric action".

The site: by default the URL takes the host from the User Defined credential (`${credentials.ddSite}`), so one
action works for every Datadog site and the API key and the host it may be sent to live together in one
credential. `SiteMode.literal(site)` writes the host literally instead, and `SiteMode.base_url(url)` points
every action at one base URL (a local intake in tests).

The request bodies are built from Velocity fragments (see `_Template`): each input is copied into a local
variable (empty string or JSON null when the input is absent), truncated to its `max_length` code points, and
printed through `$esc.jsonString` inside quotes; numbers are printed only when they look like numbers. So no
input value can produce invalid JSON or exceed a Datadog limit.
"""

import copy
from dataclasses import dataclass
from typing import Optional

from . import schema
from .schema import FIELDS, LEVELS

LOG_ACTION = 'Datadog - Send Flow Log'
EVENT_ACTION = 'Datadog - Send Flow Event'
ACTION_NAMES = (LOG_ACTION, EVENT_ACTION)

EVENT_TEXT_LIMIT = 4000  # events v1: text <= 4000 characters
EVENT_TITLE_LIMIT = 100
AGGREGATION_KEY_LIMIT = 100
TITLE_LABEL_LIMIT = 40
TITLE_FLOW_LIMIT = 50
TAG_VALUE_SEPARATOR_SAFE = '_'  # commas separate tags in `ddtags`, so they become underscores in tag values

LEVEL_FIELD = 'level'
ATTRIBUTE_EXCLUDED = (LEVEL_FIELD, 'message')  # level is the log `status`; message is the log `message`


@dataclass(frozen=True)
class SiteMode:
    """Where the actions send: the credential's `ddSite` (default), a literal site, or a base URL."""

    site: Optional[str] = None
    url: Optional[str] = None

    @classmethod
    def credential(cls):
        return cls()

    @classmethod
    def literal(cls, site):
        return cls(site=site)

    @classmethod
    def base_url(cls, url):
        return cls(url=url.rstrip('/'))

    def logs_url(self):
        if self.url:
            return self.url + '/api/v2/logs'
        host = self.site or credential_ref(schema.CRED_SITE)
        return f'https://http-intake.logs.{host}/api/v2/logs'

    def events_url(self):
        if self.url:
            return self.url + '/api/v1/events'
        host = self.site or credential_ref(schema.CRED_SITE)
        return f'https://api.{host}/api/v1/events'


def credential_ref(field_name):
    """`${credentials.<field>}`: Genesys substitutes the credential field at execution time."""
    return '${credentials.' + field_name + '}'


# -- Velocity fragments --------------------------------------------------------------------------------------


def _v(name):
    return '$v_' + name


def _truncate(var, limit):
    """Cut `var` to `limit` code points without splitting a surrogate pair (Java String API)."""
    # nested #if, not &&: the engines must never call a String method on a value that is not a String
    return (f'#if({var} != "")#if({var}.codePointCount(0, {var}.length()) > {limit})'
            f'#set({var} = {var}.substring(0, {var}.offsetByCodePoints(0, {limit})))#{{end}}#{{end}}')


def _prelude():
    """Copy every input into a local: strings default to "" and are truncated; integers default to null, and
    only a positive integer counts as set (0 is what a flow passes for "no value")."""
    parts = []
    for f in FIELDS:
        if f.name == LEVEL_FIELD:
            continue
        var = _v(f.name)
        if f.type == 'integer':
            parts.append(f'#set({var} = "null")#if($input.{f.name})'
                         f'#if($input.{f.name}.toString().matches("[1-9][0-9]{{0,14}}"))'
                         f'#set({var} = $input.{f.name})#{{end}}#{{end}}')
        else:
            parts.append(f'#set({var} = "")#if($input.{f.name})#set({var} = $input.{f.name})#{{end}}')
            if f.max_length:
                parts.append(_truncate(var, f.max_length))
            if f.tag:
                parts.append(f'#set($t_{f.name} = {var}.replace(",", "{TAG_VALUE_SEPARATOR_SAFE}"))')
    # level -> log status and event alert_type (unknown values fall back to the first level)
    first, *others = LEVELS.items()
    parts.append('#set($v_logStatus = "{}")#set($v_alertType = "{}")'.format(*first[1]))
    for i, (level, (log_status, alert_type)) in enumerate(others):
        parts.append('#{}($input.{} == "{}")#set($v_logStatus = "{}")#set($v_alertType = "{}")'.format(
            'if' if i == 0 else 'elseif', LEVEL_FIELD, level, log_status, alert_type))
    parts.append('#{end}')
    return ''.join(parts)


def _esc(var):
    return f'$esc.jsonString({var})'


def _is_set(f):
    return f'{_v(f.name)} != "null"' if f.type == 'integer' else f'{_v(f.name)} != ""'


def _tag_items(quote):
    """Tag list fragments; `quote` wraps one tag (ddtags string vs JSON array). Optional tags only when set."""
    out = [','.join(quote(t) for t in schema.FIXED_TAGS)]
    for f in FIELDS:
        if not f.tag:
            continue
        value = _v(f.name) if f.type == 'integer' else _esc('$t_' + f.name)
        tag = quote(f'{f.tag}:{value}')
        if f.required:
            out.append(',' + tag)
        else:
            out.append(f'#if({_is_set(f)}),{tag}#{{end}}')
    return ''.join(out)


def _attribute_object():
    parts = []
    for f in FIELDS:
        if f.name in ATTRIBUTE_EXCLUDED:
            continue
        if f.type == 'integer':
            item = f'"{f.attribute}":{_v(f.name)}'
        else:
            item = f'"{f.attribute}":"{_esc(_v(f.name))}"'
        if f.personal:  # personal data: the key only appears when the flow sent a value
            parts.append(f'#if({_is_set(f)}),{item}#{{end}}')
        else:
            parts.append((',' if parts else '') + item)
    return '{' + ''.join(parts) + '}'


def log_request_template():
    tags = _tag_items(lambda t: t)
    return _prelude() + (
        '[{{"ddsource":"{src}","service":"{svc}","ddtags":"{tags}","message":"{msg}",'
        '"status":"$v_logStatus","evt":{{"name":"{evt}"}},"{root}":{attrs}}}]').format(
        src=schema.DDSOURCE, svc=schema.SERVICE, tags=tags, msg=_esc(_v('message')),
        evt=_esc(_v('eventType')), root=schema.ATTRIBUTE_ROOT, attrs=_attribute_object())


def _event_title():
    """`<event label> in <flow>`: the label of a known event type, else the event type itself."""
    parts = ['#set($v_titleLabel = $v_eventType)', _truncate('$v_titleLabel', TITLE_LABEL_LIMIT)]
    for i, event in enumerate(schema.EVENT_TYPES):
        parts.append('#{}($v_eventType == "{}")#set($v_titleLabel = "{}")'.format(
            'if' if i == 0 else 'elseif', event.name, event.title))
    parts.append('#{end}')
    parts.append('#set($v_titleFlow = $v_flowName)')
    parts.append(_truncate('$v_titleFlow', TITLE_FLOW_LIMIT))
    return ''.join(parts)


def _aggregation_key():
    prefix = schema.AGGREGATION_PREFIX + ':'
    budget = AGGREGATION_KEY_LIMIT - len(prefix) - 1
    type_limit = 40
    return ('#set($v_aggType = $v_eventType){}#set($v_aggFlow = $v_flowName){}').format(
        _truncate('$v_aggType', type_limit), _truncate('$v_aggFlow', budget - type_limit))


def _event_text():
    """The message, then one `Label: value` line per set field (`\\n` are JSON escapes in the template)."""
    lines = []
    for f in FIELDS:
        if f.name in (LEVEL_FIELD, 'message'):
            continue
        value = _v(f.name) if f.type == 'integer' else _esc(_v(f.name))
        line = f'\\n{f.label}: {value}'
        lines.append(line if f.required else f'#if({_is_set(f)}){line}#{{end}}')
    return _esc(_v('message')) + '\\n' + ''.join(lines)


def event_request_template():
    tags = _tag_items(lambda t: f'"{t}"')
    return _prelude() + _event_title() + _aggregation_key() + (
        '{{"title":"{title}","text":"{text}","tags":[{tags}],"alert_type":"$v_alertType",'
        '"aggregation_key":"{agg}","source_type_name":"{stn}","priority":"normal"}}').format(
        title='{} in {}'.format(_esc('$v_titleLabel'), _esc('$v_titleFlow')),
        text=_event_text(), tags=tags, agg='{}:{}:{}'.format(schema.AGGREGATION_PREFIX, _esc('$v_aggType'),
                                                             _esc('$v_aggFlow')),
        stn=schema.SOURCE_TYPE_NAME)


def event_text_budget():
    """Upper bound of the event text length in characters (asserted <= EVENT_TEXT_LIMIT by the tests)."""
    total = 1
    for f in FIELDS:
        if f.name == LEVEL_FIELD:
            continue
        value = f.max_length if f.type == 'string' else 16
        total += value + (0 if f.name == 'message' else len(f.label) + 3)
    return total


# -- Data Action documents -----------------------------------------------------------------------------------


def input_schema(title):
    properties = {}
    for f in FIELDS:
        prop = {'type': f.type, 'description': f.description}
        properties[f.name] = prop
    return {
        '$schema': 'http://json-schema.org/draft-04/schema#',
        'title': title,
        'description': 'A flow event for Datadog (schema: genesys_cloud_dd/flows/schema.py).',
        'type': 'object',
        'required': list(schema.REQUIRED),
        'properties': properties,
        'additionalProperties': True,
    }


def _config(url, template):
    return {
        'timeoutSeconds': schema.ACTION_TIMEOUT_SECONDS,
        'request': {
            'requestUrlTemplate': url,
            'requestType': 'POST',
            'headers': {
                'DD-API-KEY': credential_ref(schema.CRED_API_KEY),
                'Content-Type': 'application/json',
                'Accept': 'application/json',
            },
            'requestTemplate': template,
        },
        'response': {
            'translationMap': {},
            'translationMapDefaults': {},
            'successTemplate': '{}',
        },
    }


def _action(name, url, template):
    return {
        'name': name,
        'integrationType': schema.INTEGRATION_TYPE,
        'actionType': 'custom',
        'config': _config(url, template),
        'contract': {
            'input': {'inputSchema': input_schema(name)},
            'output': {'successSchema': {'$schema': 'http://json-schema.org/draft-04/schema#', 'title': name,
                                         'type': 'object', 'properties': {}, 'additionalProperties': True}},
        },
        'secure': False,
    }


def export_documents(site_mode=None):
    """{action name: Data Action export document} (the import/export JSON of Admin > Integrations > Actions)."""
    mode = site_mode or SiteMode.credential()
    return {
        LOG_ACTION: _action(LOG_ACTION, mode.logs_url(), log_request_template()),
        EVENT_ACTION: _action(EVENT_ACTION, mode.events_url(), event_request_template()),
    }


def export_file_name(action_name):
    return '{}.custom.json'.format('-'.join(action_name.replace('-', ' ').split()))


def to_post_action_input(export, integration_id, category):
    """Export -> `POST /api/v2/integrations/actions[/drafts]` body (PostActionInput): drop integrationType and
    actionType, add integrationId and category."""
    body = copy.deepcopy(export)
    body.pop('integrationType', None)
    body.pop('actionType', None)
    body['integrationId'] = integration_id
    body['category'] = category
    return body

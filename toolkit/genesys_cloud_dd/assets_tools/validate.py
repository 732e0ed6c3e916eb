"""Offline validation of assets/dashboards/*.json and assets/monitors/*.json.

For every file:
- it deserializes through datadog-api-client's `Dashboard` (v1) / `Monitor` (v1, the file's `definition`) model
  with no `_unparsed` node anywhere: a bad enum or an unknown widget type does not raise in the client, it only
  marks the node, so the whole tree is walked (reference flows-and-datadog.md section 18);
- every query parses (query.py), every metric it names is in metadata.csv, and every tag it filters or groups by
  is one the check emits *for that metric*: the metric's `sample_tags` in metadata.csv plus the base tags every
  submission carries (org_id, org_name, region). metadata.csv is the contract the collector authors maintain and
  `ddev validate metadata` checks; tests/test_assets*.py cross-checks it against a real emulator run, and
  `assets validate --emulator` validates against what one check run on the emulator actually emits;
- template variables used are defined and their tag is carried by the metrics they filter;
- log and event queries use only what the flow kit posts (genesys_cloud_dd/flows/schema.py: source, service,
  tags, `@genesys.*` attributes, `@evt.name` event types);
- monitors: the query is valid monitor syntax, its kind matches the monitor type, `options.thresholds.critical`
  equals the query threshold, the warning threshold sits on the safe side, forecast monitors have threshold
  windows, and every `{{tag.name}}` variable of the name/message is a group of the query;
- manifest.json lists exactly these files.
"""

import copy
import json
import os
import re
from dataclasses import dataclass, field

from ..resources import asset_files, project_root
from . import query as q
from .catalog import BASE_TAG_KEYS, Catalog, emulator_catalog, load_catalog

__all__ = ['BASE_TAG_KEYS', 'Catalog', 'Report', 'asset_files', 'emulator_catalog', 'load_catalog', 'project_root',
           'validate']

# Sent by the companion module from the customer's integrations, not by the check: no base tags (companion_run.py).
COMPANION_PREFIX = 'genesys_cloud.velocity.'
MONITOR_FILE_KEYS = ('version', 'created_at', 'last_updated_at', 'title', 'description', 'tags', 'definition')
MONITOR_TYPES = {'metric': ('query alert', 'metric alert'), 'logs': ('log alert',), 'events': ('event-v2 alert',)}
INTEGRATION_TAG = 'integration:genesys-cloud'
# Monitor message variables that are not tag groups (docs "Notification variables").
MESSAGE_BUILTINS = {
    'value', 'threshold', 'warn_threshold', 'last_triggered_at', 'last_triggered_at_epoch', 'first_triggered_at',
    'first_triggered_at_epoch', 'triggered_duration_sec', 'comparator', 'alert_id', 'org', 'event', 'log', 'span',
    'check_message', 'ok_threshold', 'is_alert', 'is_warning', 'is_recovery', 'is_no_data', 'is_warning_recovery',
    'is_alert_recovery', 'is_alert_to_warning', 'is_no_data_recovery', 'is_renotify', 'is_match', 'is_exact_match',
    'is_priority', 'priority', 'else', 'link', 'monitor', 'metric', 'name',
}


@dataclass
class Report:
    errors: list = field(default_factory=list)  # (file, message)
    checked: list = field(default_factory=list)  # files
    notes: list = field(default_factory=list)
    source: str = 'metadata.csv'

    @property
    def ok(self):
        return not self.errors

    def error(self, path, message):
        self.errors.append((path, message))

    def render(self, root=''):
        lines = []
        for path in self.checked:
            rel = os.path.relpath(path, root) if root else path
            problems = [m for p, m in self.errors if p == path]
            lines.append(f'{"FAIL" if problems else "ok  "}  {rel}')
            lines.extend(f'        {m}' for m in problems)
        for path, message in self.errors:
            if path not in self.checked:
                lines.append(f'FAIL  {os.path.relpath(path, root) if root else path}: {message}')
        lines.extend(f'note: {n}' for n in self.notes)
        verdict = 'valid' if self.ok else f'{len(self.errors)} problem(s)'
        lines.append(f'{len(self.checked)} asset files checked against {self.source}: {verdict}')
        return '\n'.join(lines)


# -- inputs --------------------------------------------------------------------------------------------------

def flow_vocabulary():
    """What the flow kit's logs and events carry (genesys_cloud_dd/flows/schema.py), for log/event queries."""
    try:
        from ..flows import schema
    except ImportError:  # pragma: no cover - the flow kit ships with the package
        return None
    fixed = {t.split(':', 1)[0]: t.split(':', 1)[1] for t in schema.FIXED_TAGS}
    return {
        'logs': {
            'source': {schema.DDSOURCE},
            'service': {schema.SERVICE},
            'status': {'error', 'warn', 'info'},
            '@evt.name': {e.name for e in schema.EVENT_TYPES},
        },
        'events': {
            'source': {schema.SOURCE_TYPE_NAME},
            'status': {'error', 'warning', 'info', 'success'},
            'priority': {'normal', 'low'},
        },
        'attributes': {f'@{schema.ATTRIBUTE_ROOT}.{f.attribute}' for f in schema.FIELDS if not f.personal},
        'tags': {**{k: {v} for k, v in fixed.items()}, **{f.tag: None for f in schema.FIELDS if f.tag}},
        'event_types': {e.name for e in schema.EVENT_TYPES},
    }


# -- datadog-api-client models ----------------------------------------------------------------------------


def deserialize(data, kind):
    """Load `data` into the client's Dashboard/Monitor model; returns (model, [paths of _unparsed nodes])."""
    from datadog_api_client import Configuration
    from datadog_api_client.model_utils import validate_and_convert_types

    if not isinstance(kind, str):
        model = kind
    elif kind == 'dashboard':
        from datadog_api_client.v1.model.dashboard import Dashboard as model
    elif kind == 'widget':
        from datadog_api_client.v1.model.widget import Widget as model
    else:
        from datadog_api_client.v1.model.monitor import Monitor as model
    loaded = validate_and_convert_types(copy.deepcopy(data), (model,), ['root'], True, True,
                                        configuration=Configuration())
    return loaded, unparsed_paths(loaded)


def unparsed_paths(node, path='$'):
    from datadog_api_client.model_utils import OpenApiModel

    if isinstance(node, list):
        return [p for i, n in enumerate(node) for p in unparsed_paths(n, f'{path}[{i}]')]
    if not isinstance(node, OpenApiModel):
        return []
    found = [path] if getattr(node, '_unparsed', False) else []
    return found + [p for k, v in node._data_store.items() for p in unparsed_paths(v, f'{path}.{k}')]


def deepest(paths):
    """Keep the innermost of nested _unparsed paths: a bad widget also marks its group and the dashboard."""
    return [p for p in paths if not any(o != p and o.startswith(p) and o[len(p)] in '.[' for o in paths)]


def pinpoint_widgets(data, path):
    """A widget definition is a oneOf: when it fails, the client only marks the whole definition (and a group
    hides which inner widget broke it). Deserialize children one by one, and a failing definition with the model
    of its own `type`, to name the innermost bad element (e.g. `...formulas[0].number_format.unit`)."""
    node = _at(data, path)
    children = node.get('widgets') if isinstance(node, dict) else None
    if not isinstance(children, list):
        model = _definition_model(node.get('type')) if isinstance(node, dict) else None
        if model is None:
            return [path]
        try:
            _, bad = deserialize(node, model)
        except Exception:
            return [path]
        inner = [p for p in deepest(bad) if p != '$']
        return [f'{path}{p[1:]}' for p in inner] or [path]
    found = []
    for i, child in enumerate(children):
        try:
            _, bad = deserialize(child, 'widget')
        except Exception:
            found.append(f'{path}.widgets[{i}]')
            continue
        for p in deepest(bad):
            found.extend(f'{path}.widgets[{i}]{inner[1:]}' for inner in pinpoint_widgets(child, p))
    return found or [path]


def _definition_model(widget_type):
    from datadog_api_client.v1.model.widget_definition import WidgetDefinition

    for model in WidgetDefinition._composed_schemas['oneOf']:
        type_class = (model.openapi_types.get('type') or (None,))[0]
        if widget_type in getattr(type_class, 'allowed_values', ()):
            return model
    return None


def _at(data, path):
    node = data
    for key, index in re.findall(r'\.(\w+)|\[(\d+)\]', path):
        try:
            node = node[int(index)] if index else node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _describe_unparsed(data, path):
    """Show what sits at an _unparsed path of the raw JSON, to say *what* is wrong (e.g. type "timeserie")."""
    node = _at(data, path)
    if node is None:
        return ''
    if isinstance(node, dict):
        hints = {k: node[k] for k in ('type', 'display_type', 'data_source', 'response_format') if k in node}
        return f' ({json.dumps(hints)})' if hints else ''
    return f' ({json.dumps(node)})'


# -- validation ----------------------------------------------------------------------------------------------


class _Validator:
    def __init__(self, catalog, report, vocabulary):
        self.catalog = catalog
        self.report = report
        self.vocabulary = vocabulary

    def metric(self, path, where, mq, variables=None):
        """A metric query: the metric exists, and its filters, groups and template variables are emitted tags."""
        entry = self.catalog.metrics.get(mq.metric)
        if entry is None:
            self.report.error(path, f'{where}: metric `{mq.metric}` is not in metadata.csv (no collector emits it)')
            return
        emitted = (set() if mq.metric.startswith(COMPANION_PREFIX) else set(BASE_TAG_KEYS)) | entry['tags']
        for key in mq.tag_keys:
            if key not in emitted:
                self.report.error(path, f'{where}: `{mq.metric}` is not tagged `{key}` (its tags: '
                                        f'{", ".join(sorted(emitted))})')
        for var in mq.variables:
            if variables is None or var not in variables:
                self.report.error(path, f'{where}: template variable `${var}` is not defined')
            elif variables[var] and variables[var] not in emitted:
                self.report.error(path, f'{where}: template variable `${var}` filters on `{variables[var]}`, '
                                        f'which `{mq.metric}` does not carry')
        if mq.as_count and entry['type'] == 'gauge':
            self.report.error(path, f'{where}: `.as_count()` on the gauge `{mq.metric}`')

    def search(self, path, where, text, kind, group_by=()):
        """A log or event search: only what the flow kit posts (or the check's event tags)."""
        try:
            terms = q.parse_search(text)
        except q.QueryError as e:
            self.report.error(path, f'{where}: {e}')
            return
        vocab = self.vocabulary
        if vocab is None:
            return
        reserved = vocab[kind]
        tag_keys = self.catalog.all_tag_keys | self.catalog.event_tags | set(vocab['tags'])
        for term in terms:
            if term.key is None:
                continue
            key = term.key
            if key in reserved:
                if term.value not in reserved[key] and '*' not in term.value:
                    self.report.error(path, f'{where}: `{key}:{term.value}` never matches (the flow kit sends '
                                            f'{", ".join(sorted(reserved[key]))})')
            elif key.startswith('@'):
                if kind != 'logs' or key not in vocab['attributes']:
                    self.report.error(path, f'{where}: `{key}` is not an attribute the flow kit posts')
            elif key not in tag_keys:
                self.report.error(path, f'{where}: `{key}` is not a tag of the {kind} the flow kit or check send')
            elif vocab['tags'].get(key) and term.value not in vocab['tags'][key]:
                self.report.error(path, f'{where}: `{key}:{term.value}` never matches')
        for facet in group_by:
            if facet.startswith('@'):
                if kind != 'logs' or facet not in vocab['attributes']:
                    self.report.error(path, f'{where}: cannot group by `{facet}`, the flow kit does not post it')
            elif facet not in tag_keys and facet not in reserved:
                self.report.error(path, f'{where}: cannot group by `{facet}`, no flow log/event carries it')

    # -- dashboards ----------------------------------------------------------------------------------------

    def dashboard(self, path, data):
        for key in ('title', 'description', 'layout_type', 'template_variables', 'widgets'):
            if key not in data:
                self.report.error(path, f'missing `{key}`')
        try:
            _, bad = deserialize(data, 'dashboard')
        except Exception as e:  # the client raises its own ApiTypeError/ApiValueError family
            self.report.error(path, f'not a valid Datadog dashboard: {e}')
            return
        for p in [p for b in deepest(bad) for p in pinpoint_widgets(data, b)]:
            self.report.error(path, f'{p}: not a valid Datadog dashboard element{_describe_unparsed(data, p)}')
        variables = {}
        for tv in data.get('template_variables') or []:
            name = tv.get('name')
            if name in variables:
                self.report.error(path, f'template variable `{name}` defined twice')
            prefix = tv.get('prefix')
            if prefix and prefix not in self.catalog.all_tag_keys:
                self.report.error(path, f'template variable `{name}`: no metric is tagged `{prefix}`')
            variables[name] = prefix
        used = set()
        for where, widget in _iter_widgets(data.get('widgets') or []):
            used |= self.widget(path, where, widget, variables)
        for name in set(variables) - used:
            self.report.error(path, f'template variable `{name}` is defined but no query uses it')
        if self.catalog.metrics and not any(True for _ in _iter_metric_queries_of(data)):
            self.report.error(path, 'the dashboard queries no metric')

    def widget(self, path, where, widget, variables):
        definition = widget.get('definition') or {}
        wtype = definition.get('type')
        used = set()
        if wtype in ('alert_graph', 'alert_value'):
            self.report.error(path, f'{where}: `{wtype}` widgets point at one org\'s monitor id; use a query')
        if wtype in ('event_stream', 'event_timeline'):
            self.search(path, where, definition.get('query', ''), 'events')
        if wtype == 'log_stream':
            self.search(path, where, definition.get('query', ''), 'logs')
        if wtype == 'manage_status' and 'genesys' not in (definition.get('query') or '').lower():
            self.report.error(path, f'{where}: the monitor summary should filter on this integration\'s monitors')
        requests = definition.get('requests') or []
        if isinstance(requests, dict):  # scatterplot / hostmap style
            requests = list(requests.values())
        for i, request in enumerate(requests):
            used |= self.request(path, f'{where}.requests[{i}]', request, variables)
        return used

    def request(self, path, where, request, variables):
        used = set()
        names = set()
        for j, query in enumerate(request.get('queries') or []):
            qwhere = f'{where}.queries[{j}]'
            names.add(query.get('name'))
            source = query.get('data_source')
            if source == 'metrics':
                try:
                    mq = q.parse_metric_query(query.get('query', ''))
                except q.QueryError as e:
                    self.report.error(path, f'{qwhere}: {e}')
                    continue
                self.metric(path, qwhere, mq, variables)
                used |= set(mq.variables)
            elif source in ('logs', 'events'):
                search = (query.get('search') or {}).get('query', '')
                used |= set(re.findall(r'\$([A-Za-z_][\w-]*)', search))
                stripped = re.sub(r'\$[A-Za-z_][\w-]*(\.value)?', '', search)
                facets = [g.get('facet', '') for g in query.get('group_by') or []]
                self.search(path, qwhere, stripped, source, facets)
            else:
                self.report.error(path, f'{qwhere}: data source `{source}` is not one the assets use')
        for j, formula in enumerate(request.get('formulas') or []):
            try:
                node = q.parse_expression(formula.get('formula', ''), allow_refs=True)
            except q.QueryError as e:
                self.report.error(path, f'{where}.formulas[{j}]: {e}')
                continue
            for ref in q.iter_refs(node):
                if ref not in names:
                    self.report.error(path, f'{where}.formulas[{j}]: `{ref}` is not a query of this request')
        if request.get('q'):
            self.report.error(path, f'{where}: use `queries` + `formulas`, not the legacy `q`')
        if request.get('queries') and not request.get('formulas') and 'response_format' in request:
            self.report.error(path, f'{where}: a request with `queries` needs `formulas`')
        return used

    # -- monitors ------------------------------------------------------------------------------------------

    def monitor(self, path, data):
        for key in MONITOR_FILE_KEYS:
            if key not in data:
                self.report.error(path, f'missing `{key}` (recommended monitor format)')
        definition = data.get('definition')
        if not isinstance(definition, dict):
            return
        for key in ('name', 'type', 'query', 'message', 'tags', 'options'):
            if key not in definition:
                self.report.error(path, f'definition: missing `{key}`')
        if INTEGRATION_TAG not in (data.get('tags') or []) or INTEGRATION_TAG not in (definition.get('tags') or []):
            self.report.error(path, f'tag the file and its definition `{INTEGRATION_TAG}`')
        try:
            _, bad = deserialize(definition, 'monitor')
        except Exception as e:
            self.report.error(path, f'definition is not a valid Datadog monitor: {e}')
            return
        for p in deepest(bad):
            self.report.error(path, f'definition{p[1:]}: not a valid Datadog monitor element'
                                    f'{_describe_unparsed(definition, p)}')
        try:
            mq = q.parse_monitor_query(definition.get('query', ''))
        except q.QueryError as e:
            self.report.error(path, f'query: {e}')
            return
        mtype = definition.get('type')
        if mtype not in MONITOR_TYPES[mq.kind]:
            self.report.error(path, f'a {mq.kind} query needs type {" or ".join(MONITOR_TYPES[mq.kind])}, '
                                    f'not `{mtype}`')
        groups = []
        if mq.kind == 'metric':
            for metric_query in mq.metric_queries:
                self.metric(path, 'query', metric_query)
            groups = next((m.group_by for m in mq.metric_queries if m.group_by), [])
        else:
            self.search(path, 'query', mq.search, mq.kind, mq.group_by)
            groups = mq.group_by
        self.thresholds(path, definition.get('options') or {}, mq)
        text = f'{definition.get("name", "")}\n{definition.get("message", "")}'
        for var in re.findall(r'\{\{\s*([^#/^}][^}]*?)\s*\}\}', text):
            head = var.split()[0]
            tag_key = head[:-len('.name')] if head.endswith('.name') else None
            if tag_key is None:
                if head.split('.')[0] not in MESSAGE_BUILTINS and not head.startswith(('[', 'else')):
                    self.report.error(path, f'message variable `{{{{{var}}}}}` is not a notification variable')
            elif tag_key.strip('[]') not in groups:
                self.report.error(path, f'message variable `{{{{{var}}}}}` is not a group of the query '
                                        f'(groups: {", ".join(groups) or "none"})')
        message = definition.get('message', '')
        for group in groups:
            if f'{group}.name' not in message and f'[{group}].name' not in message:
                self.report.error(path, f'the message never names the `{group}` group (`{{{{{group}.name}}}}`)')

    def thresholds(self, path, options, mq):
        thresholds = options.get('thresholds') or {}
        critical = thresholds.get('critical')
        if critical is None:
            self.report.error(path, 'options.thresholds.critical is missing')
        elif float(critical) != mq.threshold:
            self.report.error(path, f'options.thresholds.critical ({critical}) differs from the query threshold '
                                    f'({mq.threshold:g})')
        warning = thresholds.get('warning')
        if warning is not None and critical is not None:
            above = mq.op in ('>', '>=')
            if (above and not float(warning) < float(critical)) or (not above and not float(warning) > float(critical)):
                self.report.error(path, f'options.thresholds.warning ({warning}) must come before critical '
                                        f'({critical}) for `{mq.op}`')
        if mq.is_forecast:
            windows = options.get('threshold_windows') or {}
            if not windows.get('trigger_window') or not windows.get('recovery_window'):
                self.report.error(path, 'a forecast monitor needs options.threshold_windows (trigger/recovery)')


def _iter_widgets(widgets, where='widgets'):
    for i, widget in enumerate(widgets):
        here = f'{where}[{i}]'
        title = (widget.get('definition') or {}).get('title')
        label = f'{here} "{title}"' if title else here
        yield label, widget
        inner = (widget.get('definition') or {}).get('widgets')
        if inner:
            yield from _iter_widgets(inner, f'{here}.widgets')


def _iter_metric_queries_of(dashboard):
    for _, widget in _iter_widgets(dashboard.get('widgets') or []):
        requests = (widget.get('definition') or {}).get('requests') or []
        if isinstance(requests, dict):
            requests = list(requests.values())
        for request in requests:
            for query in request.get('queries') or []:
                if query.get('data_source') == 'metrics':
                    yield query


# -- entry points --------------------------------------------------------------------------------------------


def validate(root=None, catalog=None, files=None, manifest=True, emulator=False) -> Report:
    """Validate the assets under `root` (default: the source tree). `files` overrides {kind: [paths]}.

    Tags come from metadata.csv sample_tags, or with `emulator=True` also from real check runs on the emulator.
    """
    root = root or project_root()
    if catalog is None:
        catalog = load_catalog(os.path.join(root, 'metadata.csv'))
        if emulator:
            catalog = emulator_catalog(catalog)
    report = Report(source=catalog.source)
    if catalog.unseen:
        report.notes.append(f'{len(catalog.unseen)} metrics did not appear in the emulator runs; their metadata.csv '
                            f'tags were used: {", ".join(sorted(catalog.unseen))}')
    validator = _Validator(catalog, report, flow_vocabulary())
    files = files or asset_files(root)
    titles = {}
    for kind, paths in files.items():
        for path in paths:
            report.checked.append(path)
            try:
                with open(path, encoding='utf-8') as f:
                    data = json.load(f)
            except (OSError, ValueError) as e:
                report.error(path, f'cannot read JSON: {e}')
                continue
            if not isinstance(data, dict):
                report.error(path, 'not a JSON object')
                continue
            if kind == 'dashboards':
                validator.dashboard(path, data)
                title = data.get('title')
            else:
                validator.monitor(path, data)
                title = (data.get('definition') or {}).get('name')
            if title in titles.get(kind, {}):
                report.error(path, f'same title as {os.path.basename(titles[kind][title])}: deploy matches by title')
            titles.setdefault(kind, {})[title] = path
    if manifest:
        _check_manifest(root, files, report)
    return report


def _check_manifest(root, files, report):
    path = os.path.join(root, 'manifest.json')
    try:
        with open(path, encoding='utf-8') as f:
            assets = json.load(f).get('assets') or {}
    except (OSError, ValueError) as e:
        report.error(path, f'cannot read: {e}')
        return
    for kind in ('dashboards', 'monitors'):
        listed = {os.path.normpath(os.path.join(root, p)): title for title, p in (assets.get(kind) or {}).items()}
        for p in files.get(kind, []):
            if os.path.normpath(p) not in listed:
                report.error(path, f'assets.{kind} does not list {os.path.relpath(p, root)}')
        for p, title in listed.items():
            if not os.path.exists(p):
                report.error(path, f'assets.{kind}["{title}"]: {os.path.relpath(p, root)} does not exist')
            elif kind == 'dashboards':
                with open(p, encoding='utf-8') as f:
                    try:
                        actual = json.load(f).get('title')
                    except ValueError:
                        continue
                if actual != title:
                    report.error(path, f'assets.dashboards key "{title}" differs from the dashboard title "{actual}"')

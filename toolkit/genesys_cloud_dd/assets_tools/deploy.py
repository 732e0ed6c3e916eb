"""Create or update the integration's dashboards and monitors in a Datadog org (`assets deploy`).

Idempotent by title: a dashboard is matched on its title among the dashboards this tool manages (their
description ends with MARKER), a monitor on its name among the monitors tagged MANAGED_TAG. An asset that
matches and already holds everything the file says is left alone; one that differs is updated in place (its id,
and so its links, history and downtimes, survive); one that does not exist is created. Nothing is ever deleted.

Credentials: DD_API_KEY and DD_APP_KEY; the site from DD_SITE (default datadoghq.com), or any base URL with
`--dd-url` (a local fake in the tests), under the toolkit's outbound policy (datadog_api.py: keys only to that
host, no redirect followed, errors scrubbed before they are cut). `--dry-run` validates and prints the plan
without sending a request. The assets are validated first: an invalid asset is never deployed.
"""

import copy
import json
import os
from dataclasses import dataclass, field

from . import validate as v

MANAGED_TAG = 'managed-by:genesys-cloud-dd'  # monitors: a tag, so `monitor_tags` finds them again
MARKER = '_Managed by `genesys-cloud-dd assets deploy`._'  # dashboards: tags there are reserved for teams
PAGE_SIZE = 100


class DeployError(Exception):
    pass


@dataclass
class Action:
    kind: str  # dashboard | monitor
    title: str
    action: str  # create | update | unchanged | would deploy
    id: object = None


@dataclass
class DeployResult:
    actions: list = field(default_factory=list)

    def count(self, action):
        return sum(1 for a in self.actions if a.action == action)

    def render(self):
        lines = [f'{a.action:<12} {a.kind:<9} {a.title}' + (f'  (id {a.id})' if a.id is not None else '')
                 for a in self.actions]
        summary = ', '.join(f'{self.count(x)} {x}' for x in ('create', 'update', 'unchanged', 'would deploy')
                            if self.count(x))
        lines.append(f'{len(self.actions)} assets: {summary or "nothing to do"}')
        return '\n'.join(lines)


def desired_dashboard(data):
    body = copy.deepcopy(data)
    description = (body.get('description') or '').rstrip()
    if MARKER not in description:
        body['description'] = f'{description}\n\n{MARKER}'.strip()
    return body


def desired_monitor(data):
    body = copy.deepcopy(data['definition'])
    tags = list(body.get('tags') or [])
    if MANAGED_TAG not in tags:
        tags.append(MANAGED_TAG)
    body['tags'] = tags
    return body


def differs(desired, actual):
    """True when `actual` (what the API returned) lacks or changes anything `desired` sets.

    Keys only the server adds (ids, timestamps, defaults such as widget ids) are ignored, so a second deploy of
    unchanged files sends no update.
    """
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return True
        return any(differs(value, actual.get(key)) for key, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(desired) != len(actual):
            return True
        return any(differs(a, b) for a, b in zip(desired, actual))
    if isinstance(desired, (int, float)) and not isinstance(desired, bool) and isinstance(actual, (int, float)):
        return float(desired) != float(actual)
    return desired != actual


def configuration(dd_url=None, api_key=None, app_key=None, site=None):
    """The Configuration under the toolkit's outbound policy (datadog_api.py), and the Destination it obeys."""
    from ..datadog_api import Destination, OutboundRefused

    api_key = api_key or os.environ.get('DD_API_KEY')
    app_key = app_key or os.environ.get('DD_APP_KEY')
    if not api_key or not app_key:
        raise DeployError('set DD_API_KEY and DD_APP_KEY (an application key with dashboards_write and '
                          'monitors_write) to deploy, or use --dry-run')
    try:
        destination = Destination(site or os.environ.get('DD_SITE'), dd_url)
    except OutboundRefused as e:
        raise DeployError(str(e)) from None
    return destination.configuration(api_key, app_key, timeout=30.0, retries=3), destination


def load_assets(root):
    files = v.asset_files(root)
    assets = {}
    for kind in ('dashboards', 'monitors'):
        assets[kind] = []
        for path in files[kind]:
            with open(path, encoding='utf-8') as f:
                assets[kind].append(json.load(f))
    return files, assets


def deploy(root=None, dry_run=False, dd_url=None, api_key=None, app_key=None, site=None, validate_first=True,
           emulator=True):
    """Validate (tags checked against emulator runs unless `emulator=False`), then create or update."""
    root = root or v.project_root()
    if validate_first:
        report = v.validate(root, emulator=emulator)
        if not report.ok:
            raise DeployError('the assets do not validate; nothing was deployed:\n' + report.render(root))
    _, assets = load_assets(root)
    result = DeployResult()
    if dry_run:
        for data in assets['dashboards']:
            result.actions.append(Action('dashboard', data['title'], 'would deploy'))
        for data in assets['monitors']:
            result.actions.append(Action('monitor', data['definition']['name'], 'would deploy'))
        return result

    from datadog_api_client import ApiClient
    from datadog_api_client.exceptions import ApiException
    from datadog_api_client.v1.api.dashboards_api import DashboardsApi
    from datadog_api_client.v1.api.monitors_api import MonitorsApi

    cfg, destination = configuration(dd_url, api_key, app_key, site)
    try:
        with ApiClient(cfg) as client:
            _deploy_dashboards(DashboardsApi(client), assets['dashboards'], result)
            _deploy_monitors(MonitorsApi(client), assets['monitors'], result)
    except ApiException as e:
        done = result.render() if result.actions else 'nothing deployed yet'
        raise DeployError(f'Datadog API answered {destination.describe(e, limit=500)}\n{done}') from None
    except Exception as e:  # noqa: BLE001 - connection refused, timeout, TLS: said once, scrubbed
        done = result.render() if result.actions else 'nothing deployed yet'
        raise DeployError(f'{destination.describe(e)}\n{done}') from None
    return result


def _model(data, model_name):
    from datadog_api_client import Configuration
    from datadog_api_client.model_utils import validate_and_convert_types

    if model_name == 'Dashboard':
        from datadog_api_client.v1.model.dashboard import Dashboard as model
    elif model_name == 'Monitor':
        from datadog_api_client.v1.model.monitor import Monitor as model
    else:
        from datadog_api_client.v1.model.monitor_update_request import MonitorUpdateRequest as model
    return validate_and_convert_types(copy.deepcopy(data), (model,), ['body'], True, True,
                                      configuration=Configuration())


def _list_all(fetch_page):
    """Every item of a paged listing: fetch_page(0), fetch_page(1)... until a short page or one with nothing new
    (a server that ignores the paging parameters must not make this loop forever)."""
    items, seen, index = [], set(), 0
    while True:
        page = fetch_page(index)
        fresh = [item for item in page if item.id not in seen]
        seen.update(item.id for item in fresh)
        items.extend(fresh)
        if len(page) < PAGE_SIZE or not fresh:
            return items
        index += 1


def _deploy_dashboards(api, dashboards, result):
    existing = {}
    for summary in _list_all(lambda i: api.list_dashboards(count=PAGE_SIZE, start=i * PAGE_SIZE).get('dashboards')
                             or []):
        if MARKER in (summary.get('description') or ''):
            existing.setdefault(summary.title, summary.id)
    for data in dashboards:
        body = desired_dashboard(data)
        dashboard_id = existing.get(body['title'])
        if dashboard_id is None:
            created = api.create_dashboard(body=_model(body, 'Dashboard'))
            result.actions.append(Action('dashboard', body['title'], 'create', created.id))
        elif differs(body, api.get_dashboard(dashboard_id).to_dict()):
            api.update_dashboard(dashboard_id, body=_model(body, 'Dashboard'))
            result.actions.append(Action('dashboard', body['title'], 'update', dashboard_id))
        else:
            result.actions.append(Action('dashboard', body['title'], 'unchanged', dashboard_id))


def _deploy_monitors(api, monitors, result):
    existing = {}
    for monitor in _list_all(lambda i: api.list_monitors(monitor_tags=MANAGED_TAG, page=i, page_size=PAGE_SIZE)):
        if MANAGED_TAG in (monitor.get('tags') or []):  # the filter is the server's; check it anyway
            existing.setdefault(monitor.name, monitor)
    for data in monitors:
        body = desired_monitor(data)
        current = existing.get(body['name'])
        if current is None:
            created = api.create_monitor(body=_model(body, 'Monitor'))
            result.actions.append(Action('monitor', body['name'], 'create', created.id))
        elif differs(body, current.to_dict()):
            api.update_monitor(current.id, body=_model(body, 'MonitorUpdateRequest'))
            result.actions.append(Action('monitor', body['name'], 'update', current.id))
        else:
            result.actions.append(Action('monitor', body['name'], 'unchanged', current.id))

"""A small project (metadata.csv, manifest.json, one dashboard, monitors) for the asset tooling tests.

The tooling tests run on this fixture rather than on the shipped assets so that each rejection test changes one
thing in a known-good file; tests/test_assets.py covers the shipped assets.
"""

import copy
import json
import os

METADATA = """\
metric_name,metric_type,interval,unit_name,per_unit_name,description,orientation,integration,short_name,\
curated_metric,sample_tags
genesys_cloud.api.can_connect,gauge,,,,"1 when connected.",1,genesys_cloud,can connect,,
genesys_cloud.api.requests,count,,request,,"Requests.",0,genesys_cloud,requests,,\
"oauth_client_id,oauth_client_name,status_class"
genesys_cloud.queue.longest_waiting,gauge,,second,,"Longest wait.",-1,genesys_cloud,longest wait,,\
"queue_id,queue_name,media_type"
genesys_cloud.license.concurrent.peak,gauge,,user,,"Peak.",0,genesys_cloud,peak,,license
genesys_cloud.license.purchased,gauge,,user,,"Purchased.",0,genesys_cloud,purchased,,license
"""

DASHBOARD = {
    'title': 'Genesys Cloud - Test',
    'description': 'A test dashboard.',
    'layout_type': 'ordered',
    'reflow_type': 'auto',
    'template_variables': [
        {'name': 'org', 'prefix': 'org_name', 'available_values': [], 'default': '*'},
        {'name': 'client', 'prefix': 'oauth_client_name', 'available_values': [], 'default': '*'},
    ],
    'widgets': [
        {
            'definition': {
                'type': 'group',
                'title': 'Usage',
                'layout_type': 'ordered',
                'widgets': [
                    {
                        'definition': {
                            'type': 'timeseries',
                            'title': 'Requests per client',
                            'requests': [
                                {
                                    'response_format': 'timeseries',
                                    'queries': [
                                        {
                                            'data_source': 'metrics',
                                            'name': 'q1',
                                            'query': 'sum:genesys_cloud.api.requests{$org,$client} '
                                            'by {oauth_client_name}.as_count()',
                                        }
                                    ],
                                    'formulas': [{'formula': 'q1'}],
                                    'display_type': 'bars',
                                }
                            ],
                        },
                        'layout': {'x': 0, 'y': 0, 'width': 6, 'height': 3},
                    },
                    {
                        'definition': {
                            'type': 'query_value',
                            'title': 'Longest wait',
                            'precision': 0,
                            'requests': [
                                {
                                    'response_format': 'scalar',
                                    'queries': [
                                        {
                                            'data_source': 'metrics',
                                            'name': 'q1',
                                            'query': 'max:genesys_cloud.queue.longest_waiting{$org}',
                                            'aggregator': 'last',
                                        }
                                    ],
                                    'formulas': [{'formula': 'q1'}],
                                }
                            ],
                        },
                        'layout': {'x': 6, 'y': 0, 'width': 3, 'height': 3},
                    },
                ],
            }
        }
    ],
}

MONITOR_WAIT = {
    'version': 2,
    'created_at': '2025-06-01',
    'last_updated_at': '2025-06-01',
    'title': 'Callers wait too long in a queue',
    'description': 'The oldest waiting interaction of a queue waited too long.',
    'tags': ['integration:genesys-cloud'],
    'definition': {
        'name': '[Genesys Cloud] Long wait in {{queue_name.name}}',
        'type': 'query alert',
        'query': 'max(last_5m):max:genesys_cloud.queue.longest_waiting{*} by {queue_name} > 300',
        'message': 'Queue {{queue_name.name}}: the oldest caller waited {{value}} s.',
        'tags': ['integration:genesys-cloud'],
        'options': {'thresholds': {'critical': 300, 'warning': 180}, 'notify_no_data': False, 'include_tags': True},
        'priority': None,
    },
}

MONITOR_FAILED = {
    'version': 2,
    'created_at': '2025-06-01',
    'last_updated_at': '2025-06-01',
    'title': 'OAuth client requests fail',
    'description': 'Share of failed requests per client.',
    'tags': ['integration:genesys-cloud'],
    'definition': {
        'name': '[Genesys Cloud] Failed requests for {{oauth_client_name.name}}',
        'type': 'query alert',
        'query': 'sum(last_1d):sum:genesys_cloud.api.requests{status_class:5xx} by {oauth_client_name}.as_count() '
        '/ sum:genesys_cloud.api.requests{*} by {oauth_client_name}.as_count() * 100 > 10',
        'message': '{{oauth_client_name.name}} failed {{value}}% of its requests.',
        'tags': ['integration:genesys-cloud'],
        'options': {'thresholds': {'critical': 10, 'warning': 5}},
        'priority': None,
    },
}

MONITOR_FORECAST = {
    'version': 2,
    'created_at': '2025-06-01',
    'last_updated_at': '2025-06-01',
    'title': 'Concurrent peak will cross the purchased count',
    'description': 'Forecast.',
    'tags': ['integration:genesys-cloud'],
    'definition': {
        'name': '[Genesys Cloud] {{license.name}} peak forecast',
        'type': 'query alert',
        'query': "max(next_1w):forecast(max:genesys_cloud.license.concurrent.peak{*} by {license} "
        "- max:genesys_cloud.license.purchased{*} by {license}, 'linear', 1, interval='60m', history='1w', "
        "model='default') >= 0",
        'message': '{{license.name}} will go over.',
        'tags': ['integration:genesys-cloud'],
        'options': {'thresholds': {'critical': 0}, 'threshold_windows': {'trigger_window': 'last_1h',
                                                                          'recovery_window': 'last_1h'}},
        'priority': None,
    },
}

MONITOR_LOGS = {
    'version': 2,
    'created_at': '2025-06-01',
    'last_updated_at': '2025-06-01',
    'title': 'Flows report failures',
    'description': 'Flow failures.',
    'tags': ['integration:genesys-cloud'],
    'definition': {
        'name': '[Genesys Cloud] Flow {{flow_name.name}} reports failures',
        'type': 'log alert',
        'query': 'logs("genesys_flow_event:true status:error -@evt.name:navigation").index("*").rollup("count")'
        '.by("flow_name").last("5m") > 5',
        'message': 'Flow {{flow_name.name}} posted {{value}} failures.',
        'tags': ['integration:genesys-cloud'],
        'options': {'thresholds': {'critical': 5}, 'enable_logs_sample': True},
        'priority': None,
    },
}

MONITORS = {
    'queue_wait.json': MONITOR_WAIT,
    'failed_requests.json': MONITOR_FAILED,
    'peak_forecast.json': MONITOR_FORECAST,
    'flow_failures.json': MONITOR_LOGS,
}


def write_json(path, data):
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(data, f, indent=2)


def make_project(root, dashboard=None, monitors=None):
    """Write the mini project under `root` (str); returns its path."""
    root = str(root)
    os.makedirs(os.path.join(root, 'assets', 'dashboards'), exist_ok=True)
    os.makedirs(os.path.join(root, 'assets', 'monitors'), exist_ok=True)
    with open(os.path.join(root, 'metadata.csv'), 'w', encoding='utf-8') as f:
        f.write(METADATA)
    dashboard = copy.deepcopy(dashboard or DASHBOARD)
    write_json(os.path.join(root, 'assets', 'dashboards', 'test.json'), dashboard)
    monitors = copy.deepcopy(monitors if monitors is not None else MONITORS)
    for name, data in monitors.items():
        write_json(os.path.join(root, 'assets', 'monitors', name), data)
    manifest = {
        'assets': {
            'dashboards': {dashboard['title']: 'assets/dashboards/test.json'},
            'monitors': {data['title']: f'assets/monitors/{name}' for name, data in monitors.items()},
        }
    }
    write_json(os.path.join(root, 'manifest.json'), manifest)
    return root


def edit_json(path, change):
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    change(data)
    write_json(path, data)

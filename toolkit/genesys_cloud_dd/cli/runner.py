"""Run the check outside the Agent exactly as the Agent would, and capture what it submits."""

from dataclasses import dataclass, field

import yaml
from datadog_checks.genesys_cloud.check import GenesysCloudCheck

from .preflight import UsageError

METRIC_TYPES = {0: 'gauge', 1: 'rate', 2: 'count', 3: 'monotonic_count', 4: 'counter', 5: 'histogram', 6: 'historate'}
STATUS_NAMES = {0: 'OK', 1: 'WARNING', 2: 'CRITICAL', 3: 'UNKNOWN'}


@dataclass
class Submissions:
    metrics: list = field(default_factory=list)  # dicts: name, type, value, tags
    service_checks: list = field(default_factory=list)  # dicts: name, status, tags, message
    events: list = field(default_factory=list)  # the event dicts the check sent
    error: str = ''  # the run's error report, as `datadog-agent check` prints it

    @property
    def critical(self) -> bool:
        return any(sc['status'] == 'CRITICAL' for sc in self.service_checks)


class ConfigFileError(UsageError):
    """The config file cannot be read or has no instances (a usage error: exit status 2)."""


def load_config(path):
    """Read an Agent-style conf.yaml (`init_config` + `instances`)."""
    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f) or {}
    except OSError as e:
        raise ConfigFileError(f'cannot read {path}: {e.strerror}') from None
    except yaml.YAMLError as e:
        raise ConfigFileError(f'{path} is not valid YAML: {e}') from None
    instances = data.get('instances')
    if not isinstance(instances, list) or not instances:
        raise ConfigFileError(f'{path}: `instances` must be a list with at least one instance')
    return data.get('init_config') or {}, instances


def build_check(init_config, instance, **kwargs):
    check = GenesysCloudCheck('genesys_cloud', init_config, [instance], **kwargs)
    check.check_id = f'genesys_cloud:{_instance_digest(instance)}'
    return check


def run_once(check, only=None) -> Submissions:
    """One check run (initialization included); returns what the check submitted during it."""
    from datadog_checks.base.stubs import aggregator

    aggregator.reset()
    if only:
        original = check.check
        check.check = lambda instance: original(instance, only=set(only))
    try:
        error = check.run()
    finally:
        if only:
            check.check = original
    result = Submissions(error=_error_message(error))
    for name in sorted(aggregator.metric_names):
        for stub in aggregator.metrics(name):
            result.metrics.append(
                {'name': name, 'type': METRIC_TYPES.get(stub.type, str(stub.type)), 'value': stub.value,
                 'tags': sorted(stub.tags)}
            )
    for name in sorted(aggregator.service_check_names):
        for stub in aggregator.service_checks(name):
            result.service_checks.append(
                {'name': name, 'status': STATUS_NAMES.get(stub.status, str(stub.status)), 'tags': sorted(stub.tags),
                 'message': stub.message or ''}
            )
    result.events = list(aggregator.events)
    aggregator.reset()
    return result


def _error_message(report):
    if not report:
        return ''
    import json

    try:
        return '\n'.join(entry.get('message', '') for entry in json.loads(report))
    except ValueError:
        return report


def _instance_digest(instance):
    import hashlib
    import json

    return hashlib.sha256(json.dumps(instance, sort_keys=True, default=str).encode()).hexdigest()[:16]

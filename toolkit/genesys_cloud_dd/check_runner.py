"""Run the check outside the Agent exactly as the Agent would, and capture what it submits.

The library under `check`, `agentless`, `demo`, asset validation's catalog runs and the companion scenes: an
Agent-style conf.yaml read with its ENC[] values resolved (secrets.py), the check built and initialized, one run's
submissions drained from the recorder (agent_host). It knows nothing of the command line.
"""

from dataclasses import dataclass, field

import yaml
from datadog_checks.genesys_cloud.check import GenesysCloudCheck

from .agent_host import AGGREGATOR, RECORDER
from .errors import ConfigFileError, UsageError
from .fixed_clock import toolkit_clock


class RecordedCheck(GenesysCloudCheck):
    """The check class the Agent runs, submitting to the toolkit's recorder (agent_host).

    In a toolkit process agent_host.install() already made AGGREGATOR the aggregator datadog_checks.base uses;
    this override is for processes that imported datadog_checks.base first (the test suite, with its stubs), so
    the toolkit's code paths record the same way there."""

    def _aggregator(self):
        return AGGREGATOR


@dataclass
class Submissions:
    metrics: list = field(default_factory=list)  # dicts: name, type, value, tags
    service_checks: list = field(default_factory=list)  # dicts: name, status, tags, message
    events: list = field(default_factory=list)  # the event dicts the check sent
    error: str = ''  # the run's error report, as `datadog-agent check` prints it

    @property
    def critical(self) -> bool:
        return any(sc['status'] == 'CRITICAL' for sc in self.service_checks)


def load_config(path, secret_backend=None):
    """Read an Agent-style conf.yaml (`init_config` + `instances`), ENC[] values resolved (secrets.py)."""
    from .secrets import resolve

    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f) or {}
    except OSError as e:
        raise ConfigFileError(f'cannot read {path}: {e.strerror}') from None
    except yaml.YAMLError as e:
        raise ConfigFileError(f'{path} is not valid YAML: {e}') from None
    if not isinstance(data, dict):
        raise ConfigFileError(f'{path}: expected a mapping with `init_config` and `instances`')
    instances = data.get('instances')
    if not isinstance(instances, list) or not instances:
        raise ConfigFileError(f'{path}: `instances` must be a list with at least one instance')
    data = resolve(data, secret_backend)
    return data.get('init_config') or {}, data['instances']


def build_check(init_config, instance, **kwargs):
    kwargs.setdefault('clock', toolkit_clock())
    check = RecordedCheck('genesys_cloud', init_config, [instance], **kwargs)
    check.check_id = f'genesys_cloud:{_instance_digest(instance)}'
    return check


def initialize(check, instance_label='instance'):
    """Load the config models and build the client now, so a bad config is reported as such (exit 2).

    Raises UsageError naming the option; the check's own secret sanitizer is applied to the message.
    """
    from datadog_checks.base import ConfigurationError

    try:
        check.run_check_initializations()
    except ConfigurationError as e:
        raise UsageError(f'{instance_label}: invalid configuration: {check.sanitize(str(e))}') from None


def run_once(check, only=None) -> Submissions:
    """One check run (initialization included); returns what the check submitted during it."""
    RECORDER.drain(check.check_id)
    if only:
        original = check.check
        check.check = lambda instance: original(instance, only=set(only))
    try:
        error = check.run()
    finally:
        if only:
            check.check = original
    submitted = RECORDER.drain(check.check_id)
    result = Submissions(error=_error_message(error))
    result.metrics = sorted(submitted['metrics'], key=lambda m: m['name'])
    result.service_checks = sorted(submitted['service_checks'], key=lambda sc: sc['name'])
    result.events = submitted['events']
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

"""The toolkit's stand-in for the Datadog Agent: what the Agent embeds for checks, so no test stub runs here.

The Agent gives every check built-in modules: `aggregator` (where submissions go), `datadog_agent` (config,
hostname, persistent cache, logging) and `tagger` (container tags). `datadog_checks.base` imports them when
they exist and falls back to its test stubs otherwise; the stubs enforce ddev's tag rules (no `env`, `host`,
`service` tags), which the real Agent does not. `install()` registers this module's own, so a check run by
`genesys-cloud-dd` takes the Agent's code path and accepts every tag the Agent accepts. It must run before
`datadog_checks.base` is imported: importing the toolkit package does it.

Submissions are kept in RECORDER, per check id, until the runner drains them (check_runner.py).
"""

import sys
import threading
import time
import types

# The Agent's metric type enum, as `aggregator.GAUGE` etc.
METRIC_TYPES = ('gauge', 'rate', 'count', 'monotonic_count', 'counter', 'histogram', 'historate')
STATUS_NAMES = ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')


class Recorder:
    """What the checks of this process submitted, per check id, in submission order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_check = {}
        # None keeps every metric; a set of names keeps only those and counts the rest in `discarded`, as the
        # Agent keeps nothing in Python (the benchmark's memory and CPU are then the check's, not the recorder's).
        self.keep_metrics = None
        self.discarded = 0

    def _bucket(self, check_id):
        return self._by_check.setdefault(check_id, {'metrics': [], 'service_checks': [], 'events': []})

    def metric(self, check_id, mtype, name, value, tags):
        if self.keep_metrics is not None and name not in self.keep_metrics:
            self.discarded += 1
            return
        kind = METRIC_TYPES[mtype] if 0 <= mtype < len(METRIC_TYPES) else str(mtype)
        with self._lock:
            self._bucket(check_id)['metrics'].append(
                {'name': name, 'type': kind, 'value': value, 'tags': sorted(tags or ())})

    def service_check(self, check_id, name, status, tags, message):
        status_name = STATUS_NAMES[status] if 0 <= status < len(STATUS_NAMES) else str(status)
        with self._lock:
            self._bucket(check_id)['service_checks'].append(
                {'name': name, 'status': status_name, 'tags': sorted(tags or ()), 'message': message or ''})

    def event(self, check_id, event):
        with self._lock:
            self._bucket(check_id)['events'].append(dict(event))

    def drain(self, check_id):
        """Everything `check_id` submitted since the last drain, and forget it."""
        with self._lock:
            return self._by_check.pop(check_id, None) or {'metrics': [], 'service_checks': [], 'events': []}


RECORDER = Recorder()


def _aggregator_module():
    module = types.ModuleType('aggregator', 'Where checks run by genesys-cloud-dd submit (agent_host.RECORDER).')
    for value, name in enumerate(METRIC_TYPES):
        setattr(module, name.upper(), value)

    def submit_metric(check, check_id, mtype, name, value, tags, hostname, flush_first_value=False):
        RECORDER.metric(check_id, mtype, name, value, tags)  # no hostname: the org tags say where data is from

    def submit_service_check(check, check_id, name, status, tags, hostname, message):
        RECORDER.service_check(check_id, name, status, tags, message)

    def submit_event(check, check_id, event):
        RECORDER.event(check_id, event)

    def submit_histogram_bucket(check, check_id, name, value, lower_bound, upper_bound, monotonic, hostname, tags,
                                flush_first_value=False):
        RECORDER.metric(check_id, METRIC_TYPES.index('histogram'), name, value, tags)

    def submit_event_platform_event(check, check_id, raw_event, event_type):
        pass  # database monitoring payloads: this check sends none

    module.submit_metric = submit_metric
    module.submit_service_check = submit_service_check
    module.submit_event = submit_event
    module.submit_histogram_bucket = submit_histogram_bucket
    module.submit_event_platform_event = submit_event_platform_event
    return module


class _AgentServices:
    """`datadog_agent`: the Agent services a check calls, answered for a single process."""

    LEVEL_NAMES = {50: 'CRITICAL', 40: 'ERROR', 30: 'WARN', 20: 'INFO', 10: 'DEBUG', 7: 'TRACE'}

    def __init__(self):
        self.config = {'log_level': 'warning'}
        self.hostname = ''
        self._cache = {}
        self._started = time.time()

    # configuration and identity
    def get_config(self, key):
        return self.config.get(key)

    def get_hostname(self):
        return self.hostname

    def get_host_tags(self):
        return '{}'

    def get_clustername(self):
        return ''

    def get_version(self):
        from .__about__ import __version__

        return f'genesys-cloud-dd/{__version__}'

    def get_process_start_time(self):
        return self._started

    def tracemalloc_enabled(self, *args, **kwargs):
        return False

    # logging: base's AgentLogHandler on the root logger formats each record and hands it here
    def log(self, message, level):
        from .fixed_clock import log_time  # not at the top: this module must load before datadog_checks.base

        name = self.LEVEL_NAMES.get(level, str(level))
        stamp = time.strftime('%Y-%m-%d %H:%M:%S', log_time())
        sys.stderr.write(f'{stamp} {name} {message}\n')

    # persistent cache: this process's lifetime (agentless keeps its own in --state-dir)
    def read_persistent_cache(self, key):
        return self._cache.get(key, '')

    def write_persistent_cache(self, key, value):
        self._cache[key] = value

    # services this check does not use, answered as no-ops the way an Agent without them would
    def set_check_metadata(self, check_id, name, value):
        pass

    def set_external_tags(self, external_tags):
        pass

    def send_log(self, log_line, check_id):
        pass

    def emit_agent_telemetry(self, check_name, metric_name, metric_value, metric_type):
        pass

    def report_issue(self, check_name, report_json):
        pass

    def resolve_issue(self, issue_id):
        pass

    def obfuscate_sql(self, query, options=None):
        return query

    def obfuscate_sql_exec_plan(self, plan, normalize=False):
        return plan

    def obfuscate_mongodb_string(self, command):
        return command


def _datadog_agent_module():
    services = _AgentServices()
    module = types.ModuleType('datadog_agent', 'Agent services for checks run by genesys-cloud-dd.')
    for name in dir(services):
        if not name.startswith('_') and callable(getattr(services, name)):
            setattr(module, name, getattr(services, name))
    module.services = services
    return module


def _tagger_module():
    module = types.ModuleType('tagger', 'Container tags: a process outside containers has none.')
    module.LOW, module.ORCHESTRATOR, module.HIGH = range(3)
    module.tag = lambda entity, cardinality: []
    module.get_tags = lambda entity, high_card: []
    return module


AGGREGATOR = _aggregator_module()


def install(log_level='warning'):
    """Make this process an Agent host for checks. Returns False when datadog_checks.base was imported first
    (it then keeps what it found: only tests do that), True otherwise."""
    if 'aggregator' in sys.modules and 'datadog_agent' in sys.modules:
        agent = sys.modules['datadog_agent']
        if hasattr(agent, 'services'):
            agent.services.config['log_level'] = log_level
            return True
    if 'datadog_checks.base.agent' in sys.modules:
        return False
    sys.modules['aggregator'] = AGGREGATOR
    sys.modules.setdefault('tagger', _tagger_module())
    agent = _datadog_agent_module()
    agent.services.config['log_level'] = log_level
    sys.modules['datadog_agent'] = agent
    return True

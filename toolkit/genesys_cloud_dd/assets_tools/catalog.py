"""What the check emits, metric by metric: the catalog asset validation checks queries against.

From metadata.csv (`sample_tags`, the contract), or from real check runs on the local emulator (the catalog runs:
every collector made to emit, plus the companion module's metrics from an instrumented integration when the
companion is installed), falling back to metadata.csv for a metric the runs did not emit.
"""

import copy
import csv
import logging
import re
from dataclasses import dataclass, field

BASE_TAG_KEYS = ('org_id', 'org_name', 'region')  # added by the check to every submission (check.py, org.py)


@dataclass
class Catalog:
    """What the check emits: metric name -> metric type and the tag keys its points carry."""

    metrics: dict = field(default_factory=dict)  # name -> {'type': str, 'tags': set}
    source: str = 'metadata.csv'
    unseen: set = field(default_factory=set)  # emulator source: metrics the runs did not emit (metadata fallback)
    event_tags: set = field(default_factory=set)  # emulator source: tag keys of the check's own events

    @property
    def all_tag_keys(self):
        return set(BASE_TAG_KEYS).union(*(m['tags'] for m in self.metrics.values()))


def load_catalog(metadata_path):
    catalog = Catalog()
    with open(metadata_path, encoding='utf-8', newline='') as f:
        for row in csv.DictReader(f):
            name = (row.get('metric_name') or '').strip()
            if not name:
                continue
            keys = {t.split(':', 1)[0] for t in re.split(r'[,\s]+', row.get('sample_tags') or '') if t}
            catalog.metrics[name] = {'type': (row.get('metric_type') or '').strip(), 'tags': keys}
    return catalog


def catalog_from_submissions(runs, metadata_catalog, source='an emulator run'):
    """What check runs really emitted: each metric's tag keys as seen, plus its metadata.csv sample_tags.

    Metrics no run emitted keep their metadata.csv tags and are listed in `unseen`. Only metrics of metadata.csv
    count as existing: it is the contract (`ddev validate metadata` checks it, the Agent ships it).
    """
    seen = {}
    event_tags = set()
    for submissions in runs:
        for m in submissions.metrics:
            seen.setdefault(m['name'], set()).update(t.split(':', 1)[0] for t in m['tags'])
        for event in submissions.events:
            event_tags.update(t.split(':', 1)[0] for t in event.get('tags') or [])
    catalog = Catalog(source=source, event_tags=event_tags - set(BASE_TAG_KEYS))
    for name, entry in metadata_catalog.metrics.items():
        tags = set(entry['tags']) | (seen.get(name, set()) - set(BASE_TAG_KEYS))
        catalog.metrics[name] = {'type': entry['type'], 'tags': tags}
        if name not in seen:
            catalog.unseen.add(name)
    return catalog


# Emulator settings that make every collector emit: a licence baseline and a contract charge mapping (licence
# utilization/overage), a fair-use allowance; the clock moves between runs so windowed counts close.
CATALOG_ORG = {'seed': 42, 'users': 60, 'queues': 5, 'oauth_clients': 4}
CATALOG_INSTANCE = {
    'billing': {'license_charges': {'cloudCX3': 'GC-CX3-CONCURRENT'}, 'license_baseline': {'cloudCX1': 5}},
    'api_usage': {'fair_use_allowance': 1000000},
}
CATALOG_RUNS = 3
CATALOG_STEP_MINUTES = 6


def emulator_catalog(metadata_catalog):
    """Run the check a few times against the local emulator and catalogue the tags each metric really carries;
    the companion's metrics come from an instrumented integration's run on the same emulator, when the companion
    module is installed (otherwise they stay unseen, with their metadata.csv tags)."""
    from datadog_checks.genesys_cloud.clock import FakeClock

    from ..emulator import Emulator, OrgOptions

    clock = FakeClock()
    logging.disable(logging.ERROR)  # the injected faults make the check log one line each: expected here
    try:
        with Emulator(OrgOptions(**CATALOG_ORG), clock=clock, job_polls=0) as emulator:
            runs = _catalog_runs(emulator, clock)
            runs += _companion_runs(emulator)
    finally:
        logging.disable(logging.NOTSET)
    what = 'check and companion' if len(runs) > CATALOG_RUNS else 'check'
    return catalog_from_submissions(runs, metadata_catalog,
                                    source=f'metadata.csv + {CATALOG_RUNS} {what} emulator runs')


def _companion_runs(emulator):
    from types import SimpleNamespace

    from .. import companion_run

    if not companion_run.available():
        return []
    return [SimpleNamespace(metrics=companion_run.sample_run(emulator), events=[])]


def _catalog_runs(emulator, clock):
    from datetime import timedelta

    from ..check_runner import build_check, run_once
    from ..emulator.data.ratelimits import ratelimit_history

    instance = {'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
                'api_url': emulator.url, 'login_url': emulator.url, **copy.deepcopy(CATALOG_INSTANCE)}
    check = build_check({}, instance, clock=clock)
    other = next(c for c in emulator.org.oauth_clients if not c.is_check_client)
    runs = []
    for i in range(CATALOG_RUNS):
        runs.append(run_once(check))
        clock.advance(minutes=CATALOG_STEP_MINUTES)
        if i == 0:  # a limit approach by another client, so rate_limit.recorded is emitted with its tags
            ratelimit_history(emulator.org).late(clock.now() - timedelta(minutes=2), 'platform.api',
                                                 'token.rate.per.minute', other.id, 3)
        if i == CATALOG_RUNS - 2:  # one 429 and one failed request, for check.rate_limited / check.api_errors
            # (the routing activity query: polled every minute with or without notifications)
            emulator.faults.add('POST /api/v2/analytics/routing/activity/query', status=429, retry_after=1,
                                times=1)
            emulator.faults.add('POST /api/v2/analytics/ratelimits/aggregates/query', status=400, times=1)
    return runs

"""Every metric name written anywhere in the assets (queries, notes, descriptions) is one metadata.csv lists."""

import csv
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METRIC = re.compile(r'genesys_cloud\.[a-z0-9_.]+[a-z0-9_]')


def test_assets_name_only_listed_metrics():
    with open(ROOT / 'metadata.csv', encoding='utf-8') as f:
        names = {row['metric_name'] for row in csv.DictReader(f)}
    names |= {sc['check'] for sc in json.loads((ROOT / 'assets' / 'service_checks.json').read_text())}
    used = {
        (path.name, name)
        for path in (ROOT / 'assets').rglob('*.json')
        for name in METRIC.findall(path.read_text(encoding='utf-8'))
    }
    assert len({path for path, _ in used}) > 10  # the dashboards and monitors were found and read
    assert {(path, name) for path, name in used if name not in names} == set()


def test_companion_metrics_are_the_ones_a_companion_run_emits(emulator):
    """metadata.csv's velocity family is emitted by the companion module (not the check): an instrumented
    integration on the emulator sends exactly these names, each with exactly its sample_tags."""
    from genesys_cloud_dd import companion_run
    from genesys_cloud_dd.assets_tools.validate import COMPANION_PREFIX

    with open(ROOT / 'metadata.csv', encoding='utf-8') as f:
        rows = {row['metric_name']: row for row in csv.DictReader(f) if row['metric_name'].startswith(COMPANION_PREFIX)}
    assert set(rows) == {f'{COMPANION_PREFIX}{m}' for m in ('requests', 'latency', 'rate_limited', 'retry_after')}
    emitted = {}
    for metric in companion_run.sample_run(emulator):
        entry = emitted.setdefault(metric['name'], {'types': set(), 'tags': set()})
        entry['types'].add(metric['type'])
        entry['tags'].update(t.split(':', 1)[0] for t in metric['tags'])
    assert set(emitted) == set(rows)
    # The pinned ddev (requirements/ddev.txt) accepts only count, gauge and rate in metadata.csv: the two
    # distributions are listed there as gauge, and their descriptions say they are distributions.
    listed = {'count': 'count', 'distribution': 'gauge'}
    for name, row in rows.items():
        assert {listed[t] for t in emitted[name]['types']} == {row['metric_type']}, name
        assert emitted[name]['tags'] == set(row['sample_tags'].split(',')), name

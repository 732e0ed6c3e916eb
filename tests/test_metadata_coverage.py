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

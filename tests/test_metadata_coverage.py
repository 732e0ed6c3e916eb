"""Every metric name written anywhere in the assets (queries, notes, descriptions) is one metadata.csv lists."""

import csv
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METRIC = re.compile(r'genesys_cloud\.[a-z0-9_.]+[a-z0-9_]')


def test_assets_name_only_listed_metrics():
    names = {row['metric_name'] for row in csv.DictReader(open(ROOT / 'metadata.csv'))}
    names |= {sc['check'] for sc in json.loads((ROOT / 'assets' / 'service_checks.json').read_text())}
    unknown = {
        (path.name, name)
        for path in (ROOT / 'assets').rglob('*.json')
        for name in METRIC.findall(path.read_text())
        if name not in names
    }
    assert unknown == set()

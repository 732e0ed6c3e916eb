"""Dashboard previews: every dashboard drawn from a simulated run of the check against the emulator, listed in
the manifest's media and shown by the README; widget queries evaluated over the runs as Datadog would."""

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from genesys_cloud_dd.assets_tools import preview as p
from genesys_cloud_dd.assets_tools.simulate import Snapshot, simulate_day

ROOT = Path(__file__).resolve().parents[1]


def png_size(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n'
    return struct.unpack('>II', head[16:24])


@pytest.fixture(scope='module')
def snapshots():
    return simulate_day(hours=2, step_minutes=30)


def test_simulated_runs_are_what_the_check_submitted(snapshots):
    assert len(snapshots) == 5
    assert [round(b.time - a.time) >= 1800 for a, b in zip(snapshots, snapshots[1:])] == [True] * 4
    for snapshot in snapshots:
        names = {m['name'] for m in snapshot.metrics}
        assert 'genesys_cloud.api.can_connect' in names and 'genesys_cloud.queue.waiting' in names
    end = p.datetime(2026, 11, 20, 15, 0, tzinfo=p.timezone.utc).timestamp()  # the demo's instant
    assert end <= snapshots[-1].time < end + 600


def test_every_dashboard_is_drawn(snapshots, tmp_path):
    written = p.render_all(str(tmp_path), snapshots)
    dashboards = sorted((ROOT / 'assets' / 'dashboards').glob('*.json'))
    assert len(written) == len(dashboards) == 7
    for (title, path), source in zip(written, dashboards):
        assert title == json.loads(source.read_text())['title']
        width, height = png_size(path)
        assert width == 1280 and height > 400  # 16 inches at 80 dpi; as tall as the dashboard's rows


def test_formulas_groups_and_aggregators_are_evaluated_over_the_runs():
    def point(name, value, kind='gauge', **tags):
        return {'name': name, 'type': kind, 'value': value, 'tags': [f'{k}:{v}' for k, v in tags.items()]}

    snaps = [Snapshot(0, [point('genesys_cloud.x.used', 30, lic='a'), point('genesys_cloud.x.used', 10, lic='b'),
                          point('genesys_cloud.x.bought', 60, lic='a'), point('genesys_cloud.x.bought', 20, lic='b')]),
             Snapshot(60, [point('genesys_cloud.x.used', 45, lic='a'), point('genesys_cloud.x.bought', 60, lic='a')])]
    request = p.Request({'queries': [
        {'data_source': 'metrics', 'name': 'q1', 'query': 'max:genesys_cloud.x.used{$org} by {lic}'},
        {'data_source': 'metrics', 'name': 'q2', 'query': 'max:genesys_cloud.x.bought{$org} by {lic}'}],
        'formulas': [{'formula': '100 * q1 / q2', 'alias': 'share'}]})
    [(formula, tree)] = request.formulas
    assert request.at(tree, snaps[0]) == {('a',): 50.0, ('b',): 50.0}
    assert request.at(tree, snaps[1]) == {('a',): 75.0}
    # a scalar widget takes each group's last value (the query's aggregator), labelled with the alias
    assert sorted((label, value) for label, value, _ in p._scalars([request], snaps)) == [('share: a', 75.0),
                                                                                        ('share: b', 50.0)]
    summed = p.Request({'queries': [{'data_source': 'metrics', 'name': 'q1', 'aggregator': 'sum',
                                     'query': 'sum:genesys_cloud.x.used{*}'}], 'formulas': [{'formula': 'q1'}]})
    assert [value for _, value, _ in p._scalars([summed], snaps)] == [85.0]  # 40 then 45, summed over the day


def test_a_widget_without_data_says_why():
    velocity = p.Request({'queries': [{'data_source': 'metrics', 'name': 'q1',
                                       'query': 'sum:genesys_cloud.velocity.requests{*}.as_count()'}]})
    assert 'sent by the companion module' in p._why_empty([velocity])
    logs = p.Request({'queries': [{'data_source': 'logs', 'name': 'q1', 'search': {'query': 'x'}}]})
    assert p._why_empty([logs]).startswith('logs query: drawn in Datadog from the logs the flows post')
    shifted = p.Request({'queries': [{'data_source': 'metrics', 'name': 'q1',
                                      'query': 'max:genesys_cloud.objects.count{*}'}],
                         'formulas': [{'formula': 'q1 - week_before(q1)'}]})
    assert shifted.formulas == [] and 'week_before(): compares with a week ago' in p._why_empty([shifted])


def test_layout_stacks_groups_without_a_layout_and_offsets_their_widgets():
    dashboard = {'widgets': [
        {'definition': {'type': 'group', 'title': 'A', 'widgets': [
            {'definition': {'type': 'note'}, 'layout': {'x': 0, 'y': 0, 'width': 12, 'height': 2}},
            {'definition': {'type': 'note'}, 'layout': {'x': 6, 'y': 2, 'width': 6, 'height': 3}}]}},
        {'definition': {'type': 'group', 'title': 'B', 'widgets': [
            {'definition': {'type': 'note'}, 'layout': {'x': 0, 'y': 0, 'width': 4, 'height': 2}}]}}]}
    cells, rows = p._layout(dashboard)
    assert [(c[1], c[2], c[3], c[4]) for c in cells] == [(0, 0, 12, 6), (0, 1, 12, 2), (6, 3, 6, 3),
                                                         (0, 6, 12, 3), (0, 7, 4, 2)]
    assert rows == 9


def test_manifest_media_and_readme_show_every_dashboard():
    manifest = json.loads((ROOT / 'manifest.json').read_text())
    media = manifest['tile']['media']
    dashboards = manifest['assets']['dashboards']
    expected = {f'images/{p.preview_name(path)}' for path in dashboards.values()}
    assert {m['image_url'] for m in media} == expected and len(media) == len(dashboards)
    assert all(m['media_type'] == 'image' and m['caption'] for m in media)
    readme = (ROOT / 'README.md').read_text()
    for url in expected:
        assert (ROOT / url).is_file(), url
        assert png_size(ROOT / url)[0] == 1280
        assert re.search(rf'!\[[^\]]+\]\({re.escape(url)}\)', readme), url


def test_preview_without_matplotlib_says_how_to_install(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None; from genesys_cloud_dd.cli.main import main; "
            f"sys.exit(main(['assets', 'preview', '-o', {str(tmp_path / 'out')!r}]))")
    proc = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert 'pip install "./toolkit[reports]"' in proc.stderr
    assert not (tmp_path / 'out').exists()

"""The wheel installs the way `datadog-agent integration install -w` installs it, and the Agent can load it.

A fresh virtual environment gets only datadog-checks-base and what the Agent ships, then the wheel with
--no-deps (the Agent's embedded pip never installs dependencies). A script in that environment imports
`datadog_checks.genesys_cloud` and picks the check class the way the Agent's loader does, then runs one
check against the emulator served from this test process.
"""

import json
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AGENT_SHIPPED = [
    'datadog-checks-base', 'binary', 'cachetools', 'cryptography', 'jellyfish', 'lazy-loader', 'prometheus-client',
    'pydantic', 'python-dateutil', 'pyyaml', 'requests', 'requests-toolbelt', 'requests-unixsocket2', 'simplejson',
    'websocket-client', 'wrapt',
]

LOADER = textwrap.dedent('''
    import importlib, inspect, json, sys
    from datadog_checks.base import AgentCheck
    # What rtloader does: import datadog_checks.<name> first, then take the first leaf AgentCheck subclass.
    module = importlib.import_module('datadog_checks.genesys_cloud')
    candidates = [getattr(module, n) for n in dir(module)]
    classes = [c for c in candidates if inspect.isclass(c) and issubclass(c, AgentCheck) and c is not AgentCheck
               and not c.__subclasses__()]
    check_class = classes[0]
    instance = json.loads(sys.argv[1])
    check = check_class('genesys_cloud', {}, [instance])
    check.check_id = 'genesys_cloud:wheel'
    error = check.run()
    from datadog_checks.base.stubs import aggregator
    print(json.dumps({
        'class': check_class.__name__, 'module_file': module.__file__, 'version': module.__version__,
        'error': error, 'config_model': type(check._config_model_instance).__name__,
        'can_connect': [m.value for m in aggregator.metrics('genesys_cloud.api.can_connect')],
        'metrics': sorted(aggregator.metric_names),
    }))
''')


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    subprocess.run([sys.executable, '-m', 'build', '--wheel', '--no-isolation', '--outdir', str(out), str(ROOT)],
                   check=True, capture_output=True)
    return next(out.glob('datadog_genesys_cloud-*.whl'))


@pytest.fixture(scope='module')
def agent_env(tmp_path_factory, wheel):
    env_dir = tmp_path_factory.mktemp('agent-env')
    venv.create(env_dir, with_pip=True)
    python = env_dir / 'bin' / 'python'
    pip = [str(python), '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    subprocess.run(pip + AGENT_SHIPPED, check=True, capture_output=True)
    subprocess.run(pip + ['--no-deps', str(wheel)], check=True, capture_output=True)
    return python


# Everything the Agent wheel may hold under datadog_checks/genesys_cloud/: the check and what it imports.
CHECK_TOP_LEVEL = {
    '__about__.py', '__init__.py', 'check.py', 'clock.py', 'health.py', 'periods.py', 'regions.py', 'scheduler.py',
    'settings.py', 'state.py', 'tagging.py', 'typos.py', 'client/', 'collectors/', 'config_models/', 'data/',
    'notifications/',
}


@pytest.mark.slow
def test_wheel_layout_matches_what_the_agent_installs(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert 'datadog_checks/genesys_cloud/__init__.py' in names
    assert 'datadog_checks/genesys_cloud/data/conf.yaml.example' in names
    assert 'datadog_checks/genesys_cloud/config_models/instance.py' in names
    assert not any(n.startswith('genesys_cloud/') for n in names)
    package = [n[len('datadog_checks/genesys_cloud/'):] for n in names if n.startswith('datadog_checks/genesys_cloud/')]
    top_level = {p.split('/', 1)[0] + ('/' if '/' in p else '') for p in package}
    assert top_level == CHECK_TOP_LEVEL  # no emulator, CLI, reports, asset tooling, flow kit or Agent-less runner
    outside = {n.split('/', 1)[0] for n in names if not n.startswith('datadog_checks/genesys_cloud/')}
    assert outside == {next(n.split('/', 1)[0] for n in names if '.dist-info/' in n)}
    assert not any(n.endswith('entry_points.txt') for n in names)  # no console script in the Agent
    source_lines = sum(zipfile.ZipFile(wheel).read(n).count(b'\n') for n in names if n.endswith('.py'))
    print(f'Agent wheel: {len(names)} files, {source_lines} lines of Python')
    metadata = next(n for n in names if n.endswith('.dist-info/METADATA'))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert 'Name: datadog-genesys-cloud' in text
    requires = [line for line in text.splitlines() if line.startswith('Requires-Dist:') and 'extra ==' not in line]
    assert requires == ['Requires-Dist: datadog-checks-base>=37.0.0']


@pytest.mark.slow
def test_toolkit_wheel_carries_its_commands_and_project_files(tmp_path):
    subprocess.run([sys.executable, '-m', 'build', '--wheel', '--no-isolation', '--outdir', str(tmp_path),
                    str(ROOT / 'toolkit')], check=True, capture_output=True)
    toolkit = next(tmp_path.glob('genesys_cloud_dd-*.whl'))
    names = set(zipfile.ZipFile(toolkit).namelist())
    for path in ('metadata.csv', 'manifest.json', 'assets/service_checks.json',
                 'assets/dashboards/genesys_cloud_overview.json', 'assets/monitors/cannot_connect.json',
                 'architect_snippets/archy/data-action-failure.yaml'):
        assert f'genesys_cloud_dd/project/{path}' in names, path
    for module in ('cli/main.py', 'emulator/server.py', 'agentless/runner.py', 'reports/limits.py',
                   'flows/render.py', 'assets_tools/validate.py', 'agent_host.py'):
        assert f'genesys_cloud_dd/{module}' in names, module
    assert not any(n.startswith('datadog_checks/') for n in names)  # the check comes from its own wheel
    entry_points = next(n for n in names if n.endswith('entry_points.txt'))
    assert 'genesys-cloud-dd = genesys_cloud_dd.cli.main:main' in zipfile.ZipFile(toolkit).read(entry_points).decode()


@pytest.mark.slow
def test_agent_loader_finds_and_runs_the_check(agent_env, emulator):
    instance = {'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
                'api_url': emulator.url, 'login_url': emulator.url}
    result = subprocess.run([str(agent_env), '-c', LOADER, json.dumps(instance)], capture_output=True, text=True,
                            cwd='/', timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report['class'] == 'GenesysCloudCheck'
    assert '/site-packages/datadog_checks/genesys_cloud/' in report['module_file']
    assert report['config_model'] == 'InstanceConfig'  # the config-model trap is avoided
    assert report['error'] == ''
    assert report['can_connect'] == [1]
    assert 'genesys_cloud.check.api_requests' in report['metrics']


@pytest.mark.slow
def test_agent_loader_rejects_bad_config_with_the_option_name(agent_env):
    instance = {'client_id': 'x', 'client_secret': 'y', 'region': 'moon_1'}
    result = subprocess.run([str(agent_env), '-c', LOADER, json.dumps(instance)], capture_output=True, text=True,
                            cwd='/', timeout=120)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert 'region' in report['error'] and 'valid regions' in report['error']


def _requires(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    text = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith('.dist-info/METADATA'))).decode()
    return [line.split(':', 1)[1].strip() for line in text.splitlines() if line.startswith('Requires-Dist:')]


@pytest.mark.slow
def test_toolkit_from_a_clone_takes_the_check_from_the_clone(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != 'GENESYS_CLOUD_DD_PORTABLE'}
    subprocess.run([sys.executable, '-m', 'build', '--wheel', '--no-isolation', '--outdir', str(tmp_path),
                    str(ROOT / 'toolkit')], check=True, capture_output=True, env=env)
    requires = _requires(next(tmp_path.glob('genesys_cloud_dd-*.whl')))
    assert f'datadog-genesys-cloud[agent] @ {ROOT.resolve().as_uri()}' in requires
    assert not [r for r in requires if r.startswith('genesys-cloud-dd')]


@pytest.mark.slow
def test_toolkit_wheel_installs_alone_beside_the_check_wheel(tmp_path, wheel):
    """The wheels `make wheel` writes, handed on: an empty environment, `pip install --find-links dist`."""
    import os
    import shutil

    dist = tmp_path / 'dist'
    dist.mkdir()
    shutil.copy(wheel, dist)
    subprocess.run([sys.executable, '-m', 'build', '--wheel', '--no-isolation', '--outdir', str(dist),
                    str(ROOT / 'toolkit')], check=True, capture_output=True,
                   env={**os.environ, 'GENESYS_CLOUD_DD_PORTABLE': '1'})
    toolkit = next(dist.glob('genesys_cloud_dd-*.whl'))
    assert 'datadog-genesys-cloud[agent]' in _requires(toolkit)  # by name: found beside it, not in a clone
    env_dir = tmp_path / 'env'
    venv.create(env_dir, with_pip=True)
    subprocess.run([str(env_dir / 'bin' / 'python'), '-m', 'pip', 'install', '-q', '--disable-pip-version-check',
                    '--find-links', str(dist), str(toolkit)], check=True, capture_output=True, cwd=tmp_path)
    proc = subprocess.run([str(env_dir / 'bin' / 'genesys-cloud-dd'), '--version'], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('genesys-cloud-dd ') and '(check genesys_cloud ' in proc.stdout

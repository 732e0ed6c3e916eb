"""What the docs say runs: every shell command of README.md and docs/*.md, run as a reader would.

The toolkit is installed into an empty virtual environment by the README's own install command; then every
block runs in a bash shell from a directory outside the repository (tests/docs_commands.py says how blocks
are read). The directory holds `conf.yaml` (the emulator started here, with `env`, `service` and `host` tags),
`bad.yaml` (an invalid interval) and `datadog-genesys-cloud`, a link to the clone. DD_DD_URL sends everything
meant for Datadog to a local fake; `127.0.0.1:8080` in a command means the emulator of this test. Each command
must exit 0 (non-zero where the docs show an `Error`), show the first output line the docs show (the shape of
its opening: numbers, ids and URLs aside) and print no secret.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml
from datadog_checks.genesys_cloud.clock import Clock

from genesys_cloud_dd.emulator import Emulator, OrgOptions
from tests.conftest import CANARIES, DD_API_KEY_CANARY, SECRET_CANARY
from tests.docs_commands import blocks, normalise
from tests.fake_datadog import FakeDatadog

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md'))
INSTALL = 'pip install "./toolkit[reports]"'
EMULATOR_PORT = re.compile(r'(127\.0\.0\.1|localhost):8080\b|--port 8080\b')


def all_blocks():
    return [block for path in DOCS for block in blocks(path, ROOT)]


def test_docs_have_commands_and_every_skip_says_why():
    found = all_blocks()
    commands = [c for b in found for c in b.commands]
    assert sum(1 for c in commands if 'genesys-cloud-dd' in c.text) >= 10
    assert any(INSTALL in c.text for c in commands), 'the README must show the one install command'
    marked = sum(path.read_text(encoding='utf-8').count('<!-- not run here') for path in DOCS)
    assert sum(1 for block in found if block.skip) == marked  # every marked block is recognised as skipped
    for block in found:
        assert not block.skip or len(block.skip) > 10, f'{block.source}: say why the block is not run'
        for command in block.commands:
            if re.search(r'#\s*not run here', command.text):
                assert len(command.skip) > 10, f'{command.source}: say why it is not run'


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def reader(tmp_path_factory):
    """A reader's machine: an empty venv on PATH, a working directory outside the clone, a Genesys Cloud
    emulator and a fake Datadog."""
    work = tmp_path_factory.mktemp('reader')
    env_dir = work / 'venv'
    venv.create(env_dir, with_pip=True)
    (work / 'datadog-genesys-cloud').symlink_to(ROOT)
    # pipx, as a reader has it on PATH (requirements/dev.txt installs it), putting its environments under work/
    tools = work / 'tools'
    tools.mkdir()
    (tools / 'pipx').symlink_to(Path(sys.executable).parent / 'pipx')
    with Emulator(OrgOptions(seed=11, users=30, queues=3, oauth_clients=4), clock=Clock(), job_polls=0,
                  client_secret=SECRET_CANARY) as emulator, FakeDatadog() as fake:
        instance = {'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
                    'api_url': emulator.url, 'login_url': emulator.url, 'tags': ['env:prod', 'service:x', 'host:y']}
        (work / 'conf.yaml').write_text(yaml.safe_dump({'init_config': {}, 'instances': [instance]}))
        bad = {**instance, 'org': {'interval': 'soon'}}
        (work / 'bad.yaml').write_text(yaml.safe_dump({'init_config': {}, 'instances': [bad]}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(('DD_', 'GENESYS_', 'PYTHON', 'VIRTUAL_ENV'))}
        env.update(PATH=os.pathsep.join([str(env_dir / 'bin'), env['PATH'], str(tools)]), VIRTUAL_ENV=str(env_dir),
                   PIPX_HOME=str(work / 'pipx'), PIPX_BIN_DIR=str(work / 'pipx' / 'bin'),
                   PIPX_MAN_DIR=str(work / 'pipx' / 'man'),
                   PIP_DISABLE_PIP_VERSION_CHECK='1', DD_API_KEY=DD_API_KEY_CANARY, DD_APP_KEY=DD_API_KEY_CANARY,
                   DD_DD_URL=fake.url, GENESYS_CLOUD_CLIENT_ID=emulator.client_id,
                   GENESYS_CLOUD_DD_STATE_DIR=str(work / 'check-state'),
                   GENESYS_CLOUD_CLIENT_SECRET=SECRET_CANARY, MPLBACKEND='Agg')
        yield {'work': work, 'env': env, 'emulator': emulator, 'fake': fake, 'port': _free_port()}


def _run_block(reader, block):
    """Run a block's commands in one bash shell (so `cd` and `export` carry over); returns per-command
    (exit status, output), and the output of background commands."""
    work, env = reader['work'], reader['env']
    out_dir = work / 'out'
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir()
    lines = ['set +e', f'cd {work}']
    for index, command in enumerate(block.commands):
        if command.skip:
            continue
        text = EMULATOR_PORT.sub(lambda m: m.group(0).replace('8080', str(reader['port'])), command.text)
        if text.rstrip().endswith('&') and not text.rstrip().endswith('&&'):
            body = re.sub(r'\s*#.*$', '', text).rstrip()[:-1]
            lines.append(f'{body} > {out_dir}/{index}.out 2>&1 &')
            lines.append(f'echo $! > {out_dir}/{index}.pid; sleep 3; kill -0 $! && echo 0 > {out_dir}/{index}.rc')
        else:
            lines.append(f'{{ {text}\n}} > {out_dir}/{index}.out 2>&1 < /dev/null; echo $? > {out_dir}/{index}.rc')
    lines.append('kill $(jobs -p) 2>/dev/null; wait')
    subprocess.run(['bash', '-c', '\n'.join(lines)], env=env, cwd=work, timeout=900)
    results = {}
    for index, command in enumerate(block.commands):
        if command.skip:
            continue
        rc_file, out_file = out_dir / f'{index}.rc', out_dir / f'{index}.out'
        rc = int(rc_file.read_text().strip() or 1) if rc_file.exists() else None
        results[index] = (rc, out_file.read_text(errors='replace') if out_file.exists() else '')
    return results


def _check(block, results):
    problems = []
    for index, (rc, output) in results.items():
        command = block.commands[index]
        where = f'{command.source}: `{command.text}`'
        for canary in CANARIES:
            if canary in output:
                problems.append(f'{where} printed a secret')
        if command.expects_error:
            if rc == 0:
                problems.append(f'{where} exited 0 where the docs show an error')
        elif rc != 0:
            problems.append(f'{where} exited {rc}:\n{output[-3000:]}')
        if command.expected:
            # The shape of the line's opening: the docs' sample comes from another org and another day.
            want = normalise(command.expected).split('...')[0][:60]
            if not any(normalise(line).startswith(want) for line in output.splitlines()):
                problems.append(f'{where}: the docs show `{command.expected}` but it printed:\n{output[:2000]}')
    return problems


@pytest.mark.slow
def test_every_documented_command_runs(reader):
    problems, ran, skipped = [], 0, []
    installed = False
    for block in all_blocks():
        if block.skip:
            skipped.append(f'{block.source}: {block.skip}')
            continue
        if not installed and not any(INSTALL in c.text for c in block.commands):
            if any('genesys-cloud-dd' in c.text and not c.skip for c in block.commands):
                pytest.fail(f'{block.source} uses genesys-cloud-dd before the README installs it')
        results = _run_block(reader, block)
        installed = installed or any(INSTALL in c.text for c in block.commands)
        problems += _check(block, results)
        ran += len(results)
        skipped += [f'{c.source}: {c.skip}' for c in block.commands if c.skip]
    print(f'{ran} documented commands ran; not run here:\n  ' + '\n  '.join(skipped))
    assert ran >= 15
    assert not problems, '\n\n'.join(problems)
    # The Agent-less example delivered through the fake, with the tags of conf.yaml on every point.
    series = [item for r in reader['fake'].requests if r.path == '/api/v2/series' for item in r.json['series']]
    assert series and all({'env:prod', 'service:x', 'host:y'} <= set(s['tags']) for s in series)
    # The README's pipx command installed the toolkit alone, the check taken from the clone.
    pipx_command = reader['work'] / 'pipx' / 'bin' / 'genesys-cloud-dd'
    version = subprocess.run([str(pipx_command), '--version'], capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith('genesys-cloud-dd '), version.stderr
    assert '(check genesys_cloud ' in version.stdout


def test_every_help_exits_0(capsys):
    """`--help` of the command and of every subcommand, through the same parser the console script builds."""
    from genesys_cloud_dd.cli.main import build_parser, main

    def paths(parser, prefix=()):
        yield prefix
        for action in parser._actions:
            if getattr(action, 'choices', None) and hasattr(action, '_name_parser_map'):
                for name, sub in action._name_parser_map.items():
                    yield from paths(sub, prefix + (name,))

    seen = list(paths(build_parser()))
    assert len(seen) >= 12, seen
    for path in seen:
        with pytest.raises(SystemExit) as exit_info:
            main([*path, '--help'])
        assert exit_info.value.code == 0, path
        assert 'usage: genesys-cloud-dd' in capsys.readouterr().out


def test_console_script_help_from_any_directory(tmp_path):
    proc = subprocess.run([sys.executable, '-m', 'genesys_cloud_dd.cli', '--help'], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, 'PYTHONPATH': str(ROOT / 'toolkit')})
    assert proc.returncode == 0 and 'emulator' in proc.stdout


def test_every_option_says_what_it_does():
    """No option of any command with an empty help line (`--users USERS` alone tells a reader nothing)."""
    import argparse

    from genesys_cloud_dd.cli.main import build_parser

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action._name_parser_map.items():
                    yield from walk(sub, prefix + (name,))
            elif action.option_strings and not isinstance(action, argparse._HelpAction):
                yield prefix, action

    silent = [f'{" ".join(path)} {action.option_strings[-1]}' for path, action in walk(build_parser(), ())
              if not (action.help or '').strip()]
    assert not silent, silent

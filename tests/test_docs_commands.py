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
import subprocess
import sys

import pytest

from tests.conftest import CANARIES
from tests.docs_commands import DOCS, INSTALL, ROOT, all_blocks, normalise, reader_machine, run_block


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


@pytest.fixture(scope='module')
def reader():
    with reader_machine() as machine:
        yield machine


def _check(block, results):
    problems = []
    for index, (rc, output, _shown) in results.items():
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
        results = run_block(reader, block)
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

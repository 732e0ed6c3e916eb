"""Shell commands of the project's Markdown, as tests/test_docs_commands.py runs them.

A fenced block tagged sh, bash, shell or console holds commands: every line of the first three (a trailing
`\\` continues a line), the `$ ` lines of a console block, whose following lines are the output the docs show.
A command with the comment `# not run here: <why>`, or a block right after `<!-- not run here: <why> -->`, is
listed with its reason instead of run. `export NAME=...` (a literal `...`) stands for a value the reader
supplies; the test environment supplies it.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import venv
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md'))
INSTALL = 'pip install . "./toolkit[reports]"'
EMULATOR_PORT = re.compile(r'(127\.0\.0\.1|localhost):8080\b|--port 8080\b')
# The clock and org the docs' samples were made with (`make docs-samples` makes them again).
DOCS_CLOCK = '2026-11-20T15:00:00Z'

FENCE = re.compile(r'^```(\w*)\s*$')
NOT_RUN = re.compile(r'#\s*not run here:\s*(.*)$')
BLOCK_NOT_RUN = re.compile(r'<!--\s*not run here:\s*(.*?)(-->|$)', re.S)
PLACEHOLDER_EXPORT = re.compile(r'^export\s+\w+=\.\.\.(\s|$)')
SHELL_LANGS = {'sh', 'bash', 'shell', 'console'}


def docs_org():
    from genesys_cloud_dd.emulator import OrgOptions

    return OrgOptions(seed=11, users=30, queues=3, oauth_clients=4)


@dataclass
class Command:
    source: str  # file:line
    text: str
    expected: str = ''  # first output line the docs show (console blocks)
    skip: str = ''  # why it is not run

    @property
    def expects_error(self):
        return self.expected.startswith(('Error', 'error'))


@dataclass
class Block:
    source: str
    commands: list = field(default_factory=list)
    skip: str = ''


def blocks(path: Path, root: Path):
    lines = path.read_text(encoding='utf-8').splitlines()
    rel = path.relative_to(root)
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        lang, start = match.group(1), i
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith('```')), len(lines))
        body = lines[i + 1:end]
        i = end + 1
        if lang not in SHELL_LANGS:
            continue
        block = Block(f'{rel}:{start + 1}')
        before = '\n'.join(lines[max(0, start - 4):start])
        skipped = BLOCK_NOT_RUN.search(before)
        if skipped and '-->' in before[skipped.start():]:
            block.skip = ' '.join(skipped.group(1).split())
        block.commands = _console(body, rel, start) if lang == 'console' else _script(body, rel, start)
        yield block


def _script(body, rel, start):
    commands, pending, first = [], '', 0
    for offset, line in enumerate(body):
        if not pending:
            first = offset
        if line.rstrip().endswith('\\'):
            pending += line.rstrip()[:-1] + ' '
            continue
        text = (pending + line).strip()
        pending = ''
        if not text or text.startswith('#'):
            continue
        commands.append(_command(text, f'{rel}:{start + 2 + first}'))
    return commands


def _console(body, rel, start):
    commands = []
    for offset, line in enumerate(body):
        if line.startswith('$ '):
            commands.append(_command(line[2:].strip(), f'{rel}:{start + 2 + offset}'))
        elif commands and not commands[-1].expected and line.strip():
            commands[-1].expected = line.strip()
    return commands


def _command(text, source):
    skip = NOT_RUN.search(text)
    command = Command(source, text, skip=skip.group(1).strip() if skip else '')
    if not command.skip and PLACEHOLDER_EXPORT.match(text):
        command.skip = 'a value the reader supplies; the test environment sets it'
    return command


def normalise(line):
    """Compare shapes, not values: numbers, ids, URLs and times differ from run to run."""
    line = re.sub(r'https?://\S+', 'URL', line)
    line = re.sub(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'ID', line)
    line = re.sub(r'\b[0-9a-f]{16}\b', 'ID', line)
    line = re.sub(r'\d[\d,.:-]*', '#', line)
    return ' '.join(line.split())


def all_blocks():
    return [block for path in DOCS for block in blocks(path, ROOT)]


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextmanager
def reader_machine():
    """A reader's machine: an empty venv on PATH, a working directory outside the clone, a Genesys Cloud
    emulator and a fake Datadog, all on the docs' clock (DOCS_CLOCK) and seed."""
    from genesys_cloud_dd.emulator import Emulator
    from genesys_cloud_dd.fixed_clock import ENV as CLOCK_ENV
    from genesys_cloud_dd.fixed_clock import StartedAt, parse
    from tests.conftest import DD_API_KEY_CANARY, SECRET_CANARY
    from tests.fake_datadog import FakeDatadog

    holder = tempfile.TemporaryDirectory(prefix='reader-')
    work = Path(holder.name)
    env_dir = work / 'venv'
    venv.create(env_dir, with_pip=True)
    (work / 'datadog-genesys-cloud').symlink_to(ROOT)
    with holder, Emulator(docs_org(), clock=StartedAt(parse(DOCS_CLOCK)), job_polls=0,
                  client_secret=SECRET_CANARY) as emulator, FakeDatadog() as fake:
        instance = {'client_id': emulator.client_id, 'client_secret': emulator.client_secret,
                    'api_url': emulator.url, 'login_url': emulator.url, 'tags': ['env:prod', 'service:x', 'host:y']}
        (work / 'conf.yaml').write_text(yaml.safe_dump({'init_config': {}, 'instances': [instance]}))
        bad = {**instance, 'org': {'interval': 'soon'}}
        (work / 'bad.yaml').write_text(yaml.safe_dump({'init_config': {}, 'instances': [bad]}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(('DD_', 'GENESYS_', 'PYTHON', 'VIRTUAL_ENV'))}
        env.update(PATH=f'{env_dir / "bin"}{os.pathsep}{env["PATH"]}', VIRTUAL_ENV=str(env_dir),
                   PIP_DISABLE_PIP_VERSION_CHECK='1', DD_API_KEY=DD_API_KEY_CANARY, DD_APP_KEY=DD_API_KEY_CANARY,
                   DD_DD_URL=fake.url, GENESYS_CLOUD_CLIENT_ID=emulator.client_id,
                   GENESYS_CLOUD_CLIENT_SECRET=SECRET_CANARY, MPLBACKEND='Agg', **{CLOCK_ENV: DOCS_CLOCK})
        yield {'work': work, 'env': env, 'emulator': emulator, 'fake': fake, 'port': _free_port()}


def run_block(reader, block):
    """Run a block's commands in one bash shell (so `cd` and `export` carry over); returns per command
    (exit status, stdout and stderr, what a reader sees as its output: stdout, or stderr when stdout is empty)."""
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
            lines.append(f'{body} > {out_dir}/{index}.out 2> {out_dir}/{index}.err &')
            lines.append(f'echo $! > {out_dir}/{index}.pid; sleep 3; kill -0 $! && echo 0 > {out_dir}/{index}.rc')
        else:
            lines.append(f'{{ {text}\n}} > {out_dir}/{index}.out 2> {out_dir}/{index}.err < /dev/null; '
                         f'echo $? > {out_dir}/{index}.rc')
    lines.append('kill $(jobs -p) 2>/dev/null; wait')
    subprocess.run(['bash', '-c', '\n'.join(lines)], env=env, cwd=work, timeout=900)
    results = {}
    for index, command in enumerate(block.commands):
        if command.skip:
            continue
        rc_file = out_dir / f'{index}.rc'
        rc = int(rc_file.read_text().strip() or 1) if rc_file.exists() else None
        out, err = (path.read_text(errors='replace') if path.exists() else ''
                    for path in (out_dir / f'{index}.out', out_dir / f'{index}.err'))
        results[index] = (rc, out + err, out if out.strip() else err)
    return results

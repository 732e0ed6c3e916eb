"""Shell commands of the project's Markdown, as tests/test_docs_commands.py runs them.

A fenced block tagged sh, bash, shell or console holds commands: every line of the first three (a trailing
`\\` continues a line), the `$ ` lines of a console block, whose following lines are the output the docs show.
A command with the comment `# not run here: <why>`, or a block right after `<!-- not run here: <why> -->`, is
listed with its reason instead of run. `export NAME=...` (a literal `...`) stands for a value the reader
supplies; the test environment supplies it.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r'^```(\w*)\s*$')
NOT_RUN = re.compile(r'#\s*not run here:\s*(.*)$')
BLOCK_NOT_RUN = re.compile(r'<!--\s*not run here:\s*(.*?)(-->|$)', re.S)
PLACEHOLDER_EXPORT = re.compile(r'^export\s+\w+=\.\.\.(\s|$)')
SHELL_LANGS = {'sh', 'bash', 'shell', 'console'}


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

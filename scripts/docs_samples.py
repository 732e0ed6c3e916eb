"""Make the docs' sample outputs again (`make docs-samples`): every `$ command` of a console block in README.md and
docs/*.md runs as tests/test_docs_commands.py runs it (a reader's machine: an empty venv, the emulator and a fake
Datadog, on the docs' fixed clock and seed), and the lines shown under it are replaced by what it printed now.

A sample keeps the number of lines it had (a command that prints more gets a last line `...`), the emulator's port
reads 8080 and the reader's directory `.`, so a sample changes only when the output does.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / 'toolkit'), str(ROOT)]

import tests.conftest  # noqa: E402,F401  (maps datadog_checks.genesys_cloud to the clone, as the tests do)
from tests.docs_commands import DOCS, blocks, reader_machine, run_block  # noqa: E402

ELLIPSIS = '...'


def _shown(lines, start):
    """Indexes of the output lines shown under the `$ ` line at `start`, up to the next command or the fence."""
    end = start + 1
    while end < len(lines) and not lines[end].startswith(('$ ', '```')):
        end += 1
    return start + 1, end


def _sample(output, keep, reader):
    text = output.replace(str(reader['work']), '.').replace(f":{reader['port']}", ':8080')
    text = text.replace(reader['fake'].url, 'https://api.datadoghq.com')  # DD_DD_URL, as a reader's default site
    printed = [line.rstrip() for line in text.splitlines()]
    while printed and not printed[-1]:
        printed.pop()
    if len(printed) <= keep:
        return printed
    return printed[:max(keep - 1, 1)] + [ELLIPSIS]


def main():
    changed = 0
    with reader_machine() as reader:
        for path in DOCS:
            lines = path.read_text(encoding='utf-8').splitlines()
            replacements = []
            for block in blocks(path, ROOT):
                if block.skip or not block.commands:
                    continue
                results = run_block(reader, block)
                for index, command in enumerate(block.commands):
                    line_no = int(command.source.rsplit(':', 1)[1]) - 1
                    if index not in results or not lines[line_no].startswith('$ '):
                        continue  # not a console command, or not run here
                    first, end = _shown(lines, line_no)
                    if end == first:
                        continue  # the docs show no output for it
                    replacements.append((first, end, _sample(results[index][2], end - first, reader)))
            for first, end, sample in sorted(replacements, reverse=True):
                if lines[first:end] != sample:
                    lines[first:end] = sample
                    changed += 1
            path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    print(f'{changed} sample outputs made again')
    return 0


if __name__ == '__main__':
    sys.exit(main())

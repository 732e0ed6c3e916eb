"""A plain-text progress bar on stderr, without dependencies: `\r` updates on a terminal, a line per step otherwise."""

import sys


class Progress:
    def __init__(self, total, label, stream=None, width=30, enabled=True):
        self.total = max(1, int(total))
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = enabled
        self.done = 0
        self._tty = bool(getattr(self.stream, 'isatty', lambda: False)())

    def step(self, detail=''):
        self.done = min(self.total, self.done + 1)
        if not self.enabled:
            return
        filled = int(self.width * self.done / self.total)
        bar = '#' * filled + '-' * (self.width - filled)
        line = f'{self.label} [{bar}] {self.done}/{self.total}' + (f' {detail}' if detail else '')
        if self._tty:
            self.stream.write('\r' + line.ljust(100)[:120])
            if self.done == self.total:
                self.stream.write('\n')
        else:
            self.stream.write(line + '\n')
        self.stream.flush()

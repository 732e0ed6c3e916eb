"""Collects the fault matrix's rows so `make faults` can print them as a table (case, expected, result)."""

ROWS = []


def record(case, expected, result):
    ROWS.append((case, expected, result))


def render(rows, failed):
    lines = []
    widths = [max(len(r[i]) for r in rows + [('CASE', 'EXPECTED', 'RESULT')]) for i in range(3)]
    header = ('CASE', 'EXPECTED', 'RESULT')
    lines.append('  '.join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        lines.append('  '.join(c.ljust(w) for c, w in zip(row, widths)))
    lines.append(f'{len(rows)} cases passed, {failed} failed')
    return '\n'.join(lines)

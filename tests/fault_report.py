"""Collects the fault matrix's rows so `make faults` can print them as a table (case, expected, result)."""

ROWS = []


def record(case, expected, result):
    ROWS.append((case, expected, result))


def render(rows, failed):
    header = ('CASE', 'EXPECTED', 'RESULT')
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = ['  '.join(cell.ljust(width) for cell, width in zip(row, widths)) for row in [header, *rows]]
    lines.append(f'{len(rows)} cases passed, {failed} failed')
    return '\n'.join(lines)

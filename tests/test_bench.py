"""`make bench` still runs end to end: the smallest org for a few simulated minutes, from another directory.

Its figures are printed, never asserted (speed and memory goals live in the benchmark); what is asserted is that
every part of the report is there, that freshness compared the check with the emulator's truth, and that a part
which fails says so instead of printing a report without it.
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, 'benchmarks', 'bench.py')


def test_bench_runs_and_reports_every_part(tmp_path):
    proc = subprocess.run([sys.executable, BENCH, '--sizes', 'small', '--minutes', '4', '--no-naive'],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert '== small: 1000 users, 100 queues, 50 OAuth clients' in out
    assert 'documented' in out and 'notifications: ' in out
    assert 'after the cold start, collectors deferred for budget without a request' in out
    assert "freshness vs the emulator's truth (2 runs): queue waiting counts equal in" in out
    assert 'of which the socket threads avg' in out and 'peak RSS' in out


def test_bench_says_which_part_failed(tmp_path):
    proc = subprocess.run([sys.executable, BENCH, '--sizes', 'no-such-size', '--minutes', '1', '--no-naive'],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode != 0
    assert '--one no-such-size --part cold failed' in proc.stderr
    assert 'KeyError' in proc.stderr  # the part's own error, shown rather than swallowed

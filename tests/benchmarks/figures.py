"""What every benchmark under tests/benchmarks prints: a table of checked figures.

Not a benchmark itself (``make bench`` runs the ``bench_*.py`` files); they import it by name,
``make bench`` puts this folder on their ``PYTHONPATH``.

Each line of a table is one check: the figure, its target, the measured value and ``ok`` or
``MISSED``. Timings are checked as ratios to a baseline measured in the same process (machines
are noisy, ratios hold); a figure with an absolute target (seconds, megabytes) has it because
the issue that asked for it names one. What a ratio is made of goes into the figure's label, so
that nothing measured is printed without its check.
"""

import contextlib
import os
from pathlib import Path

#: the largest peak memory (resident set) any process of a benchmark may reach, in MB
PEAK_MEMORY_LIMIT_MB = 1536


class Table:
    """Rows of figure, target, measured value and result, printed together."""

    def __init__(self, title, width=58):
        self.title = title
        self.width = width
        self.rows = []

    def _add(self, figure, target, measured, ok, digits):
        shown = f"{measured:.{digits}f}" if isinstance(measured, float) else f"{measured}"
        self.rows.append((figure, target, shown, "ok" if ok else "MISSED"))
        return ok

    def at_least(self, figure, measured, limit, digits=2):
        return self._add(figure, f">= {limit:g}", measured, measured >= limit, digits)

    def at_most(self, figure, measured, limit, digits=2):
        return self._add(figure, f"<= {limit:g}", measured, measured <= limit, digits)

    def equal(self, figure, measured, expected):
        return self._add(figure, f"{expected}", measured, measured == expected, 0)

    @property
    def missed(self):
        return [row for row in self.rows if row[3] != "ok"]

    def print(self):
        print(f"\n{self.title}")
        print(f"{'figure':<{self.width}} {'target':>9} {'measured':>10}  result")
        for figure, target, measured, result in self.rows:
            print(f"{figure:<{self.width}} {target:>9} {measured:>10}  {result}")


def ratio(baseline_seconds, seconds):
    """Throughput ratio of a measured path to its baseline (above 1: faster than the baseline)."""
    return baseline_seconds / seconds if seconds else float("inf")


# --- peak memory ---------------------------------------------------------------------------


def _status(pid, key):
    """A value in kB from /proc/<pid>/status (VmHWM: the peak resident set), 0 when unknown."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    return 0


def _children(pid):
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _tree(pid):
    pids = [pid]
    for child in _children(pid):
        pids += _tree(child)
    return pids


def reset_peak():
    """Start this process's peak memory (VmHWM) afresh at its current size (Linux)."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")


def peak_memory_mb():
    """The peak resident memory of each process of the benchmark, in MB: this one and the children
    running now (e.g. the e-invoice rules' helper), and the server ``make bench`` started with its
    workers (``ISP_BENCH_SERVER_PID``). Returns {process: MB}; the largest counts."""
    peaks = {f"benchmark ({os.getpid()})": _status(os.getpid(), "VmHWM") / 1024}
    for pid in _tree(os.getpid())[1:]:
        peaks[f"child {pid}"] = _status(pid, "VmHWM") / 1024
    server = os.environ.get("ISP_BENCH_SERVER_PID")
    if server and server.isdigit():
        for pid in _tree(int(server)):
            peaks[f"server {pid}"] = _status(pid, "VmHWM") / 1024
    return peaks


def largest(peaks):
    """(process, MB) of the largest peak in ``peaks``."""
    return max(peaks.items(), key=lambda item: item[1])

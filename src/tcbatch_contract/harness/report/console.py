"""What a run prints: progress while it runs, the rule table and the verdict at the end.

On a terminal the progress is one line redrawn in place (a bar, the rules running now);
anywhere else (CI logs, pipes) it is one plain line per finished rule, so that logs stay
readable. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import shutil
import sys
import threading
from typing import TextIO

from ..model import RuleResult, RunReport, Status
from .document import shorten, verdict_line

_BAR = 24


class Progress:
    """Reports checks as they start and finish."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = 0
        self.done = 0
        self.running: list[str] = []
        self._lock = threading.Lock()

    def begin(self, total: int) -> None:
        self.total = total

    def started(self, rule: str) -> None:
        with self._lock:
            self.running.append(rule)
            self._redraw()

    def finished(self, result: RuleResult) -> None:
        with self._lock:
            if result.rule in self.running:
                self.running.remove(result.rule)
            self.done += 1
            line = (
                f"[{self.done:>3}/{self.total}] {result.rule:<18} {result.status.value:<5} "
                f"{result.cases:>5} cases {result.requests:>6} requests {result.seconds:>6.1f}s"
            )
            if result.failures:
                line += f"  {shorten(result.failures[0].summary, 60)}"
            if self.tty:
                self.stream.write("\r\033[K")
            self.stream.write(line + "\n")
            self._redraw()
            self.stream.flush()

    def note(self, line: str) -> None:
        """One line between the rules' lines (a timed run's rounds)."""
        with self._lock:
            if self.tty:
                self.stream.write("\r\033[K")
            self.stream.write(line + "\n")
            self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _redraw(self) -> None:
        if not self.tty or not self.total:
            return
        filled = _BAR * self.done // self.total
        bar = "#" * filled + "." * (_BAR - filled)
        now = ", ".join(self.running[:4]) + ("…" if len(self.running) > 4 else "")
        self.stream.write(f"\r\033[K[{bar}] {self.done}/{self.total} {now}")
        self.stream.flush()


def results_table(report: RunReport, width: int | None = None) -> str:
    """The final table: rule, status, cases, requests, seconds, first failure."""
    if width is None:
        # Fit a terminal; a pipe or a CI log keeps every word of the reasons.
        width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 10_000
    head = ("RULE", "STATUS", "CASES", "REQUESTS", "SECONDS", "FIRST FAILURE / REASON")
    rows = [head]
    for result in report.results:
        note = result.failures[0].summary if result.failures else ""
        if not note and result.status in (Status.SKIP, Status.ERROR, Status.INCONCLUSIVE):
            note = result.reason
        if result.status in (Status.UNSUPPORTED, Status.UNEXPECTED_PASS, Status.DRIFT):
            note = result.reason
        rows.append(
            (
                result.rule,
                result.status.value.upper(),
                str(result.cases),
                str(result.requests),
                f"{result.seconds:.1f}",
                note,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    fixed = sum(widths) + 2 * 5
    room = max(30, width - fixed)
    lines = []
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            row[1].ljust(widths[1]),
            row[2].rjust(widths[2]),
            row[3].rjust(widths[3]),
            row[4].rjust(widths[4]),
            shorten(row[5], room),
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def summary_lines(report: RunReport) -> list[str]:
    rate = report.cases / report.seconds if report.seconds else 0.0
    lines = [
        verdict_line(report),
        f"{report.cases} cases, {report.requests} requests in {report.seconds:.1f} s "
        f"({rate:.0f} cases/s), seed {report.settings.seed}",
    ]
    if report.coverage is not None:
        lines.append(report.coverage.summary_line())
    lines += report.notes
    return lines

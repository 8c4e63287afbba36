"""The default ``tcbatch-contract run`` beside the same run at a base revision (printed only).

    python benchmarks/bench_default_run.py --against REV [--rounds 3] [--out FILE]

Each round runs the working tree's ``tcbatch-contract run`` (every rule, the embedded
emulator, seed 0, the default workers) and REV's, one after the other, each in a fresh
process from a temporary directory; REV's sources are extracted with ``git archive`` as in
``bench_generate.py``. It reports the medians of wall time and CPU time (the run and its
worker processes), the cases, and the rules that judged fewer cases than at REV. The
machines are shared: read the ratios, measured side by side.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_generate import _extract, publish

ROW = re.compile(r"^\[\s*\d+/\d+\]\s+(\S+)\s+(\w+)\s+(\d+) cases")
SUMMARY = re.compile(r"(\d+) cases, (\d+) requests in ([0-9.]+) s")


def one_run(import_root: Path | None) -> dict:
    """Wall and CPU seconds, cases and per-rule cases of one default run."""
    env = dict(os.environ)
    if import_root is not None:
        env["PYTHONPATH"] = str(import_root)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tcbatch_contract", "run"],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = SUMMARY.search(done.stdout)
    if summary is None:
        raise SystemExit(f"no summary (exit {done.returncode}): {done.stderr[-400:]}")
    per_rule: dict[str, int] = {}
    failed: set[str] = set()
    for line in done.stderr.splitlines():
        row = ROW.match(line)
        if row:
            per_rule[row[1]] = per_rule.get(row[1], 0) + int(row[3])
            if row[2] not in ("pass", "skip"):
                failed.add(f"{row[1]} ({row[2]})")
    return {"wall": wall, "cpu": cpu, "cases": int(summary[1]), "rules": per_rule, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--against", metavar="REV", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the table here (Markdown)")
    args = parser.parse_args()
    here: list[dict] = []
    base: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        root = _extract(args.against, Path(tmp))
        for number in range(args.rounds):
            base.append(one_run(root))
            here.append(one_run(None))
            print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)

    def median(runs: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    lines = [
        f"| figure (median of {args.rounds}) | {args.against} | now | now / {args.against} |",
        "|---|---:|---:|---:|",
    ]
    for key, label in (("wall", "wall s"), ("cpu", "CPU s (run and workers)")):
        then, now = median(base, key), median(here, key)
        lines.append(f"| {label} | {then:.1f} | {now:.1f} | {now / then:.2f} |")
    cases_then, cases_now = median(base, "cases"), median(here, "cases")
    lines.append(f"| cases | {cases_then:,.0f} | {cases_now:,.0f} | {cases_now / cases_then:.2f} |")
    rate_then = statistics.median(r["cases"] / r["wall"] for r in base)
    rate_now = statistics.median(r["cases"] / r["wall"] for r in here)
    lines.append(f"| cases per wall second | {rate_then:.0f} | {rate_now:.0f} | "
                 f"{rate_now / rate_then:.2f} |")  # fmt: skip
    fewer = sorted(
        rule for rule, count in base[0]["rules"].items() if here[0]["rules"].get(rule, 0) < count
    )
    lines.append("")
    lines.append(
        "Rules that judged fewer cases than at the base: " + (", ".join(fewer) or "none") + "."
    )
    # a rule that errs on one side does less work there: the figures above are then uneven
    for name, runs in ((args.against, base), ("now", here)):
        failed = sorted(set().union(*(r["failed"] for r in runs)))
        if failed:
            lines.append(f"Rules that did not pass ({name}): {', '.join(failed)}.")
    publish(
        lines,
        args.out,
        "The default run beside a base revision",
        f"`python benchmarks/bench_default_run.py --against {args.against} "
        f"--rounds {args.rounds}`: the two alternate, each a fresh process; 2 cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end.",
    )


if __name__ == "__main__":
    main()

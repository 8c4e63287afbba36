"""Bug-finding power, in one command: ``python benchmarks/mutation_report.py``.

Runs ``tcbatch-contract mutation-score`` (every seeded bug of the emulator against the
default suite, plus the unmutated emulator) and then the schemathesis anchor
(``schemathesis_anchor.py``) on the same mutants, and writes one report beside this file:
``results/mutation-score.md`` (the tables) and ``results/mutation-score.json`` (everything).
Each half can be left out (``--skip-ours``, ``--skip-anchor``) to rerun the other.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import schemathesis_anchor

from tcbatch_contract.cli import mutation_score
from tcbatch_contract.emulator import mutants

RESULTS = Path(__file__).resolve().parent / "results"


def ours(names: list[str], workers: int, seed: int) -> dict[str, Any]:
    settings = mutation_score.ScoreSettings(seed=seed)
    started = time.monotonic()
    baseline, results = mutation_score.score(names, settings, workers=workers, progress=sys.stderr)
    return mutation_score.to_json(baseline, results, settings, workers, time.monotonic() - started)


def comparison(us: dict[str, Any] | None, them: dict[str, Any] | None) -> str:
    """The summary table, then one row per mutant with both verdicts."""
    lines = [
        "| tool | caught / total | median requests to catch | wall time (2 cores) |",
        "|---|---|---|---|",
    ]
    if us is not None:
        s = us["summary"]
        lines.append(
            f"| tcbatch-contract mutation-score | {s['caught']} / {s['mutants']} | "
            f"{_n(s['median_requests_to_catch'])} in the catching rule, "
            f"{_n(s['median_run_requests_to_catch'])} in the run | {_minutes(s['wall_seconds'])} |"
        )
    if them is not None:
        s = them["summary"]
        lines.append(
            f"| {them['tool']} (`st run`, default checks) | {s['caught']} / {s['mutants']} | "
            f"n/a (whole runs of about {_median_requests(them)} requests) | "
            f"{_minutes(s['wall_seconds'])} |"
        )
    lines += ["", "| mutant | family | ours: caught by | requests (rule / run) | schemathesis |"]
    lines.append("|---|---|---|---|---|")
    rows_us = {r["mutant"]: r for r in (us or {}).get("mutants", [])}
    rows_them = {r["mutant"]: r for r in (them or {}).get("mutants", [])}
    for name in rows_us or rows_them:
        a, b = rows_us.get(name), rows_them.get(name)
        family = (a or b or {}).get("family", "")
        mine = "" if a is None else (a["rule"] if a["caught"] else "**survived**")
        counts = (
            ""
            if a is None or not a["caught"]
            else (f"{a['requests_to_catch']} / {a['run_requests_to_catch']}")
        )
        theirs = (
            ""
            if b is None
            else (
                ", ".join(f"{check}" for _, check in b["new_failures"][:2]) if b["caught"] else "-"
            )
        )
        lines.append(f"| `{name}` | {family} | {mine} | {counts} | {theirs} |")
    notes = []
    if us is not None and us["unmutated"] is not None:
        base = us["unmutated"]
        verdict = "no failure" if not base["failures"] else f"failures in {base['failures']}"
        notes.append(
            f"Unmutated emulator under the default suite: {verdict} "
            f"({base['requests']} requests, {base['seconds']:.0f} s)."
        )
    if them is not None:
        known = ", ".join(sorted({c for _, c in them["summary"]["unmutated_failures"]}))
        notes.append(
            "schemathesis against the unmutated emulator fails these checks on every operation, "
            f"so they are not counted as catches: {known}."
        )
    return "\n".join([*lines, "", *notes])


def _median_requests(document: dict[str, Any]) -> str:
    counts = sorted(r["requests"] for r in document["mutants"] if r["requests"])
    return str(counts[len(counts) // 2]) if counts else "?"


def _n(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", help="comma-separated names (default: all)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--skip-anchor", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory of the report")
    args = parser.parse_args(argv)
    names = args.mutants.split(",") if args.mutants else mutants.names()
    for name in names:
        mutants.get(name)
    args.out.mkdir(parents=True, exist_ok=True)
    previous = args.out / "mutation-score.json"
    kept = json.loads(previous.read_text()) if previous.exists() else {}
    us = kept.get("ours") if args.skip_ours else ours(names, args.workers, args.seed)
    them = (
        kept.get("schemathesis")
        if args.skip_anchor
        else schemathesis_anchor.run_anchor(names, workers=args.workers, seed=args.seed)
    )
    document = {"ours": us, "schemathesis": them}
    (args.out / "mutation-score.json").write_text(json.dumps(document, indent=2) + "\n")
    text = comparison(us, them)
    if us is not None:
        text += "\n\n## tcbatch-contract, per mutant\n\n" + mutation_score.to_markdown(us)
    if them is not None:
        text += "\n\n## schemathesis, per mutant\n\n" + schemathesis_anchor.to_markdown(them)
    (args.out / "mutation-score.md").write_text("# Bug-finding power\n\n" + text + "\n")
    print(comparison(us, them))
    print(f"\nwritten to {args.out / 'mutation-score.md'} and mutation-score.json")
    ok = us is None or (
        us["summary"]["caught"] == us["summary"]["mutants"]
        and not (us["unmutated"] or {}).get("failures")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

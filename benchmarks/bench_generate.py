"""How fast the strategies make cases, per family, beside a base revision (printed, never asserted).

    python benchmarks/bench_generate.py [--count N] [--seed S] [--rounds R]
                                        [--against REV] [--out FILE]

Generation goes through the same seeded path as ``tcbatch-contract generate``, so the
numbers are what a vector file or a harness run pays per case. Each measurement runs in
a fresh process. With ``--against REV`` the ``strategies/``, ``src/`` and ``contracts/``
of REV are extracted with ``git archive`` into a temporary directory and measured there
by the same code, alternating with the working tree round by round so that a load that
comes and goes on the machine falls on both alike; the table gives the median of the
rounds and the ratio, and ``--out`` writes it as Markdown. Rates are per CPU second of
the measuring process (``time.process_time``), so that other work on a shared machine
weighs on them as little as it can.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FAMILIES: dict[str, list[str]] = {
    "schema (S1-S6)": [f"S{i}" for i in range(1, 7)],
    "names and graph (B1-B6, B23-B25)": ["B1", "B2", "B3", "B4", "B5", "B6", "B23", "B24", "B25"],
    "environments (B7-B15, B27, B28)": [f"B{i}" for i in range(7, 16)] + ["B27", "B28"],
    "values (B16-B22, B26, B29)": [f"B{i}" for i in range(16, 23)] + ["B26", "B29"],
}
ORDER = ["valid", *FAMILIES, "multi-fault"]


def _families(count: int) -> list[tuple[str, Callable[[], Any], int]]:
    from hypothesis import strategies as st
    from tcbatch_contract.strategies import multi_fault, single_fault, valid_cases

    from tcbatch_contract.profile import TargetProfile

    profile = TargetProfile(known_env_ids=("env-abcd1234",))
    out: list[tuple[str, Callable[[], Any], int]] = [("valid", lambda: valid_cases(profile), count)]
    for family, rules in FAMILIES.items():
        out.append(
            (
                family,
                lambda rules=rules: st.one_of([single_fault(r, profile) for r in rules]),
                count * len(rules),
            )
        )
    out.append(("multi-fault", lambda: multi_fault(profile), count))
    return out


def measure(count: int, seed: int) -> dict[str, tuple[int, float]]:
    """Cases made and CPU seconds taken per family, in this process."""
    from tcbatch_contract.strategies import generate

    results: dict[str, tuple[int, float]] = {}
    for name, make, wanted in _families(count):
        strategy = make()
        started = time.process_time()
        cases = generate(strategy, wanted, seed)
        results[name] = (len(cases), time.process_time() - started)
    return results


def _extract(rev: str, into: Path) -> Path:
    """REV's sources, laid out as the editable install maps them; the import root."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "src", "strategies", "contracts", "openapi.yaml"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="tar")
    package = into / "src" / "tcbatch_contract"
    for name in ("strategies", "contracts"):
        link = package / name
        if not link.exists():
            link.symlink_to(into / name, target_is_directory=True)
    # where a wheel has it: found through the link, where the editable layout is not
    shipped = into / "contracts" / "openapi.yaml"
    if not shipped.exists():
        shipped.write_bytes((into / "openapi.yaml").read_bytes())
    return into / "src"


def _run_worker(import_root: Path | None, count: int, seed: int) -> dict[str, list[float]]:
    env = dict(os.environ)
    if import_root is not None:
        env["PYTHONPATH"] = str(import_root)
    done = subprocess.run(
        [sys.executable, __file__, "--worker", "--count", str(count), "--seed", str(seed)],
        env=env,
        cwd=tempfile.gettempdir(),  # no checkout on sys.path but the one asked for
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def _rate(runs: list[dict[str, list[float]]], family: str) -> tuple[int, float]:
    cases = int(runs[0][family][0])
    return cases, statistics.median(cases / r[family][1] for r in runs)


def _table(here: list[dict], base: list[dict] | None, rev: str | None) -> list[str]:
    if base is None:
        lines = ["| family | cases | cases/CPU-s |", "|---|---|---|"]
        for family in ORDER:
            cases, rate = _rate(here, family)
            lines.append(f"| {family} | {cases} | {rate:.1f} |")
        return lines
    lines = [
        f"| family | cases | {rev} cases/CPU-s | now cases/CPU-s | speed-up |",
        "|---|---|---|---|---|",
    ]
    for family in ORDER:
        cases, rate = _rate(here, family)
        _, before = _rate(base, family)
        lines.append(f"| {family} | {cases} | {before:.1f} | {rate:.1f} | {rate / before:.1f}x |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="cases per rule (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per side")
    parser.add_argument("--against", metavar="REV", help="a git revision to compare with")
    parser.add_argument("--out", type=Path, help="write the table here (Markdown)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.count, args.seed)))
        return
    here: list[dict] = []
    base: list[dict] | None = [] if args.against else None
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        root = _extract(args.against, Path(tmp)) if args.against else None
        for round_no in range(args.rounds):
            if base is not None:
                base.append(_run_worker(root, args.count, args.seed))
            here.append(_run_worker(None, args.count, args.seed))
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
    publish(
        _table(here, base, args.against),
        args.out,
        "Generation speed per family",
        f"`python benchmarks/bench_generate.py --count {args.count} --seed {args.seed} "
        f"--rounds {args.rounds}"
        + (f" --against {args.against}" if args.against else "")
        + "`: median of the rounds, each a fresh process, both sides alternating.",
    )


def publish(lines: list[str], out: Path | None, title: str, how: str) -> None:
    """Print a benchmark's table; with ``out``, write it there as Markdown under
    ``title``, after ``how`` (the command and the conditions it was measured in)."""
    print("\n".join(lines))
    if out:
        out.write_text(f"# {title}\n\n{how}\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

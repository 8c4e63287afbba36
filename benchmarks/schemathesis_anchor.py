"""The anchor: the emulator's seeded bugs under plain schemathesis.

How much of ``tcbatch-contract mutation-score`` comes from knowing the contract? This runs
``st run`` (schemathesis's own command line, its default checks) driven only by
``openapi.yaml``, against the emulator with each mutant in turn, the requests signed by
the TC3 hook of ``st_tc3_auth.py`` so that they are accepted at all. A mutant counts as
caught when some (operation, failure) shows up against it that does not show up against
the unmutated emulator, run the same way with the same seed.

Differences from the harness's run, each in schemathesis's favour: the emulator has no job
quota and no rate limit (schemathesis cannot know about them), and ``--continue-on-failure``
keeps it testing an operation after the failures that every run of it has (an API that
answers every error with HTTP 200 fails schemathesis's negative-data and auth checks by
design). Mutants run in parallel, two at a time by default, each against its own emulator.

Run ``python benchmarks/schemathesis_anchor.py`` for the anchor alone, or
``python benchmarks/mutation_report.py`` for the anchor beside ``mutation-score``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tcbatch_contract._resources import openapi_file
from tcbatch_contract.emulator import Emulator, EmulatorConfig, mutants

HERE = Path(__file__).resolve().parent
#: Examples per operation and phase. Most of a run's ~780 requests come from schemathesis's
#: coverage phase whatever this is: 5 and 10 differ by under 2% in requests sent.
DEFAULT_EXAMPLES = 5
ST_TIMEOUT = 300.0  # one st run; far above what one takes


def st_run(mutant: str | None, *, max_examples: int, seed: int) -> dict[str, Any]:
    """One ``st run`` against a fresh emulator (with ``mutant`` on): failures, requests, time."""
    secret_id, secret_key = "AKID" + secrets.token_hex(16), secrets.token_urlsafe(24)
    config = EmulatorConfig(
        secret_id=secret_id,
        secret_key=secret_key,
        known_env_ids=("env-" + secrets.token_hex(4),),
        job_quota=None,
        rate_limit=None,
    )
    st = shutil.which("st") or shutil.which("schemathesis")
    if st is None:
        raise SystemExit("schemathesis's `st` command is not installed (pip install schemathesis)")
    with ExitStack() as stack:
        emulator = stack.enter_context(Emulator(config, port=0))
        if mutant is not None:
            mutants.apply(emulator.app, mutant)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tcbc-anchor-")))
        spec = stack.enter_context(openapi_file())
        report, count = work / "report.json", work / "requests"
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "st_tc3_auth",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
            "ANCHOR_SECRET_ID": secret_id,
            "ANCHOR_SECRET_KEY": secret_key,
            "ANCHOR_REGION": config.regions[0],
            "ANCHOR_COUNT_FILE": str(count),
        }
        command = [
            st, "run", str(spec), "--url", emulator.endpoint, "--max-examples", str(max_examples),
            "--seed", str(seed), "--continue-on-failure", "--request-timeout", "10",
            "--no-color", "--report", "json", "--report-json-path", str(report),
        ]  # fmt: skip
        started = time.monotonic()
        finished = subprocess.run(
            command, env=env, cwd=work, capture_output=True, text=True, timeout=ST_TIMEOUT
        )
        seconds = time.monotonic() - started
        if not report.exists():
            tail = (finished.stdout + finished.stderr)[-600:]
            raise RuntimeError(f"st run wrote no report (exit {finished.returncode}): {tail}")
        document = json.loads(report.read_text(encoding="utf-8"))
        requests = int(count.read_text()) if count.exists() else None
    failures = sorted(
        {(op, f["code"]) for f in document.get("failures", []) for op in f.get("operations", [])}
    )
    return {
        "mutant": mutant,
        "failures": [list(f) for f in failures],
        "errors": len(document.get("errors", [])),
        "test_cases": document.get("test_cases", {}).get("generated"),
        "requests": requests,
        "seconds": round(seconds, 1),
    }


def run_anchor(
    names: list[str], *, workers: int = 2, max_examples: int = DEFAULT_EXAMPLES, seed: int = 0
) -> dict[str, Any]:
    """The unmutated baseline, then every mutant; what schemathesis caught."""
    logging.getLogger("waitress").setLevel(logging.CRITICAL)  # a crash mutant's tracebacks
    started = time.monotonic()
    jobs: list[str | None] = [None, *names]
    results: dict[str | None, dict[str, Any]] = {}
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(st_run, n, max_examples=max_examples, seed=seed): n for n in jobs}
        for future in concurrent.futures.as_completed(futures):
            name = futures[future]
            results[name] = future.result()
            print(f"schemathesis vs {name or 'the unmutated emulator'}: "
                  f"{len(results[name]['failures'])} failing (operation, check) "
                  f"({results[name]['seconds']} s)", file=sys.stderr, flush=True)  # fmt: skip
    baseline = results[None]
    known = {tuple(f) for f in baseline["failures"]}
    rows = []
    for name in names:
        row = results[name]
        new = [f for f in row["failures"] if tuple(f) not in known]
        chosen = mutants.get(name)
        rows.append({**row, "family": chosen.family, "caught": bool(new), "new_failures": new})
    caught = [r for r in rows if r["caught"]]
    return {
        "tool": "schemathesis " + _st_version(),
        "settings": {"max_examples": max_examples, "seed": seed, "workers": workers},
        "summary": {
            "mutants": len(rows),
            "caught": len(caught),
            "wall_seconds": round(time.monotonic() - started, 1),
            "unmutated_failures": baseline["failures"],
        },
        "unmutated": baseline,
        "mutants": rows,
    }


def _st_version() -> str:
    import schemathesis

    return schemathesis.SCHEMATHESIS_VERSION


def to_markdown(document: dict[str, Any]) -> str:
    lines = [
        "| mutant | family | caught | new failures | requests | seconds |",
        "|---|---|---|---|---:|---:|",
    ]
    for r in document["mutants"]:
        new = ", ".join(f"{check} on {op}" for op, check in r["new_failures"][:3])
        lines.append(
            f"| `{r['mutant']}` | {r['family']} | {'yes' if r['caught'] else 'no'} | {new} | "
            f"{r['requests'] or ''} | {r['seconds']:.1f} |"
        )
    s = document["summary"]
    lines += [
        "",
        f"schemathesis caught {s['caught']} / {s['mutants']} in {s['wall_seconds']:.0f} s.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", help="comma-separated names (default: all)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--max-examples", type=int, default=DEFAULT_EXAMPLES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the results as JSON to this file")
    args = parser.parse_args(argv)
    names = args.mutants.split(",") if args.mutants else mutants.names()
    for name in names:
        mutants.get(name)
    document = run_anchor(
        names, workers=args.workers, max_examples=args.max_examples, seed=args.seed
    )
    print(to_markdown(document))
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The default run with one worker process and with several, side by side (printed only).

    python benchmarks/bench_workers.py [--workers 1,2] [--repeat 2] [--max-examples N]
        [--vs PYTHON]

Each repeat runs ``tcbatch-contract run`` (the embedded emulator, every rule) once per
worker count, alternating, so that a machine shared with other work loads both alike;
it prints wall time, cases per second and CPU seconds (the run's own and its workers'),
then the ratio of each count's median wall time to the first's. The same seed must give
the same cases and verdicts whatever the count: the script says so when it does not.
With ``--vs PYTHON`` (the interpreter of another checkout's environment, e.g. the code
before a change), each run is made with both interpreters, one after the other, so that
the before and the after are measured side by side under the same load.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import time

SUMMARY = re.compile(r"(\d[\d,]*) cases, (\d[\d,]*) requests")


def one_run(
    workers: int, max_examples: int | None, python: str = sys.executable
) -> tuple[float, int, float, str]:
    command = [
        python, "-c", "import sys; from tcbatch_contract.cli import main; sys.exit(main())",
        "run", "--workers", str(workers), "--known-env-id", "env-bench001",
    ]  # fmt: skip
    if max_examples is not None:
        command += ["--max-examples", str(max_examples)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = SUMMARY.search(done.stdout)
    cases = int(found.group(1).replace(",", "")) if found else 0
    table = done.stdout.split("\n\n")[0]
    return wall, cases, cpu, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-examples", type=int, default=None)
    parser.add_argument("--vs", metavar="PYTHON", default=None, help="another interpreter")
    args = parser.parse_args()
    counts = [int(part) for part in args.workers.split(",")]
    pythons = {"this": sys.executable, **({"vs": args.vs} if args.vs else {})}
    keys = [(name, n) for n in counts for name in pythons]
    walls: dict[tuple[str, int], list[float]] = {k: [] for k in keys}
    tables: dict[tuple[str, int], str] = {}
    for repeat in range(args.repeat):
        for name, n in keys:
            wall, cases, cpu, table = one_run(n, args.max_examples, pythons[name])
            walls[name, n].append(wall)
            tables.setdefault((name, n), table)
            print(
                f"repeat {repeat + 1} {name} workers {n}: {wall:6.1f} s wall, {cases} cases, "
                f"{cases / wall:5.0f} cases/s, {cpu:6.1f} s CPU",
                flush=True,
            )
    first = statistics.median(walls[keys[0]])
    for name, n in keys:
        median = statistics.median(walls[name, n])
        print(f"{name} workers {n}: median {median:.1f} s, x{first / median:.2f} of {keys[0]}")
    columns = {k: _verdicts(t) for k, t in tables.items()}
    same = all(c == columns[keys[0]] for c in columns.values())
    print("same cases and verdicts per rule:" if same else "DIFFERENT per-rule results:", same)


def _verdicts(table: str) -> list[tuple[str, ...]]:
    rows = [line.split() for line in table.splitlines()[1:]]
    return [tuple(row[:3]) for row in rows if row and row[0] != "RESPONSE-FORM"]


if __name__ == "__main__":
    main()

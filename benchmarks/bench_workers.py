"""The default run with one worker process and with several, side by side (printed only).

    python benchmarks/bench_workers.py [--workers 1,2] [--repeat 2] [--max-examples N]

Each repeat runs ``tcbatch-contract run`` (the embedded emulator, every rule) once per
worker count, alternating, so that a machine shared with other work loads both alike;
it prints wall time, cases per second and CPU seconds (the run's own and its workers'),
then the ratio of each count's median wall time to the first's. The same seed must give
the same cases and verdicts whatever the count: the script says so when it does not.
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


def one_run(workers: int, max_examples: int | None) -> tuple[float, int, float, str]:
    command = [
        sys.executable, "-c", "import sys; from tcbatch_contract.cli import main; sys.exit(main())",
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
    args = parser.parse_args()
    counts = [int(part) for part in args.workers.split(",")]
    walls: dict[int, list[float]] = {n: [] for n in counts}
    tables: dict[int, str] = {}
    for repeat in range(args.repeat):
        for n in counts:
            wall, cases, cpu, table = one_run(n, args.max_examples)
            walls[n].append(wall)
            tables.setdefault(n, table)
            print(
                f"repeat {repeat + 1} workers {n}: {wall:6.1f} s wall, {cases} cases, "
                f"{cases / wall:5.0f} cases/s, {cpu:6.1f} s CPU",
                flush=True,
            )
    first = statistics.median(walls[counts[0]])
    for n in counts:
        median = statistics.median(walls[n])
        print(f"workers {n}: median {median:.1f} s, speed-up x{first / median:.2f}")
    columns = {n: _verdicts(t) for n, t in tables.items()}
    same = all(c == columns[counts[0]] for c in columns.values())
    print("same cases and verdicts per rule:" if same else "DIFFERENT per-rule results:", same)


def _verdicts(table: str) -> list[tuple[str, ...]]:
    rows = [line.split() for line in table.splitlines()[1:]]
    return [tuple(row[:3]) for row in rows if row and row[0] != "RESPONSE-FORM"]


if __name__ == "__main__":
    main()

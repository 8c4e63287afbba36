"""Two runners sharing one example database: how soon the second reports the first's find.

    python benchmarks/bench_fleet.py [--database dir|redis|both] [--out benchmarks/results/fleet.md]

For each seeded bug (an emulator ``--mutant``), the emulator serves it on loopback in a
process of its own, and two more processes play two CI runners, one after the other:
runner A (``tcbatch-contract run --rules RULE --database DB``) finds the bug after K
requests of the rule that catches it; runner B, started after A with the same database,
reports it after B requests. A third runner with no database shows that K is where the
seed alone leads. The database is a directory, or a real ``redis-server`` started here on
a free port (``--database redis``). Printed, and written as a Markdown table; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SECRET = ("AKIDbenchFLEET000000000000000000000", "benchFLEETkey0000000000000000000")
#: (mutant, the rule that catches it): bugs found after some drawing, not by the first case.
BUGS = [
    ("s4-bool-as-integer", "S4"),
    ("s4-integral-float", "S4"),
    ("b27-password-one-class", "B27"),
    ("describe-drops-tags", "VALID"),
]
CLI = [sys.executable, "-c", "import sys; from tcbatch_contract.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit(f"a server on port {port} exited with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise SystemExit(f"nothing answered on port {port}")


@contextlib.contextmanager
def served(argv: list[str], port: int) -> Iterator[None]:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, process)
        yield
    finally:
        process.terminate()
        process.wait(10)


def runner(url: str, rule: str, database: str | None, result: Path) -> dict[str, object]:
    """One runner, in a process of its own: the rule's result from its result file."""
    argv = [*CLI, "run", "--target", url, "--secret-id", SECRET[0], "--secret-key", SECRET[1]]
    argv += ["--known-env-id", "env-emu00001", "--rules", rule, "--workers", "1"]
    argv += ["--result", str(result)] + (["--database", database] if database else [])
    started = time.monotonic()
    subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    document = json.loads(result.read_text("utf-8"))
    found = next(r for r in document["results"] if r["rule"] == rule)
    return {"status": found["status"], "first": found["requests_to_first_failure"], "s": seconds}


def one_bug(mutant: str, rule: str, database: str, folder: Path) -> dict[str, object]:
    port = free_port()
    emulator = [*CLI, "emulator", "--port", str(port), "--mutant", mutant, "--rate-limit", "none"]
    emulator += ["--secret-id", SECRET[0], "--secret-key", SECRET[1]]
    with served(emulator, port):
        url = f"http://127.0.0.1:{port}"
        alone = runner(url, rule, None, folder / "alone.json")
        a = runner(url, rule, database, folder / "a.json")
        b = runner(url, rule, database, folder / "b.json")
    return {"mutant": mutant, "rule": rule, "alone": alone, "a": a, "b": b}


@contextlib.contextmanager
def redis(folder: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)]
    with served(argv, port):
        yield f"redis://127.0.0.1:{port}/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("dir", "redis", "both"), default="both")
    parser.add_argument("--out", default="benchmarks/results/fleet.md")
    args = parser.parse_args()
    kinds = ["dir", "redis"] if args.database == "both" else [args.database]
    rows = []
    for kind in kinds:
        for mutant, rule in BUGS:
            with tempfile.TemporaryDirectory(prefix="bench-fleet-") as name:
                folder = Path(name)
                if kind == "dir":
                    row = one_bug(mutant, rule, str(folder / "examples"), folder)
                else:
                    with redis(folder) as url:
                        row = one_bug(mutant, rule, url, folder)
            row["kind"] = kind
            rows.append(row)
            print(
                f"{kind:5} {mutant:28} {rule:6} alone {row['alone']['first']}  "
                f"A {row['a']['first']} ({row['a']['status']})  "
                f"B {row['b']['first']} ({row['b']['status']})"
            )
    lines = [
        "# Two runners, one example database",
        "",
        "`python benchmarks/bench_fleet.py`: each seeded bug is served by the emulator (a",
        "process of its own); runner A (`run --rules RULE --database DB`, seed 0, 60 examples)",
        "finds it after K requests of the rule; runner B, started after A with the same",
        'database, reports it after the count shown. "alone" is a runner without a database.',
        "",
        "| database | mutant | rule | alone: requests to the failure | A: K | B: requests to the failure | A s | B s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        a, b, alone = row["a"], row["b"], row["alone"]
        lines.append(
            f"| {row['kind']} | `{row['mutant']}` | {row['rule']} | {alone['first']} | "
            f"{a['first']} | {b['first']} | {a['s']:.1f} | {b['s']:.1f} |"
        )
    lines += ["", ""]
    Path(args.out).write_text("\n".join(lines), "utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

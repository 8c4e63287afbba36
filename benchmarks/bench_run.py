"""The harness's pace against three servings of the emulator, beside each server's capacity.

One run, side by side:

(a) the emulator in-process (``--target emulator``): no sockets, the ceiling that request
    generation and judging set;
(b) the emulator on waitress, as ``tcbatch-contract emulator`` serves it;
(c) the emulator on the standard library's ``http.server`` (keep-alive, headers and body
    in two sends, Nagle on: ``tcbatch_contract.emulator.stdlib_server``).

For (b) and (c) it first measures the server's raw capacity: one client process sending a
pre-signed request (a signature stays valid for five minutes) on a fresh connection each
time. Then it runs ``tcbatch-contract run --target URL`` in a child process with a fixed
rule subset and seed (or, with ``--max-time``, a timed run of them: the pace once every
process has started), reads the request count and the run's seconds from its summary
line, and prints requests/s and their ratio to the capacity. Against (c) it also times
kept-alive exchanges with plain ``http.client`` (which the transport used to be built on)
and with the harness's transport, per exchange. It writes a Markdown table into
``benchmarks/results/bench-run.md``. It prints numbers and never fails on them::

    python benchmarks/bench_run.py [--seconds 3] [--rules B1,B6,S3,P1,P2,P5,P7]
        [--max-examples 10] [--seed 1] [--max-time 20s] [--out FILE]
        [--servings a,b,c] [--rounds N] [--against REV]

A shared machine's pace moves from one minute to the next, and a server's capacity with
it. ``--rounds N`` measures each serving N times over, the capacity again before each of
the harness's runs, and reports the medians beside every round. ``--against REV`` runs
the harness of a git revision too, right after this tree's in each round, against the
same server and the same capacity reading: the ratio of the two is the change's.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tcbatch_contract.emulator import (
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    Emulator,
    EmulatorConfig,
)
from tcbatch_contract.emulator.stdlib_server import StdlibEmulator
from tcbatch_contract.transport import Client, Credential, HttpTransport, WireRequest
from tcbatch_contract.transport.http import encode

RESULTS = Path(__file__).resolve().parent / "results" / "bench-run.md"
RULES = "B1,B6,S3,P1,P2,P5,P7"
SUMMARY = re.compile(r"(\d+) cases, (\d+) requests in ([0-9.]+) s")
PARAMS = {"JobId": "job-00000000"}  # DescribeJob of a job that does not exist


def describe_request(endpoint: str) -> WireRequest:
    """A signed DescribeJob, as the harness builds it (valid for five minutes)."""
    transport = HttpTransport(endpoint)
    credential = Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    return Client(transport, credential, "ap-guangzhou").build("DescribeJob", PARAMS)


# ---- client loops, each in its own process ------------------------------------------


def fresh_connections(address: tuple[str, int], data: bytes, seconds: float, out: Any) -> None:
    """Raw capacity: connect, send, read to the close, again."""
    count = errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(data)
            answer = bytearray()
            while chunk := sock.recv(65536):
                answer += chunk
        count += 1
        errors += not (answer.startswith(b"HTTP/1.") and b'"RequestId"' in answer)
    out.put((count, errors, []))


def http_client_keepalive(host: str, request: WireRequest, seconds: float, out: Any) -> None:
    """Plain ``http.client`` on one kept-alive connection."""
    name, port = host.rsplit(":", 1)
    conn = http.client.HTTPConnection(name, int(port), timeout=10)
    count = errors = 0
    times: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        conn.request(request.method, request.target, request.body, dict(request.headers))
        response = conn.getresponse()
        data = response.read()
        times.append(time.monotonic() - started)
        count += 1
        errors += response.status != 200 or b'"RequestId"' not in data
    conn.close()
    out.put((count, errors, times))


def transport_keepalive(endpoint: str, request: WireRequest, seconds: float, out: Any) -> None:
    """The harness's transport, kept-alive connections."""
    transport = HttpTransport(endpoint)
    count = errors = 0
    times: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = transport.send(request, 10)
        times.append(answer.seconds)
        count += 1
        errors += answer.status != 200 or answer.request_id is None
    transport.close()
    out.put((count, errors, times))


def in_child(loop: Any, *args: Any, seconds: float) -> tuple[float, int, list[float]]:
    """Run ``loop`` in a fresh process (no GIL shared with the server): rate, errors, times."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=loop, args=(*args, seconds, queue))
    process.start()
    count, errors, times = queue.get(timeout=seconds + 120)
    process.join()
    return count / seconds, errors, times


# ---- the harness --------------------------------------------------------------------


def harness(target: str, args: argparse.Namespace, root: Path | None = None) -> dict[str, float]:
    """``tcbatch-contract run`` in a child process: requests, the run's seconds, rate (of
    the revision whose import root is ``root``; this tree's when None)."""
    entry = "import sys; from tcbatch_contract.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", entry, "run", "--target", target, "--rules", args.rules]
    command += ["--max-examples", str(args.max_examples), "--seed", str(args.seed)]
    if args.max_time:
        command += ["--max-time", args.max_time]  # a timed run: the pace once started
    if target == "emulator":
        command += ["--rate-limit", "1000000"]  # the in-process emulator paces otherwise
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    env.update(TENCENTCLOUD_SECRET_ID=DEFAULT_SECRET_ID, TENCENTCLOUD_SECRET_KEY=DEFAULT_SECRET_KEY)
    if root is not None:
        env["PYTHONPATH"] = str(root)
    started = time.monotonic()
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=1800, cwd=tempfile.gettempdir()
    )
    wall = time.monotonic() - started
    match = SUMMARY.search(done.stdout)
    if match is None:
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        raise SystemExit(
            f"the run against {target} gave no summary (exit {done.returncode}): {tail}"
        )
    requests, seconds = int(match[2]), float(match[3])
    return {"requests": requests, "seconds": seconds, "rate": requests / seconds, "wall": wall,
            "exit": done.returncode}  # fmt: skip


# ---- the run ------------------------------------------------------------------------


def serve_and_measure(
    name: str,
    server: Any,
    args: argparse.Namespace,
    notes: dict[str, Any],
    sides: dict[str, Path | None],
) -> list[dict[str, Any]]:
    """Each round: the server's capacity, then the harness of each side against it."""
    rounds = []
    with server:
        request = describe_request(server.endpoint)
        closing = encode(request.with_header("Connection", "close"))
        host, port = server.host.rsplit(":", 1)
        if isinstance(server, StdlibEmulator):
            for label, loop, target in (
                ("http.client, kept-alive", http_client_keepalive, server.host),
                ("HttpTransport, kept-alive", transport_keepalive, server.endpoint),
            ):
                rate, errs, times = in_child(loop, target, request, seconds=args.seconds)
                median = statistics.median(times) * 1000 if times else float("nan")
                notes[label] = (rate, median, errs)
                print(f"{name}: {label}: {rate:,.0f} requests/s, {median:.2f} ms per exchange")
        for number in range(1, args.rounds + 1):
            capacity, errors, _ = in_child(
                fresh_connections, (host, int(port)), closing, seconds=args.seconds
            )
            print(f"{name} round {number}: {capacity:,.0f} requests/s on fresh connections "
                  f"({errors} errors)")  # fmt: skip
            row: dict[str, Any] = {"capacity": capacity}
            for side, root in sides.items():
                run = harness(server.endpoint, args, root)
                row[side] = run
                print(f"{name} round {number}: {side}: {run['requests']} requests in "
                      f"{run['seconds']:.1f} s, {run['rate']:.1f} requests/s, "
                      f"{run['rate'] / capacity:.1%} of capacity")  # fmt: skip
            rounds.append(row)
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per capacity measurement")
    parser.add_argument("--rules", default=RULES)
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help=f"the Markdown table (default {RESULTS})")
    parser.add_argument(
        "--max-time", help="run the harness for this budget (e.g. 20s): its steady pace"
    )
    parser.add_argument("--servings", default="a,b,c", help="which of (a), (b), (c) to run")
    parser.add_argument("--rounds", type=int, default=1, help="measurements per serving")
    parser.add_argument("--against", metavar="REV", help="a git revision's harness beside")
    args = parser.parse_args()
    servings = set(args.servings.split(","))
    if not servings <= {"a", "b", "c"} or args.rounds < 1:
        parser.error("--servings takes a, b and c (comma-separated); --rounds at least 1")
    load = os.getloadavg()[0]
    config = EmulatorConfig(rate_limit=None, job_quota=None)
    rows: dict[str, list[dict[str, Any]]] = {}
    keepalive: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        sides: dict[str, Path | None] = {"now": None}
        if args.against:
            from bench_generate import _extract

            sides[args.against] = _extract(args.against, Path(scratch))
        if "a" in servings:
            rows["(a) emulator in-process"] = []
            for number in range(1, args.rounds + 1):
                row: dict[str, Any] = {"capacity": None}
                for side, root in sides.items():
                    row[side] = run = harness("emulator", args, root)
                    print(f"(a) in-process round {number}: {side}: {run['requests']} requests "
                          f"in {run['seconds']:.1f} s, {run['rate']:.1f} requests/s")  # fmt: skip
                rows["(a) emulator in-process"].append(row)
        if "b" in servings:
            rows["(b) emulator on waitress"] = serve_and_measure(
                "(b) waitress", Emulator(config), args, {}, sides
            )
        if "c" in servings:
            rows["(c) emulator on http.server"] = serve_and_measure(
                "(c) http.server", StdlibEmulator(config), args, keepalive, sides
            )
    write(rows, keepalive, args, load, list(sides))


def write(
    rows: dict[str, list[dict[str, Any]]],
    keepalive: dict[str, Any],
    args: argparse.Namespace,
    load: float,
    sides: list[str],
) -> None:
    command = (
        f"python benchmarks/bench_run.py --rules {args.rules} --max-examples "
        f"{args.max_examples} --seed {args.seed} --seconds {args.seconds:g}"
        + (f" --max-time {args.max_time}" if args.max_time else "")
        + (f" --servings {args.servings}" if args.servings != "a,b,c" else "")
        + (f" --rounds {args.rounds}" if args.rounds > 1 else "")
        + (f" --against {args.against}" if args.against else "")
    )
    lines = [
        "# The harness's pace against three servings of the emulator",
        "",
        f"`{command}`; {os.cpu_count()} cores, load average {load:.1f} at the start, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
    ]
    median = statistics.median
    header = "| target | server capacity, fresh connections (req/s) |"
    rule = "|---|---:|"
    for side in sides:
        header += f" harness {side} (req/s) | {side} / capacity |"
        rule += "---:|---:|"
    if len(sides) == 2:
        header += f" now / {sides[1]} |"
        rule += "---:|"
    if args.rounds > 1:
        lines += [f"Medians of {args.rounds} rounds (each round below).", ""]
    lines += [header, rule]
    for name, rounds in rows.items():
        capacities = [r["capacity"] for r in rounds if r["capacity"]]
        cells = [name, f"{median(capacities):,.0f}" if capacities else "—"]
        for side in sides:
            rates = [r[side]["rate"] for r in rounds]
            ratios = [r[side]["rate"] / r["capacity"] for r in rounds if r["capacity"]]
            cells += [f"{median(rates):.1f}", f"{median(ratios):.1%}" if ratios else "—"]
        if len(sides) == 2:
            cells.append(f"{median(r['now']['rate'] / r[sides[1]]['rate'] for r in rounds):.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Each round: the capacity (for a served target), then each harness run against it.",
        "",
        "| target | round | capacity (req/s) | side | requests | run (s) | req/s | / capacity |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for name, rounds in rows.items():
        for number, row in enumerate(rounds, 1):
            capacity = row["capacity"]
            for side in sides:
                run = row[side]
                ratio = f"{run['rate'] / capacity:.1%}" if capacity else "—"
                shown = f"{capacity:,.0f}" if capacity else "—"
                lines.append(
                    f"| {name} | {number} | {shown} | {side} | {run['requests']} | "
                    f"{run['seconds']:.1f} | {run['rate']:.1f} | {ratio} |"
                )
    if keepalive:
        lines += [
            "",
            "Kept-alive exchanges against (c), one client process, the same signed DescribeJob:",
            "",
            "| client | requests/s | median ms per exchange |",
            "|---|---:|---:|",
        ]
        for label, (rate, ms, _) in keepalive.items():
            lines.append(f"| {label} | {rate:,.0f} | {ms:.2f} |")
    lines.append("")
    out = args.out or RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()

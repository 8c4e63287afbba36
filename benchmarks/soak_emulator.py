"""Soak: the emulator as its own process under mixed, hostile and idle load, killed and
restarted, then checked against what its clients were told.

``tcbatch-contract emulator --db FILE`` runs in a subprocess on a loopback port, and three
phases follow one another:

1. mixed: client processes send valid SubmitJobs (most with ClientTokens drawn from small
   pools, some pools shared by every client), DescribeJobs, V1 GETs, garbage bodies, wrong
   Content-Types and 10 MiB bodies, each on a new connection; the server is killed with
   SIGKILL and restarted on the same file twice while they do;
2. keep-alive: 32 clients, each on one kept-alive connection;
3. idle: 200 connections held open, half idle and half dripping a request one byte a
   second, while normal clients send.

Then every acknowledged job is looked up and every ClientToken is sent again. Per phase it
reports the requests answered, the answers that were not HTTP 200 or not JSON, the slowest
answer, and the attempts that got no answer (connections refused or cut, expected only
while the server is down). It prints figures and never asserts them; it stops by itself::

    python benchmarks/soak_emulator.py [--quick] [--output benchmarks/results/soak.md]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from soak_client import Client, Stats, client_process, job

#: Seconds of each phase: (mixed, keep-alive, idle), full and quick.
PHASES = {"full": (120.0, 30.0, 45.0), "quick": (10.0, 4.0, 6.0)}
CLIENTS = 4
KINDS = {
    "submit-token": 30, "submit": 8, "describe": 15, "v1-get": 15,
    "garbage": 14, "content-type": 10, "10mib": 2,
}  # fmt: skip
#: What the ``tcbatch-contract`` console script runs.
ENTRY = "import sys; from tcbatch_contract.cli import main; sys.exit(main())"


class Server:
    """``tcbatch-contract emulator --db FILE`` in a subprocess, on one port across restarts."""

    def __init__(self, db: Path, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.db, self.log = db, log.open("ab")
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        command = [sys.executable, "-c", ENTRY, "emulator", "--port",
                   str(self.port), "--db", str(self.db), "--rate-limit", "none",
                   "--job-quota", "none"]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self.log, env=env, text=True
        )
        for line in self.process.stdout:  # the banner; it holds no secret we keep
            if line.startswith("Ctrl-C"):
                break
        else:
            raise RuntimeError(f"the emulator did not start; see {self.log.name}")
        self.starts += 1

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def run_clients(port: int, processes: int, threads: int, keep_alive: bool, seconds: float,
                kinds: dict[str, int], during=None) -> Stats:  # fmt: skip
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [
        context.Process(target=client_process,
                        args=(port, n + 1, threads, keep_alive, seconds, kinds, out))
        for n in range(processes)
    ]  # fmt: skip
    for worker in workers:
        worker.start()
    if during is not None:
        during()
    total = Stats()
    for _ in workers:
        total.merge(out.get(timeout=seconds + 180))
    for worker in workers:
        worker.join(30)
    return total


def restarting(server: Server, seconds: float):
    """Kill the server with SIGKILL and restart it at a third and two thirds of the phase."""

    def during() -> None:
        start = time.monotonic()
        for fraction in (1 / 3, 2 / 3):
            time.sleep(max(0.0, start + seconds * fraction - time.monotonic()))
            server.kill()
            time.sleep(0.5)
            server.start()

    return during


def hold_open(port: int, seconds: float) -> dict[str, int]:
    """100 idle connections and 100 dripping a request a byte a second, for ``seconds``."""
    host = f"127.0.0.1:{port}"
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
    body = json.dumps(job("drip")).encode()
    request = (f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip
    drip = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
    sent, answered = [0] * len(drip), {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for n, sock in enumerate(drip):
            if n in answered or sent[n] >= len(request) - 1:
                continue
            try:
                sock.send(request[sent[n] : sent[n] + 1])
                sent[n] += 1
            except OSError:  # closed by the server: its answer may be waiting
                answered[n] = _answer(sock)
        waiting = [s for n, s in enumerate(drip) if n not in answered]
        for sock in select.select(waiting, [], [], 1.0)[0]:
            answered[drip.index(sock)] = _answer(sock)
    for sock in idle + drip:
        sock.close()
    return dict(Counter(answered.values()))


def _answer(sock: socket.socket) -> str:
    """The error code of the answer waiting on ``sock`` (read to its end), or "closed"."""
    sock.settimeout(5)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError:
        pass
    try:
        response = json.loads(data.partition(b"\r\n\r\n")[2])["Response"]
    except (ValueError, KeyError, TypeError):
        return "closed without an answer"
    return response.get("Error", {}).get("Code", "success")


def verify(port: int, acks: list) -> tuple[int, int, int]:
    """(jobs lost, tokens answered with another JobId, tokens checked) after the restarts."""
    checker = Client(port, 0, keep_alive=True)
    first: dict[str, set] = {}
    for token, job_id in acks:
        if token is not None:
            first.setdefault(token, set()).add(job_id)
    mixed_up = sum(len(ids) > 1 for ids in first.values())
    lost = 0
    for job_id in sorted({job_id for _, job_id in acks}):
        answer = checker.tc3("DescribeJob", json.dumps({"JobId": job_id}).encode())
        lost += answer is None or answer.get("JobId") != job_id
    for token, ids in first.items():
        params = {**job("again"), "ClientToken": token}
        answer = checker.tc3("SubmitJob", json.dumps(params).encode())
        mixed_up += answer is None or {answer.get("JobId")} != ids
    return lost, mixed_up, len(first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="about 30 s instead of minutes")
    parser.add_argument("--output", type=Path, help="also write the figures (Markdown) here")
    args = parser.parse_args()
    mixed_s, keep_s, idle_s = PHASES["quick" if args.quick else "full"]
    with tempfile.TemporaryDirectory(prefix="soak-") as work:
        server = Server(Path(work) / "jobs.db", Path(work) / "server.log")
        server.start()
        try:
            began = time.monotonic()
            rows = [
                (
                    "mixed, SIGKILL and restart twice",
                    run_clients(
                        server.port, CLIENTS, 1, False, mixed_s, KINDS, restarting(server, mixed_s)
                    ),
                )
            ]
            reads = {"submit-token": 2, "submit": 1, "describe": 4, "v1-get": 2}
            rows.append(("32 keep-alive clients", run_clients(
                server.port, CLIENTS, 8, True, keep_s, reads)))  # fmt: skip
            held: dict[str, int] = {}

            def idle() -> None:
                held.update(hold_open(server.port, idle_s))

            rows.append(("4 clients past 200 idle/dripping connections", run_clients(
                server.port, CLIENTS, 1, False, idle_s - 2, reads, idle)))  # fmt: skip
            acks = [ack for _, stats in rows for ack in stats.acks]
            lost, mixed_up, tokens = verify(server.port, acks)
            elapsed = time.monotonic() - began
        finally:
            server.stop()
        tracebacks = (Path(work) / "server.log").read_text(errors="replace").count("Traceback")
    text = report(rows, held, lost, mixed_up, tokens, len({a[1] for a in acks}), tracebacks,
                  server.starts, elapsed, args.quick)  # fmt: skip
    print(text)
    if args.output:
        args.output.write_text(text)


def report(rows, held, lost, mixed_up, tokens, jobs, tracebacks, starts, elapsed, quick) -> str:
    lines = [
        "# Emulator soak",
        "",
        f"`python benchmarks/soak_emulator.py{' --quick' if quick else ''}`: "
        f"`tcbatch-contract emulator --db FILE` ({'--quick' if quick else 'full'}, "
        f"{elapsed:.0f} s, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end)",
        "",
        "| phase | requests | non-200 | non-JSON | slowest answer | no answer | "
        "valid jobs refused |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in rows:
        refused = ", ".join(f"{c} {n}" for c, n in s.valid_refused.items()) or "0"
        lines.append(f"| {name} | {s.requests:,} | {s.non_200} | {s.non_json} | "
                     f"{s.slowest:.2f} s | {s.no_answer} | {refused} |")  # fmt: skip
    lines.append("")
    for name, s in rows:
        common = ", ".join(f"{code} {n:,}" for code, n in s.codes.most_common(6))
        lines.append(f'* answers of "{name}": {common}')
    with_token = sum(1 for _, s in rows for token, _ in s.acks if token is not None)
    dripped = ", ".join(f"{n} {code}" for code, n in sorted(held.items())) or "none yet"
    lines += [
        "",
        f"* server starts: {starts} (two after SIGKILL); tracebacks in its log: {tracebacks}",
        f"* acknowledged jobs: {jobs:,}; lost after the restarts: {lost}; acknowledged jobs "
        f"answered ResourceNotFound.Job during the run: {sum(s.not_found for _, s in rows)}",
        f"* ClientTokens: {tokens} distinct, acknowledged {with_token:,} times, each sent once "
        f"more at the end; answered with another JobId: {mixed_up}",
        f"* dripping connections answered by the server: {dripped}",
        "* no answer: attempts refused or cut while the server was down (SIGKILL)",
        "* ResourceNotFound.Job: DescribeJob of job-00000000 before a client had a job of its "
        "own; UnknownParameter: the 10 MiB bodies (at the size limit, padded with an unknown "
        "member); InvalidParameter: garbage bodies and wrong Content-Types",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

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
import http.client
import json
import multiprocessing
import os
import random
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from tcbatch_contract.emulator import DEFAULT_ENV_ID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from tcbatch_contract.wire import signing
from tcbatch_contract.wire.flatten import flatten

MIB = 1024 * 1024
#: Seconds of each phase: (mixed, keep-alive, idle), full and quick.
PHASES = {"full": (120.0, 30.0, 45.0), "quick": (10.0, 4.0, 6.0)}
CLIENTS = 4
KINDS = {
    "submit-token": 30, "submit": 8, "describe": 15, "v1-get": 15,
    "garbage": 14, "content-type": 10, "10mib": 2,
}  # fmt: skip
#: What the ``tcbatch-contract`` console script runs.
ENTRY = "import sys; from tcbatch_contract.cli import main; sys.exit(main())"
SHARED_TOKENS = [f"soak-shared-{n}" for n in range(5)]


def job(name: str) -> dict:
    """A valid SubmitJob request: one task in the emulator's default compute environment."""
    task = {
        "TaskName": "t",
        "Application": {"DeliveryForm": "LOCAL", "Command": "echo soak"},
        "EnvId": DEFAULT_ENV_ID,
    }
    return {"Placement": {"Zone": "ap-guangzhou-2"}, "Job": {"JobName": name, "Tasks": [task]}}


@dataclass
class Stats:
    requests: int = 0
    non_200: int = 0
    non_json: int = 0
    slowest: float = 0.0
    no_answer: int = 0
    valid_refused: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)  # error code (or "ok") of every answer
    acks: list = field(default_factory=list)  # (token or None, JobId)
    not_found: int = 0  # an acknowledged job answered ResourceNotFound.Job

    def merge(self, other: Stats) -> None:
        for name in ("requests", "non_200", "non_json", "no_answer", "not_found"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.slowest = max(self.slowest, other.slowest)
        self.valid_refused.update(other.valid_refused)
        self.codes.update(other.codes)
        self.acks.extend(other.acks)


class Client:
    """One sender: builds signed requests and records what comes back."""

    def __init__(self, port: int, seed: int, keep_alive: bool) -> None:
        self.host = f"127.0.0.1:{port}"
        self.port, self.keep_alive = port, keep_alive
        self.rng = random.Random(seed)
        self.tokens = [f"soak-{seed}-{n}" for n in range(20)] + SHARED_TOKENS
        self.stats = Stats()
        self.conn: http.client.HTTPConnection | None = None
        self.big: tuple[bytes, str] | None = None

    def send(self, method: str, target: str, headers: dict, body: bytes | None) -> dict | None:
        started = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, target, body, headers)
            answer = self.conn.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            self.stats.no_answer += 1
            self._drop()
            time.sleep(0.05)  # the server is down or restarting
            return None
        if not self.keep_alive or answer.will_close:
            self._drop()
        stats = self.stats
        stats.requests += 1
        stats.slowest = max(stats.slowest, time.monotonic() - started)
        stats.non_200 += answer.status != 200
        try:
            response = json.loads(data)["Response"]
            response["RequestId"]
        except (ValueError, KeyError, TypeError):
            stats.non_json += 1
            return None
        error = response.get("Error") if isinstance(response, dict) else None
        stats.codes[error.get("Code") if isinstance(error, dict) else "success"] += 1
        return response

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def tc3(self, action: str, body: bytes, content_type: str = "application/json", *,
            payload_hash: str | None = None) -> dict | None:  # fmt: skip
        now = int(time.time())
        authorization = signing.tc3_authorization(
            DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, now, "POST", "", content_type, self.host,
            payload_hash or signing.sha256_hex(body),
        )  # fmt: skip
        headers = {
            "Host": self.host, "Content-Type": content_type, "X-TC-Action": action,
            "X-TC-Version": "2017-03-12", "X-TC-Timestamp": str(now),
            "X-TC-Region": "ap-guangzhou", "Authorization": authorization,
        }  # fmt: skip
        return self.send("POST", "/", headers, body)

    def v1_get(self, action: str, params: dict) -> dict | None:
        pairs = {
            **flatten(params), "Action": action, "Version": "2017-03-12",
            "Timestamp": str(int(time.time())), "Nonce": str(self.rng.randrange(1, 10**9)),
            "SecretId": DEFAULT_SECRET_ID, "SignatureMethod": "HmacSHA256",
            "Region": "ap-guangzhou",
        }  # fmt: skip
        text = signing.v1_string_to_sign("GET", self.host, "/", pairs)
        pairs["Signature"] = signing.v1_signature(DEFAULT_SECRET_KEY, text, "HmacSHA256")
        return self.send("GET", "/?" + urlencode(pairs), {"Host": self.host}, None)

    def submit(self, token: str | None) -> None:
        params = job(f"soak-{self.rng.randrange(10**6)}")
        if token is not None:
            params["ClientToken"] = token
        answer = self.tc3("SubmitJob", json.dumps(params).encode())
        if answer is None:
            return
        if "JobId" in answer:
            self.stats.acks.append((token, answer["JobId"]))
        else:
            self.stats.valid_refused[answer.get("Error", {}).get("Code")] += 1

    def known_job(self) -> str:
        acks = self.stats.acks
        return self.rng.choice(acks)[1] if acks else "job-00000000"

    def describe(self, via_v1: bool) -> None:
        job_id = self.known_job()
        params = {"JobId": job_id}
        if via_v1:
            answer = self.v1_get("DescribeJob", params)
        else:
            answer = self.tc3("DescribeJob", json.dumps(params).encode())
        lost = answer and answer.get("Error", {}).get("Code") == "ResourceNotFound.Job"
        self.stats.not_found += bool(lost and job_id != "job-00000000")

    def one(self, kinds: dict[str, int]) -> None:
        kind = self.rng.choices(list(kinds), weights=list(kinds.values()))[0]
        if kind == "submit-token":
            self.submit(self.rng.choice(self.tokens))
        elif kind == "submit":
            self.submit(None)
        elif kind in ("describe", "v1-get"):
            self.describe(kind == "v1-get")
        elif kind == "garbage":
            self.tc3("SubmitJob", self.rng.randbytes(self.rng.randrange(1, 4096)))
        elif kind == "content-type":
            kind = self.rng.choice(["text/plain", "application/json; charset=utf-8", ""])
            self.tc3("SubmitJob", json.dumps(job("ct")).encode(), kind)
        else:
            if self.big is None:  # exactly 10 MiB: padded with an unknown member
                head = json.dumps({**job("big"), "Pad": ""}).encode()
                body = head[:-2] + b"y" * (10 * MIB - len(head)) + head[-2:]
                self.big = (body, signing.sha256_hex(body))
            body, digest = self.big
            self.tc3("SubmitJob", body, payload_hash=digest)


def client_process(port: int, seed: int, threads: int, keep_alive: bool, seconds: float,
                   kinds: dict[str, int], out: multiprocessing.Queue) -> None:  # fmt: skip
    deadline = time.monotonic() + seconds
    clients = [Client(port, seed * 100 + n, keep_alive) for n in range(threads)]

    def loop(client: Client) -> None:
        while time.monotonic() < deadline:
            client.one(kinds)

    workers = [threading.Thread(target=loop, args=(c,)) for c in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = Stats()
    for client in clients:
        total.merge(client.stats)
    out.put(total)


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
            except OSError:
                answered[n] = "closed"
        readable, _, _ = select.select([s for n, s in enumerate(drip) if n not in answered],
                                       [], [], 1.0)  # fmt: skip
        for sock in readable:
            data = sock.recv(65536)
            code = json.loads(data.partition(b"\r\n\r\n")[2] or b"{}").get("Response", {})
            answered[drip.index(sock)] = code.get("Error", {}).get("Code", "closed")
    for sock in idle + drip:
        sock.close()
    return dict(Counter(answered.values()))


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
        f"Soak of `tcbatch-contract emulator --db FILE` ({'--quick' if quick else 'full'}, "
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
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

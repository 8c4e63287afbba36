"""The clients of the emulator soak (``soak_emulator.py``): signed requests over loopback,
valid and hostile, each answer recorded (status, JSON, slowest, error code, JobIds given).

Kept apart so that the client processes, started with ``spawn``, import only this.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from tcbatch_contract.emulator import DEFAULT_ENV_ID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from tcbatch_contract.wire import signing
from tcbatch_contract.wire.flatten import flatten

MIB = 1024 * 1024
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
    codes: Counter = field(default_factory=Counter)  # error code (or "success") of every answer
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

"""Requests per second of the emulator beside a bare hello-world app on waitress.

Two client processes hammer each server over loopback with keep-alive connections, one
after the other in one run: a hello-world WSGI app on waitress (the ceiling of the HTTP
stack), then the emulator with a valid SubmitJob, then the emulator with a DescribeJob.
Requests are signed once up front (a signature stays valid for 5 minutes), so the
clients spend their time sending. The ratio says what the API work costs on top of
waitress. It prints numbers and never fails::

    python benchmarks/bench_emulator.py [--seconds 3] [--clients 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import multiprocessing
import threading
import time
import traceback

import waitress

from tcbatch_contract.emulator import (
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    Emulator,
    EmulatorConfig,
)
from tcbatch_contract.wire import signing

THREADS = 8
SUBMIT = {
    "Placement": {"Zone": "ap-guangzhou-2"},
    "Job": {
        "JobName": "bench",
        "Tasks": [
            {
                "TaskName": "t",
                "Application": {"DeliveryForm": "LOCAL", "Command": "echo hi"},
                "ComputeEnv": {"EnvData": {"InstanceType": "S1.SMALL1"}},
            }
        ],
    },
}


def hello(environ, start_response):
    body = b'{"Response": {"RequestId": "hello"}}'
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def signed(host: str, action: str, params: dict) -> tuple[dict[str, str], bytes]:
    body = json.dumps(params).encode()
    now = int(time.time())
    authorization = signing.tc3_authorization(
        DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, now, "POST", "", "application/json", host,
        signing.sha256_hex(body),
    )  # fmt: skip
    headers = {
        "Host": host, "Content-Type": "application/json", "X-TC-Action": action,
        "X-TC-Version": "2017-03-12", "X-TC-Timestamp": str(now), "X-TC-Region": "ap-guangzhou",
        "Authorization": authorization,
    }  # fmt: skip
    return headers, body


def client(host: str, headers: dict, body: bytes, seconds: float, out) -> None:
    name, port = host.rsplit(":", 1)
    conn = http.client.HTTPConnection(name, int(port), timeout=10)
    count, errors = 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn.request("POST", "/", body, headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != 200 or b'"Error"' in data:
            errors += 1
        count += 1
    conn.close()
    out.put((count, errors))


def measure(
    host: str, headers: dict, body: bytes, seconds: float, clients: int
) -> tuple[float, int]:
    queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=client, args=(host, headers, body, seconds, queue))
        for _ in range(clients)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=seconds + 60) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    return sum(count for count, _ in results) / elapsed, sum(errors for _, errors in results)


def run(seconds: float, clients: int) -> None:
    server = waitress.create_server(hello, host="127.0.0.1", port=0, threads=THREADS)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    hello_host = f"127.0.0.1:{server.effective_port}"
    rows = []
    try:
        rate, errors = measure(hello_host, {"Host": hello_host}, b"{}", seconds, clients)
        rows.append(("hello-world WSGI on waitress", rate, errors))
    finally:
        server.close()
    config = EmulatorConfig(rate_limit=None, job_quota=None)
    with Emulator(config, threads=THREADS) as emu:
        headers, body = signed(emu.host, "SubmitJob", SUBMIT)
        rate, errors = measure(emu.host, headers, body, seconds, clients)
        rows.append(("emulator SubmitJob (valid)", rate, errors))
        job_id = _one_job(emu.host, headers, body)
        headers, body = signed(emu.host, "DescribeJob", {"JobId": job_id})
        rate, errors = measure(emu.host, headers, body, seconds, clients)
        rows.append(("emulator DescribeJob", rate, errors))
    base = rows[0][1]
    print(f"{clients} client processes, {seconds:g} s each, waitress threads={THREADS}")
    for name, rate, errors in rows:
        note = f" ({errors} unexpected answers)" if errors else ""
        print(f"  {name:32s} {rate:9.0f} req/s   ratio to hello-world {rate / base:5.2f}{note}")


def _one_job(host: str, headers: dict, body: bytes) -> str:
    name, port = host.rsplit(":", 1)
    conn = http.client.HTTPConnection(name, int(port), timeout=10)
    conn.request("POST", "/", body, headers)
    job_id = json.loads(conn.getresponse().read())["Response"]["JobId"]
    conn.close()
    return job_id


def main() -> None:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" is expected here
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    try:
        run(args.seconds, args.clients)
    except Exception:  # a benchmark reports, it does not fail a build
        traceback.print_exc()
        print("benchmark did not complete")


if __name__ == "__main__":
    main()

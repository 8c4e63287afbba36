"""Against a live (non-loopback) target: billable submissions only when allowed, at most N;
every created job deleted, also on Ctrl-C; never over the documented 7 requests/s.

The "live service" is the emulator (its documented 7/s limit on) behind a name that is not
loopback, reached through ``--connect-to`` on loopback, and watched by a WSGI wrapper that
notes every answer.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pytest
from waitress.server import create_server

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import EmulatorConfig, make_app

SECRET_ID = "AKIDliveSAFETY000000000000000000001"
SECRET_KEY = "liveSAFETYsecretKey00000000000001"


@dataclass
class Watched:
    url: str
    app: object
    answers: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def submitted(self) -> list[str]:
        """JobIds of every SubmitJob that succeeded."""
        return [
            job for action, code, job in self.answers if action == "SubmitJob" and job and not code
        ]

    def codes(self) -> list[str | None]:
        return [code for _, code, _ in self.answers]

    def held(self) -> int:
        return self.app.store.count(SECRET_ID)


def watching(app: Callable, answers: list) -> Callable:
    def wrapped(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        action = environ.get("HTTP_X_TC_ACTION")
        if action is None:
            pairs = parse_qsl(environ.get("QUERY_STRING", "")) + parse_qsl(body.decode("latin-1"))
            action = dict(pairs).get("Action")
        chunks = b"".join(app(environ, start_response))
        try:
            response = json.loads(chunks)["Response"]
        except (ValueError, KeyError, TypeError):
            response = {}
        code = (response.get("Error") or {}).get("Code")
        answers.append((action, code, response.get("JobId")))
        return [chunks]

    return wrapped


#: A name that is not loopback (``.invalid`` never resolves): the harness judges the target
#: by its URL, while ``--connect-to`` keeps every byte on loopback.
LIVE_NAME = "batch.live.invalid"


@pytest.fixture
def live() -> Iterator[Watched]:
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY)  # 7 requests/s
    assert config.rate_limit == 7
    app = make_app(config)
    answers: list = []
    server = create_server(watching(app, answers), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Watched(f"http://{LIVE_NAME}:{server.effective_port}", app, answers)
    finally:
        server.close()
        thread.join(timeout=5)


def argv(watched: Watched, *extra: str) -> list[str]:
    port = watched.url.rsplit(":", 1)[1]
    return ["run", "--target", watched.url, "--connect-to", f"127.0.0.1:{port}",
            "--secret-id", SECRET_ID, "--secret-key", SECRET_KEY, "--max-examples", "3",
            *extra]  # fmt: skip


def test_no_valid_submission_goes_to_a_live_target_unless_allowed(live: Watched, capsys) -> None:
    assert main(argv(live, "--rules", "VALID,STATE-LIFECYCLE,B9", "--known-env-id",
                     "env-emu00001")) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert live.submitted() == []
    assert "--allow-billable" in out and "SKIP" in out
    assert any(action == "DescribeJob" for action, _, _ in live.answers)  # it did talk to it


def test_at_most_n_valid_submissions_all_deleted_and_never_over_seven_per_second(
    live: Watched, capsys
) -> None:
    rules = "VALID,FUZZ,STATE-LIFECYCLE,STATE-IDEMPOTENCY,P11"
    assert main(argv(live, "--rules", rules, "--allow-billable", "3")) == 0
    capsys.readouterr()
    jobs = live.submitted()
    assert 1 <= len(set(jobs)) <= 3, jobs
    assert live.held() == 0  # every one terminated and deleted
    assert "RequestLimitExceeded" not in live.codes()
    assert len(live.answers) > 40


def test_ctrl_c_deletes_every_job_the_run_created(live: Watched) -> None:
    command = [sys.executable, "-c", "import sys; from tcbatch_contract.cli import main; "
               "sys.exit(main(sys.argv[1:]))",
               *argv(live, "--rules", "B30", "--job-quota", "40", "--allow-billable", "60")]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 30
        while len(live.submitted()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live.held() >= 5, "the run created no jobs to interrupt"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err.decode()
    created = set(live.submitted())
    assert 5 <= len(created) < 40  # interrupted before the quota was reached
    assert live.held() == 0
    assert b"interrupted" in out + err


def test_state_model_on_a_live_target_spends_the_allowance_and_deletes_its_jobs(
    live: Watched, capsys
) -> None:
    assert main(argv(live, "--rules", "STATE-MODEL", "--allow-billable", "4",
                     "--max-examples", "3")) == 0  # fmt: skip
    out = capsys.readouterr().out
    jobs = set(live.submitted())
    assert 1 <= len(jobs) <= 4, jobs
    assert live.held() == 0  # every one terminated and deleted
    assert "RequestLimitExceeded" not in live.codes()
    assert "STATE-MODEL" in out

"""A second Ctrl-C while the run deletes its jobs: it stops, and names every job it left.

A real ``tcbatch-contract run`` in a subprocess against the emulator on loopback, real
SIGINTs: the first once the run has created a job, the second while the run's cleanup
waits on a DeleteJob that the target makes slow. The run must end promptly, and every job
it created that is still on the target must be named in its output.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from support.loopback import serve

from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.transport import Client, Credential, WsgiTransport

SECRET_ID, SECRET_KEY = "AKIDinterrupt000000000000000000000001", "interrupt-key-00000000000000001"


class SlowDeletes:
    """The emulator, noting the jobs it creates; every DeleteJob after the first job is
    created waits (so the run cannot delete that job before it is interrupted), and one
    that arrives after the first Ctrl-C sets ``deleting``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.created: list[str] = []
        self.slow, self.interrupted, self.deleting, self.release = (
            threading.Event() for _ in range(4)
        )
        self.adopted = threading.Event()  # a request came after a job was created and answered

    def __call__(self, environ: dict[str, Any], start_response: Any):
        if self.created:
            self.adopted.set()  # the run read the JobId before sending this
        if environ.get("HTTP_X_TC_ACTION") == "DeleteJob" and self.slow.is_set():
            if self.interrupted.is_set():
                self.deleting.set()
            self.release.wait(20)
        body = b"".join(self.app(environ, start_response))
        job_id = (json.loads(body or b"{}").get("Response") or {}).get("JobId")
        if environ.get("HTTP_X_TC_ACTION") == "SubmitJob" and job_id:
            self.created.append(job_id)
            self.slow.set()
        return [body]


def test_a_second_ctrl_c_during_cleanup_names_the_jobs_left(tmp_path: Path) -> None:
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None)
    app = make_app(config)
    target = SlowDeletes(app)
    try:
        with serve(target) as url:
            command = [
                sys.executable, "-c", "import sys; from tcbatch_contract.cli import main; "
                "sys.exit(main())", "run", "--target", url, "--secret-id", SECRET_ID,
                "--secret-key", SECRET_KEY, "--rules", "STATE-LIFECYCLE,STATE-IDEMPOTENCY",
                "--report", str(tmp_path / "r.md"),
            ]  # fmt: skip
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       start_new_session=True)  # fmt: skip
            try:
                assert target.adopted.wait(60), "the run created no job"
                target.interrupted.set()
                process.send_signal(signal.SIGINT)
                assert target.deleting.wait(30), "the run did not start deleting its jobs"
                interrupted = time.monotonic()
                process.send_signal(signal.SIGINT)
                out, err = process.communicate(timeout=30)
                took = time.monotonic() - interrupted
            finally:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            client = Client(WsgiTransport(app), Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou")
            left = [
                j for j in target.created if client.call("DescribeJob", {"JobId": j}).code is None
            ]
            target.release.set()
    finally:
        app.close()
    text = out.decode() + err.decode()
    assert process.returncode == 130, text[-2000:]
    assert took < 20  # it did not wait for the slow DeleteJob to answer
    assert left, "the slow DeleteJob should have kept a job on the target"
    line = re.search(r"interrupted while deleting: (\d+) job\(s\) the run created are left on "
                     r"the target: (.*)", err.decode())  # fmt: skip
    assert line is not None, text[-2000:]
    named = set(line.group(2).split(", "))
    assert set(left) <= named and int(line.group(1)) == len(named)

"""tccli as the client: credentials only in the environment, ``--endpoint http://...``.

tccli signs ``Host: http://127.0.0.1:PORT`` (the URL it was given); the emulator verifies
against that raw header. tccli takes a second or two to start, so this file runs it twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.emulator_wire import send, tc3

from tcbatch_contract.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

pytestmark = pytest.mark.skipif(shutil.which("tccli") is None, reason="tccli is not installed")

PLACEMENT = {"Zone": "ap-guangzhou-2"}
JOB = {
    "JobName": "from-tccli",
    "Tasks": [
        {
            "TaskName": "hello",
            "Application": {"DeliveryForm": "LOCAL", "Command": "echo hello"},
            "ComputeEnv": {"EnvType": "MANAGED", "EnvData": {"InstanceType": "S1.SMALL1"}},
        }
    ],
}


def tccli(emu: Emulator, home: Path, placement: dict, job: dict) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().endswith("_PROXY") and not key.startswith("TENCENTCLOUD_")
    }
    env.update(
        HOME=str(home),
        TENCENTCLOUD_SECRET_ID=DEFAULT_SECRET_ID,
        TENCENTCLOUD_SECRET_KEY=DEFAULT_SECRET_KEY,
        TENCENTCLOUD_REGION="ap-guangzhou",
    )
    command = [
        "tccli", "batch", "SubmitJob", "--endpoint", emu.endpoint,
        "--Placement", json.dumps(placement), "--Job", json.dumps(job),
    ]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_tccli_submits_and_the_job_reads_back(emu: Emulator, tmp_path: Path) -> None:
    done = tccli(emu, tmp_path, PLACEMENT, JOB)
    assert done.returncode == 0, done.stderr
    job_id = json.loads(done.stdout)["JobId"]
    assert job_id.startswith("job-")
    described = send(emu, tc3(emu.host, "DescribeJob", {"JobId": job_id})).response
    assert described["JobName"] == "from-tccli"
    assert [task["TaskName"] for task in described["TaskSet"]] == ["hello"]


def test_tccli_fails_as_the_service_would(emu: Emulator, tmp_path: Path) -> None:
    done = tccli(emu, tmp_path, {"Zone": "ap-shanghai-1"}, JOB)
    assert done.returncode == 255
    assert "InvalidZone.MismatchRegion" in done.stderr

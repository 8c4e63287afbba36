"""The emulator behind the standard library's ``http.server``: the official SDK and the
harness both work against it, over keep-alive connections, with the transport's socket
options set (the pace itself is measured in ``benchmarks/bench_run.py``)."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from support.emulator_wire import EXAMPLE_1
from tencentcloud.batch.v20170312 import batch_client, models
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, EmulatorConfig
from tcbatch_contract.emulator.stdlib_server import StdlibEmulator
from tcbatch_contract.transport import Client, Credential, HttpTransport


@pytest.fixture(scope="module")
def emu() -> Iterator[StdlibEmulator]:
    with StdlibEmulator(EmulatorConfig(rate_limit=None)) as emulator:
        yield emulator


def sdk(emu: StdlibEmulator, sign: str) -> batch_client.BatchClient:
    http = HttpProfile(endpoint=emu.host, protocol="http")
    cred = credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    return batch_client.BatchClient(
        cred, "ap-guangzhou", ClientProfile(httpProfile=http, signMethod=sign)
    )


def request(model: type, params: dict[str, Any]) -> Any:
    req = model()
    req.from_json_string(json.dumps(params))
    return req


@pytest.mark.parametrize("sign", ["TC3-HMAC-SHA256", "HmacSHA256"])
def test_the_sdk_submits_reads_back_and_gets_error_codes(emu: StdlibEmulator, sign: str) -> None:
    client = sdk(emu, sign)
    job_id = client.SubmitJob(request(models.SubmitJobRequest, EXAMPLE_1)).JobId
    described = client.DescribeJob(request(models.DescribeJobRequest, {"JobId": job_id}))
    assert described.JobId == job_id and described.JobName == EXAMPLE_1["Job"]["JobName"]
    too_long = json.loads(json.dumps(EXAMPLE_1))
    too_long["Job"]["JobName"] = "x" * 61
    with pytest.raises(TencentCloudSDKException) as caught:
        client.SubmitJob(request(models.SubmitJobRequest, too_long))
    assert caught.value.code == "InvalidParameter.JobNameTooLong" and caught.value.requestId
    client.DeleteJob(request(models.DeleteJobRequest, {"JobId": job_id}))


def test_the_transport_keeps_one_connection_with_its_socket_options(emu: StdlibEmulator) -> None:
    transport = HttpTransport(emu.endpoint)
    client = Client(transport, Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY), "ap-guangzhou")
    codes = [client.call("DescribeJob", {"JobId": "job-00000000"}).code for _ in range(20)]
    assert codes == ["ResourceNotFound.Job"] * 20
    assert len(transport._idle) == 1  # twenty exchanges, one kept-alive connection
    sock = transport._idle[0]
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    transport.close()


def test_the_harness_runs_against_it_and_passes(capsys) -> None:
    config = EmulatorConfig(secret_id="AKIDstdlibTEST111111111111111111", secret_key="k" * 30)
    with StdlibEmulator(config) as emulator:
        code = main(
            ["run", "--target", emulator.endpoint, "--secret-id", config.secret_id,
             "--secret-key", config.secret_key, "--rate-limit", str(config.rate_limit),
             "--rules", "B1,B6,P1,P5", "--max-examples", "5"]
        )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    for rule in ("B1", "B6", "P1", "P5"):
        assert re.search(rf"^{rule}\s+PASS\s", out, re.M), out

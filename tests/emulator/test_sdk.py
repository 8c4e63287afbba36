"""The official Python SDK as the client: the two documented examples in every signing
method and HTTP method, read back, and rule violations surfacing as SDK exceptions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.emulator_wire import EXAMPLE_1
from tencentcloud.batch.v20170312 import batch_client, models
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from tcbatch_contract.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

_BJ_LOGS = "cos://batch-demo-1251783334.cosbj.myqcloud.com/logs/"
EXAMPLE_2 = {
    "Placement": {"Zone": "ap-beijing-2"},
    "Job": {
        "JobName": "dag",
        "JobDescription": "dag_demo",
        "Tasks": [
            {
                "TaskName": name,
                "Application": {"DeliveryForm": "LOCAL", "Command": f"echo {name}"},
                "ComputeEnv": {"EnvType": "MANAGED", "EnvData": {"InstanceType": "S2.SMALL1"}},
                "RedirectInfo": {"StdoutRedirectPath": _BJ_LOGS, "StderrRedirectPath": _BJ_LOGS},
            }
            for name in ("pre_task", "post_task")
        ],
        "Dependences": [{"StartTask": "pre_task", "EndTask": "post_task"}],
    },
}
EXAMPLES = [("ap-guangzhou", EXAMPLE_1), ("ap-beijing", EXAMPLE_2)]
SIGN_METHODS = ["TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"]


def profile(emu: Emulator, sign: str = "TC3-HMAC-SHA256", method: str = "POST") -> ClientProfile:
    http = HttpProfile(endpoint=emu.host, protocol="http", reqMethod=method)
    return ClientProfile(httpProfile=http, signMethod=sign)


def client(emu: Emulator, region: str, sign: str = "TC3-HMAC-SHA256", method: str = "POST"):
    cred = credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    return batch_client.BatchClient(cred, region, profile(emu, sign, method))


def request(model: type, params: dict[str, Any]) -> Any:
    req = model()
    req.from_json_string(json.dumps(params))
    return req


def job_request(job_id: str, model: type) -> Any:
    return request(model, {"JobId": job_id})


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("sign", SIGN_METHODS)
@pytest.mark.parametrize(("region", "example"), EXAMPLES, ids=["example1", "example2"])
def test_documented_examples(emu: Emulator, region: str, example: dict, sign: str, method: str):
    sdk = client(emu, region, sign, method)
    job_id = sdk.SubmitJob(request(models.SubmitJobRequest, example)).JobId
    assert job_id.startswith("job-") and len(job_id) == 12

    described = sdk.DescribeJob(job_request(job_id, models.DescribeJobRequest))
    job = example["Job"]
    assert described.JobId == job_id
    assert described.JobName == job["JobName"]
    assert described.Zone == example["Placement"]["Zone"]
    assert described.Priority == job.get("Priority", 0)
    assert described.JobState in ("SUBMITTED", "PENDING")
    assert [t.TaskName for t in described.TaskSet] == [t["TaskName"] for t in job["Tasks"]]
    assert [(d.StartTask, d.EndTask) for d in described.DependenceSet or []] == [
        (d["StartTask"], d["EndTask"]) for d in job.get("Dependences", [])
    ]

    info = sdk.DescribeJobSubmitInfo(job_request(job_id, models.DescribeJobSubmitInfoRequest))
    sent = json.loads(info.to_json_string())
    assert sent["JobName"] == job["JobName"]
    assert sent["JobDescription"] == job["JobDescription"]
    for got, task in zip(sent["Tasks"], job["Tasks"], strict=True):
        assert got["TaskName"] == task["TaskName"]
        assert got["Application"]["Command"] == task["Application"]["Command"]
        assert (
            got["RedirectInfo"]["StdoutRedirectPath"] == task["RedirectInfo"]["StdoutRedirectPath"]
        )
        assert got["FailedAction"] == "TERMINATE" and got["Timeout"] == 86400


def test_read_back_is_exact_and_defaults_are_the_documented_ones(emu: Emulator) -> None:
    common = CommonClient(
        "batch", "2017-03-12", credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY),
        "ap-beijing", profile(emu),
    )  # fmt: skip
    job_id = common.call_json("SubmitJob", EXAMPLE_2)["Response"]["JobId"]
    info = common.call_json("DescribeJobSubmitInfo", {"JobId": job_id})["Response"]
    expected_tasks = []
    for task in EXAMPLE_2["Job"]["Tasks"]:
        expected_tasks.append(
            {
                **task,
                "TaskInstanceNum": 1,
                "FailedAction": "TERMINATE",
                "MaxRetryCount": 0,
                "Timeout": 86400,
                "ResourceMaxRetryCount": 0,
            }
        )
    assert info["Tasks"] == expected_tasks
    assert info["Priority"] == 0 and info["Tags"] == []
    assert info["Dependences"] == EXAMPLE_2["Job"]["Dependences"]
    assert (info["JobName"], info["JobDescription"]) == ("dag", "dag_demo")
    described = common.call_json("DescribeJob", {"JobId": job_id})["Response"]
    assert described["Tags"] == [] and described["Priority"] == 0


def test_compute_env_type_default_is_filled_in(emu: Emulator) -> None:
    sdk = client(emu, "ap-guangzhou")
    example = json.loads(json.dumps(EXAMPLE_1))
    del example["Job"]["Tasks"][0]["ComputeEnv"]["EnvType"]
    del example["Job"]["JobName"]
    job_id = sdk.SubmitJob(request(models.SubmitJobRequest, example)).JobId
    info = sdk.DescribeJobSubmitInfo(job_request(job_id, models.DescribeJobSubmitInfoRequest))
    assert info.Tasks[0].ComputeEnv.EnvType == "MANAGED"
    assert info.JobName is None
    assert sdk.DescribeJob(job_request(job_id, models.DescribeJobRequest)).JobName is None


@pytest.mark.parametrize("sign", SIGN_METHODS)
@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda p: p["Job"].update(JobName="x" * 61), "InvalidParameter.JobNameTooLong"),
        (lambda p: p["Placement"].update(Zone="ap-beijing-1"), "InvalidZone.MismatchRegion"),
        (
            lambda p: p["Job"]["Tasks"][0].update(EnvId="env-abcdefgh"),
            "AllowedOneAttributeInEnvIdAndComputeEnv",
        ),
    ],
)
def test_violations_raise_sdk_exceptions_with_the_code(emu: Emulator, sign: str, change, code):
    params = json.loads(json.dumps(EXAMPLE_1))
    change(params)
    with pytest.raises(TencentCloudSDKException) as caught:
        client(emu, "ap-guangzhou", sign).SubmitJob(request(models.SubmitJobRequest, params))
    assert caught.value.code == code
    assert caught.value.requestId
    assert caught.value.message


def test_unknown_member_through_the_common_client(emu: Emulator) -> None:
    common = CommonClient(
        "batch", "2017-03-12", credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY),
        "ap-guangzhou", profile(emu),
    )  # fmt: skip
    params = json.loads(json.dumps(EXAMPLE_1))
    params["Job"]["Tasks"][0]["Foo"] = 1
    with pytest.raises(TencentCloudSDKException) as caught:
        common.call_json("SubmitJob", params)
    assert caught.value.code == "UnknownParameter"
    assert "Job.Tasks.0.Foo" in caught.value.message


def test_wrong_key_and_missing_job(emu: Emulator) -> None:
    wrong = batch_client.BatchClient(
        credential.Credential(DEFAULT_SECRET_ID, "not-the-key"), "ap-guangzhou", profile(emu)
    )
    with pytest.raises(TencentCloudSDKException) as caught:
        wrong.SubmitJob(request(models.SubmitJobRequest, EXAMPLE_1))
    assert caught.value.code == "AuthFailure.SignatureFailure"
    with pytest.raises(TencentCloudSDKException) as caught:
        client(emu, "ap-guangzhou").DescribeJob(
            job_request("job-zzzzzzzz", models.DescribeJobRequest)
        )
    assert caught.value.code == "ResourceNotFound.Job"


def test_terminate_then_delete(emu: Emulator) -> None:
    sdk = client(emu, "ap-guangzhou", "HmacSHA256", "GET")
    job_id = sdk.SubmitJob(request(models.SubmitJobRequest, EXAMPLE_1)).JobId
    sdk.TerminateJob(job_request(job_id, models.TerminateJobRequest))
    sdk.TerminateJob(job_request(job_id, models.TerminateJobRequest))  # again: still fine
    assert sdk.DescribeJob(job_request(job_id, models.DescribeJobRequest)).JobState == "FAILED"
    sdk.DeleteJob(job_request(job_id, models.DeleteJobRequest))
    with pytest.raises(TencentCloudSDKException) as caught:
        sdk.DescribeJob(job_request(job_id, models.DescribeJobRequest))
    assert caught.value.code == "ResourceNotFound.Job"

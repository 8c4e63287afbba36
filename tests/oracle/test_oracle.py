"""The oracle against the contract's own words: each clarification and boundary of the spec,
as a payload and the outcome the spec gives for it."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcbatch_contract.oracle import Context, evaluate

BASE: dict[str, Any] = {
    "Placement": {"Zone": "ap-guangzhou-2"},
    "Job": {
        "JobName": "base",
        "Tasks": [
            {
                "TaskName": "a",
                "Application": {"DeliveryForm": "LOCAL", "Command": "echo a"},
                "ComputeEnv": {"EnvType": "MANAGED", "EnvData": {"InstanceType": "S1.SMALL1"}},
                "RedirectInfo": {
                    "StdoutRedirectPath": "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs/",
                },
            },
            {
                "TaskName": "b",
                "Application": {"DeliveryForm": "LOCAL", "Command": "echo b"},
                "ComputeEnv": {"EnvData": {"InstanceType": "S1.SMALL1"}},
            },
        ],
    },
}


def with_(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``base`` with ``value`` at the dotted ``path`` (``...`` deletes it)."""
    params = copy.deepcopy(base or BASE)
    *parents, last = path.split(".")
    node: Any = params
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if value is ...:
        del node[int(last) if isinstance(node, list) else last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return params


def codes_of(params: dict[str, Any], **context: Any) -> list[str]:
    return evaluate("SubmitJob", params, Context(**context)).codes


def test_base_payload_is_valid() -> None:
    assert codes_of(BASE) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("Job.JobName", "😀" * 60, []),
        ("Job.JobName", "😀" * 61, ["InvalidParameter.JobNameTooLong"]),
        ("Job.JobName", "\ud800" * 60, []),  # a lone surrogate is one code point
        ("Job.JobDescription", "é" * 200, []),
        ("Job.JobDescription", "é" * 201, ["InvalidParameter.JobDescriptionTooLong"]),
        ("Job.Tasks.0.TaskName", "a" * 60, []),
        ("Job.Tasks.0.TaskName", "a" * 61, ["InvalidParameter.TaskNameTooLong"]),
        ("Job.Tasks.0.TaskName", "", ["InvalidParameter.TaskName"]),
        ("Job.Tasks.0.TaskName", "a b", ["InvalidParameter.TaskName"]),
        ("Job.Tasks.0.TaskName", "b", ["InvalidParameter.TaskName"]),
        ("Job.Tasks.0.TaskName", "B", []),  # duplicates compare case-sensitively
        ("Job.Tasks.0.TaskName", ..., []),  # TaskName is optional
        ("Job.Tasks.0.TaskName", None, ["InvalidParameter"]),  # null is a wrong type
        ("Job.Priority", 100, []),
        ("Job.Priority", 101, ["InvalidParameterValue"]),
        ("Job.Priority", 1.0, ["InvalidParameter"]),
        ("Job.Priority", True, ["InvalidParameter"]),
        ("Job.Priority", "1", ["InvalidParameter"]),
        ("Job.Priority", -1, ["InvalidParameterValue.Negative"]),
        ("Job.Priority", -(2**80), ["InvalidParameterValue.Negative"]),
        ("Job.Priority", 2**64, ["InvalidParameter", "InvalidParameterValue"]),
        ("Placement.ProjectId", -(2**63), []),
        ("Placement.ProjectId", -(2**63) - 1, ["InvalidParameter"]),
        ("Placement.ProjectId", 2**63, ["InvalidParameter"]),
        ("Placement.HostId", "host-1", []),  # output-only members are accepted
        ("Job.Foo", 1, ["UnknownParameter"]),
        ("Job.Tasks.1.ComputeEnv.EnvData.Foo", 1, ["UnknownParameter"]),
        ("Job.Tasks", [], ["MissingParameter"]),
        ("Job.Tasks.0.Application", ..., ["MissingParameter"]),
        ("Placement.Zone", ..., ["MissingParameter"]),
        ("Job.Tasks.0.Application.DeliveryForm", "local", ["InvalidParameterValue"]),
        ("Job.Tasks.0.FailedAction", "INTERRUPT", []),
        ("Job.Tasks.0.MaxRetryCount", 5, []),
        ("Job.Tasks.0.MaxRetryCount", 6, ["InvalidParameterValue.MaxRetryCount"]),
        ("Job.Tasks.0.ResourceMaxRetryCount", 101, ["InvalidParameterValue.MaxRetryCount"]),
        ("Job.Tasks.0.MaxConcurrentNum", 200000, []),
        ("Job.Tasks.0.MaxConcurrentNum", 200001, ["InvalidParameterValue"]),
        ("Job.Tasks.0.TaskInstanceNum", 0, ["InvalidParameterValue.TaskInstanceNum"]),
        ("Job.Tasks.0.Application.Docker", {"Image": "i", "DelayOnRetry": 0}, ["InvalidParameterValue"]),
        ("Job.Tasks.0.Application.Docker", {"Image": "i", "DelayOnRetry": 360, "MaxRetryCount": 10}, []),
        ("Job.Tasks.0.Application.Docker", {"Image": "i", "DelayOnRetry": -1},
         ["InvalidParameterValue", "InvalidParameterValue.Negative"]),
        ("Job.Tasks.0.Application.Docker", {"Image": "i", "MaxRetryCount": 11},
         ["InvalidParameterValue.MaxRetryCount"]),
        ("ClientToken", "x" * 64, []),
        ("ClientToken", "x" * 65, ["InvalidParameterValue"]),
        ("ClientToken", "", ["InvalidParameterValue"]),
        ("ClientToken", "a b", ["InvalidParameterValue"]),
        ("ClientToken", "é", ["InvalidParameterValue"]),
    ],
)  # fmt: skip
def test_single_values(path: str, value: Any, expected: list[str]) -> None:
    assert codes_of(with_(path, value)) == expected


REDIRECT = "Job.Tasks.0.RedirectInfo.StdoutRedirectPath"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (REDIRECT, "cfs://10.0.0.4/shared/", []),
        (REDIRECT, "nfs://10.0.0.5/data/", []),
        (REDIRECT, "cos://b/\x01/", []),  # controls are allowed in remote paths
        (REDIRECT, "cos://b/\ufeff/", []),  # U+FEFF is not white space
        (REDIRECT, "COS://b/logs/", ["InvalidParameterValue.RemoteStorageSchemeType"]),
        (REDIRECT, "s3://b/logs/", ["InvalidParameterValue.RemoteStorageSchemeType"]),
        (REDIRECT, "cosn://b/logs/", ["InvalidParameterValue.RemoteStorageSchemeType"]),
        (REDIRECT, "://b/logs/", ["InvalidParameterValue.RemoteStorageSchemeType"]),
        (REDIRECT, "http://b/logs", ["InvalidParameterValue.RemoteStoragePath",
                                     "InvalidParameterValue.RemoteStorageSchemeType"]),
        (REDIRECT, "cos:/b/logs/", ["InvalidParameterValue.RemoteStoragePath"]),
        (REDIRECT, "cos:///logs/", ["InvalidParameterValue.RemoteStoragePath"]),
        (REDIRECT, "cos://b", ["InvalidParameterValue.RemoteStoragePath"]),
        (REDIRECT, "cos://b/logs", ["InvalidParameterValue.RemoteStoragePath"]),
        (REDIRECT, "cos://b/lo gs/", ["InvalidParameterValue.RemoteStoragePath"]),
        (REDIRECT, "cos://b/lo\u3000gs/", ["InvalidParameterValue.RemoteStoragePath"]),
        (REDIRECT, "cos://b/lo\x1cgs/", ["InvalidParameterValue.RemoteStoragePath"]),
        (REDIRECT, "cos://b/logs/\n", ["InvalidParameterValue.RemoteStoragePath"]),
        ("Job.Tasks.0.Application.PackagePath", "cos://b/pkg.tgz", []),
        ("Job.Tasks.0.OutputMappings", [{"SourcePath": "/out", "DestinationPath": "cos://b/o"}],
         ["InvalidParameterValue.RemoteStoragePath"]),
        ("Job.Tasks.0.InputMappings", [{"SourcePath": "cos://b/in", "DestinationPath": "H:\\"}], []),
        ("Job.Tasks.0.InputMappings", [{"SourcePath": "cos://b/in", "DestinationPath": "data"}],
         ["InvalidParameterValue.LocalPath"]),
        ("Job.Tasks.0.InputMappings", [{"SourcePath": "cos://b/in", "DestinationPath": "C:"}],
         ["InvalidParameterValue.LocalPath"]),
        ("Job.Tasks.0.InputMappings", [{"SourcePath": "cos://b/in", "DestinationPath": "/d\x85"}],
         ["InvalidParameterValue.LocalPath"]),
        ("Job.Tasks.0.RedirectLocalInfo", {"StderrLocalPath": "/var/log/\n"},
         ["InvalidParameterValue.LocalPath"]),
    ],
)  # fmt: skip
def test_paths(path: str, value: Any, expected: list[str]) -> None:
    assert codes_of(with_(path, value)) == expected


def dag(edges: list[tuple[str, str]], names: str = "ab") -> dict[str, Any]:
    params = copy.deepcopy(BASE)
    template = params["Job"]["Tasks"][1]
    params["Job"]["Tasks"] = [dict(copy.deepcopy(template), TaskName=n) for n in names]
    params["Job"]["Dependences"] = [{"StartTask": s, "EndTask": e} for s, e in edges]
    return params


@pytest.mark.parametrize(
    ("edges", "names", "expected"),
    [
        ([("a", "b"), ("a", "b")], "ab", []),  # a repeated edge is not a cycle
        ([("a", "a")], "ab", ["InvalidParameterValue.DependenceUnfeasible"]),
        ([("a", "b"), ("b", "a")], "ab", ["InvalidParameterValue.DependenceUnfeasible"]),
        ([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")], "abcd", []),
        ([("a", "b"), ("c", "d"), ("d", "e"), ("e", "c")], "abcde",
         ["InvalidParameterValue.DependenceUnfeasible"]),
        ([("x", "x")], "ab", ["InvalidParameterValue.DependenceNotFoundTaskName"]),
        ([("a", "x")], "ab", ["InvalidParameterValue.DependenceNotFoundTaskName"]),
    ],
)  # fmt: skip
def test_dependences(edges: list[tuple[str, str]], names: str, expected: list[str]) -> None:
    assert codes_of(dag(edges, names)) == expected


def test_cycle_detection_stays_linear() -> None:
    n = 10_000
    params = dag([(f"t{i}", f"t{i + 1}") for i in range(n - 1)] + [(f"t{n - 1}", "t0")],
                 [f"t{i}" for i in range(n)])  # fmt: skip
    started = time.perf_counter()
    assert codes_of(params) == ["InvalidParameterValue.DependenceUnfeasible"]
    assert time.perf_counter() - started < 5  # generous: the point is no quadratic blow-up


ENV = "Job.Tasks.1.ComputeEnv"
ENV_DATA = "Job.Tasks.1.ComputeEnv.EnvData"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (ENV, ..., ["AllowedOneAttributeInEnvIdAndComputeEnv"]),
        (ENV + ".EnvType", "THPC_QUEUE", ["InvalidParameterValue.ComputeEnv"]),
        (ENV + ".EnvData", ..., ["InvalidParameterValue.ComputeEnv"]),
        (ENV_DATA, {"InstanceTypes": []}, ["InvalidParameterValue.ComputeEnv"]),
        (ENV_DATA, {"InstanceType": "", "InstanceTypes": []},
         ["InvalidParameter.InvalidParameterCombination"]),
        (ENV_DATA, {"InstanceTypes": ["A"] * 2}, ["InvalidParameterValue.InstanceTypeDuplicate"]),
        (ENV_DATA, {"InstanceTypes": ["A", "a"]}, []),
        (ENV_DATA, {"InstanceTypes": [f"S{i}" for i in range(10)]}, []),
        (ENV_DATA, {"InstanceTypes": [f"S{i}" for i in range(11)]},
         ["InvalidParameterValue.LimitExceeded"]),
        (ENV_DATA, {"InstanceTypeOptions": {"CPU": 2, "Memory": 4}, "Zones": ["ap-guangzhou-99"]}, []),
        (ENV_DATA, {"InstanceType": "S", "Zones": ["ap-guangzhou-03"]}, ["InvalidZone.MismatchRegion"]),
        (ENV_DATA, {"InstanceType": "S", "Zones": [], "VirtualPrivateClouds": []},
         ["InvalidParameter.InvalidParameterCombination"]),
        (ENV_DATA, {"InstanceType": "S", "ImageId": "img-ABCDEFGH"}, ["InvalidParameter.ImageIdMalformed"]),
        (ENV_DATA, {"InstanceType": "S", "InstanceChargeType": "PREPAID"},
         ["InvalidParameterValue.UnsupportedBatchInstanceChargeType"]),
        (ENV_DATA, {"InstanceType": "S", "InstanceMarketOptions": {"SpotOptions": {"MaxPrice": "0.5"}}}, []),
        (ENV_DATA, {"InstanceType": "S", "InstanceMarketOptions": {"SpotOptions": {"MaxPrice": ".5"}}},
         ["InvalidParameterValue.NotFloat"]),
        (ENV_DATA, {"InstanceType": "S", "SystemDisk": {"DiskType": "CLOUD_SSD", "DiskSize": 1}}, []),
        (ENV_DATA, {"InstanceType": "S", "SystemDisk": {"DiskSize": 0}}, ["InvalidParameter.CvmParameters"]),
        (ENV_DATA, {"InstanceType": "S", "SystemDisk": {"DiskType": "LOCAL_NVME"}},
         ["InvalidParameter.CvmParameters"]),
        (ENV_DATA, {"InstanceType": "S", "DataDisks": [{"DiskSize": 10, "DiskType": "LOCAL_NVME"}]}, []),
        (ENV_DATA, {"InstanceType": "S", "DataDisks": [{"DiskSize": 15}]}, ["InvalidParameter.CvmParameters"]),
        (ENV_DATA, {"InstanceType": "S", "DataDisks": [{"DiskSize": -10}]}, ["InvalidParameter.CvmParameters"]),
        (ENV_DATA, {"InstanceType": "S", "InternetAccessible": {"InternetMaxBandwidthOut": -1}},
         ["InvalidParameter.CvmParameters"]),
        (ENV_DATA, {"InstanceType": "S", "LoginSettings": {"Password": "abcd1234"}}, []),
        (ENV_DATA, {"InstanceType": "S", "LoginSettings": {"Password": "abcdefgh"}},
         ["InvalidParameter.CvmParameters"]),
        (ENV_DATA, {"InstanceType": "S", "LoginSettings": {"Password": "abcd123\\"}},
         ["InvalidParameter.CvmParameters"]),
        (ENV_DATA, {"InstanceType": "S", "LoginSettings": {"Password": "ab|d1234efghijklm"}},
         ["InvalidParameter.CvmParameters"]),
        (ENV_DATA, {"InstanceType": "S", "LoginSettings": {"KeyIds": ["k1", "k2"], "KeepImageLogin": "FALSE"}}, []),
        (ENV_DATA, {"InstanceType": "S", "LoginSettings": {"KeyIds": [], "KeepImageLogin": "TRUE"}},
         ["InvalidParameter.InvalidParameterCombination"]),
        (ENV_DATA, {"InstanceType": "S", "LoginSettings": {"KeepImageLogin": "true"}},
         ["InvalidParameter.CvmParameters"]),
    ],
)  # fmt: skip
def test_compute_environment(path: str, value: Any, expected: list[str]) -> None:
    assert codes_of(with_(path, value)) == expected


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        ({"DeliveryForm": "LOCAL", "Command": ""}, []),
        ({"DeliveryForm": "LOCAL", "Commands": [{"Command": "x"}]}, []),
        ({"DeliveryForm": "LOCAL"}, ["MissingParameter"]),
        ({"DeliveryForm": "LOCAL", "Commands": []}, ["MissingParameter"]),
        ({"DeliveryForm": "LOCAL", "Command": "x", "Commands": []},
         ["InvalidParameter.InvalidParameterCombination"]),
        ({"DeliveryForm": "PACKAGE", "Command": "x"}, ["MissingParameter"]),
        ({"DeliveryForm": "PACKAGE", "Command": "x", "PackagePath": "cos://b/p.tgz"}, []),
    ],
)  # fmt: skip
def test_application(app: dict[str, Any], expected: list[str]) -> None:
    assert codes_of(with_("Job.Tasks.0.Application", app)) == expected


@pytest.mark.parametrize(
    ("notifications", "expected"),
    [
        ([{"TopicName": "t" * 64, "EventConfigs": []}], []),
        ([{"TopicName": "t" * 65, "EventConfigs": []}],
         ["InvalidParameter.NotificationTopicNameTooLong"]),
        ([{"TopicName": "1topic", "EventConfigs": []}], ["InvalidParameter.NotificationTopicName"]),
        ([{"TopicName": "", "EventConfigs": []}], ["InvalidParameter.NotificationTopicName"]),
        ([{"TopicName": "t", "EventConfigs": [{"EventName": "JOB_FAILED", "EventVars": []}] * 2}],
         ["InvalidParameter.NotificationEventNameDuplicate"]),
        ([{"TopicName": "t", "EventConfigs": [{"EventName": "JOB_FAILED", "EventVars": []}]},
          {"TopicName": "u", "EventConfigs": [{"EventName": "JOB_FAILED", "EventVars": []}]}], []),
    ],
)  # fmt: skip
def test_notifications(notifications: list[dict[str, Any]], expected: list[str]) -> None:
    assert codes_of(with_("Job.Notifications", notifications)) == expected


@pytest.mark.parametrize(
    ("zone", "region", "expected"),
    [
        ("ap-guangzhou-2", "ap-guangzhou", []),
        ("ap-guangzhou-99", "ap-guangzhou", []),
        ("ap-guangzhou-02", "ap-guangzhou", ["InvalidZone.MismatchRegion"]),
        ("ap-guangzhou-0", "ap-guangzhou", ["InvalidZone.MismatchRegion"]),
        ("ap-guangzhou-100", "ap-guangzhou", ["InvalidZone.MismatchRegion"]),
        ("ap-guangzhou", "ap-guangzhou", ["InvalidZone.MismatchRegion"]),
        ("ap-guangzhou-2", "ap-beijing", ["InvalidZone.MismatchRegion"]),
    ],
)
def test_zones(zone: str, region: str, expected: list[str]) -> None:
    assert codes_of(with_("Placement.Zone", zone), region=region) == expected


def test_target_configuration_rules() -> None:
    with_env = with_("Job.Tasks.1", {"EnvId": "env-abcdefgh", "Application": BASE["Job"]["Tasks"][1]["Application"]})  # fmt: skip
    assert codes_of(with_env) == ["ResourceNotFound.ComputeEnv"]
    assert codes_of(with_env, known_env_ids=frozenset({"env-abcdefgh"})) == []
    both = with_("Job.Tasks.1.ComputeEnv", BASE["Job"]["Tasks"][1]["ComputeEnv"], with_env)
    assert codes_of(both, known_env_ids=frozenset({"env-abcdefgh"})) == [
        "AllowedOneAttributeInEnvIdAndComputeEnv"
    ]
    malformed = with_("Job.Tasks.1.EnvId", "env_238swek2", with_env)
    assert codes_of(malformed) == ["InvalidParameter.EnvIdMalformed"]
    assert codes_of(BASE, jobs_held=4, job_quota=5) == []
    assert codes_of(BASE, jobs_held=5, job_quota=5) == ["LimitExceeded.JobQuota"]
    assert codes_of(BASE, credential_denied=True) == [
        "UnauthorizedOperation.UserNotAllowedToUseBatch"
    ]


@pytest.mark.parametrize(
    "action", ["DescribeJob", "DescribeJobSubmitInfo", "TerminateJob", "DeleteJob"]
)
def test_job_actions(action: str) -> None:
    known = Context(existing_job_ids=frozenset({"job-0123abcd"}))
    assert evaluate(action, {"JobId": "job-0123abcd"}, known).success
    assert evaluate(action, {"JobId": "job-0123abce"}, known).codes == ["ResourceNotFound.Job"]
    assert evaluate(action, {"JobId": "job-0123ABCD"}, known).codes == [
        "InvalidParameter.JobIdMalformed"
    ]
    assert evaluate(action, {}, known).codes == ["MissingParameter"]
    assert evaluate(action, {"JobId": 5}, known).codes == ["InvalidParameter"]
    assert evaluate(action, {"JobId": "job-0123abcd", "Zone": "x"}, known).codes == [
        "UnknownParameter"
    ]


def test_outcome_reports_every_broken_rule_with_its_path() -> None:
    params = with_("Job.JobName", "n" * 61, with_("Job.Tasks.1.TaskInstanceNum", 0))
    outcome = evaluate("SubmitJob", params)
    assert outcome.rules == ["B1", "B18"]
    assert {v.path for v in outcome.violations} == {"Job.JobName", "Job.Tasks.1.TaskInstanceNum"}
    assert outcome.accepts("InvalidParameter.JobNameTooLong") and not outcome.accepts(None)
    assert outcome.to_dict()["outcome"] == "error"


def test_unknown_action_and_non_object_params_are_refused() -> None:
    with pytest.raises(ValueError, match="RunInstances"):
        evaluate("RunInstances", {})
    with pytest.raises(ValueError, match="list"):
        evaluate("SubmitJob", [])  # type: ignore[arg-type]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
PATHS = [
    "Job", "Job.Tasks", "Job.Tasks.0", "Job.Tasks.0.Application", "Job.Tasks.0.ComputeEnv",
    "Job.Tasks.1.ComputeEnv.EnvData", "Job.Dependences", "Job.Notifications", "Job.Tags",
    "Placement", "Job.Tasks.0.RedirectInfo", "Job.Tasks.0.InputMappings", "ClientToken",
    "Job.Tasks.1.ComputeEnv.EnvData.LoginSettings", "Job.Tasks.1.ComputeEnv.EnvData.InstanceTypes",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS), JSON_VALUES)
def test_any_value_anywhere_gets_a_verdict_not_a_crash(path: str, value: object) -> None:
    outcome = evaluate("SubmitJob", with_(path, value))
    assert all(v.code and v.rule for v in outcome.violations)


@pytest.mark.parametrize(
    ("path", "value", "alternative"),
    [
        ("Job.Tasks.1.ComputeEnv.EnvData", {"InstanceTypes": "S1.SMALL1"},
         "InvalidParameterValue.ComputeEnv"),
        ("Job.Tasks.0.Application", {"DeliveryForm": "LOCAL", "Commands": {"Command": "x"}},
         "MissingParameter"),
    ],
)  # fmt: skip
def test_a_wrong_type_that_another_reading_calls_absent(
    path: str, value: Any, alternative: str
) -> None:
    outcome = evaluate("SubmitJob", with_(path, value))
    assert outcome.codes == ["InvalidParameter"] and outcome.rules == ["S4"]
    assert (
        outcome.ambiguous and outcome.accepts(alternative) and outcome.accepts("InvalidParameter")
    )
    assert outcome.to_dict() == {"outcome": "error", "codes": ["InvalidParameter"], "rules": ["S4"]}

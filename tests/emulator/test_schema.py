"""The schema rules S1-S6 (one single-fault request per rule and shape), the JobId
rules of the other actions, and flattened values judged by the same rules."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from support.emulator_wire import assert_envelope, send, serving, tc3, v1
from support.job_edits import (
    ENV1,
    ENV2,
    INVALID,
    MISSING,
    NEGATIVE,
    T0,
    T1,
    T2,
    UNKNOWN,
    VALUE,
    changed,
    drop,
    put,
    submit,
)

from tcbatch_contract.emulator import Emulator
from tcbatch_contract.wire.flatten import flatten


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with serving(job_quota=None) as emulator:
        yield emulator


SCHEMA_FAULTS: list[tuple[str, Callable[[dict], None], str]] = [
    # S1: a required member absent, at any depth
    ("S1", drop("Placement.Zone"), MISSING),
    ("S1", drop("Job"), MISSING),
    ("S1", drop(f"{T0}.Application.DeliveryForm"), MISSING),
    ("S1", drop("Job.Dependences.0.EndTask"), MISSING),
    ("S1", drop(f"{T1}.Application.Commands.0.Command"), MISSING),
    ("S1", drop("Job.Tags.0.Value"), MISSING),
    ("S1", drop(f"{ENV2}.InstanceTypeOptions.CPU"), MISSING),
    ("S1", drop("Job.Notifications.0.EventConfigs.0.EventVars"), MISSING),
    ("S1", drop(f"{ENV1}.InstanceMarketOptions.SpotOptions"), MISSING),
    ("S1", drop(f"{T1}.ComputeEnv.AgentRunningMode.Session"), MISSING),
    ("S1", drop(f"{ENV1}.DataDisks.0.DiskSize"), MISSING),
    # S2
    ("S2", put("Job.Tasks", []), MISSING),
    # S3: a member the type does not define
    ("S3", put("Foo", 1), UNKNOWN),
    ("S3", put("Job.Foo", "x"), UNKNOWN),
    ("S3", put("Placement.zone", "ap-guangzhou-3"), UNKNOWN),
    ("S3", put(f"{ENV1}.Foo", {}), UNKNOWN),
    ("S3", put("Job.Tags.0.Extra", "x"), UNKNOWN),
    # S4: the wrong JSON type or an out-of-range integer
    ("S4", put("Job.Priority", "1"), INVALID),
    ("S4", put("Job.Priority", 1.0), INVALID),
    ("S4", put("Job.Priority", True), INVALID),
    ("S4", put("Job.Priority", None), INVALID),
    ("S4", put("Job.JobName", 5), INVALID),
    ("S4", put("Job.Tasks", {}), INVALID),
    ("S4", put(T0, "task"), INVALID),
    ("S4", put(f"{T0}.RestartComputeNode", "true"), INVALID),
    ("S4", put("Placement.ProjectId", 2**63), INVALID),
    ("S4", put("Placement.ProjectId", -(2**63) - 1), INVALID),
    ("S4", put(f"{T0}.Timeout", 2**64), INVALID),
    ("S4", put(f"{ENV1}.InstanceTypes", "S1.SMALL1"), INVALID),
    ("S4", put(f"{ENV1}.InstanceTypes.1", 1), INVALID),
    ("S4", put("Placement", ["ap-guangzhou-3"]), INVALID),
    ("S4", put("ClientToken", 12), INVALID),
    # S5: a negative uint64, at any magnitude
    ("S5", put(f"{T0}.TaskInstanceNum", -1), NEGATIVE),
    ("S5", put(f"{T0}.Timeout", -(2**70)), NEGATIVE),
    ("S5", put("Job.Priority", -1), NEGATIVE),
    ("S5", put(f"{T0}.MaxRetryCount", -3), NEGATIVE),
    ("S5", put(f"{ENV2}.InstanceTypeOptions.Memory", -4), NEGATIVE),
    # S6: an enumerated member outside its enumeration (case-sensitive)
    ("S6", put(f"{T1}.Application.DeliveryForm", "local"), VALUE),
    ("S6", put(f"{T0}.FailedAction", "STOP"), VALUE),
    ("S6", put("Job.Notifications.0.EventConfigs.1.EventName", "JOB_DONE"), VALUE),
    ("S6", put(f"{ENV2}.InstanceTypeOptions.InstanceCategories.1", "GPU"), VALUE),
    ("S6", put(f"{ENV1}.InstanceMarketOptions.MarketType", "SPOT"), VALUE),
    ("S6", put(f"{ENV1}.InstanceMarketOptions.SpotOptions.SpotInstanceType", "persistent"), VALUE),
    ("S6", put(f"{T0}.OutputMappings.0.OutputMappingOption.Workspace", "HOME"), VALUE),
    ("S6", put(f"{T1}.ComputeEnv.MountDataDisks.0.FileSystemType", "ext4"), VALUE),
    ("S6", put(f"{T0}.InputMappings.0.MountType", "cosfs"), VALUE),
    ("S6", put(f"{T1}.ComputeEnv.AgentRunningMode.Scene", "LINUX"), VALUE),
    ("S6", put(f"{T0}.OutputMappingConfigs.0.Scene", "CFS"), VALUE),
    ("S6", put("Placement.DedicatedResourcePackTenancy", "Shared"), VALUE),
    ("S6", put("Job.TaskExecutionDependOn", "ALWAYS"), VALUE),
    ("S6", put("Job.StateIfCreateCvmFailed", "failed"), VALUE),
    ("S6", put("Job.NotificationTarget", "SQS"), VALUE),
]


@pytest.mark.parametrize(
    ("rule", "change", "code"),
    SCHEMA_FAULTS,
    ids=[f"{rule}:{change.__name__}" for rule, change, _ in SCHEMA_FAULTS],
)
def test_single_fault(emu: Emulator, rule: str, change: Callable, code: str) -> None:
    assert submit(emu, changed(change)) == code


def test_every_schema_rule_has_a_case() -> None:
    assert {rule for rule, _, _ in SCHEMA_FAULTS} == {f"S{n}" for n in range(1, 7)}


@pytest.mark.parametrize(
    ("value", "code"),
    [("-1", NEGATIVE), ("abc", INVALID), ("1.0", INVALID), ("101", VALUE), ("100", None)],
)
def test_flattened_values_meet_the_same_rules(emu: Emulator, value: str, code: str | None) -> None:
    params = changed(drop(T2), drop(T1), drop("Job.Dependences"), drop("Job.Notifications"))
    pairs = [(k, v) for k, v in flatten(params).items() if k != "Job.Priority"]
    reply = send(emu, v1(emu.host, pairs=[*pairs, ("Job.Priority", value)], method="POST"))
    assert_envelope(reply)
    assert reply.code == code


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, MISSING),
        ({"JobId": 7}, INVALID),
        ({"JobId": None}, INVALID),
        ({"JobId": "job-123"}, "InvalidParameter.JobIdMalformed"),
        ({"JobId": "job-ABCDEFGH"}, "InvalidParameter.JobIdMalformed"),
        ({"JobId": "job-abcdefgh\n"}, "InvalidParameter.JobIdMalformed"),
        ({"JobId": "job-abcdefgh", "Foo": 1}, UNKNOWN),
        ({"JobId": "job-abcdefgh"}, "ResourceNotFound.Job"),
    ],
)
@pytest.mark.parametrize(
    "action", ["DescribeJob", "DescribeJobSubmitInfo", "TerminateJob", "DeleteJob"]
)
def test_job_id_actions(emu: Emulator, action: str, params: dict, code: str) -> None:
    reply = send(emu, tc3(emu.host, action, params))
    assert_envelope(reply)
    assert reply.code == code

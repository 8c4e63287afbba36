"""One single-fault request per business rule, with its exact code, and the
clarifications of the contract's section 7, against the emulator over real HTTP.

Every case starts from ``RICH``, a valid request that uses nearly every member, and makes
one change; ``test_rich_request_is_valid`` keeps that starting point honest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from support.emulator_wire import send, serving, tc3
from support.job_edits import (
    ENV1,
    ENV2,
    INVALID,
    MISSING,
    NEGATIVE,
    T0,
    T1,
    T2,
    VALUE,
    both,
    changed,
    drop,
    put,
    submit,
)

from tcbatch_contract.emulator import DEFAULT_ENV_ID, Emulator


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with serving(job_quota=None) as emulator:
        yield emulator


def test_rich_request_is_valid(emu: Emulator) -> None:
    assert submit(emu, changed()) is None


SINGLE_FAULTS: list[tuple[str, Callable[[dict], None], str]] = [
    # B1-B4: names
    ("B1", put("Job.JobName", "j" * 61), "InvalidParameter.JobNameTooLong"),
    ("B1", put("Job.JobName", "\U0001f600" * 61), "InvalidParameter.JobNameTooLong"),
    ("B1", put("Job.JobName", "\ud800" * 61), "InvalidParameter.JobNameTooLong"),
    ("B2", put("Job.JobDescription", "d" * 201), "InvalidParameter.JobDescriptionTooLong"),
    ("B3", put(f"{T2}.TaskName", "t" * 61), "InvalidParameter.TaskNameTooLong"),
    ("B4", put(f"{T2}.TaskName", ""), "InvalidParameter.TaskName"),
    ("B4", put(f"{T2}.TaskName", "two words"), "InvalidParameter.TaskName"),
    ("B4", put(f"{T2}.TaskName", "caf\u00e9"), "InvalidParameter.TaskName"),
    ("B4", put(f"{T2}.TaskName", "c\n"), "InvalidParameter.TaskName"),
    ("B4", put(f"{T2}.TaskName", "a"), "InvalidParameter.TaskName"),
    # B5, B6: dependences
    ("B5", put("Job.Dependences.0.StartTask", "zzz"), "InvalidParameterValue.DependenceNotFoundTaskName"),
    ("B5", put("Job.Dependences.0.EndTask", "A"), "InvalidParameterValue.DependenceNotFoundTaskName"),
    ("B5", put("Job.Dependences.1", {"StartTask": "zz", "EndTask": "zz"}),
     "InvalidParameterValue.DependenceNotFoundTaskName"),
    ("B6", put("Job.Dependences.1", {"StartTask": "b", "EndTask": "a"}),
     "InvalidParameterValue.DependenceUnfeasible"),
    ("B6", put("Job.Dependences.1", {"StartTask": "a", "EndTask": "a"}),
     "InvalidParameterValue.DependenceUnfeasible"),
    # B7-B12: the compute environment
    ("B7", put(f"{T0}.ComputeEnv", {"EnvData": {"InstanceType": "S1.SMALL1"}}),
     "AllowedOneAttributeInEnvIdAndComputeEnv"),
    ("B7", drop(f"{T1}.ComputeEnv"), "AllowedOneAttributeInEnvIdAndComputeEnv"),
    ("B8", put(f"{T0}.EnvId", "env-ABCDEFGH"), "InvalidParameter.EnvIdMalformed"),
    ("B8", put(f"{T0}.EnvId", "env_238swek2"), "InvalidParameter.EnvIdMalformed"),
    ("B8", put(f"{T0}.EnvId", "env-1234567"), "InvalidParameter.EnvIdMalformed"),
    ("B8", put(f"{T0}.EnvId", "env-12345678\n"), "InvalidParameter.EnvIdMalformed"),
    ("B9", put(f"{T0}.EnvId", "env-zzzzzzzz"), "ResourceNotFound.ComputeEnv"),
    ("B10", put(f"{ENV1}.ImageId", "img-BD78FY2T"), "InvalidParameter.ImageIdMalformed"),
    ("B10", put(f"{ENV1}.ImageId", "img-bd78fy2t\n"), "InvalidParameter.ImageIdMalformed"),
    ("B11", put(f"{T1}.ComputeEnv.EnvType", "THPC_QUEUE"), "InvalidParameterValue.ComputeEnv"),
    ("B11", put(f"{T1}.ComputeEnv.EnvType", "managed"), "InvalidParameterValue.ComputeEnv"),
    ("B11", drop(f"{ENV2}"), "InvalidParameterValue.ComputeEnv"),
    ("B11", drop(f"{ENV2}.InstanceTypeOptions"), "InvalidParameterValue.ComputeEnv"),
    ("B11", put(f"{ENV1}.InstanceTypes", []), "InvalidParameterValue.ComputeEnv"),
    ("B12", put(f"{ENV1}.InstanceType", "S1.SMALL1"), "InvalidParameter.InvalidParameterCombination"),
    ("B12", put(f"{ENV2}.InstanceTypes", []), "InvalidParameter.InvalidParameterCombination"),
    ("B12", put(f"{ENV2}.Zones", ["ap-guangzhou-3"]), "InvalidParameter.InvalidParameterCombination"),
    ("B12", put(f"{ENV1}.VirtualPrivateClouds", [{"VpcId": "v", "SubnetId": "s"}]),
     "InvalidParameter.InvalidParameterCombination"),
    ("B12", put(f"{T1}.Application.Command", "echo"), "InvalidParameter.InvalidParameterCombination"),
    ("B12", put(f"{T0}.Application.Commands", []), "InvalidParameter.InvalidParameterCombination"),
    ("B12", put(f"{ENV1}.LoginSettings.KeyIds", ["skey-1"]),
     "InvalidParameter.InvalidParameterCombination"),
    ("B12", put(f"{ENV2}.LoginSettings.Password", "Abcdefg1"),
     "InvalidParameter.InvalidParameterCombination"),
    ("B12", put(f"{ENV2}.LoginSettings.KeyIds", []), "InvalidParameter.InvalidParameterCombination"),
    # B13: the application's command
    ("B13", drop(f"{T2}.Application.Command"), MISSING),
    ("B13", put(f"{T1}.Application.Commands", []), MISSING),
    ("B13", drop(f"{T0}.Application.PackagePath"), MISSING),
    # B14-B18: lists, counts, ranges
    ("B14", put(f"{ENV1}.InstanceTypes.1", "S1.SMALL1"), "InvalidParameterValue.InstanceTypeDuplicate"),
    ("B15", put(f"{ENV1}.InstanceTypes", [f"S{i}.SMALL1" for i in range(11)]),
     "InvalidParameterValue.LimitExceeded"),
    ("B15", put("Job.Tags", [{"Key": f"k{i}", "Value": "v"} for i in range(11)]),
     "InvalidParameterValue.LimitExceeded"),
    ("B16", put(f"{T0}.MaxRetryCount", 6), "InvalidParameterValue.MaxRetryCount"),
    ("B16", put(f"{T0}.ResourceMaxRetryCount", 101), "InvalidParameterValue.MaxRetryCount"),
    ("B16", put(f"{T0}.Application.Docker.MaxRetryCount", 11), "InvalidParameterValue.MaxRetryCount"),
    ("B17", put("Job.Priority", 101), VALUE),
    ("B17", put(f"{T0}.MaxConcurrentNum", 200001), VALUE),
    ("B17", put(f"{T0}.Application.Docker.DelayOnRetry", 0), VALUE),
    ("B17", put(f"{T0}.Application.Docker.DelayOnRetry", 361), VALUE),
    ("B18", put(f"{T0}.TaskInstanceNum", 0), "InvalidParameterValue.TaskInstanceNum"),
    # B19-B21: paths
    ("B19", put(f"{T0}.RedirectInfo.StdoutRedirectPath", "COS://b-1/logs/"),
     "InvalidParameterValue.RemoteStorageSchemeType"),
    ("B19", put(f"{T0}.RedirectInfo.StderrRedirectPath", "s3://b-1/logs/"),
     "InvalidParameterValue.RemoteStorageSchemeType"),
    ("B19", put(f"{T0}.Application.PackagePath", "http://b-1/pkg.tgz"),
     "InvalidParameterValue.RemoteStorageSchemeType"),
    ("B19", put(f"{T0}.InputMappings.0.SourcePath", "cosn://b-1/in/"),
     "InvalidParameterValue.RemoteStorageSchemeType"),
    ("B19", put(f"{T0}.OutputMappings.0.DestinationPath", "://x/"),
     "InvalidParameterValue.RemoteStorageSchemeType"),
    ("B20", put(f"{T0}.RedirectInfo.StdoutRedirectPath", "bucket/logs/"),
     "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.RedirectInfo.StdoutRedirectPath", "cos:///logs/"),
     "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.Application.PackagePath", "cos://bucket"), "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.RedirectInfo.StdoutRedirectPath", "cos://b-1/lo gs/"),
     "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.RedirectInfo.StdoutRedirectPath", "cos://b-1/logs"),
     "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.OutputMappings.0.DestinationPath", "nfs://10.0.0.5/data"),
     "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.InputMappings.0.SourcePath", "cfs://10.0.0.4/\u3000/"),
     "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.InputMappings.0.SourcePath", "cfs://10.0.0.4/a\x1c/"),
     "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.InputMappings.0.SourcePath", "cfs://10.0.0.4/a\x85/"),
     "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.Application.PackagePath", "cos://b-1/pkg.tgz\n"),
     "InvalidParameterValue.RemoteStoragePath"),
    ("B20", put(f"{T0}.InputMappings.0.SourcePath", ""), "InvalidParameterValue.RemoteStoragePath"),
    ("B21", put(f"{T1}.ComputeEnv.MountDataDisks.0.LocalPath", "data"), "InvalidParameterValue.LocalPath"),
    ("B21", put(f"{T1}.ComputeEnv.MountDataDisks.0.LocalPath", ""), "InvalidParameterValue.LocalPath"),
    ("B21", put(f"{T0}.InputMappings.0.DestinationPath", "/data\x00"), "InvalidParameterValue.LocalPath"),
    ("B21", put(f"{T0}.InputMappings.0.DestinationPath", "/data\x7f"), "InvalidParameterValue.LocalPath"),
    ("B21", put(f"{T0}.InputMappings.0.DestinationPath", "/data\x85"), "InvalidParameterValue.LocalPath"),
    ("B21", put(f"{T0}.OutputMappings.0.SourcePath", "C:/out"), "InvalidParameterValue.LocalPath"),
    ("B21", put(f"{T0}.RedirectLocalInfo.StdoutLocalPath", "logs/"), "InvalidParameterValue.LocalPath"),
    ("B21", put(f"{T0}.RedirectLocalInfo.StderrLocalPath", "~/err"), "InvalidParameterValue.LocalPath"),
    # B22-B25: spot price, notifications
    ("B22", put(f"{ENV1}.InstanceMarketOptions.SpotOptions.MaxPrice", ".5"), "InvalidParameterValue.NotFloat"),
    ("B22", put(f"{ENV1}.InstanceMarketOptions.SpotOptions.MaxPrice", "1."), "InvalidParameterValue.NotFloat"),
    ("B22", put(f"{ENV1}.InstanceMarketOptions.SpotOptions.MaxPrice", "1e3"), "InvalidParameterValue.NotFloat"),
    ("B22", put(f"{ENV1}.InstanceMarketOptions.SpotOptions.MaxPrice", "-1"), "InvalidParameterValue.NotFloat"),
    ("B22", put(f"{ENV1}.InstanceMarketOptions.SpotOptions.MaxPrice", "\u0663"), "InvalidParameterValue.NotFloat"),
    ("B22", put(f"{ENV1}.InstanceMarketOptions.SpotOptions.MaxPrice", "1\n"), "InvalidParameterValue.NotFloat"),
    ("B23", put("Job.Notifications.0.TopicName", "t" * 65), "InvalidParameter.NotificationTopicNameTooLong"),
    ("B24", put("Job.Notifications.0.TopicName", "1topic"), "InvalidParameter.NotificationTopicName"),
    ("B24", put("Job.Notifications.0.TopicName", ""), "InvalidParameter.NotificationTopicName"),
    ("B24", put("Job.Notifications.0.TopicName", "topic_1"), "InvalidParameter.NotificationTopicName"),
    ("B24", put("Job.Notifications.0.TopicName", "topic\n"), "InvalidParameter.NotificationTopicName"),
    ("B25", put("Job.Notifications.0.EventConfigs.1.EventName", "JOB_FAILED"),
     "InvalidParameter.NotificationEventNameDuplicate"),
    # B26: zones of the request's Region
    ("B26", put("Placement.Zone", "ap-beijing-1"), "InvalidZone.MismatchRegion"),
    ("B26", put("Placement.Zone", "ap-guangzhou-0"), "InvalidZone.MismatchRegion"),
    ("B26", put("Placement.Zone", "ap-guangzhou-02"), "InvalidZone.MismatchRegion"),
    ("B26", put("Placement.Zone", "ap-guangzhou-100"), "InvalidZone.MismatchRegion"),
    ("B26", put("Placement.Zone", "ap-guangzhou"), "InvalidZone.MismatchRegion"),
    ("B26", put("Placement.Zone", "ap-guangzhou-1\n"), "InvalidZone.MismatchRegion"),
    ("B26", put(f"{ENV1}.Zones.1", "ap-shanghai-1"), "InvalidZone.MismatchRegion"),
    # B27, B28: CVM settings
    ("B27", put(f"{ENV1}.SystemDisk.DiskType", "SSD"), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.SystemDisk.DiskType", "LOCAL_NVME"), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.DataDisks.0.DiskType", "cloud_ssd"), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.DataDisks.0.DiskSize", 15), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.DataDisks.0.DiskSize", 0), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.DataDisks.0.DiskSize", -10), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.SystemDisk.DiskSize", 0), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.InternetAccessible.InternetChargeType", "FREE"), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.InternetAccessible.InternetMaxBandwidthOut", -1), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.LoginSettings.Password", "Abc1"), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.LoginSettings.Password", "abcdefghij"), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.LoginSettings.Password", "Abcdefg 1"), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.LoginSettings.Password", "Abcdefgh1234567890"), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.LoginSettings.Password", "Abcd\u00e9fg1"), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV1}.LoginSettings.Password", 'Abcdefg1"'), "InvalidParameter.CvmParameters"),
    ("B27", put(f"{ENV2}.LoginSettings.KeepImageLogin", "true"), "InvalidParameter.CvmParameters"),
    ("B28", put(f"{ENV1}.InstanceChargeType", "PREPAID"),
     "InvalidParameterValue.UnsupportedBatchInstanceChargeType"),
    ("B28", put(f"{ENV1}.InstanceChargeType", "spotpaid"),
     "InvalidParameterValue.UnsupportedBatchInstanceChargeType"),
    # B29: the idempotency token
    ("B29", put("ClientToken", ""), VALUE),
    ("B29", put("ClientToken", "t" * 65), VALUE),
    ("B29", put("ClientToken", "has space"), VALUE),
    ("B29", put("ClientToken", "tok\u00e9n"), VALUE),
    ("B29", put("ClientToken", "tok\x7f"), VALUE),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "change", "code"),
    SINGLE_FAULTS,
    ids=[f"{rule}:{change.__name__}" for rule, change, _ in SINGLE_FAULTS],
)
def test_single_fault(emu: Emulator, rule: str, change: Callable, code: str) -> None:
    assert submit(emu, changed(change)) == code


def test_every_business_rule_has_a_case() -> None:
    covered = {rule for rule, _, _ in SINGLE_FAULTS}
    assert {f"B{n}" for n in range(1, 30)} <= covered  # B30, B31: tests/emulator/test_state.py


VALID_EDGES: list[Callable[[dict], None]] = [
    put("Job.JobName", "j" * 60),
    put("Job.JobName", "\U0001f600" * 60),  # code points, not UTF-16 units or bytes
    put("Job.JobName", "\ud800" * 60),  # a lone surrogate is one code point
    put("Job.JobDescription", "d" * 200),
    put(f"{T2}.TaskName", "t" * 60),
    put(f"{T2}.TaskName", "A"),  # TaskName duplicates are case-sensitive
    put(f"{T1}.TaskName", "b"),
    put(T2.rsplit(".", 1)[0] + ".3", {"Application": {"DeliveryForm": "LOCAL", "Command": "x"},
                                      "EnvId": DEFAULT_ENV_ID}),  # two unnamed tasks
    put("Job.Dependences.1", {"StartTask": "a", "EndTask": "b"}),  # a repeated edge
    put(f"{ENV1}.InstanceTypes", ["S1.SMALL1", "s1.small1"]),  # duplicates are case-sensitive
    put(f"{ENV1}.InstanceTypes", [f"S{i}.SMALL1" for i in range(10)]),
    put("Job.Tags", [{"Key": f"k{i}", "Value": "v"} for i in range(10)]),
    both(drop(f"{ENV2}.InstanceTypeOptions"), put(f"{ENV2}.InstanceType", "")),  # "" is given
    put("Job.Notifications.0.EventConfigs", []),
    put(f"{ENV1}.LoginSettings", {"KeyIds": ["skey-1", "skey-2"]}),  # several KeyIds
    put(f"{ENV2}.LoginSettings.KeepImageLogin", "FALSE"),
    put(f"{ENV1}.LoginSettings.Password", "(((())))1"),
    put(f"{ENV1}.LoginSettings.Password", "abcdefg|"),
    put(f"{ENV1}.LoginSettings.Password", "12345678/"),
    put(f"{T0}.RedirectInfo.StdoutRedirectPath", "cos://b-1/a\x01b/"),  # controls are allowed
    put(f"{T0}.InputMappings.0.SourcePath", "cfs://10.0.0.4/\ufeff/"),  # not whitespace
    put(f"{T0}.Application.PackagePath", "cos://b-1/"),
    put(f"{T0}.RedirectLocalInfo.StdoutLocalPath", "/"),
    put(f"{T0}.RedirectLocalInfo.StdoutLocalPath", "z:\\"),
    put(f"{ENV1}.InstanceMarketOptions.SpotOptions.MaxPrice", "10"),
    put(f"{ENV1}.InstanceMarketOptions.SpotOptions.MaxPrice", "007.250"),
    put("Placement.Zone", "ap-guangzhou-99"),
    put("Job.Notifications.0.TopicName", "T" + "-" * 63),
    put("ClientToken", "!" * 64),
    put("Job.Priority", 0),
    put(f"{T0}.MaxRetryCount", 0),
    put(f"{T0}.Application.Docker.DelayOnRetry", 1),
    put(f"{ENV1}.DataDisks.0.DiskSize", 10),
    put(f"{ENV1}.InternetAccessible.InternetMaxBandwidthOut", 2**63 - 1),
    put(f"{T0}.Timeout", 2**64 - 1),
    put("Placement.ProjectId", -(2**63)),
    drop("Job.Dependences"),
]  # fmt: skip


@pytest.mark.parametrize("change", VALID_EDGES, ids=[c.__name__ for c in VALID_EDGES])
def test_valid_edge(emu: Emulator, change: Callable) -> None:
    assert submit(emu, changed(change)) is None


@pytest.mark.parametrize(
    ("change", "codes"),
    [
        (put(f"{T0}.Application.Docker.DelayOnRetry", -1), {NEGATIVE, VALUE}),
        (put("Job.Priority", 2**64), {INVALID, VALUE}),
        (put("Job.Priority", 10**30), {INVALID, VALUE}),
    ],
)
def test_multi_fault_changes_get_one_of_their_codes(emu: Emulator, change, codes) -> None:
    assert submit(emu, changed(change)) in codes


def test_region_decides_the_zone(emu: Emulator) -> None:
    params = changed(put("Placement.Zone", "ap-beijing-1"), put(f"{ENV1}.Zones", ["ap-beijing-7"]))
    reply = send(emu, tc3(emu.host, params=params, region="ap-beijing"))
    assert reply.code is None
    assert submit(emu, params) == "InvalidZone.MismatchRegion"

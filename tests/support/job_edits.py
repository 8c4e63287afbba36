"""RICH, a valid SubmitJob request that uses nearly every member, and the one-change edits
(``put``, ``drop``, ``both``) that the emulator's rule and schema tests make of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from support.emulator_wire import assert_envelope, send, tc3
from tcbatch_contract.emulator import DEFAULT_ENV_ID, Emulator

COS_DIR = "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/logs/"


RICH: dict[str, Any] = {
    "Placement": {"Zone": "ap-guangzhou-3", "ProjectId": 0, "HostIds": ["host-1"],
                  "HostId": "host-x", "RackId": "rack-x",
                  "DedicatedResourcePackTenancy": "ResourcePool",
                  "DedicatedResourcePackIds": ["rpp-1"]},
    "Job": {
        "JobName": "rich", "JobDescription": "every member", "Priority": 100,
        "TaskExecutionDependOn": "PRE_TASK_FINISHED", "StateIfCreateCvmFailed": "RUNNABLE",
        "NotificationTarget": "TDMQ_CMQ",
        "Tags": [{"Key": "team", "Value": "batch"}],
        "Dependences": [{"StartTask": "a", "EndTask": "b"}],
        "Notifications": [{"TopicName": "topic-1", "EventConfigs": [
            {"EventName": "JOB_FAILED", "EventVars": [{"Name": "n", "Value": "v"}]},
            {"EventName": "TASK_FAILED", "EventVars": []}]}],
        "Tasks": [
            {"TaskName": "a", "TaskInstanceNum": 2, "EnvId": DEFAULT_ENV_ID,
             "Application": {
                 "DeliveryForm": "PACKAGE", "Command": "./run.sh",
                 "PackagePath": "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com/pkg/job.tar.gz",
                 "Docker": {"Image": "centos:7", "User": "u", "Password": "p", "Server": "s",
                            "MaxRetryCount": 10, "DelayOnRetry": 360, "DockerRunOption": "--rm"}},
             "RedirectInfo": {"StdoutRedirectPath": COS_DIR, "StderrRedirectPath": COS_DIR,
                              "StdoutRedirectFileName": "${BATCH_JOB_ID}.out"},
             "RedirectLocalInfo": {"StdoutLocalPath": "/var/log/", "StderrLocalPath": "H:\\logs",
                                   "StdoutLocalFileName": "out"},
             "InputMappings": [{"SourcePath": "cfs://10.0.0.4/shared/", "DestinationPath": "/data/in",
                                "MountOptionParameter": "ro", "MountType": "COSFS"}],
             "OutputMappings": [{"SourcePath": "/data/out", "DestinationPath": "nfs://10.0.0.5/data/",
                                 "OutputMappingOption": {"Workspace": "GLOBAL_WORKSPACE"}}],
             "OutputMappingConfigs": [{"Scene": "COS", "WorkerNum": 2, "WorkerPartSize": 8}],
             "EnvVars": [{"Name": "A", "Value": "1"}],
             "Authentications": [{"Scene": "COS", "SecretId": "x", "SecretKey": "y"}],
             "FailedAction": "INTERRUPT", "MaxRetryCount": 5, "Timeout": 3600,
             "MaxConcurrentNum": 200000, "RestartComputeNode": True, "ResourceMaxRetryCount": 100},
            {"TaskName": "b",
             "Application": {"DeliveryForm": "LOCAL", "Commands": [{"Command": "echo 1"}]},
             "ComputeEnv": {
                 "EnvType": "MANAGED",
                 "EnvData": {
                     "InstanceTypes": ["S1.SMALL1", "S2.SMALL1"], "ImageId": "img-bd78fy2t",
                     "SystemDisk": {"DiskType": "CLOUD_PREMIUM", "DiskSize": 50, "DiskId": "d-1"},
                     "DataDisks": [{"DiskSize": 100, "DiskType": "LOCAL_NVME", "DiskId": "d-2",
                                    "DeleteWithInstance": True, "Encrypt": False,
                                    "ThroughputPerformance": 0}],
                     "Zones": ["ap-guangzhou-3", "ap-guangzhou-99"],
                     "InternetAccessible": {"InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
                                            "InternetMaxBandwidthOut": 0, "PublicIpAssigned": False},
                     "InstanceName": "n", "LoginSettings": {"Password": "Abcdefg1"},
                     "SecurityGroupIds": ["sg-1"],
                     "EnhancedService": {"SecurityService": {"Enabled": True},
                                         "MonitorService": {"Enabled": False},
                                         "AutomationService": {"Enabled": True}},
                     "InstanceChargeType": "SPOTPAID",
                     "InstanceMarketOptions": {"SpotOptions": {"MaxPrice": "0.5",
                                                               "SpotInstanceType": "one-time"},
                                               "MarketType": "spot"}},
                 "MountDataDisks": [{"LocalPath": "/mnt/data", "FileSystemType": "EXT4"}],
                 "AgentRunningMode": {"Scene": "WINDOWS", "User": "u", "Session": "s"}}},
            {"Application": {"DeliveryForm": "LOCAL", "Command": ""},
             "ComputeEnv": {"EnvData": {
                 "InstanceTypeOptions": {"CPU": 2, "Memory": 4, "InstanceCategories": ["ALL"]},
                 "VirtualPrivateCloud": {"VpcId": "vpc-1", "SubnetId": "subnet-1"},
                 "LoginSettings": {"KeepImageLogin": "TRUE"}}}},
        ],
    },
}  # fmt: skip


T0, T1, T2 = "Job.Tasks.0", "Job.Tasks.1", "Job.Tasks.2"


ENV1 = f"{T1}.ComputeEnv.EnvData"


ENV2 = f"{T2}.ComputeEnv.EnvData"


def _steps(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def put(path: str, value: Any) -> Callable[[dict], None]:
    def change(params: dict) -> None:
        *parents, last = _steps(path)
        target = params
        for step in parents:
            target = target[step]
        if isinstance(target, list) and last == len(target):
            target.append(value)
        else:
            target[last] = value

    change.__name__ = f"{path}={value!r}"[:60]
    return change


def drop(path: str) -> Callable[[dict], None]:
    def change(params: dict) -> None:
        *parents, last = _steps(path)
        target = params
        for step in parents:
            target = target[step]
        del target[last]

    change.__name__ = f"del {path}"
    return change


def both(*changes: Callable[[dict], None]) -> Callable[[dict], None]:
    def change(params: dict) -> None:
        for one in changes:
            one(params)

    change.__name__ = " & ".join(c.__name__ for c in changes)
    return change


def changed(*changes: Callable[[dict], None]) -> dict[str, Any]:
    params = json.loads(json.dumps(RICH))
    for change in changes:
        change(params)
    return params


def submit(emu: Emulator, params: dict[str, Any]) -> str | None:
    reply = send(emu, tc3(emu.host, params=params))
    assert_envelope(reply)
    if reply.code is None:
        assert reply.response["JobId"].startswith("job-")
    return reply.code


MISSING, UNKNOWN, INVALID = "MissingParameter", "UnknownParameter", "InvalidParameter"


NEGATIVE, VALUE = "InvalidParameterValue.Negative", "InvalidParameterValue"

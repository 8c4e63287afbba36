"""The numbers, enumerations and patterns of the contract, as the oracle reads them.

Kept in one place so that a test can hold them against ``openapi.yaml`` and the catalogue.
"""

from __future__ import annotations

import re

JOB_NAME_MAX = 60
JOB_DESCRIPTION_MAX = 200
TASK_NAME_MAX = 60
TOPIC_NAME_MAX = 64
CLIENT_TOKEN_MAX = 64
INSTANCE_TYPES_MAX = 10
TAGS_MAX = 10
TASK_MAX_RETRY = 5
TASK_RESOURCE_MAX_RETRY = 100
DOCKER_MAX_RETRY = 10
PRIORITY_MAX = 100
MAX_CONCURRENT_NUM_MAX = 200_000
DELAY_ON_RETRY_MIN, DELAY_ON_RETRY_MAX = 1, 360
PASSWORD_MIN, PASSWORD_MAX = 8, 16

ENV_ID = re.compile(r"env-[a-z0-9]{8}")
IMAGE_ID = re.compile(r"img-[a-z0-9]{8}")
JOB_ID = re.compile(r"job-[a-z0-9]{8}")
TASK_NAME = re.compile(r"[A-Za-z0-9_-]+")
TOPIC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
REMOTE_SCHEMES = ("cos", "cfs", "nfs")
PASSWORD_SPECIALS = frozenset("()`~!@#$%^&*-+=|{}[]:;',.?/")

#: Enumerated members judged by S6, as (type name, member name) -> allowed values.
ENUMS: dict[tuple[str, str], frozenset[str]] = {
    ("Application", "DeliveryForm"): frozenset({"PACKAGE", "LOCAL"}),
    ("Task", "FailedAction"): frozenset({"TERMINATE", "INTERRUPT", "FAST_INTERRUPT"}),
    ("Job", "TaskExecutionDependOn"): frozenset(
        {"PRE_TASK_SUCCEED", "PRE_TASK_AT_LEAST_PARTLY_SUCCEED", "PRE_TASK_FINISHED"}
    ),
    ("Job", "StateIfCreateCvmFailed"): frozenset({"FAILED", "RUNNABLE"}),
    ("Job", "NotificationTarget"): frozenset({"CMQ", "TDMQ_CMQ"}),
    ("EventConfig", "EventName"): frozenset(
        {
            "JOB_RUNNING",
            "JOB_SUCCEED",
            "JOB_FAILED",
            "JOB_FAILED_INTERRUPTED",
            "TASK_RUNNING",
            "TASK_SUCCEED",
            "TASK_FAILED",
            "TASK_FAILED_INTERRUPTED",
            "TASK_INSTANCE_RUNNING",
            "TASK_INSTANCE_SUCCEED",
            "TASK_INSTANCE_FAILED",
            "TASK_INSTANCE_FAILED_INTERRUPTED",
            "COMPUTE_NODE_CREATED",
            "COMPUTE_NODE_CREATION_FAILED",
            "COMPUTE_NODE_RUNNING",
            "COMPUTE_NODE_ABNORMAL",
            "COMPUTE_NODE_DELETING",
        }
    ),
    ("MountDataDisk", "FileSystemType"): frozenset({"EXT3", "EXT4", "NTFS"}),
    ("InputMapping", "MountType"): frozenset({"COSFS", "GooseFS-Lite"}),
    ("OutputMappingConfig", "Scene"): frozenset({"COS"}),
    ("AgentRunningMode", "Scene"): frozenset({"WINDOWS"}),
    ("InstanceMarketOptionsRequest", "MarketType"): frozenset({"spot"}),
    ("SpotMarketOptions", "SpotInstanceType"): frozenset({"one-time"}),
    ("Placement", "DedicatedResourcePackTenancy"): frozenset({"ResourcePool"}),
    ("OutputMappingOption", "Workspace"): frozenset({"BATCH_WORKSPACE", "GLOBAL_WORKSPACE"}),
    ("InstanceTypeOptions", "InstanceCategories"): frozenset(
        {"ALL", "GENERAL", "GENERAL_2", "GENERAL_3", "COMPUTE", "COMPUTE_2", "COMPUTE_3"}
    ),
}

SYSTEM_DISK_TYPES = frozenset(
    {
        "LOCAL_BASIC",
        "LOCAL_SSD",
        "CLOUD_BASIC",
        "CLOUD_SSD",
        "CLOUD_PREMIUM",
        "CLOUD_BSSD",
        "CLOUD_HSSD",
        "CLOUD_TSSD",
    }
)
DATA_DISK_TYPES = SYSTEM_DISK_TYPES | {"LOCAL_NVME", "LOCAL_PRO"}
INTERNET_CHARGE_TYPES = frozenset(
    {
        "BANDWIDTH_PREPAID",
        "TRAFFIC_POSTPAID_BY_HOUR",
        "BANDWIDTH_POSTPAID_BY_HOUR",
        "BANDWIDTH_PACKAGE",
    }
)
KEEP_IMAGE_LOGIN = frozenset({"TRUE", "FALSE"})
INSTANCE_CHARGE_TYPES = frozenset({"POSTPAID_BY_HOUR", "SPOTPAID"})
ENV_TYPE_MANAGED = "MANAGED"

#: Remote paths (B19/B20) as (type, member) -> True when the path names a directory.
REMOTE_PATHS: dict[tuple[str, str], bool] = {
    ("RedirectInfo", "StdoutRedirectPath"): True,
    ("RedirectInfo", "StderrRedirectPath"): True,
    ("Application", "PackagePath"): False,
    ("InputMapping", "SourcePath"): False,
    ("OutputMapping", "DestinationPath"): True,
}
#: Local paths (B21).
LOCAL_PATHS: tuple[tuple[str, str], ...] = (
    ("MountDataDisk", "LocalPath"),
    ("InputMapping", "DestinationPath"),
    ("OutputMapping", "SourcePath"),
    ("RedirectLocalInfo", "StdoutLocalPath"),
    ("RedirectLocalInfo", "StderrLocalPath"),
)

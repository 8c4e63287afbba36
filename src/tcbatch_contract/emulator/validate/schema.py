"""The schema rules S1-S6: members, JSON types, ranges and enumerations.

Shapes come from the type table; the enumerations are the contract's section 4 (the CVM
enums of B27 and the charge types of B28 are business rules and live with them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ... import codes
from ...typetable import INT64_MAX, INT64_MIN, UINT64_MAX, types
from ..errors import echo
from ._model import Finding, Node, Subject

EVENT_NAMES = frozenset({
    "JOB_RUNNING", "JOB_SUCCEED", "JOB_FAILED", "JOB_FAILED_INTERRUPTED",
    "TASK_RUNNING", "TASK_SUCCEED", "TASK_FAILED", "TASK_FAILED_INTERRUPTED",
    "TASK_INSTANCE_RUNNING", "TASK_INSTANCE_SUCCEED", "TASK_INSTANCE_FAILED",
    "TASK_INSTANCE_FAILED_INTERRUPTED", "COMPUTE_NODE_CREATED",
    "COMPUTE_NODE_CREATION_FAILED", "COMPUTE_NODE_RUNNING", "COMPUTE_NODE_ABNORMAL",
    "COMPUTE_NODE_DELETING",
})  # fmt: skip

#: (type, member) -> allowed values; for a list member, the allowed items.
ENUMS: dict[tuple[str, str], frozenset[str]] = {
    ("Application", "DeliveryForm"): frozenset({"PACKAGE", "LOCAL"}),
    ("Task", "FailedAction"): frozenset({"TERMINATE", "INTERRUPT", "FAST_INTERRUPT"}),
    ("Job", "TaskExecutionDependOn"): frozenset(
        {"PRE_TASK_SUCCEED", "PRE_TASK_AT_LEAST_PARTLY_SUCCEED", "PRE_TASK_FINISHED"}
    ),
    ("Job", "StateIfCreateCvmFailed"): frozenset({"FAILED", "RUNNABLE"}),
    ("Job", "NotificationTarget"): frozenset({"CMQ", "TDMQ_CMQ"}),
    ("EventConfig", "EventName"): EVENT_NAMES,
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

_TYPE_WORDS = {
    "string": "a string",
    "bool": "a boolean",
    "int64": "an integer in the int64 range",
    "uint64": "a non-negative integer in the uint64 range",
}


def s1_required_present(subject: Subject) -> Iterator[Finding]:
    found_objects, _ = subject.walk
    for path, type_name, obj in found_objects:
        for name, member in types()[type_name].items():
            if member.required and name not in obj:
                full = f"{path}.{name}" if path else name
                yield Finding(
                    "S1",
                    codes.MISSING_PARAMETER,
                    full,
                    f"The request is missing a required parameter `{echo(full)}`.",
                )


def s2_tasks_not_empty(subject: Subject) -> Iterator[Finding]:
    if subject.action == "SubmitJob" and subject.job.get("Tasks") == []:
        yield Finding(
            "S2",
            codes.MISSING_PARAMETER,
            "Job.Tasks",
            "The request is missing a required parameter `Job.Tasks`: give at least one task.",
        )


def s3_members_known(subject: Subject) -> Iterator[Finding]:
    found_objects, _ = subject.walk
    for path, type_name, obj in found_objects:
        members = types()[type_name]
        for key in obj:
            if key not in members:
                full = f"{path}.{key}" if path else key
                yield Finding(
                    "S3",
                    codes.UNKNOWN_PARAMETER,
                    full,
                    f"The parameter `{echo(full)}` is not recognized; remove it from the request.",
                )


def s4_types_match(subject: Subject) -> Iterator[Finding]:
    _, nodes = subject.walk
    for node in nodes:
        expected = _expected(node)
        if expected is not None:
            yield Finding(
                "S4",
                codes.INVALID_PARAMETER,
                node.path,
                f"The parameter `{echo(node.path)}` must be {expected}, "
                f"not {_describe(node.value)}.",
            )


def s5_unsigned_not_negative(subject: Subject) -> Iterator[Finding]:
    _, nodes = subject.walk
    for node in nodes:
        value = node.value
        scalar = node.item or not node.member.is_list
        if scalar and node.member.elem == "uint64" and type(value) is int and value < 0:
            yield Finding(
                "S5",
                codes.NEGATIVE,
                node.path,
                f"The parameter `{echo(node.path)}` must not be negative (got {echo(value)}).",
            )


def s6_enums(subject: Subject) -> Iterator[Finding]:
    _, nodes = subject.walk
    for node in nodes:
        allowed = ENUMS.get((node.owner, node.member.name))
        scalar = node.item or not node.member.is_list
        value = node.value
        if allowed is not None and scalar and isinstance(value, str) and value not in allowed:
            yield Finding(
                "S6",
                codes.INVALID_PARAMETER_VALUE,
                node.path,
                f"The value `{echo(value)}` of `{echo(node.path)}` is not one of "
                f"{', '.join(sorted(allowed))}.",
            )


def _expected(node: Node) -> str | None:
    """What the node's value should have been, or None when it is right."""
    value, member = node.value, node.member
    if member.is_list and not node.item:
        return None if isinstance(value, list) else "a list"
    elem = member.elem
    if elem in types():
        return None if isinstance(value, dict) else f"an object ({elem})"
    if elem == "string":
        ok = isinstance(value, str)
    elif elem == "bool":
        ok = type(value) is bool
    elif elem == "int64":
        ok = type(value) is int and INT64_MIN <= value <= INT64_MAX
    else:  # uint64: a negative value is S5, not a type error
        ok = type(value) is int and value <= UINT64_MAX
    return None if ok else _TYPE_WORDS[elem]


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer out of range" if abs(value) > INT64_MAX else "an integer"
    if isinstance(value, float):
        return "a number with a fraction or exponent"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"

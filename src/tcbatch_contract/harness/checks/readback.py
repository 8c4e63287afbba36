"""Does a submitted job read back as the contract says (submitjob-contract.md §6)?

This is where quiet bugs live: a member dropped on the way to storage, a string truncated
or re-encoded, a ``uint64`` turned into a float, ``true`` turned into ``1``, a default
that overwrites what the caller sent, or a default filled in where the contract names
none. So values are compared strictly (a bool is not an int, ``1.0`` is not ``1``) and
every difference is reported with its parameter path.

The readings of §6 this module applies (which lists keep their order and repeats, which
members may come back ``null``) are Interpretations 26 and 27 of ``contracts/README.md``.
"""

from __future__ import annotations

import re
from typing import Any

JOB_ID = re.compile(r"job-[a-z0-9]{8}")
CREATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
STATES_AFTER_SUBMIT = ("SUBMITTED", "PENDING")

#: Per-task defaults that DescribeJobSubmitInfo fills in where the caller left them out.
TASK_DEFAULTS: dict[str, Any] = {
    "TaskInstanceNum": 1,
    "FailedAction": "TERMINATE",
    "MaxRetryCount": 0,
    "Timeout": 86400,
    "ResourceMaxRetryCount": 0,
}
COMPUTE_ENV_DEFAULTS: dict[str, Any] = {"EnvType": "MANAGED"}
NOT_RETURNED = (
    "Notifications",
    "TaskExecutionDependOn",
    "StateIfCreateCvmFailed",
    "NotificationTarget",
    "Placement",
)


def describe_job_problems(sent: dict[str, Any], job_id: str, answer: dict[str, Any]) -> list[str]:
    """Differences between a SubmitJob request and its DescribeJob answer."""
    job = sent.get("Job") or {}
    tasks = job.get("Tasks") or []
    where = "DescribeJob"
    problems: list[str] = []
    _same(problems, where, "JobId", job_id, answer.get("JobId"))
    _same(problems, where, "JobName", job.get("JobName"), answer.get("JobName"))
    _same(problems, where, "Zone", (sent.get("Placement") or {}).get("Zone"), answer.get("Zone"))
    _same(problems, where, "Priority", job.get("Priority", 0), answer.get("Priority"))
    state = answer.get("JobState")
    if state not in STATES_AFTER_SUBMIT:
        problems.append(f"{where} JobState: expected SUBMITTED or PENDING, got {state!r}")
    created = answer.get("CreateTime")
    if not isinstance(created, str) or not CREATE_TIME.fullmatch(created):
        problems.append(f"{where} CreateTime: expected YYYY-MM-DDThh:mm:ssZ, got {created!r}")
    task_set = answer.get("TaskSet")
    if not isinstance(task_set, list) or len(task_set) != len(tasks):
        count = len(task_set) if isinstance(task_set, list) else task_set
        problems.append(f"{where} TaskSet: expected {len(tasks)} tasks, got {_show(count)}")
    else:
        for index, (task, view) in enumerate(zip(tasks, task_set, strict=True)):
            path = f"TaskSet.{index}"
            if not isinstance(view, dict):
                problems.append(f"{where} {path}: expected an object, got {_show(view)}")
                continue
            if "TaskName" in task:
                _same(problems, where, f"{path}.TaskName", task["TaskName"], view.get("TaskName"))
            for member in ("TaskState", "CreateTime"):
                if member not in view:
                    problems.append(f"{where} {path}.{member}: missing")
    expected_edges = _edge_set(job.get("Dependences"))
    got = answer.get("DependenceSet")
    got_edges = _edge_set(got) if isinstance(got, list) else got
    _same(problems, where, "DependenceSet", expected_edges, got_edges)
    _same(problems, where, "Tags", _sorted(job.get("Tags", [])), _sorted(answer.get("Tags")))
    return problems


def _edge_set(dependences: Any) -> list[Any]:
    """The distinct edges of a dependence list, in a canonical order."""
    edges = {
        repr((d.get("StartTask"), d.get("EndTask"))) if isinstance(d, dict) else repr(d)
        for d in dependences or []
    }
    return sorted(edges)


def _sorted(items: Any) -> Any:
    """A list in a canonical order (anything else as it is)."""
    return sorted(items, key=repr) if isinstance(items, list) else items


def submit_info_problems(sent: dict[str, Any], job_id: str, answer: dict[str, Any]) -> list[str]:
    """Differences between a SubmitJob request and its DescribeJobSubmitInfo answer."""
    job = sent.get("Job") or {}
    where = "DescribeJobSubmitInfo"
    problems: list[str] = []
    _same(problems, where, "JobId", job_id, answer.get("JobId"))
    _same(problems, where, "JobName", job.get("JobName"), answer.get("JobName"))
    _same(
        problems, where, "JobDescription", job.get("JobDescription"), answer.get("JobDescription")
    )
    _same(problems, where, "Priority", job.get("Priority", 0), answer.get("Priority"))
    tasks = [expected_task(task) for task in job.get("Tasks") or []]
    _compare(problems, where, "Tasks", tasks, answer.get("Tasks"))
    _compare(problems, where, "Dependences", job.get("Dependences", []), answer.get("Dependences"))
    _compare(problems, where, "Tags", job.get("Tags", []), answer.get("Tags"))
    for member in NOT_RETURNED:
        if answer.get(member) is not None:
            problems.append(
                f"{where} {member}: not returned by this action, got {_show(answer[member])}"
            )
    return problems


def expected_task(task: dict[str, Any]) -> dict[str, Any]:
    """A sent task as DescribeJobSubmitInfo must return it: the documented defaults added."""
    expected = dict(task)
    for member, default in TASK_DEFAULTS.items():
        expected.setdefault(member, default)
    compute_env = task.get("ComputeEnv")
    if isinstance(compute_env, dict):
        expected["ComputeEnv"] = {**COMPUTE_ENV_DEFAULTS, **compute_env}
    return expected


def strictly_equal(a: Any, b: Any) -> bool:
    """JSON equality that tells ``true`` from ``1`` and ``1`` from ``1.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strictly_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _compare(problems: list[str], where: str, path: str, expected: Any, got: Any) -> None:
    """``got`` must hold everything in ``expected``; extra members must be null."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            problems.append(f"{where} {path}: expected an object, got {_show(got)}")
            return
        for key, value in expected.items():
            if key not in got:
                problems.append(
                    f"{where} {path}.{key}: sent {_show(value)}, missing from the answer"
                )
            else:
                _compare(problems, where, f"{path}.{key}", value, got[key])
        for key, value in got.items():
            if key not in expected and value is not None:
                problems.append(
                    f"{where} {path}.{key}: not sent and no documented default, got {_show(value)}"
                )
        return
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            problems.append(f"{where} {path}: expected {_show(expected)}, got {_show(got)}")
            return
        for index, (item, other) in enumerate(zip(expected, got, strict=True)):
            _compare(problems, where, f"{path}.{index}", item, other)
        return
    _same(problems, where, path, expected, got)


def _same(problems: list[str], where: str, path: str, expected: Any, got: Any) -> None:
    if not strictly_equal(expected, got):
        problems.append(f"{where} {path}: expected {_show(expected)}, got {_show(got)}")


def _show(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"

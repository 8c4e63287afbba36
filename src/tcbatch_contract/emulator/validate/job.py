"""Business rules at the level of the job and the request: names, dependences, tags,
notifications, zones, the idempotency token, the quota and the credential."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ... import codes
from ..errors import echo
from ._model import Finding, Subject, objects, strings

_TASK_NAME = re.compile(r"[A-Za-z0-9_-]*")
_TOPIC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_JOB_ID = re.compile(r"job-[a-z0-9]{8}")


def b1_job_name_length(subject: Subject) -> Iterator[Finding]:
    for path, name in strings(subject.job, "JobName", "Job"):
        if len(name) > 60:
            yield Finding("B1", codes.JOB_NAME_TOO_LONG, path, _too_long(path, len(name), 60))


def b2_job_description_length(subject: Subject) -> Iterator[Finding]:
    for path, text in strings(subject.job, "JobDescription", "Job"):
        if len(text) > 200:
            yield Finding(
                "B2", codes.JOB_DESCRIPTION_TOO_LONG, path, _too_long(path, len(text), 200)
            )


def b3_task_name_length(subject: Subject) -> Iterator[Finding]:
    for task_path, task in subject.tasks:
        for path, name in strings(task, "TaskName", task_path):
            if len(name) > 60:
                yield Finding("B3", codes.TASK_NAME_TOO_LONG, path, _too_long(path, len(name), 60))


def b4_task_name_form(subject: Subject) -> Iterator[Finding]:
    seen: set[str] = set()
    for task_path, task in subject.tasks:
        for path, name in strings(task, "TaskName", task_path):
            if not name or not _TASK_NAME.fullmatch(name):
                yield Finding(
                    "B4",
                    codes.TASK_NAME,
                    path,
                    f"The task name `{echo(name)}` of `{path}` is invalid: use 1 or more of "
                    "letters, digits, `_` and `-`.",
                )
            elif name in seen:
                yield Finding(
                    "B4",
                    codes.TASK_NAME,
                    path,
                    f"The task name `{echo(name)}` of `{path}` is used by another task of the job.",
                )
            seen.add(name)


def _task_names(subject: Subject) -> set[str]:
    return {task["TaskName"] for _, task in subject.tasks if isinstance(task.get("TaskName"), str)}


def _dependences(subject: Subject) -> Iterator[tuple[str, str, str]]:
    """``(path, StartTask, EndTask)`` of every well-typed dependence."""
    for path, dep in objects(subject.job.get("Dependences"), "Job.Dependences"):
        start, end = dep.get("StartTask"), dep.get("EndTask")
        if isinstance(start, str) and isinstance(end, str):
            yield path, start, end


def b5_dependence_names_known(subject: Subject) -> Iterator[Finding]:
    names = _task_names(subject)
    for path, start, end in _dependences(subject):
        for member, name in (("StartTask", start), ("EndTask", end)):
            if name not in names:
                yield Finding(
                    "B5",
                    codes.DEPENDENCE_NOT_FOUND,
                    f"{path}.{member}",
                    f"`{path}.{member}` names `{echo(name)}`, which is not a task of this job.",
                )


def b6_dependences_acyclic(subject: Subject) -> Iterator[Finding]:
    names = _task_names(subject)
    edges = {(start, end) for _, start, end in _dependences(subject)}
    edges = {(a, b) for a, b in edges if a in names and b in names}
    successors: dict[str, set[str]] = {}
    indegree: dict[str, int] = {}
    for start, end in edges:
        successors.setdefault(start, set()).add(end)
        indegree[end] = indegree.get(end, 0) + 1
        indegree.setdefault(start, 0)
    ready = [name for name, count in indegree.items() if count == 0]
    removed = 0
    while ready:
        name = ready.pop()
        removed += 1
        for after in successors.get(name, ()):
            indegree[after] -= 1
            if indegree[after] == 0:
                ready.append(after)
    if removed < len(indegree):
        in_cycle = sorted(name for name, count in indegree.items() if count > 0)
        yield Finding(
            "B6",
            codes.DEPENDENCE_UNFEASIBLE,
            "Job.Dependences",
            "`Job.Dependences` has a cycle through the tasks "
            f"{echo(', '.join(in_cycle))}: the job could never start.",
        )


def b15_list_limits(subject: Subject) -> Iterator[Finding]:
    lists = [(f"{path}.InstanceTypes", env.get("InstanceTypes")) for path, env in subject.env_datas]
    lists.append(("Job.Tags", subject.job.get("Tags")))
    for path, value in lists:
        if isinstance(value, list) and len(value) > 10:
            yield Finding(
                "B15",
                codes.LIMIT_EXCEEDED_VALUE,
                path,
                f"`{path}` has {len(value)} items; at most 10 are allowed.",
            )


def b23_topic_name_length(subject: Subject) -> Iterator[Finding]:
    for note_path, note in objects(subject.job.get("Notifications"), "Job.Notifications"):
        for path, name in strings(note, "TopicName", note_path):
            if len(name) > 64:
                yield Finding(
                    "B23",
                    codes.NOTIFICATION_TOPIC_NAME_TOO_LONG,
                    path,
                    _too_long(path, len(name), 64),
                )


def b24_topic_name_form(subject: Subject) -> Iterator[Finding]:
    for note_path, note in objects(subject.job.get("Notifications"), "Job.Notifications"):
        for path, name in strings(note, "TopicName", note_path):
            if not _TOPIC_NAME.fullmatch(name):
                yield Finding(
                    "B24",
                    codes.NOTIFICATION_TOPIC_NAME,
                    path,
                    f"The topic name `{echo(name)}` of `{path}` is invalid: start with a letter "
                    "and use only letters, digits and `-`.",
                )


def b25_event_names_unique(subject: Subject) -> Iterator[Finding]:
    for note_path, note in objects(subject.job.get("Notifications"), "Job.Notifications"):
        seen: set[str] = set()
        for config_path, config in objects(note.get("EventConfigs"), f"{note_path}.EventConfigs"):
            for path, name in strings(config, "EventName", config_path):
                if name in seen:
                    yield Finding(
                        "B25",
                        codes.NOTIFICATION_EVENT_NAME_DUPLICATE,
                        path,
                        f"The event `{echo(name)}` appears twice in `{note_path}`.",
                    )
                seen.add(name)


def b26_zone_in_region(subject: Subject) -> Iterator[Finding]:
    pattern = re.compile(re.escape(subject.region) + r"-[1-9][0-9]?")
    zones: list[tuple[str, object]] = []
    placement = subject.params.get("Placement")
    if isinstance(placement, dict):
        zones.append(("Placement.Zone", placement.get("Zone")))
    for env_path, env in subject.env_datas:
        if isinstance(env.get("Zones"), list):
            zones += [(f"{env_path}.Zones.{i}", zone) for i, zone in enumerate(env["Zones"])]
    for path, zone in zones:
        if isinstance(zone, str) and not pattern.fullmatch(zone):
            yield Finding(
                "B26",
                codes.INVALID_ZONE_MISMATCH_REGION,
                path,
                f"The zone `{echo(zone)}` of `{path}` is not a zone of the Region "
                f"`{subject.region}` (expected `{subject.region}-<1..99>`).",
            )


def b29_client_token(subject: Subject) -> Iterator[Finding]:
    token = subject.params.get("ClientToken")
    if isinstance(token, str) and (
        not token or len(token) > 64 or not all("\x21" <= ch <= "\x7e" for ch in token)
    ):
        yield Finding(
            "B29",
            codes.INVALID_PARAMETER_VALUE,
            "ClientToken",
            "`ClientToken` must be 1 to 64 printable ASCII characters without spaces.",
        )


def b30_job_quota(subject: Subject) -> Iterator[Finding]:
    if subject.job_quota is not None and subject.jobs_held >= subject.job_quota:
        yield Finding(
            "B30",
            codes.JOB_QUOTA,
            "Job",
            f"The account already holds {subject.jobs_held} jobs, its quota "
            f"({subject.job_quota}); delete jobs before submitting more.",
        )


def b31_credential_allowed(subject: Subject) -> Iterator[Finding]:
    if subject.credential_denied:
        yield Finding(
            "B31",
            codes.USER_NOT_ALLOWED,
            "SecretId",
            "This credential is not allowed to use Batch; use a credential of an authorized user.",
        )


def job_id_form(subject: Subject) -> Iterator[Finding]:
    job_id = subject.params.get("JobId")
    if isinstance(job_id, str) and not _JOB_ID.fullmatch(job_id):
        yield Finding(
            "JobId",
            codes.JOB_ID_MALFORMED,
            "JobId",
            f"The job id `{echo(job_id)}` is malformed: a job id is `job-` and 8 "
            "lower-case letters or digits.",
        )


def _too_long(path: str, length: int, limit: int) -> str:
    return f"`{path}` is {length} characters long; at most {limit} are allowed."

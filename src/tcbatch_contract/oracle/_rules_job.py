"""Business rules about the job as a whole: names, the task graph, tags, notifications,
the client token, and the target's quota and credential policy (B1-B6, B15 tags, B23-B25,
B29-B31)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ._limits import (
    CLIENT_TOKEN_MAX,
    JOB_DESCRIPTION_MAX,
    JOB_NAME_MAX,
    TAGS_MAX,
    TASK_NAME,
    TASK_NAME_MAX,
    TOPIC_NAME,
    TOPIC_NAME_MAX,
)
from ._model import Breach
from ._request import Request, join


def job_name_too_long(req: Request) -> Iterator[Breach]:
    yield from _too_long(req, "Job", "JobName", JOB_NAME_MAX)


def job_description_too_long(req: Request) -> Iterator[Breach]:
    yield from _too_long(req, "Job", "JobDescription", JOB_DESCRIPTION_MAX)


def task_name_too_long(req: Request) -> Iterator[Breach]:
    yield from _too_long(req, "Task", "TaskName", TASK_NAME_MAX)


def topic_name_too_long(req: Request) -> Iterator[Breach]:
    yield from _too_long(req, "Notification", "TopicName", TOPIC_NAME_MAX)


def task_name_invalid(req: Request) -> Iterator[Breach]:
    seen: dict[str, str] = {}
    for path, task in req.of("Task"):
        name = task.get("TaskName")
        if not isinstance(name, str):
            continue
        where = join(path, "TaskName")
        if not TASK_NAME.fullmatch(name):
            yield Breach(
                where,
                f"`{where}` must be 1 or more of A-Z, a-z, 0-9, `_` and `-`.",
            )
        if name in seen:
            yield Breach(where, f"`{where}` repeats the task name of `{seen[name]}`.")
        else:
            seen[name] = where


def dependence_not_found(req: Request) -> Iterator[Breach]:
    names = _task_names(req)
    for path, dependence in req.of("Dependence"):
        for end in ("StartTask", "EndTask"):
            value = dependence.get(end)
            if isinstance(value, str) and value not in names:
                where = join(path, end)
                yield Breach(
                    where,
                    f"`{where}` names no task of the job: `{value}`.",
                )


def dependence_cycle(req: Request) -> Iterator[Breach]:
    """Kahn's algorithm over the edges between known tasks: linear in tasks + edges."""
    names = _task_names(req)
    successors: dict[str, set[str]] = defaultdict(set)
    for _, dependence in req.of("Dependence"):
        start, end = dependence.get("StartTask"), dependence.get("EndTask")
        if isinstance(start, str) and isinstance(end, str) and start in names and end in names:
            successors[start].add(end)
    indegree: dict[str, int] = dict.fromkeys(names, 0)
    for targets in successors.values():
        for end in targets:
            indegree[end] += 1
    ready = [name for name, degree in indegree.items() if degree == 0]
    removed = 0
    while ready:
        name = ready.pop()
        removed += 1
        for end in successors.get(name, ()):
            indegree[end] -= 1
            if indegree[end] == 0:
                ready.append(end)
    if removed < len(indegree):
        in_cycle = sorted(name for name, degree in indegree.items() if degree > 0)
        shown = ", ".join(in_cycle[:5]) + (" …" if len(in_cycle) > 5 else "")
        yield Breach(
            "Job.Dependences",
            f"`Job.Dependences` contains a cycle through tasks: {shown}.",
        )


def tags_limit(req: Request) -> Iterator[Breach]:
    for path, job in req.of("Job"):
        tags = job.get("Tags")
        if isinstance(tags, list) and len(tags) > TAGS_MAX:
            where = join(path, "Tags")
            yield Breach(
                where,
                f"`{where}` holds {len(tags)} tags; at most {TAGS_MAX} are allowed.",
            )


def topic_name_invalid(req: Request) -> Iterator[Breach]:
    for path, notification in req.of("Notification"):
        name = notification.get("TopicName")
        if isinstance(name, str) and not TOPIC_NAME.fullmatch(name):
            where = join(path, "TopicName")
            yield Breach(
                where,
                f"`{where}` must start with a letter and hold only letters, digits and `-`.",
            )


def event_name_duplicate(req: Request) -> Iterator[Breach]:
    for path, notification in req.of("Notification"):
        configs = notification.get("EventConfigs")
        if not isinstance(configs, list):
            continue
        seen: set[str] = set()
        for index, config in enumerate(configs):
            name = config.get("EventName") if isinstance(config, dict) else None
            if not isinstance(name, str):
                continue
            if name in seen:
                where = join(path, f"EventConfigs.{index}.EventName")
                yield Breach(
                    where,
                    f"`{where}` repeats the event `{name}`.",
                )
            seen.add(name)


def client_token_invalid(req: Request) -> Iterator[Breach]:
    token = req.params.get("ClientToken") if req.action == "SubmitJob" else None
    if not isinstance(token, str):
        return
    if not token or len(token) > CLIENT_TOKEN_MAX or any(not "!" <= ch <= "~" for ch in token):
        yield Breach(
            "ClientToken",
            f"`ClientToken` must be 1 to {CLIENT_TOKEN_MAX} printable ASCII characters.",
        )


def job_quota(req: Request) -> Iterator[Breach]:
    quota = req.context.job_quota
    if req.action == "SubmitJob" and quota is not None and req.context.jobs_held >= quota:
        yield Breach(
            "",
            f"The account already holds {req.context.jobs_held} jobs of its quota of {quota}.",
        )


def credential_denied(req: Request) -> Iterator[Breach]:
    if req.action == "SubmitJob" and req.context.credential_denied:
        yield Breach("", "This credential is not allowed to use Batch.")


def _task_names(req: Request) -> set[str]:
    return {name for _, task in req.of("Task") if isinstance(name := task.get("TaskName"), str)}


def _too_long(req: Request, type_name: str, member: str, limit: int) -> Iterator[Breach]:
    for path, obj in req.of(type_name):
        value = obj.get(member)
        if isinstance(value, str) and len(value) > limit:
            where = join(path, member)
            yield Breach(
                where,
                f"`{where}` is {len(value)} characters long; at most {limit} are allowed.",
            )

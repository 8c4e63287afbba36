"""Business rules of one task: its environment, its application, its counts and limits."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ... import codes
from ..errors import echo
from ._model import Finding, Subject, child, integer

_ENV_ID = re.compile(r"env-[a-z0-9]{8}")


def b7_one_of_env_id_and_compute_env(subject: Subject) -> Iterator[Finding]:
    for path, task in subject.tasks:
        if ("EnvId" in task) == ("ComputeEnv" in task):
            which = "both" if "EnvId" in task else "neither"
            yield Finding(
                "B7",
                codes.ALLOWED_ONE_ENV,
                path,
                f"`{path}` gives {which} of `EnvId` and `ComputeEnv`; give exactly one.",
            )


def b8_env_id_form(subject: Subject) -> Iterator[Finding]:
    for path, task in subject.tasks:
        env_id = task.get("EnvId")
        if isinstance(env_id, str) and not _ENV_ID.fullmatch(env_id):
            yield Finding(
                "B8",
                codes.ENV_ID_MALFORMED,
                f"{path}.EnvId",
                f"The compute environment id `{echo(env_id)}` of `{path}.EnvId` is malformed: "
                "an id is `env-` and 8 lower-case letters or digits.",
            )


def b9_env_id_known(subject: Subject) -> Iterator[Finding]:
    for path, task in subject.tasks:
        env_id = task.get("EnvId")
        well_formed = isinstance(env_id, str) and _ENV_ID.fullmatch(env_id)
        if well_formed and env_id not in subject.known_env_ids:
            yield Finding(
                "B9",
                codes.RESOURCE_NOT_FOUND_COMPUTE_ENV,
                f"{path}.EnvId",
                f"The compute environment `{env_id}` of `{path}.EnvId` does not exist.",
            )


def b13_application_command(subject: Subject) -> Iterator[Finding]:
    for path, app in subject.applications:
        commands = app.get("Commands")
        if "Command" not in app and not (isinstance(commands, list) and commands):
            yield Finding(
                "B13",
                codes.MISSING_PARAMETER,
                f"{path}.Command",
                f"The request is missing a required parameter `{path}.Command` "
                f"(or a non-empty `{path}.Commands`).",
            )
        if app.get("DeliveryForm") == "PACKAGE" and "PackagePath" not in app:
            yield Finding(
                "B13",
                codes.MISSING_PARAMETER,
                f"{path}.PackagePath",
                f"The request is missing a required parameter `{path}.PackagePath` "
                "(DeliveryForm is PACKAGE).",
            )


def _dockers(subject: Subject) -> Iterator[tuple[str, dict]]:
    for path, app in subject.applications:
        found = child(app, "Docker", path)
        if found:
            yield found


def b16_retry_counts(subject: Subject) -> Iterator[Finding]:
    limits: list[tuple[str, dict, str, int]] = []
    for path, task in subject.tasks:
        limits += [(path, task, "MaxRetryCount", 5), (path, task, "ResourceMaxRetryCount", 100)]
    limits += [(path, docker, "MaxRetryCount", 10) for path, docker in _dockers(subject)]
    for path, obj, name, limit in limits:
        value = integer(obj, name)
        if value is not None and value > limit:
            yield Finding(
                "B16",
                codes.MAX_RETRY_COUNT,
                f"{path}.{name}",
                f"`{path}.{name}` is {value}; it must be between 0 and {limit}.",
            )


def b17_value_ranges(subject: Subject) -> Iterator[Finding]:
    checks: list[tuple[str, dict, str, int, int]] = [("Job", subject.job, "Priority", 0, 100)]
    checks += [(path, task, "MaxConcurrentNum", 0, 200000) for path, task in subject.tasks]
    checks += [(path, docker, "DelayOnRetry", 1, 360) for path, docker in _dockers(subject)]
    for path, obj, name, low, high in checks:
        value = integer(obj, name)
        if value is not None and not low <= value <= high:
            yield Finding(
                "B17",
                codes.INVALID_PARAMETER_VALUE,
                f"{path}.{name}",
                f"`{path}.{name}` is {echo(value)}; it must be between {low} and {high}.",
            )


def b18_task_instance_num(subject: Subject) -> Iterator[Finding]:
    for path, task in subject.tasks:
        if integer(task, "TaskInstanceNum") == 0:
            yield Finding(
                "B18",
                codes.TASK_INSTANCE_NUM,
                f"{path}.TaskInstanceNum",
                f"`{path}.TaskInstanceNum` is 0; a task runs at least 1 instance.",
            )

"""The five actions: validate the decoded request, then read or change the job store.

SubmitJob is judged by the rules of ``validate`` (schema first, then business), then the
store decides between a replayed token, the quota (B30) and a new job, in one transaction.
The read-back of DescribeJob and DescribeJobSubmitInfo is built from the request as it was
stored, with exactly the documented defaults filled in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import codes
from .errors import ApiError
from .store import JobRecord
from .validate import ORDER, Subject, first_finding

if TYPE_CHECKING:
    from .app import EmulatorApp

#: Seconds a new job stays SUBMITTED before it reads as PENDING.
SUBMITTED_SECONDS = 1.0

TASK_DEFAULTS: dict[str, Any] = {
    "TaskInstanceNum": 1,
    "FailedAction": "TERMINATE",
    "MaxRetryCount": 0,
    "Timeout": 86400,
    "ResourceMaxRetryCount": 0,
}

Handler = Callable[[Subject, str, "EmulatorApp"], dict[str, Any]]


def run(action: str, params: dict[str, Any], owner: str, region: str, app: EmulatorApp) -> dict:
    """The response members of ``action`` (without RequestId), or ``ApiError``."""
    config = app.config
    subject = Subject(
        action=action,
        params=params,
        region=region,
        known_env_ids=frozenset(config.known_env_ids),
        credential_denied=owner == config.denied_secret_id,
        job_quota=config.job_quota,
    )
    finding = first_finding(subject, app.checks, ORDER[action])
    if finding is not None:
        raise ApiError(finding.code, finding.message)
    return app.handlers[action](subject, owner, app)


def submit_job(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
    def admit(held: int) -> Any:
        return first_finding(replace(subject, jobs_held=held), app.checks, ("B30",))

    token = subject.params.get("ClientToken")
    result = app.store.submit(owner, subject.params, app.clock(), token, admit)
    if result.refusal is not None:
        raise ApiError(result.refusal.code, result.refusal.message)
    return {"JobId": result.job_id}


def describe_job(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
    record = _find(subject, owner, app)
    job = record.request["Job"]
    now = app.clock()
    created, ended = _iso(record.created_at), _iso(record.terminated_at)
    task_state = "FAILED" if record.terminated_at is not None else "PENDING"
    tasks = job["Tasks"]
    metrics = {name: 0 for name in _METRICS}
    metrics["FailedCount" if task_state == "FAILED" else "PendingCount"] = len(tasks)
    return {
        "JobId": record.job_id,
        "JobName": job.get("JobName"),
        "Zone": record.request["Placement"]["Zone"],
        "Priority": job.get("Priority", 0),
        "JobState": _job_state(record, now),
        "CreateTime": created,
        "EndTime": ended,
        "TaskSet": [
            {
                "TaskName": task.get("TaskName"),
                "TaskState": task_state,
                "CreateTime": created,
                "EndTime": ended,
            }
            for task in tasks
        ],
        "DependenceSet": job.get("Dependences", []),
        "TaskMetrics": metrics,
        "TaskInstanceMetrics": dict(metrics),
        "StateReason": "Terminated by TerminateJob." if ended else "",
        "Tags": job.get("Tags", []),
    }


def describe_job_submit_info(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
    record = _find(subject, owner, app)
    job = record.request["Job"]
    return {
        "JobId": record.job_id,
        "JobName": job.get("JobName"),
        "JobDescription": job.get("JobDescription"),
        "Priority": job.get("Priority", 0),
        "Tasks": [_with_defaults(task) for task in job["Tasks"]],
        "Dependences": job.get("Dependences", []),
        "Tags": job.get("Tags", []),
    }


def terminate_job(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
    if not app.store.terminate(owner, subject.params["JobId"], app.clock()):
        raise _not_found(subject)
    return {}


def delete_job(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
    if not app.store.delete(owner, subject.params["JobId"], app.clock()):
        raise _not_found(subject)
    return {}


HANDLERS: dict[str, Handler] = {
    "SubmitJob": submit_job,
    "DescribeJob": describe_job,
    "DescribeJobSubmitInfo": describe_job_submit_info,
    "TerminateJob": terminate_job,
    "DeleteJob": delete_job,
}

_METRICS = (
    "SubmittedCount", "PendingCount", "RunnableCount", "StartingCount", "RunningCount",
    "SucceedCount", "FailedInterruptedCount", "FailedCount",
)  # fmt: skip


def _with_defaults(task: dict[str, Any]) -> dict[str, Any]:
    filled = {**task, **{k: v for k, v in TASK_DEFAULTS.items() if k not in task}}
    env = filled.get("ComputeEnv")
    if isinstance(env, dict) and "EnvType" not in env:
        filled["ComputeEnv"] = {**env, "EnvType": "MANAGED"}
    return filled


def _find(subject: Subject, owner: str, app: EmulatorApp) -> JobRecord:
    record = app.store.get(owner, subject.params["JobId"])
    if record is None:
        raise _not_found(subject)
    return record


def _not_found(subject: Subject) -> ApiError:
    return ApiError(
        codes.RESOURCE_NOT_FOUND_JOB, f"The job `{subject.params['JobId']}` does not exist."
    )


def _job_state(record: JobRecord, now: float) -> str:
    if record.terminated_at is not None:
        return "FAILED"
    return "SUBMITTED" if now - record.created_at < SUBMITTED_SECONDS else "PENDING"


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))

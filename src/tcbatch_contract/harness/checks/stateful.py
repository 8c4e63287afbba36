"""Checks whose answer depends on what the target already holds, or on time.

Idempotency, the job quota (B30), the denied credential (B31), known compute
environments (B9), the job lifecycle and the rate limit (P9) cannot be judged one request
at a time: each is a short scenario against the target's state. Scenarios that need
target configuration run only when the profile states it (skipped otherwise, never
guessed). Every job a scenario creates is recorded in ``target.created_jobs`` and deleted
by the scenario itself (TerminateJob, then DeleteJob) before it returns, pass or fail.

Assumptions, stated where a verdict depends on them:

* B30 assumes the account holds no undeleted jobs when the check starts, other than those
  still listed in ``target.created_jobs``; a run against a shared live account should not
  enable it (leave the profile's ``job_quota`` unset).
* A terminated job still counts toward the quota (the rule counts undeleted jobs).
* P9 (``rate_limit``) is a scenario too, judged on the measured time of each request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ... import codes
from ...transport import ApiResult, Credential
from ..model import RuleResult, RunSettings, Status, Target
from .readback import describe_job_problems
from .session import ProtocolCase, Session, minimal_job, new_token, unknown_job_id

ACTIONS_WITH_JOB_ID = ("DescribeJob", "DescribeJobSubmitInfo", "TerminateJob", "DeleteJob")
MALFORMED_JOB_IDS = ("job-ABCDEFGH", "job-1234567", "job-123456789", "job_12345678", "12345678")


class _Scenario:
    """A stateful check: a skip condition and a scenario run in one session."""

    rule = ""
    judges_response_form = True

    def __init__(self) -> None:
        self.stop = threading.Event()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def skip_reason(self, target: Target, settings: RunSettings) -> str | None:
        return None

    def scenario(self, s: Session) -> None:
        raise NotImplementedError

    def run(self, target: Target, settings: RunSettings) -> RuleResult:
        session = Session(self.rule, target, settings, self.stop)
        reason = self.skip_reason(target, settings)
        if reason:
            session.result.status = Status.SKIP
            session.result.reason = reason
            return session.finish()
        with session:
            self.scenario(session)
        return session.result


def _step(
    s: Session,
    name: str,
    action: str,
    params: dict[str, Any],
    expect: str | None,
    *,
    form: str = "tc3-post",
    client: Any = None,
    creates: bool = False,
    after: Callable[[Session, ApiResult], list[str]] | None = None,
) -> ApiResult | None:
    """Send one call as a judged case; None when it got no answer or was not sent."""
    client = client or s.client

    def make() -> Any:
        return client.build(action, params, form=form)

    case = ProtocolCase(name, form, make, expect, counted=True, action=action, creates=creates,
                after=after)  # fmt: skip
    return s.run(case)


def _same_job(job_id: str) -> Callable[[Session, ApiResult], list[str]]:
    def after(s: Session, result: ApiResult) -> list[str]:
        got = (result.response or {}).get("JobId")
        return [] if got == job_id else [f"expected the first call's JobId {job_id}, got {got!r}"]

    return after


def _deleted(s: Session, job_id: str) -> None:
    s.target.created_jobs.discard(job_id)


def _budget_short(settings: RunSettings, needed: int) -> str | None:
    if settings.allow_billable is not None and settings.allow_billable < needed:
        return (f"needs {needed} valid submissions and only {settings.allow_billable} are "
                "allowed (--allow-billable)")  # fmt: skip
    return None


class IdempotencyCheck(_Scenario):
    """Same (SecretId, ClientToken): the first JobId, one job, even after deletion."""

    rule = "STATE-IDEMPOTENCY"

    def skip_reason(self, target: Target, settings: RunSettings) -> str | None:
        return _budget_short(settings, 2)

    def scenario(self, s: Session) -> None:
        token = new_token()
        first_body = minimal_job(s.region, name="tcbc-idem-first", token=token)
        other_body = minimal_job(s.region, name="tcbc-idem-second", token=token)
        first = _step(s, "first SubmitJob with a ClientToken", "SubmitJob", first_body, None,
                      creates=True)  # fmt: skip
        if first is None or not first.job_id:
            return
        job = first.job_id
        same = _same_job(job)
        _step(s, "same ClientToken, other body", "SubmitJob", other_body, None, after=same)
        _step(s, "same ClientToken, other body, V1 form", "SubmitJob", other_body, None,
              form="v1-get", after=same)  # fmt: skip
        _step(s, "the job reads back as first submitted", "DescribeJob", {"JobId": job}, None,
              after=_named(job, "tcbc-idem-first"))  # fmt: skip
        invalid = {"Job": other_body["Job"], "ClientToken": token}
        _step(s, "same ClientToken, invalid body: validated first", "SubmitJob", invalid,
              codes.MISSING_PARAMETER)  # fmt: skip
        if not _delete(s, job):
            return
        # After the first job is gone, so that a job quota of 1 is enough for this check.
        other = _step(s, "another ClientToken makes another job", "SubmitJob",
                      minimal_job(s.region, name="tcbc-idem-other", token=new_token()), None,
                      creates=True, after=_not_job(job))  # fmt: skip
        if other is not None and other.job_id:
            _delete(s, other.job_id)
        _step(s, "same ClientToken after the job was deleted", "SubmitJob", other_body, None,
              after=same)  # fmt: skip
        _step(s, "the deleted job stays deleted", "DescribeJob", {"JobId": job},
              codes.RESOURCE_NOT_FOUND_JOB)  # fmt: skip


def _named(job_id: str, name: str) -> Callable[[Session, ApiResult], list[str]]:
    def after(s: Session, result: ApiResult) -> list[str]:
        got = (result.response or {}).get("JobName")
        return [] if got == name else [f"DescribeJob {job_id}: JobName {got!r}, expected {name!r}"]

    return after


def _not_job(job_id: str) -> Callable[[Session, ApiResult], list[str]]:
    def after(s: Session, result: ApiResult) -> list[str]:
        return [f"a new ClientToken returned the old job {job_id}"] * (result.job_id == job_id)

    return after


def _delete(s: Session, job_id: str) -> bool:
    """TerminateJob then DeleteJob, each judged; True when the job is gone."""
    for action in ("TerminateJob", "DeleteJob"):
        result = _step(s, f"{action} {job_id}", action, {"JobId": job_id}, None)
        if result is None or not result.success:
            return False
    _deleted(s, job_id)
    return True


class QuotaCheck(_Scenario):
    """B30: exactly the quota's worth of undeleted jobs; deleting one frees one place."""

    rule = "B30"

    def skip_reason(self, target: Target, settings: RunSettings) -> str | None:
        quota = target.profile.job_quota
        if quota is None:
            return "the profile states no job quota"
        return _budget_short(settings, quota - len(target.created_jobs) + 2)

    def scenario(self, s: Session) -> None:
        quota = s.target.profile.job_quota or 0
        held = len(s.target.created_jobs)
        room = max(0, quota - held)
        jobs: list[str] = []
        first_token = new_token()
        for index in range(room):
            body = minimal_job(s.region, name=f"tcbc-quota-{index}",
                               token=first_token if index == 0 else None)  # fmt: skip
            result = _step(s, f"job {held + index + 1} of a quota of {quota}", "SubmitJob", body,
                           None, creates=True)  # fmt: skip
            if result is None or not result.job_id:
                s.notes.append("(assuming the account held no other undeleted jobs)")
                return
            jobs.append(result.job_id)
        over = minimal_job(s.region, name="tcbc-quota-over")
        _step(s, f"job {quota + 1} of a quota of {quota}", "SubmitJob", over, codes.JOB_QUOTA)
        if jobs:
            again = minimal_job(s.region, name="tcbc-quota-again", token=first_token)
            _step(s, "a repeated ClientToken at the quota returns its job", "SubmitJob", again,
                  None, after=_same_job(jobs[0]))  # fmt: skip
        last = jobs[-1] if jobs else next(iter(s.target.created_jobs), None)
        if last is None:
            return
        if _step(s, f"TerminateJob {last}", "TerminateJob", {"JobId": last}, None) is None:
            return
        _step(s, "a terminated job still counts", "SubmitJob", over, codes.JOB_QUOTA)
        if _step(s, f"DeleteJob {last}", "DeleteJob", {"JobId": last}, None) is None:
            return
        _deleted(s, last)
        _step(s, "a deleted job frees its place", "SubmitJob", over, None, creates=True)
        _step(s, "and the quota is full again", "SubmitJob", over, codes.JOB_QUOTA)


class DeniedCredentialCheck(_Scenario):
    """B31: a valid SubmitJob signed with the denied credential is refused."""

    rule = "B31"

    def skip_reason(self, target: Target, settings: RunSettings) -> str | None:
        if target.denied_client is None and not target.profile.has_denied_credential:
            return "the profile states no denied credential"
        return None

    def scenario(self, s: Session) -> None:
        profile = s.target.profile
        denied = s.target.denied_client or s.client.with_credential(
            Credential(profile.denied_secret_id or "", profile.denied_secret_key or "")
        )
        for form in ("tc3-post", "v1-get"):
            body = minimal_job(s.region, name="tcbc-denied", token=new_token())
            _step(s, "valid SubmitJob from the denied credential", "SubmitJob", body,
                  codes.USER_NOT_ALLOWED, form=form, client=denied)  # fmt: skip


class KnownEnvCheck(_Scenario):
    """B9: a task on a known compute environment runs; an unknown well-formed id does not."""

    rule = "B9"

    def skip_reason(self, target: Target, settings: RunSettings) -> str | None:
        if not target.profile.known_env_ids:
            return "the profile names no compute environment (--known-env-id)"
        return _budget_short(settings, 1)

    def scenario(self, s: Session) -> None:
        known = s.target.profile.known_env_ids
        unknown = next(e for e in (unknown_job_id().replace("job-", "env-") for _ in range(99))
                       if e not in known)  # fmt: skip
        for env_id, expect in ((known[0], None), (unknown, codes.RESOURCE_NOT_FOUND_COMPUTE_ENV)):
            body = minimal_job(s.region, name="tcbc-env")
            task = body["Job"]["Tasks"][0]
            del task["ComputeEnv"]
            task["EnvId"] = env_id
            label = "known" if expect is None else "unknown"
            result = _step(s, f"task on the {label} EnvId {env_id}", "SubmitJob", body, expect,
                           creates=expect is None)  # fmt: skip
            if result is not None and result.job_id:
                _delete(s, result.job_id)


class LifecycleCheck(_Scenario):
    """DescribeJob, TerminateJob, DeleteJob on one job, and their id and member errors."""

    rule = "STATE-LIFECYCLE"

    def skip_reason(self, target: Target, settings: RunSettings) -> str | None:
        return _budget_short(settings, 2)

    def scenario(self, s: Session) -> None:
        body = minimal_job(s.region, name="tcbc-lifecycle")
        submitted = _step(s, "SubmitJob", "SubmitJob", body, None, creates=True)
        if submitted is None or not submitted.job_id:
            return
        job = submitted.job_id
        _step(s, "DescribeJob of the new job", "DescribeJob", {"JobId": job}, None,
              after=lambda _, r: describe_job_problems(body, job, r.response or {}))  # fmt: skip
        for action in ACTIONS_WITH_JOB_ID:
            _step(s, f"{action} with an unknown member", action,
                  {"JobId": job, "TcbcUnknown": "1"}, codes.UNKNOWN_PARAMETER)  # fmt: skip
            _step(s, f"{action} without JobId", action, {}, codes.MISSING_PARAMETER)
            for index, bad in enumerate(MALFORMED_JOB_IDS):
                form = "v1-get" if index == 0 else "tc3-post"
                _step(s, f"{action} of the malformed id {bad!r}", action, {"JobId": bad},
                      codes.JOB_ID_MALFORMED, form=form)  # fmt: skip
            _step(s, f"{action} of an unknown id", action, {"JobId": s.unknown_job},
                  codes.RESOURCE_NOT_FOUND_JOB)  # fmt: skip
        _step(s, "TerminateJob", "TerminateJob", {"JobId": job}, None)
        _step(s, "DescribeJob after TerminateJob", "DescribeJob", {"JobId": job}, None,
              after=_state(job, "FAILED"))  # fmt: skip
        _step(s, "TerminateJob again", "TerminateJob", {"JobId": job}, None)
        if _step(s, "DeleteJob", "DeleteJob", {"JobId": job}, None) is not None:
            _deleted(s, job)
        for action in ACTIONS_WITH_JOB_ID:
            _step(s, f"{action} after DeleteJob", action, {"JobId": job},
                  codes.RESOURCE_NOT_FOUND_JOB)  # fmt: skip
        running = _step(s, "SubmitJob", "SubmitJob", body, None, creates=True)
        if running is not None and running.job_id:
            if _step(s, "DeleteJob of a job never terminated", "DeleteJob",
                     {"JobId": running.job_id}, None) is not None:  # fmt: skip
                _deleted(s, running.job_id)
            _step(s, "DescribeJob after DeleteJob", "DescribeJob", {"JobId": running.job_id},
                  codes.RESOURCE_NOT_FOUND_JOB)  # fmt: skip


def _state(job_id: str, state: str) -> Callable[[Session, ApiResult], list[str]]:
    def after(s: Session, result: ApiResult) -> list[str]:
        got = (result.response or {}).get("JobState")
        return [] if got == state else [f"DescribeJob {job_id}: JobState {got!r}, expected {state}"]

    return after


def stateful_checks() -> list[Any]:
    """Fresh instances of every stateful check (P9 is listed with the protocol checks)."""
    return [IdempotencyCheck(), LifecycleCheck(), KnownEnvCheck(), QuotaCheck(),
            DeniedCredentialCheck()]  # fmt: skip

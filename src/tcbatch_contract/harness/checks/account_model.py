"""What the contract says an account holds, step by step: the model behind STATE-MODEL.

Pure, no I/O. The model keeps the jobs one run of the account machine created (their
bodies, whether terminated or deleted), the ClientTokens it used and the job each named,
and the quota; for each request it says which answers the contract allows, and it takes
in the answer the target gave. What it fixes (submitjob-contract.md §3, §6, §7):

* a valid SubmitJob makes a new job whose JobId no job ever had, unless its ClientToken
  was seen before from the same credential (then the first JobId, even if that job is
  terminated or deleted, even at the quota, even from another Region or request form);
  a body with a fault gets one of the codes the oracle gives and registers no token;
  with the quota stated, a new job beyond it is ``LimitExceeded.JobQuota``;
* DescribeJob and DescribeJobSubmitInfo of a live job read back what was submitted, from
  any Region; JobState is SUBMITTED or PENDING until TerminateJob, FAILED after;
* TerminateJob and DeleteJob of a live job succeed (again, for TerminateJob); every
  action on a deleted or unknown job answers ``ResourceNotFound.Job``; a deleted job no
  longer counts toward the quota, a terminated one still does.

What it leaves open, accepting any allowed answer (contracts/README.md §Interpretations):
whether the second (denied) credential is of the same account, which the first answer to
one of its requests on a live job settles for the rest of the run; SUBMITTED and PENDING
in either order; a ``LimitExceeded.JobQuota`` for a new job when the profile states no
quota.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from ... import codes
from ...oracle import Context, evaluate
from .readback import JOB_ID, describe_job_problems, submit_info_problems

FORMS = ("tc3-post", "tc3-get", "v1-get", "v1-post")
NAMES = ("tcbc-model-a", "tcbc-model-b")
PRIORITIES = (None, 7, 100)
STATES_LIVE = ("SUBMITTED", "PENDING")
OTHER_ACCOUNT = (codes.RESOURCE_NOT_FOUND_JOB, codes.USER_NOT_ALLOWED)


class Contradiction(Exception):
    """The target answered what the contract does not allow in the model's state."""


@dataclass(frozen=True)
class Variant:
    """The valid body of a SubmitJob, in a few dimensions that read back."""

    name: str
    priority: int | None
    tags: int
    two_tasks: bool
    zone: int
    description: bool

    @staticmethod
    def strategy() -> st.SearchStrategy[Variant]:
        return st.builds(
            Variant,
            name=st.sampled_from(NAMES),
            priority=st.sampled_from(PRIORITIES),
            tags=st.integers(0, 2),
            two_tasks=st.booleans(),
            zone=st.integers(1, 2),
            description=st.booleans(),
        )


def _task(name: str) -> dict[str, Any]:
    return {
        "TaskName": name,
        "Application": {"DeliveryForm": "LOCAL", "Command": "echo tcbatch-contract"},
        "ComputeEnv": {"EnvType": "MANAGED", "EnvData": {"InstanceType": "S5.SMALL1"}},
    }


def _fault_name(job: dict[str, Any]) -> None:
    job["JobName"] = "n" * 61


def _fault_unknown(job: dict[str, Any]) -> None:
    job["TcbcUnknown"] = "1"


def _fault_priority(job: dict[str, Any]) -> None:
    job["Priority"] = 101


def _fault_task_name(job: dict[str, Any]) -> None:
    job["Tasks"][0]["TaskName"] = "bad name"


#: Single faults: (name, what it changes in the body).
FAULTS: tuple[tuple[str, Any], ...] = (
    ("JobName of 61", lambda body: _fault_name(body["Job"])),
    ("unknown Job member", lambda body: _fault_unknown(body["Job"])),
    ("Priority 101", lambda body: _fault_priority(body["Job"])),
    ("TaskName with a space", lambda body: _fault_task_name(body["Job"])),
    ("Zone of no Region", lambda body: body["Placement"].__setitem__("Zone", "xx-nowhere-1")),
    ("ClientToken with a space", lambda body: body.__setitem__("ClientToken", "tcbc bad")),
    ("no Placement", lambda body: body.pop("Placement")),
)


def job_body(
    region: str, variant: Variant, token: tuple[str, str] | None, fault: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the SubmitJob body, the same as a reproduction shows it: tokens as placeholders)."""
    job: dict[str, Any] = {"JobName": variant.name, "Tasks": [_task("t0")]}
    if variant.priority is not None:
        job["Priority"] = variant.priority
    if variant.description:
        job["JobDescription"] = f"tcbatch-contract {variant.name}"
    if variant.two_tasks:
        job["Tasks"].append(_task("t1"))
        job["Dependences"] = [{"StartTask": "t0", "EndTask": "t1"}]
    if variant.tags:
        job["Tags"] = [{"Key": f"k{i}", "Value": variant.name} for i in range(variant.tags)]
    body: dict[str, Any] = {"Placement": {"Zone": f"{region}-{variant.zone}"}, "Job": job}
    if token is not None:
        body["ClientToken"] = token[0]
    if fault is not None:
        FAULTS[fault][1](body)
    shown = copy.deepcopy(body)
    if token is not None and shown.get("ClientToken") == token[0]:
        shown["ClientToken"] = token[1]
    return body, shown


@dataclass
class SequenceStep:
    """One request of a sequence, as the report and its reproduction show it."""

    action: str
    form: str
    region: str
    second: bool  # sent with the second (denied) credential
    params: dict[str, Any]  # JobIds as ``<job jN>``, ClientTokens as ``<token N>``
    expected: str
    got: str = ""
    binds: str | None = None  # the ``jN`` a SubmitJob's JobId is known by from here on

    def shown_params(self) -> dict[str, Any]:
        return copy.deepcopy(self.params)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action, "form": self.form, "region": self.region,
            "credential": "second" if self.second else "main", "params": self.params,
            "expected": self.expected, "got": self.got, "binds": self.binds,
        }  # fmt: skip


@dataclass(frozen=True)
class Allowed:
    creates: bool  # a new job, when the target conforms
    codes: tuple[str, ...] | None = None  # an error with one of these; None: success
    replay_of: str | None = None  # the JobId a replayed token must return
    text: str = ""


@dataclass
class Job:
    ref: str
    job_id: str
    body: dict[str, Any]
    terminated: bool = False
    deleted: bool = False


@dataclass
class AccountModel:
    run: str  # this run's ClientTokens are made from it
    quota: int | None
    held_before: int
    known_env_ids: frozenset[str]
    ever_ids: set[str]  # every JobId any run saw handed out (shared between runs)
    jobs: dict[str, Job] = field(default_factory=dict)
    tokens: dict[int, str] = field(default_factory=dict)  # slot -> the JobId it named first
    named: dict[int, set[str]] = field(default_factory=dict)  # slot -> every JobId returned
    strays: list[str] = field(default_factory=list)  # JobIds made where none should be
    gone_but_found: list[str] = field(default_factory=list)
    second_same: bool | None = None  # the second credential's account: the same one?
    lost: bool = False
    unknown_id: str = "job-tcbcnone"  # well-formed, and no job's: ids are random

    # ---- what there is --------------------------------------------------------------

    def token(self, slot: int | None) -> tuple[str, str] | None:
        if slot is None:
            return None
        # tcbc-<32 hex>, the form of every harness token (recordings match it as random).
        digest = hashlib.sha256(f"{self.run}-{slot}".encode()).hexdigest()[:32]
        return f"tcbc-{digest}", f"<token {slot}>"

    def live(self) -> list[Job]:
        return [j for j in self.jobs.values() if not j.deleted]

    def held(self) -> int:
        return self.held_before + len(self.live())

    def room(self) -> int:
        return (self.quota or 0) - self.held()

    def live_ids(self) -> list[str]:
        return [j.job_id for j in self.live()] + self.strays

    def pick(self, index: int) -> tuple[str, str]:
        """(a JobId, how a reproduction names it): a job of this run counted from the newest
        (0: the latest, where most orders worth trying happen), or an unknown one."""
        jobs = list(self.jobs.values())
        if index < len(jobs):
            job = jobs[-1 - index]
            return job.job_id, f"<job {job.ref}>"
        return self.unknown_id, self.unknown_id

    def every_job(self) -> list[tuple[str, str]]:
        return [(j.job_id, f"<job {j.ref}>") for j in self.jobs.values()]

    def _ref(self, job_id: str) -> str:
        job = self.jobs.get(job_id)
        return job.ref if job else job_id

    # ---- SubmitJob ------------------------------------------------------------------

    def expect_submit(self, body: dict[str, Any], region: str, slot: int | None) -> Allowed:
        context = Context(region=region, known_env_ids=self.known_env_ids, jobs_held=self.held())
        plain = evaluate("SubmitJob", body, context)
        if not plain.success:
            with_quota = evaluate("SubmitJob", body, _with_quota(context, self.quota))
            accepted = tuple(with_quota.accepted_codes)
            return Allowed(False, accepted, text="one of " + ", ".join(accepted))
        if slot is not None and slot in self.tokens:
            first = self.tokens[slot]
            return Allowed(False, replay_of=first, text=f"success, JobId of {self._ref(first)}")
        if self.quota is not None and self.held() >= self.quota:
            return Allowed(False, (codes.JOB_QUOTA,), text=f"{codes.JOB_QUOTA} (quota "
                               f"{self.quota}, {self.held()} held)")  # fmt: skip
        return Allowed(True, text="success, a new JobId")

    def after_submit(
        self, body: dict[str, Any], slot: int | None, expected: Allowed,
        code: str | None, job_id: str | None,
    ) -> str | None:  # fmt: skip
        """Take in a SubmitJob's answer; the ``jN`` its JobId is known by, if any."""
        if code is not None:
            if expected.codes is not None and code in expected.codes:
                return None
            if expected.creates and code == codes.JOB_QUOTA and self.quota is None:
                return None  # no quota stated: the account may be full
            raise Contradiction(f"SubmitJob: expected {expected.text}, got {code}")
        if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
            raise Contradiction(f"SubmitJob: success without a well-formed JobId ({job_id!r})")
        if expected.codes is not None and expected.codes != (codes.JOB_QUOTA,):
            self.strays.append(job_id)
            raise Contradiction(f"SubmitJob: expected {expected.text}, got success ({job_id})")
        if expected.replay_of is not None:
            self.named.setdefault(slot or 0, {expected.replay_of}).add(job_id)
            if job_id == expected.replay_of:
                return self._ref(job_id)
            if job_id not in self.ever_ids:
                self.strays.append(job_id)
                self.ever_ids.add(job_id)
            return None  # the invariant reports the token naming two jobs
        if job_id in self.ever_ids:
            was = self.jobs.get(job_id)
            state = "a deleted job" if was is None or was.deleted else "a live job"
            raise Contradiction(f"SubmitJob: the new job got the JobId {job_id} of {state}"
                                + (f" ({was.ref})" if was else ""))  # fmt: skip
        self.ever_ids.add(job_id)
        ref = f"j{len(self.jobs) + 1}"
        self.jobs[job_id] = Job(ref, job_id, body)
        if slot is not None:
            self.tokens[slot] = job_id
            self.named[slot] = {job_id}
        return ref  # beyond the quota (expected JOB_QUOTA): the invariant reports it

    def after_denied_submit(self, code: str | None, job_id: str | None) -> None:
        if code is None and job_id:
            self.strays.append(job_id)
        if code != codes.USER_NOT_ALLOWED:
            raise Contradiction(
                f"SubmitJob from the denied credential: expected {codes.USER_NOT_ALLOWED}, "
                f"got {code or 'success'}"
            )

    # ---- the other actions ----------------------------------------------------------

    def expect_on_job(self, action: str, job_id: str, second: bool) -> str:
        job = self.jobs.get(job_id)
        if job is None or job.deleted:
            mine = codes.RESOURCE_NOT_FOUND_JOB
        elif action.startswith("Describe"):
            state = "FAILED" if job.terminated else "SUBMITTED or PENDING"
            mine = f"success, {job.ref} as submitted, JobState {state}"
        else:
            mine = "success"
        if not second or self.second_same:
            return mine
        other = " or ".join(OTHER_ACCOUNT)
        return other if self.second_same is False else f"{other}; or, as one account, {mine}"

    def after_on_job(
        self, action: str, job_id: str, second: bool, code: str | None, answer: dict[str, Any]
    ) -> None:
        job = self.jobs.get(job_id)
        where = f"{action} {job.ref if job else 'of an unknown JobId'}"
        if second and self.second_same is not True:
            if job is not None and not job.deleted:
                if code in OTHER_ACCOUNT:
                    self.second_same = False
                    return
                if code is None and self.second_same is False:
                    raise Contradiction(f"{where} from the second credential succeeded, though "
                                        "it found no job of the first account before")  # fmt: skip
                if code is None:
                    self.second_same = True
            elif code in OTHER_ACCOUNT:
                return
        if job is None or job.deleted:
            if code == codes.RESOURCE_NOT_FOUND_JOB:
                return
            if code is None and job is not None:
                self.gone_but_found.append(f"{where}: {job.ref} was deleted, yet {action} "
                                           "succeeded")  # fmt: skip
                return
            raise Contradiction(f"{where}: expected {codes.RESOURCE_NOT_FOUND_JOB}, got "
                                f"{code or 'success'}")  # fmt: skip
        if code is not None:
            raise Contradiction(f"{where}: expected success ({job.ref} is live), got {code}")
        if action == "TerminateJob":
            job.terminated = True
        elif action == "DeleteJob":
            job.deleted = True
        elif action == "DescribeJob":
            problems = [p for p in describe_job_problems(job.body, job_id, answer)
                        if not p.startswith("DescribeJob JobState")]  # fmt: skip
            state = answer.get("JobState")
            allowed = ("FAILED",) if job.terminated else STATES_LIVE
            if state not in allowed:
                problems.append(f"DescribeJob JobState: expected {' or '.join(allowed)}, got "
                                f"{state!r}")  # fmt: skip
            if problems:
                raise Contradiction(f"{where}: {problems[0]}")
        else:
            problems = submit_info_problems(job.body, job_id, answer)
            if problems:
                raise Contradiction(f"{where}: {problems[0]}")

    # ---- invariants -----------------------------------------------------------------

    def token_problems(self) -> list[str]:
        return [
            f"the ClientToken <token {slot}> names {len(ids)} jobs: {', '.join(sorted(ids))}"
            for slot, ids in sorted(self.named.items())
            if len(ids) > 1
        ]

    def quota_problems(self) -> list[str]:
        if self.quota is None or self.held() <= self.quota:
            return []
        return [f"{self.held()} undeleted jobs ({self.held_before} before this run), over the "
                f"quota of {self.quota}"]  # fmt: skip

    def deleted_problems(self) -> list[str]:
        return list(self.gone_but_found)


def _with_quota(context: Context, quota: int | None) -> Context:
    from dataclasses import replace

    return replace(context, job_quota=quota)

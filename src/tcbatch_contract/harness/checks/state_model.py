"""STATE-MODEL: model-based stateful fuzzing of what lies between requests.

The fixed stateful checks walk a few known orders; implementations break most often in
the others (a ClientToken replayed after a TerminateJob, a quota freed by a delete of a
running job, a read-back that drifts after a second submission, a job id handed out
again after deletion, an operation in one Region that misses or hits a job of another).
So this check lets Hypothesis choose the order: a :class:`RuleBasedStateMachine` submits
jobs (fresh or reused ClientToken, same or other body, valid or with one fault), reads
them back, terminates and deletes them, in every request form, from several Regions and
from the profile's second credential, with several jobs live at once; after each answer
:mod:`.account_model` says whether the contract allows it. A contradiction fails the
rule; Hypothesis then shrinks the sequence, and the report prints the shortest one as an
SDK script.

What the model fixes and what it leaves open is written in ``account_model``; every open
point accepts any allowed answer. Each run of the machine uses ClientTokens of its own and
deletes every job it created (TerminateJob, then DeleteJob) in its teardown, also on a
live target; a job whose deletion failed is carried into the next run's count of held
jobs. Cost: ``--max-examples`` runs of at most :data:`STEPS_PER_RUN` steps, plus the
shrinking budget; valid submissions spend ``--allow-billable``.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, seed
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from ... import codes
from ...transport import ApiResult, Credential, TransportError
from ..determinism import fixed_generation, kept_unwrapping
from ..driver import case_digest, rule_seed
from ..exchange import delete_job
from ..model import Failure, RuleResult, RunSettings, Status, Target
from .account_model import (
    FAULTS,
    FORMS,
    AccountModel,
    Contradiction,
    SequenceStep,
    Variant,
    job_body,
)
from .state_shrink import minimize

RULE = "STATE-MODEL"
#: Steps of one run of the machine: enough for several live jobs and an operation on each.
STEPS_PER_RUN = 14
#: Requests that shrinking a failing sequence may spend (each replay sends its requests).
SHRINK_REQUEST_BUDGET = 20000
#: The quota is filled in one step (``fill_quota``) only when it is at most this large.
MAX_FILL = 10
REGIONS_USED = 3
#: The share of the shrinking budget that dropping steps one at a time gets (it is what
#: shortens a sequence most per request; Hypothesis's shrinking has the rest first).
MINIMIZE_SHARE = 0.75
#: ClientTokens of a SubmitJob: none, or one of two (so that a token is often used again).
TOKEN_SLOTS = (None, 0, 0, 1)
#: The operations of a step, repeated by weight.
OPS = (
    "SubmitJob", "SubmitJob", "SubmitJob", "SubmitJob", "DescribeJob", "DescribeJob",
    "DescribeJobSubmitInfo", "TerminateJob", "TerminateJob", "DeleteJob", "DeleteJob",
    "DescribeJob-all", "SubmitJob-second", "SubmitJob-fill",
)  # fmt: skip


class Stop(BaseException):
    """Leave Hypothesis at once (the run stops, the time or the shrink budget is spent)."""


class _Context:
    """What every run of the machine shares: the target, the budget, the verdict so far."""

    def __init__(self, target: Target, settings: RunSettings, stop: threading.Event) -> None:
        self.target = target
        self.settings = settings
        self.stop = stop
        profile = target.profile
        others = [r for r in profile.regions if r != profile.region]
        self.regions = [profile.region, *others[: REGIONS_USED - 1]]
        self.second: Credential | None = None
        if profile.has_denied_credential:
            self.second = Credential(
                profile.denied_secret_id or "", profile.denied_secret_key or ""
            )
        self.held_before = len(target.created_jobs)  # jobs of other checks still undeleted
        self.ever_ids: set[str] = set()  # every JobId a SubmitJob returned, every run
        self.requests = 0
        self.steps_judged = 0
        self.runs = 0
        self.failure: Failure | None = None
        self.failure_steps = 0
        self.requests_to_first_failure: int | None = None
        self.shrink_started: float | None = None
        self.minimizing = False
        self.shrink_requests = 0
        self.digest = ""
        self.notes: set[str] = set()
        self.billable_skipped = 0

    def check_budget(self) -> None:
        if self.stop.is_set():
            raise Stop
        if self.shrink_started is None:
            if self.settings.time_up():
                raise Stop
            return
        limit = self.settings.shrink_seconds
        if limit is not None:  # a quarter for Hypothesis's shrinking, the rest for minimize()
            limit = limit * (MINIMIZE_SHARE if self.minimizing else 1 - MINIMIZE_SHARE)
        spent = time.monotonic() - self.shrink_started
        if self.shrink_requests >= SHRINK_REQUEST_BUDGET or (limit is not None and spent >= limit):
            raise Stop

    def count(self, requests: int) -> None:
        self.requests += requests
        if self.shrink_started is not None:
            self.shrink_requests += requests

    def failed(self, steps: list[SequenceStep], reason: str) -> None:
        if self.requests_to_first_failure is None:
            self.requests_to_first_failure = self.requests
            self.shrink_started = time.monotonic()
        if self.failure is not None and len(steps) >= self.failure_steps:
            return
        last = steps[-1]
        self.failure_steps = len(steps)
        self.failure = Failure(
            rule=RULE,
            summary=f"after {len(steps)} step(s): {reason}",
            expected={"contract": last.expected},
            actual={"answer": last.got},
            action=last.action,
            params=last.shown_params(),
            form=last.form,
            region=last.region,
            steps=[s.to_dict() for s in steps],
        )


class AccountMachine(RuleBasedStateMachine):
    """Requests against the target, each judged by the account model."""

    ctx: _Context  # set on the subclass each run makes

    def __init__(self) -> None:
        super().__init__()
        ctx = self.ctx
        ctx.check_budget()
        ctx.runs += 1
        profile = ctx.target.profile
        quota = profile.job_quota
        self.model = AccountModel(
            run=uuid.uuid4().hex[:8],
            quota=quota,
            held_before=ctx.held_before,
            known_env_ids=frozenset(profile.known_env_ids),
            ever_ids=ctx.ever_ids,
        )
        self.steps: list[SequenceStep] = []

    # ---- sending --------------------------------------------------------------------

    def _send(self, step: SequenceStep, params: dict[str, Any]) -> ApiResult | None:
        ctx = self.ctx
        ctx.check_budget()
        credential = ctx.second if step.second else None
        client = ctx.target.client_factory(step.form, step.region, credential)
        client = client.replace(timeout=ctx.settings.request_timeout)
        try:
            result = client.call(step.action, params)
        except TransportError as exc:
            ctx.count(1)
            if exc.kind == "timeout" and ctx.settings.request_timeout < 35.0:
                ctx.notes.add(f"a request got no answer within {ctx.settings.request_timeout:g} s")
                return None
            step.got = f"no answer ({exc.kind})"
            self._contradiction(step, f"{step.action}: no answer ({exc})")
        ctx.count(result.requests_sent)
        if result.job_id and step.action == "SubmitJob" and result.job_id not in ctx.ever_ids:
            ctx.target.created_jobs.add(result.job_id)  # (a replay names a job known already)
        return result

    def _judge(self, step: SequenceStep, params: dict[str, Any], judge: Any) -> None:
        """Send ``step``, log it, and let ``judge(result)`` raise a contradiction."""
        if self.model.lost:  # a request went unanswered: what the target holds is unknown
            return
        self.steps.append(step)
        result = self._send(step, params)
        if result is None:  # not judged: the model no longer knows what the target holds
            self.model.lost = True
            return
        step.got = _shown(result)
        if step.action == "DeleteJob" and result.code is None:
            self.ctx.target.created_jobs.discard(params["JobId"])
        self.ctx.steps_judged += 1
        if self.ctx.shrink_started is None:
            sent = {k: v for k, v in step.to_dict().items() if k not in ("got", "expected")}
            self.ctx.digest = case_digest(self.ctx.digest, sent, 0)
        try:
            judge(result)
        except Contradiction as exc:
            self._contradiction(step, str(exc))

    def _contradiction(self, step: SequenceStep, reason: str) -> None:
        if step not in self.steps:
            self.steps.append(step)
        self.ctx.failed(list(self.steps), reason)
        raise AssertionError(reason)

    # ---- the rule ---------------------------------------------------------------------
    # One rule whose first argument picks the operation: Hypothesis chooses among rules
    # evenly, and the operations need weights (submissions and terminations are what
    # moves the state; a read-back of every job costs a request per job).

    @rule(
        op=st.sampled_from(OPS),
        variant=Variant.strategy(),
        token=st.sampled_from(TOKEN_SLOTS),
        fault=st.one_of(st.none(), st.none(), st.integers(0, len(FAULTS) - 1)),
        pick=st.integers(0, 4),
        form=st.sampled_from(FORMS),
        region=st.integers(0, REGIONS_USED - 1),
    )
    def step(self, op: str, variant: Variant, token: int | None, fault: int | None, pick: int,
             form: str, region: int) -> None:  # fmt: skip
        where = self._region(region)
        if op == "SubmitJob":
            self.submit(variant, token, fault, form, where)
        elif op == "SubmitJob-second":
            self.submit_second(variant, form, where)
        elif op == "DescribeJob-all":
            self.describe_all(form, where)
        elif op == "SubmitJob-fill":
            self.fill_quota(variant, where)
        else:
            self.on_job(op, pick, form, where, second=False)

    def submit(self, variant: Variant, token: int | None, fault: int | None, form: str,
               where: str) -> None:  # fmt: skip
        """SubmitJob from the main credential: a new job, a replay, or a refusal."""
        body, shown = job_body(where, variant, self.model.token(token), fault)
        self.send_submit(body, shown, token, form, where)

    def send_submit(
        self, body: dict[str, Any], shown: dict[str, Any], token: int | None, form: str,
        where: str, *, read_back: bool = True,
    ) -> str | None:  # fmt: skip
        """Send one SubmitJob of the main credential; the JobId of the job it made, if any.
        With ``read_back``, a DescribeJob of the job it made or named follows."""
        expectation = self.model.expect_submit(body, where, token)
        if expectation.creates and not self._spend():
            return None
        step = SequenceStep("SubmitJob", form, where, False, shown, expectation.text)
        self._judge(step, body, lambda r: self._submitted(step, body, token, expectation, r))
        job = next((j for j in self.model.jobs.values() if j.ref == step.binds), None)
        if job is not None and read_back:  # the job made, or the one a replay named
            self.on_job_id("DescribeJob", job.job_id, f"<job {job.ref}>", form, where,
                           second=False)  # fmt: skip
        return job.job_id if job is not None and expectation.creates else None

    def _submitted(self, step: SequenceStep, body: Any, token: int | None, expectation: Any,
                   result: ApiResult) -> None:  # fmt: skip
        ref = self.model.after_submit(body, token, expectation, result.code, result.job_id)
        if ref:
            step.binds = ref

    def submit_second(self, variant: Variant, form: str, where: str) -> None:
        """A valid SubmitJob from the second (denied) credential: refused, nothing made;
        then one operation of it on a job of the first (same account or not, see the model)."""
        if self.ctx.second is None:
            return
        body, shown = job_body(where, variant, self.model.token(None), None)
        self.send_second_submit(body, shown, form, where)
        if self.model.jobs:
            self.on_job("DeleteJob", 0, form, where, second=True)

    def send_second_submit(self, body: Any, shown: Any, form: str, where: str) -> None:
        step = SequenceStep("SubmitJob", form, where, True, shown, codes.USER_NOT_ALLOWED)
        self._judge(step, body, lambda r: self.model.after_denied_submit(r.code, r.job_id))

    def on_job(self, action: str, pick: int, form: str, where: str, *, second: bool) -> None:
        """DescribeJob, DescribeJobSubmitInfo, TerminateJob or DeleteJob on one job."""
        job_id, ref = self.model.pick(pick)
        self.on_job_id(action, job_id, ref, form, where, second=second)
        if action in ("TerminateJob", "DeleteJob") and job_id in self.model.jobs:
            # Read back what the operation left: the job (its state after a TerminateJob, its
            # members after a DeleteJob), and its neighbour, which it must have left alone.
            after = "DescribeJob" if action == "TerminateJob" else "DescribeJobSubmitInfo"
            self.on_job_id(after, job_id, ref, form, where, second=False)
            neighbour = [j for j in self.model.jobs.values() if j.job_id != job_id][-1:]
            for job in neighbour:
                self.on_job_id("DescribeJob", job.job_id, f"<job {job.ref}>", form, where,
                               second=False)  # fmt: skip

    def on_job_id(self, action: str, job_id: str, ref: str, form: str, where: str, *,
                  second: bool) -> None:  # fmt: skip
        expected = self.model.expect_on_job(action, job_id, second)
        step = SequenceStep(action, form, where, second, {"JobId": ref}, expected)
        self._judge(
            step,
            {"JobId": job_id},
            lambda r: self.model.after_on_job(action, job_id, second, r.code, r.response or {}),
        )

    def describe_all(self, form: str, where: str) -> None:
        """DescribeJob of every job this run knows, live or deleted: nothing else moved."""
        for index in reversed(range(len(self.model.jobs))):
            self.on_job("DescribeJob", index, form, where, second=False)

    def fill_quota(self, variant: Variant, where: str) -> None:
        """Valid SubmitJobs without a token until the quota is reached (a small quota)."""
        room = self.model.room() if self.model.quota is not None else 0
        for _ in range(room if room <= MAX_FILL else 0):
            self.submit(variant, None, None, "tc3-post", where)

    # ---- invariants (over what the target answered, so they cost no request) --------

    @invariant()
    def a_token_names_one_job(self) -> None:
        self._hold(self.model.token_problems())

    @invariant()
    def live_jobs_within_the_quota(self) -> None:
        self._hold(self.model.quota_problems())

    @invariant()
    def a_deleted_job_stays_gone(self) -> None:
        self._hold(self.model.deleted_problems())

    def _hold(self, problems: list[str]) -> None:
        if problems and self.steps:
            self._contradiction(self.steps[-1], problems[0])

    # ---- helpers --------------------------------------------------------------------

    def _region(self, index: int) -> str:
        regions = self.ctx.regions
        return regions[index % len(regions)]

    def _spend(self) -> bool:
        if self.ctx.target.allowance.spend(self.ctx.settings.allow_billable):
            return True
        self.ctx.billable_skipped += 1
        return False

    def teardown(self) -> None:
        """Delete every job this run made; one that stays is counted as held next run."""
        target = self.ctx.target
        for job_id in self.model.live_ids():
            if delete_job(target, job_id):
                self.ctx.held_before += 1
            self.ctx.count(2)


def _shown(result: ApiResult) -> str:
    if result.code:
        return result.code
    if result.job_id:
        return f"success, JobId {result.job_id}"
    return "success"


class StateModelCheck:
    """The STATE-MODEL rule: the account machine, run ``max_examples`` times."""

    rule = RULE
    judges_response_form = False
    exclusive = True
    busy_alone = True  # drawing keeps a core busy: with workers, it runs in one, on a twin
    weight = 10  # about ten single-fault rules' time: started first

    def __init__(self) -> None:
        self.stop = threading.Event()

    def __repr__(self) -> str:
        return "StateModelCheck()"

    def run(self, target: Target, settings: RunSettings) -> RuleResult:
        started = time.monotonic()
        ctx = _Context(target, settings, self.stop)
        machine = type("AccountMachine", (AccountMachine,), {"ctx": ctx})
        factory = seed(rule_seed(settings.seed, RULE))(lambda: machine())
        options = hsettings(
            max_examples=max(1, settings.max_examples),
            stateful_step_count=STEPS_PER_RUN,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.generate, Phase.shrink),
            report_multiple_bugs=False,
            print_blob=False,
            verbosity=Verbosity.quiet,
        )
        note = ""
        try:
            with fixed_generation(), kept_unwrapping():
                run_state_machine_as_test(factory, settings=options)
        except Stop:
            if ctx.failure is not None and not self.stop.is_set():
                note = "shrinking stopped at its budget; the sequence may not be the shortest"
        except Flaky:  # a stop inside Hypothesis's shrinking reads to it as a flaky draw
            if ctx.shrink_started is None:
                note = "the target answered the same sequence differently when it was sent again"
        except AssertionError:
            if ctx.failure is None:
                raise
        if self.stop.is_set():
            note = "interrupted"
        shrink = ctx.failure is not None and settings.shrink_seconds != 0
        if shrink and not self.stop.is_set() and minimize(machine, ctx):
            note = ""
        result = RuleResult(
            RULE,
            Status.FAIL if ctx.failure else Status.PASS,
            cases=ctx.steps_judged,
            requests=ctx.requests,
            seconds=time.monotonic() - started,
            failures=[ctx.failure] if ctx.failure else [],
            requests_to_first_failure=ctx.requests_to_first_failure,
            digest=ctx.digest,
        )
        reasons = [note, *sorted(ctx.notes)]
        if ctx.billable_skipped:
            reasons.append(
                f"{ctx.billable_skipped} valid submission(s) not sent (--allow-billable)"
            )
        reasons.append(f"{ctx.runs} run(s) of the account machine, {ctx.steps_judged} steps")
        result.reason = "; ".join(r for r in reasons if r)
        if result.status is Status.PASS and ctx.steps_judged == 0:
            result.status = Status.SKIP
        return result


def state_model_checks() -> list[StateModelCheck]:
    return [StateModelCheck()]

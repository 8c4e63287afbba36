"""The machinery of the protocol checks: cases, one check's session, the refusal probe.

A protocol case is a raw request plus the one code it must get; the session sends it
through the target's client (paced when the target would count it), judges the code and
the response form, keeps any job a target created where it should not have, and deletes
every such job at the end. The cases themselves are in ``checks.protocol``.

A refused SubmitJob must never have run (protocol.md). The session checks this with the
ClientToken: after the refusal, a valid SubmitJob with the same token must create a new
job (named as the probe names it), not return one that the refused request made. This
relies on the target's idempotency, which ``STATE-IDEMPOTENCY`` checks on its own.
"""

from __future__ import annotations

import math
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ...transport import ApiResult, TransportError, WireRequest, WireResponse
from ...transport.raw import RequestFactory
from ..exchange import delete_job
from ..model import ANSWER_BOUND, Failure, RuleResult, RunSettings, Status, Target
from ..report.masking import mask_wire
from ..timing import exchange_seconds as _took
from ..timing import server_offset
from .readback import JOB_ID
from .response_form import RequestIds, is_never_expected, response_form_problems

REFUSED_NAME = "tcbc-refused"
PROBE_NAME = "tcbc-probe"
_WIRE_BODY_SHOWN = 2000


def minimal_job(region: str, *, name: str = "tcbatch-contract", token: str | None = None):
    """The smallest valid SubmitJob body for ``region``: one task, one instance type."""
    body: dict[str, Any] = {
        "Placement": {"Zone": f"{region}-1"},
        "Job": {
            "JobName": name,
            "Tasks": [
                {
                    "TaskName": "t0",
                    "Application": {"DeliveryForm": "LOCAL", "Command": "echo tcbatch-contract"},
                    "ComputeEnv": {"EnvType": "MANAGED", "EnvData": {"InstanceType": "S5.SMALL1"}},
                }
            ],
        },
    }
    if token is not None:
        body["ClientToken"] = token
    return body


def new_token() -> str:
    return "tcbc-" + uuid.uuid4().hex


def unknown_job_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "job-" + "".join(secrets.choice(alphabet) for _ in range(8))


@dataclass(frozen=True)
class ProtocolCase:
    """One request and what the target must answer to it."""

    name: str
    form: str
    make: Callable[[], WireRequest]  # built at send time (timestamps stay fresh)
    expect: str | None  # the code; None: success
    counted: bool = False  # passes P1-P8, so the target's rate limit counts it
    action: str = "DescribeJob"
    probe_token: str | None = None  # a refused SubmitJob that carried this ClientToken
    creates: bool = False  # a valid SubmitJob (spends the allowance of valid submissions)
    after: Callable[[Session, ApiResult], list[str]] | None = None  # more judgement
    # The code is judged only when the exchange took less than this many seconds (a
    # timestamp's margin from the skew limit, which the time in flight eats into).
    within: float | None = None


Changes = dict[str, Any] | Callable[[], dict[str, Any]]


class TargetLost(Exception):
    """The target could not be reached at all: no verdict, the check is a harness error."""


class Interrupted(Exception):
    """The run was asked to stop: the session ends after cleaning up."""


class Session:
    """One check's run against one target: sends cases, judges answers, keeps the result."""

    def __init__(
        self,
        rule: str,
        target: Target,
        settings: RunSettings,
        stop: threading.Event | None = None,
        *,
        release_each_case: bool = False,
    ) -> None:
        """``release_each_case`` deletes what a case created before the next one is sent
        (independent protocol cases: a job quota of 1 must do); a scenario whose steps build
        on each other's jobs keeps them to the end."""
        self.rule = rule
        self.stop = stop
        self.release_each_case = release_each_case
        self.target = target
        self.settings = settings
        self.client = target.client.replace(timeout=settings.request_timeout)
        self.region = target.profile.region
        self.factory = RequestFactory(
            self.client.credential, self.client.host, self.region, clock=self.client.clock
        )
        self.result = RuleResult(rule, Status.PASS)  # the runner adds the catalogue's code
        self.request_ids = RequestIds()
        self.unknown_job = unknown_job_id()
        self.jobs: list[str] = []
        self.notes: list[str] = []
        self.unjudged: list[str] = []  # cases whose premise did not hold, and why
        self.skipped_billable = 0
        self._started = time.monotonic()
        self._offset: float | None = None

    # ---- building -------------------------------------------------------------------

    def skewed(self, seconds: int) -> int:
        """A timestamp ``seconds`` away from the target's clock, rounded away from it."""
        if self._offset is None:
            self._offset = server_offset(self)
        now = self.client.clock() + self._offset
        return math.ceil(now) + seconds if seconds > 0 else math.floor(now) + seconds

    def describe(self, form: str, **changes: Any) -> WireRequest:
        return self.factory.build(form, "DescribeJob", {"JobId": self.unknown_job}, **changes)

    def submit(self, form: str, token: str, name: str = REFUSED_NAME, **changes: Any):
        body = minimal_job(self.region, name=name, token=token)
        return self.factory.build(form, "SubmitJob", body, **changes)

    def variants(
        self,
        name: str,
        expect: str | None,
        tc3: Changes | None = None,
        v1: Changes | None = None,
        *,
        forms: str = "tc3-post v1-get",
        base: str = "describe",
        counted: bool = False,
    ) -> Iterator[ProtocolCase]:
        """The same deviation in each of ``forms`` (space-separated), TC3 and V1 alike.

        ``tc3``/``v1`` are the factory's changes for that version (or a function giving
        them at send time; None: the deviation has no such version). ``base`` is what the
        request asks for: ``describe`` (DescribeJob of an unknown id), ``submit`` (a valid
        SubmitJob), ``probe`` (the same, then checked never to have run), or any other
        action name (sent with no parameters: the changes give them).
        """
        for form in forms.split():
            changes = v1 if form.startswith("v1") else tc3
            if changes is None:
                continue
            token = new_token() if base in ("submit", "probe") else None
            action = "SubmitJob" if token else "DescribeJob" if base == "describe" else base
            yield ProtocolCase(
                name,
                form,
                self._maker(form, changes, token, None if base == "describe" else action),
                expect,
                counted=counted,
                action=action,
                probe_token=token if base == "probe" else None,
            )

    def _maker(
        self, form: str, changes: Any, token: str | None, action: str | None
    ) -> Callable[[], WireRequest]:
        def make() -> WireRequest:
            kwargs = changes() if callable(changes) else dict(changes)
            if token is not None:
                return self.submit(form, token, **kwargs)
            if action is not None:
                return self.factory.build(form, action, {}, **kwargs)
            return self.describe(form, **kwargs)

        return make

    # ---- sending and judging --------------------------------------------------------

    def spend_billable(self) -> bool:
        """Whether one more valid submission may go: the allowance is the run's, shared."""
        if not self.target.allowance.spend(self.settings.allow_billable):
            self.skipped_billable += 1
            return False
        return True

    def send(self, request: WireRequest, *, counted: bool) -> ApiResult:
        return self._exchange(
            lambda: self.client.send(request, counted=counted, retry_backpressure=counted)
        )

    def call(self, action: str, params: dict[str, Any]) -> ApiResult:
        """A helper request (probe, read-back) through the main client."""
        return self._exchange(lambda: self.client.call(action, params))

    def _exchange(self, exchange: Callable[[], ApiResult]) -> ApiResult:
        """Run one client exchange: count its requests, keep any job it created."""
        try:
            result = exchange()
        except TransportError as exc:
            self.result.requests += 1
            if exc.kind == "unreachable":
                raise TargetLost(str(exc)) from None
            raise
        self.result.requests += result.requests_sent
        self.adopt(result)
        return result

    def adopt(self, result: ApiResult) -> None:
        """Remember a job the target created, expected or not, to delete it at the end."""
        job_id = result.job_id
        if job_id and job_id not in self.jobs:
            self.jobs.append(job_id)
            self.target.created_jobs.add(job_id)

    def run(self, case: ProtocolCase) -> ApiResult | None:
        if self.stop is not None and self.stop.is_set():
            raise Interrupted
        if case.creates and not self.spend_billable():
            return None
        request = case.make()
        self.result.cases += 1
        retried = False
        try:
            result = self.send(request, counted=case.counted)
            if case.within is not None and _took(result) >= case.within:
                request, retried = case.make(), True  # once more: a load spike judges nothing
                result = self.send(request, counted=case.counted)
        except TransportError as exc:
            if not self.unjudged_timeout(case, exc):
                self.fail(case, request, None, [f"no answer ({exc})"])
            return None
        problems = self.problems(case, request, result.wire_response)
        took = _took(result)
        if case.within is not None and took >= case.within:
            code = [p for p in problems if not p.startswith("response form:")]
            if code:
                problems = [p for p in problems if p not in code]
                self.unjudged.append(
                    f"'{case.name}' [{case.form}]: the answer took {took:.2f} s, not less than "
                    f"the {case.within:g} s its timestamp's margin allows: not judged"
                )
        try:
            if not problems and case.after is not None:
                problems = case.after(self, result)
            if not problems and case.probe_token is not None and not retried:
                # (Its ClientToken went out twice, the first time maybe accepted: no probe.)
                self.probe(case, request)
        except TransportError as exc:
            problems = [f"no answer to a follow-up request ({exc})"]
        if problems:
            self.fail(case, request, result.wire_response, problems)
        if self.release_each_case:
            for job_id in self.jobs:
                self.release(job_id)
            self.jobs.clear()
        return result

    def unjudged_timeout(self, case: ProtocolCase, exc: TransportError) -> bool:
        """A time-out shorter than the answer bound the spec allows judges nothing, nor
        does one on a request the target never took (a connection limit, left open)."""
        if exc.kind == "timeout" and exc.not_taken:
            self.unjudged.append(
                f"'{case.name}' [{case.form}]: the target never took the request (its TCP "
                "did not acknowledge it: a full listen queue, a connection limit the contract "
                "leaves open): not judged"
            )
            return True
        if exc.kind != "timeout" or self.client.timeout >= ANSWER_BOUND:
            return False
        self.unjudged.append(
            f"'{case.name}' [{case.form}]: no answer within the time limit of "
            f"{self.client.timeout:g} s, shorter than the {ANSWER_BOUND:g} s a target may "
            "take: not judged"
        )
        return True

    def problems(
        self, case: ProtocolCase, request: WireRequest, response: WireResponse
    ) -> list[str]:
        out: list[str] = []
        if request.method.upper() == "HEAD":
            if response.body:
                out.append("a HEAD answer carries a body")
        else:
            code, got = response.code, _shown(response)
            if is_never_expected(code):
                out.append(f"answered {code}, which no input may produce")
            elif case.expect is None:
                if code is not None or response.response is None:
                    out.append(f"expected success, got {got}")
                elif case.creates and not JOB_ID.fullmatch(str(response.response.get("JobId"))):
                    out.append(f"success without a JobId: {response.response.get('JobId')!r}")
            elif code != case.expect:
                out.append(f"expected {case.expect}, got {got}")
        form = response_form_problems(response, method=request.method, request_ids=self.request_ids)
        return out + [f"response form: {p}" for p in form]

    def fail(
        self,
        case: ProtocolCase,
        request: WireRequest,
        response: WireResponse | None,
        problems: list[str],
        *,
        expected: dict[str, Any] | None = None,
    ) -> None:
        if self.result.requests_to_first_failure is None:
            self.result.requests_to_first_failure = self.result.requests
        if expected is None:
            expected = (
                {"outcome": "success"}
                if case.expect is None
                else {"outcome": "error", "codes": [case.expect]}
            )
        self.result.failures.append(
            Failure(
                rule=self.rule,
                summary=f"{case.name} [{case.form}]: " + "; ".join(problems),
                expected=expected,
                actual=response.summary() if response is not None else {"answer": None},
                action=case.action,
                wire=mask_wire(request.to_dict(max_body=_WIRE_BODY_SHOWN)),
                form=case.form,
            )
        )

    def probe(self, case: ProtocolCase, refused: WireRequest) -> None:
        """Was a refused SubmitJob executed after all? Resend validly with its ClientToken."""
        if not self.spend_billable():
            return
        body = minimal_job(self.region, name=PROBE_NAME, token=case.probe_token)
        submitted = self.call("SubmitJob", body)
        if not submitted.job_id:
            self.notes.append(
                f"'{case.name}' [{case.form}] was not probed: the valid SubmitJob sent after "
                f"it got {submitted.code}"
            )
            return
        described = self.call("DescribeJob", {"JobId": submitted.job_id})
        self.release(submitted.job_id)
        name = (described.response or {}).get("JobName")
        if described.code is not None or name is None:
            self.notes.append(
                f"'{case.name}' [{case.form}] was not probed: DescribeJob of the probe's job "
                f"answered {described.code or 'no JobName'}"
            )
        elif name != PROBE_NAME:
            self.fail(
                case,
                refused,
                described.wire_response,
                [
                    f"the refused request was executed: a valid SubmitJob with its ClientToken "
                    f"returned job {submitted.job_id}, named {name!r} as the refused request was"
                ],
                expected={"outcome": "not executed", "job_name_of_next_submission": PROBE_NAME},
            )

    def release(self, job_id: str) -> None:
        """Delete a job this session created (TerminateJob, then DeleteJob)."""
        if job_id in self.target.created_jobs:
            for problem in delete_job(self.target, job_id):
                self.notes.append(f"cleanup: {problem}")

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: Any, tb: Any) -> bool:
        """End the session: an unreachable target or a stop request ends it quietly."""
        if kind is TargetLost:
            self.result.status = Status.ERROR
            self.result.reason = f"target unreachable: {error}"
        elif kind is Interrupted:
            self.notes.append("interrupted")
        # On Ctrl-C the run's own cleanup deletes what is left, once, and a second Ctrl-C
        # stops it there (the jobs stay listed in target.created_jobs until deleted).
        self.finish(release=kind is not KeyboardInterrupt)
        return kind in (TargetLost, Interrupted)

    def finish(self, *, release: bool = True) -> RuleResult:
        for job_id in self.jobs if release else ():
            self.release(job_id)
        result = self.result
        if self.skipped_billable:
            self.notes.append(
                f"{self.skipped_billable} case(s) needing a valid submission were not sent "
                "(the allowance of valid submissions is spent)"
            )
        if result.failures:
            result.status = Status.FAIL
        elif self.unjudged and result.status in (Status.PASS, Status.INCONCLUSIVE):
            result.status = Status.INCONCLUSIVE
            self.notes[:0] = self.unjudged
        elif result.status is Status.PASS and result.cases == 0:
            result.status = Status.SKIP
        result.reason = "; ".join(filter(None, [result.reason, *self.notes]))
        result.seconds = time.monotonic() - self._started
        return result


class ProtocolCheck:
    """One protocol rule: its cases, sent one by one."""

    judges_response_form = True

    def __init__(
        self, rule: str, cases: Callable[[Session], Iterable[ProtocolCase]], doc: str
    ) -> None:
        self.rule = rule
        self.cases = cases
        self.doc = doc
        self.stop = threading.Event()

    def __repr__(self) -> str:
        return f"ProtocolCheck({self.rule!r})"

    def run(self, target: Target, settings: RunSettings) -> RuleResult:
        session = Session(self.rule, target, settings, self.stop, release_each_case=True)
        with session:
            for case in self.cases(session):
                session.run(case)
        return session.result


def _shown(response: WireResponse) -> str:
    if response.code:
        return response.code
    if response.response is not None:
        return "success"
    return f"no API answer (HTTP {response.status})"

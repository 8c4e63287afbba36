"""Mutants of what the emulator remembers (idempotency, the quota, the read-back, the job
lifecycle) and crashes on inputs that are valid or simply odd.

State mutants wrap an action handler (``app.handlers``), the store's ``submit``, or the
quota check; the crash mutants make the app raise on some input and drop its catch-all
handler, so that the exception reaches the WSGI server as an HTTP 500, as it would in an
implementation without one.
"""

from __future__ import annotations

import copy
import struct
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ... import codes
from ..app import _error, envelope
from ..errors import ApiError
from ..store import Submitted
from ..validate._model import Finding, Subject
from . import mutant

if TYPE_CHECKING:
    from ..app import EmulatorApp
    from ..validate import Check

Handler = Callable[[Subject, str, "EmulatorApp"], dict[str, Any]]


def _handler(action: str, make: Callable[[Handler], Handler]) -> Callable[[EmulatorApp], None]:
    def apply(app: EmulatorApp) -> None:
        app.handlers[action] = make(app.handlers[action])

    return apply


def _edit_answer(edit: Callable[[dict[str, Any]], None]) -> Callable[[Handler], Handler]:
    def make(original: Handler) -> Handler:
        def handler(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
            answer = original(subject, owner, app)
            edit(answer)
            return answer

        return handler

    return make


# ---- idempotency ----------------------------------------------------------------------


@mutant("idempotency-ignored", "state", "ClientToken is ignored: every SubmitJob makes a job")
def _token_ignored(app: EmulatorApp) -> None:
    submit = app.store.submit
    app.store.submit = lambda owner, request, now, token, admit: submit(  # type: ignore[method-assign]
        owner, request, now, None, admit
    )


@mutant("idempotency-after-quota", "state", "the quota is checked before the ClientToken")
def _quota_first(app: EmulatorApp) -> None:
    store = app.store
    submit = store.submit

    def mutated(owner: str, request: Any, now: float, token: Any, admit: Any) -> Submitted:
        refusal = admit(store.count(owner))
        if refusal is not None:
            return Submitted(None, refusal=refusal)
        return submit(owner, request, now, token, admit)

    store.submit = mutated  # type: ignore[method-assign]


@mutant(
    "idempotency-forgets-deleted",
    "state",
    "a ClientToken whose job was deleted makes a new job",
)
def _forgets_deleted(app: EmulatorApp) -> None:
    store = app.store
    submit = store.submit

    def mutated(owner: str, request: Any, now: float, token: Any, admit: Any) -> Submitted:
        result = submit(owner, request, now, token, admit)
        if result.replayed and store.get(owner, result.job_id or "") is None:
            return submit(owner, request, now, None, admit)
        return result

    store.submit = mutated  # type: ignore[method-assign]


# ---- the quota ------------------------------------------------------------------------


def _quota(app: EmulatorApp, held: Callable[[Subject], int]) -> None:
    def check(subject: Subject) -> Iterator[Finding]:
        count = held(subject)
        if subject.job_quota is not None and count >= subject.job_quota:
            yield Finding("B30", codes.JOB_QUOTA, "Job", f"The account holds {count} jobs.")

    app.checks["B30"] = check


mutant("quota-off-by-one", "state", "the quota refuses only above it: one job too many passes")(
    lambda app: _quota(app, lambda subject: subject.jobs_held - 1)
)


@mutant("quota-counts-deleted", "state", "deleted jobs still count toward the quota")
def _counts_deleted(app: EmulatorApp) -> None:
    deleted = [0]

    def count(answer: dict[str, Any]) -> None:
        deleted[0] += 1

    _handler("DeleteJob", _edit_answer(count))(app)
    _quota(app, lambda subject: subject.jobs_held + deleted[0])


@mutant("quota-skips-terminated", "state", "terminated jobs no longer count toward the quota")
def _skips_terminated(app: EmulatorApp) -> None:
    terminated: set[str] = set()

    def remember(target: set[str], add: bool) -> Callable[[Handler], Handler]:
        def make(original: Handler) -> Handler:
            def handler(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
                answer = original(subject, owner, app)
                (target.add if add else target.discard)(subject.params["JobId"])
                return answer

            return handler

        return make

    _handler("TerminateJob", remember(terminated, True))(app)
    _handler("DeleteJob", remember(terminated, False))(app)
    _quota(app, lambda subject: subject.jobs_held - len(terminated))


# ---- read-back and lifecycle ----------------------------------------------------------


mutant("describe-drops-tags", "state", "DescribeJob answers Tags: [] whatever was sent")(
    _handler("DescribeJob", _edit_answer(lambda a: a.__setitem__("Tags", [])))
)


def _dedup(answer: dict[str, Any]) -> None:
    unique: list[Any] = []
    for dep in answer["Dependences"]:
        if dep not in unique:
            unique.append(dep)
    answer["Dependences"] = unique


mutant(
    "submit-info-dedups-dependences",
    "state",
    "DescribeJobSubmitInfo leaves out repeated dependences",
)(_handler("DescribeJobSubmitInfo", _edit_answer(_dedup)))


def _timeout_default(original: Handler) -> Handler:
    def handler(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
        answer = original(subject, owner, app)
        sent = app.store.get(owner, subject.params["JobId"])
        given_tasks = sent.request["Job"]["Tasks"] if sent else []
        for task, given in zip(answer["Tasks"], given_tasks, strict=False):
            if "Timeout" not in given:
                task["Timeout"] = 3600
        return answer

    return handler


mutant(
    "submit-info-timeout-3600",
    "state",
    "DescribeJobSubmitInfo fills Timeout 3600, not the documented 86400",
)(_handler("DescribeJobSubmitInfo", _timeout_default))


def _truncated(original: Handler) -> Handler:
    def handler(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
        text = subject.job.get("JobDescription")
        if isinstance(text, str) and len(text) > 100:
            params = copy.deepcopy(subject.params)
            params["Job"]["JobDescription"] = text[:100]
            subject = replace(subject, params=params)
        return original(subject, owner, app)

    return handler


mutant("description-truncated-100", "state", "JobDescription is stored cut to 100 characters")(
    _handler("SubmitJob", _truncated)
)


def _terminate_once(original: Handler) -> Handler:
    def handler(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
        record = app.store.get(owner, subject.params["JobId"])
        if record is not None and record.terminated_at is not None:
            raise ApiError(codes.INVALID_PARAMETER_VALUE, "The job is already terminated.")
        return original(subject, owner, app)

    return handler


mutant("terminate-twice-refused", "state", "TerminateJob on a terminated job is refused")(
    _handler("TerminateJob", _terminate_once)
)


# ---- crashes --------------------------------------------------------------------------


def _without_catch_all(app: EmulatorApp) -> None:
    """``app.respond`` with only the ``ApiError`` branch: anything else escapes (HTTP 500)."""

    def respond(environ: dict[str, Any]) -> bytes:
        try:
            members = app._handle(environ)
        except ApiError as error:
            members = _error(error.code, error.message)
        return envelope(members)

    app.respond = respond  # type: ignore[method-assign]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _utf8mb3(original: Handler) -> Handler:
    def handler(subject: Subject, owner: str, app: EmulatorApp) -> dict[str, Any]:
        for text in _strings(subject.params):
            if any(ord(ch) > 0xFFFF for ch in text):
                raise ValueError("Incorrect string value: 4-byte UTF-8 in a 3-byte column")
        return original(subject, owner, app)

    return handler


@mutant("crash-astral-characters", "robustness", "an emoji in a valid job crashes the store: 500")
def _astral(app: EmulatorApp) -> None:
    _handler("SubmitJob", _utf8mb3)(app)
    _without_catch_all(app)


def _packs_integers(original: Check) -> Check:
    def check(subject: Subject) -> Iterator[Finding]:
        for node in subject.walk[1]:
            scalar = node.item or not node.member.is_list
            if scalar and type(node.value) is int and node.member.elem in ("int64", "uint64"):
                struct.pack("<q" if node.member.elem == "int64" else "<Q", node.value)
        yield from original(subject)

    return check


@mutant(
    "crash-int64-overflow",
    "robustness",
    "integers are packed into 64-bit fields before the range check: 500 when out of range",
)
def _int64_overflow(app: EmulatorApp) -> None:
    app.checks["S4"] = _packs_integers(app.checks["S4"])
    _without_catch_all(app)


def _first_task_first(original: Check) -> Check:
    def check(subject: Subject) -> Iterator[Finding]:
        tasks = subject.job.get("Tasks")
        if isinstance(tasks, list) and subject.action == "SubmitJob":
            first = tasks[0]  # read before the list is known to be non-empty
            del first
        yield from original(subject)

    return check


@mutant("crash-empty-tasks", "robustness", "Job.Tasks: [] crashes (tasks[0] read first): 500")
def _empty_tasks(app: EmulatorApp) -> None:
    app.checks["S2"] = _first_task_first(app.checks["S2"])
    _without_catch_all(app)

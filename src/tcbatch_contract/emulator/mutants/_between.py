"""Mutants that live between requests: each answer alone looks right, an order of them
does not.

Token bookkeeping that forgets a terminate or a Region, a quota counted per Region or
freed only on one path, a JobId recycled, a read-back served from a cache or from the
latest job, an operation on one job that touches another or another account's. No single
request shows any of them, and the fixed stateful scenarios walk orders that miss them;
STATE-MODEL is what catches them (benchmarks/results/mutation-score-state.md).

They wrap the app's handlers (``app.handlers``) or its store's methods, on one app only,
and reach into the store's SQLite connection (under its lock) where a bug would.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ... import codes
from ..errors import ApiError
from ..store import Submitted
from ..validate import ORDER
from ..validate._model import Subject
from . import mutant

if TYPE_CHECKING:
    from ..app import EmulatorApp
    from ..store import JobStore

Handler = Callable[[Subject, str, "EmulatorApp"], dict[str, Any]]
Wrap = Callable[[Handler, Subject, str, "EmulatorApp"], dict[str, Any]]


def _wrap(action: str, wrap: Wrap) -> Callable[[EmulatorApp], None]:
    """A mutant replacing ``app.handlers[action]`` by ``wrap(original, subject, owner, app)``."""

    def apply(app: EmulatorApp) -> None:
        original = app.handlers[action]
        app.handlers[action] = lambda subject, owner, app_: wrap(original, subject, owner, app_)

    return apply


def _sql(store: JobStore, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """One statement on the store's connection, under its lock."""
    with store._lock:
        return store._db.execute(sql, args).fetchall()


def _job_id(subject: Subject) -> str:
    return subject.params["JobId"]


def _request_of(app: EmulatorApp, job_id: str) -> dict[str, Any] | None:
    rows = _sql(app.store, "SELECT request FROM jobs WHERE job_id = ?", (job_id,))
    return json.loads(rows[0][0]) if rows else None


def _set_request(app: EmulatorApp, job_id: str, request: dict[str, Any]) -> None:
    text = json.dumps(request, ensure_ascii=True, separators=(",", ":"))
    _sql(app.store, "UPDATE jobs SET request = ? WHERE job_id = ?", (text, job_id))


def _wrap_submit(app: EmulatorApp, after: Callable[..., Submitted]) -> None:
    """``store.submit`` followed by ``after(owner, request, now, token, admit, result)``."""
    store = app.store
    submit = store.submit

    def mutated(owner: str, request: Any, now: float, token: Any, admit: Any) -> Submitted:
        return after(owner, request, now, token, admit, submit(owner, request, now, token, admit))

    store.submit = mutated  # type: ignore[method-assign]


# ---- ClientTokens ---------------------------------------------------------------------


@mutant("token-replay-after-terminate", "state",
        "a ClientToken whose job was terminated makes a new job")  # fmt: skip
def _replay_after_terminate(app: EmulatorApp) -> None:
    def after(owner: str, request: Any, now: float, token: Any, admit: Any, result: Submitted):
        record = app.store.get(owner, result.job_id or "") if result.replayed else None
        if record is not None and record.terminated_at is not None:
            return app.store.__class__.submit(app.store, owner, request, now, None, admit)
        return result

    _wrap_submit(app, after)


def _token_per_region(original: Handler, subject: Subject, owner: str, app: EmulatorApp):
    token = subject.params.get("ClientToken")
    if isinstance(token, str):
        params = {**subject.params, "ClientToken": f"{subject.region}/{token}"}
        subject = replace(subject, params=params)
    return original(subject, owner, app)


mutant("token-per-region", "state", "ClientTokens are kept per Region: a replay from another "
       "Region makes a second job")(_wrap("SubmitJob", _token_per_region))  # fmt: skip


def _phantom(app: EmulatorApp, owner: str, token: str) -> None:
    phantom = "job-" + secrets.token_hex(4)
    _sql(app.store, "INSERT OR IGNORE INTO tokens (owner, token, job_id) VALUES (?, ?, ?)",
         (owner, token, phantom))  # fmt: skip


@mutant(
    "token-kept-after-quota-refusal",
    "state",
    "a SubmitJob refused by the quota keeps its ClientToken, naming a job never made",
)
def _token_after_quota(app: EmulatorApp) -> None:  # fmt: skip
    def after(owner: str, request: Any, now: float, token: Any, admit: Any, result: Submitted):
        if result.refusal is not None and isinstance(token, str):
            _phantom(app, owner, token)
        return result

    _wrap_submit(app, after)


@mutant(
    "token-kept-after-invalid-body",
    "state",
    "a SubmitJob refused for its body keeps its ClientToken, naming a job never made",
)
def _token_after_fault(app: EmulatorApp) -> None:  # fmt: skip
    caller = threading.local()
    step_names = list(app.steps)
    final_step = app.steps[step_names[-1]]

    def step(exchange: Any, app_: EmulatorApp) -> None:
        caller.owner = exchange.secret_id
        final_step(exchange, app_)

    app.steps[step_names[-1]] = step

    def wrap(rule: str) -> None:
        original = app.checks[rule]

        def check(subject: Subject):
            for fault in original(subject):
                token = subject.params.get("ClientToken")
                if subject.action == "SubmitJob" and isinstance(token, str):
                    _phantom(app, getattr(caller, "owner", ""), token)
                yield fault

        app.checks[rule] = check

    for rule in dict.fromkeys(ORDER["SubmitJob"]):
        wrap(rule)


@mutant(
    "replay-updates-priority-tags",
    "state",
    "a replayed ClientToken writes the new body's Priority and Tags into the first job",
)
def _replay_updates(app: EmulatorApp) -> None:  # fmt: skip
    def after(owner: str, request: Any, now: float, token: Any, admit: Any, result: Submitted):
        stored = _request_of(app, result.job_id or "") if result.replayed else None
        if stored is not None:
            for member in ("Priority", "Tags"):
                if member in request["Job"]:
                    stored["Job"][member] = request["Job"][member]
                else:
                    stored["Job"].pop(member, None)
            _set_request(app, result.job_id or "", stored)
        return result

    _wrap_submit(app, after)


@mutant(
    "replay-revives-terminated",
    "state",
    "a replayed ClientToken of a terminated job sets it running again",
)
def _replay_revives(app: EmulatorApp) -> None:  # fmt: skip
    def after(owner: str, request: Any, now: float, token: Any, admit: Any, result: Submitted):
        if result.replayed:
            _sql(app.store, "UPDATE jobs SET terminated_at = NULL WHERE job_id = ? AND "
                 "deleted_at IS NULL", (result.job_id,))  # fmt: skip
        return result

    _wrap_submit(app, after)


# ---- the quota ------------------------------------------------------------------------


@mutant("quota-per-region", "state", "the quota counts only the jobs of the request's Region")
def _quota_per_region(app: EmulatorApp) -> None:
    store = app.store
    submit = store.submit

    def mutated(owner: str, request: Any, now: float, token: Any, admit: Any) -> Submitted:
        zone = str(request["Placement"]["Zone"])
        region = zone.rsplit("-", 1)[0]

        def in_region(held: int) -> Any:
            rows = store._db.execute(
                "SELECT request FROM jobs WHERE owner = ? AND deleted_at IS NULL",
                (store.account(owner),),
            ).fetchall()
            zones = [str(json.loads(r[0])["Placement"]["Zone"]) for r in rows]
            return admit(sum(1 for z in zones if z.rsplit("-", 1)[0] == region))

        return submit(owner, request, now, token, in_region)

    store.submit = mutated  # type: ignore[method-assign]


@mutant(
    "quota-kept-by-running-delete",
    "state",
    "deleting a job that was never terminated does not free its place in the quota",
)
def _running_delete_counts(app: EmulatorApp) -> None:  # fmt: skip
    kept: set[str] = set()

    def delete(original: Handler, subject: Subject, owner: str, app_: EmulatorApp):
        record = app_.store.get(owner, _job_id(subject))
        answer = original(subject, owner, app_)
        if record is not None and record.terminated_at is None:
            kept.add(record.job_id)
        return answer

    _wrap("DeleteJob", delete)(app)
    original = app.checks["B30"]

    def check(subject: Subject):
        held = subject.jobs_held + len(kept)
        yield from original(replace(subject, jobs_held=held))

    app.checks["B30"] = check


# ---- JobIds ---------------------------------------------------------------------------


@mutant(
    "job-id-reused-after-delete",
    "state",
    "once three jobs are deleted, a new job takes the oldest deleted job's JobId",
)
def _id_reused(app: EmulatorApp) -> None:  # fmt: skip
    store = app.store
    insert = store._insert_job

    def mutated(owner: str, text: str, now: float) -> str:
        rows = store._db.execute(
            "SELECT job_id FROM jobs WHERE owner = ? AND deleted_at IS NOT NULL "
            "ORDER BY deleted_at, rowid", (owner,)
        ).fetchall()  # fmt: skip
        if len(rows) < 3:
            return insert(owner, text, now)
        job_id = rows[0][0]
        store._db.execute(
            "UPDATE jobs SET request = ?, created_at = ?, terminated_at = NULL, "
            "deleted_at = NULL WHERE job_id = ?", (text, now, job_id)
        )  # fmt: skip
        return job_id

    store._insert_job = mutated  # type: ignore[method-assign]


# ---- read-back ------------------------------------------------------------------------


def _describe_in_region(original: Handler, subject: Subject, owner: str, app: EmulatorApp):
    request = app.store.get(owner, _job_id(subject))
    zone = str(request.request["Placement"]["Zone"]) if request else ""
    if request is not None and zone.rsplit("-", 1)[0] != subject.region:
        raise ApiError(
            codes.RESOURCE_NOT_FOUND_JOB, f"The job `{_job_id(subject)}` does not exist."
        )
    return original(subject, owner, app)


mutant("describe-region-scoped", "state", "DescribeJob finds a job only from the Region it was "
       "submitted in")(_wrap("DescribeJob", _describe_in_region))  # fmt: skip


@mutant(
    "describe-cache-per-region",
    "state",
    "DescribeJob answers from a per-Region cache that a TerminateJob or DeleteJob sent "
    "from another Region does not clear",
)
def _describe_cache(app: EmulatorApp) -> None:  # fmt: skip
    cache: dict[tuple[str, str, str], dict[str, Any]] = {}

    def describe(original: Handler, subject: Subject, owner: str, app_: EmulatorApp):
        key = (owner, subject.region, _job_id(subject))
        if key not in cache:
            cache[key] = original(subject, owner, app_)
        return copy.deepcopy(cache[key])

    def clearing(original: Handler, subject: Subject, owner: str, app_: EmulatorApp):
        cache.pop((owner, subject.region, _job_id(subject)), None)
        return original(subject, owner, app_)

    _wrap("DescribeJob", describe)(app)
    _wrap("TerminateJob", clearing)(app)
    _wrap("DeleteJob", clearing)(app)


@mutant(
    "submit-info-latest-job",
    "state",
    "DescribeJobSubmitInfo shows JobName and JobDescription of the latest job submitted",
)
def _latest_job(app: EmulatorApp) -> None:  # fmt: skip
    latest: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()

    def submit(original: Handler, subject: Subject, owner: str, app_: EmulatorApp):
        answer = original(subject, owner, app_)
        if answer.get("JobId") not in seen:
            seen.add(answer["JobId"])
            latest[owner] = subject.params["Job"]
        return answer

    def info(original: Handler, subject: Subject, owner: str, app_: EmulatorApp):
        answer = original(subject, owner, app_)
        job = latest.get(owner)
        if job is not None:
            answer["JobName"] = job.get("JobName")
            answer["JobDescription"] = job.get("JobDescription")
        return answer

    _wrap("SubmitJob", submit)(app)
    _wrap("DescribeJobSubmitInfo", info)(app)


def _zone_of_region(original: Handler, subject: Subject, owner: str, app: EmulatorApp):
    answer = original(subject, owner, app)
    answer["Zone"] = f"{subject.region}-1"
    return answer


mutant("zone-from-request-region", "state", "DescribeJob's Zone is made from the request's "
       "Region, not read from the job")(_wrap("DescribeJob", _zone_of_region))  # fmt: skip


# ---- one operation touching other jobs ------------------------------------------------


def _terminate_by_name(original: Handler, subject: Subject, owner: str, app: EmulatorApp):
    answer = original(subject, owner, app)
    request = _request_of(app, _job_id(subject)) or {}
    name = request.get("Job", {}).get("JobName")
    rows = _sql(app.store, "SELECT job_id, request FROM jobs WHERE owner = ? AND "
                "deleted_at IS NULL", (app.store.account(owner),))  # fmt: skip
    for job_id, text in rows:
        if json.loads(text)["Job"].get("JobName") == name:
            app.store.terminate(owner, job_id, app.clock())
    return answer


mutant("terminate-by-name", "state", "TerminateJob terminates every job with the same JobName")(
    _wrap("TerminateJob", _terminate_by_name)
)


def _second_terminate(original: Handler, subject: Subject, owner: str, app: EmulatorApp):
    record = app.store.get(owner, _job_id(subject))
    if record is not None and record.terminated_at is not None:
        _sql(app.store, "UPDATE jobs SET terminated_at = NULL WHERE job_id = ?", (record.job_id,))
        return {}
    return original(subject, owner, app)


mutant("terminate-toggles", "state", "a second TerminateJob sets the job running again")(
    _wrap("TerminateJob", _second_terminate)
)


def _terminate_priority(original: Handler, subject: Subject, owner: str, app: EmulatorApp):
    answer = original(subject, owner, app)
    request = _request_of(app, _job_id(subject))
    if request is not None:
        request["Job"].pop("Priority", None)
        _set_request(app, _job_id(subject), request)
    return answer


mutant("terminate-resets-priority", "state", "TerminateJob rewrites the job without its "
       "Priority: it reads back 0")(_wrap("TerminateJob", _terminate_priority))  # fmt: skip


def _terminate_here_only(original: Handler, subject: Subject, owner: str, app: EmulatorApp):
    record = app.store.get(owner, _job_id(subject))
    zone = str(record.request["Placement"]["Zone"]) if record else ""
    if record is not None and zone.rsplit("-", 1)[0] != subject.region:
        return {}  # routed to the Region's scheduler, which has no such job: nothing done
    return original(subject, owner, app)


mutant("terminate-other-region-ignored", "state", "TerminateJob from another Region than the "
       "job's answers success and does nothing")(_wrap("TerminateJob", _terminate_here_only))  # fmt: skip


@mutant(
    "running-delete-still-found",
    "state",
    "a job deleted while running is still found by DescribeJobSubmitInfo and TerminateJob",
)
def _running_delete_found(app: EmulatorApp) -> None:  # fmt: skip
    ghosts: set[str] = set()

    def delete(original: Handler, subject: Subject, owner: str, app_: EmulatorApp):
        record = app_.store.get(owner, _job_id(subject))
        answer = original(subject, owner, app_)
        if record is not None and record.terminated_at is None:
            ghosts.add(record.job_id)
        return answer

    def info(original: Handler, subject: Subject, owner: str, app_: EmulatorApp):
        if _job_id(subject) in ghosts:
            job = (_request_of(app_, _job_id(subject)) or {}).get("Job", {})
            return {
                "JobId": _job_id(subject),
                "JobName": job.get("JobName"),
                "JobDescription": job.get("JobDescription"),
                "Priority": job.get("Priority", 0),
                "Tasks": job.get("Tasks", []),
                "Dependences": job.get("Dependences", []),
                "Tags": job.get("Tags", []),
            }
        return original(subject, owner, app_)  # fmt: skip

    def terminate(original: Handler, subject: Subject, owner: str, app_: EmulatorApp):
        if _job_id(subject) in ghosts:
            return {}
        return original(subject, owner, app_)

    _wrap("DeleteJob", delete)(app)
    _wrap("DescribeJobSubmitInfo", info)(app)
    _wrap("TerminateJob", terminate)(app)

"""The runner: collect the checks, run them against one target, one verdict per rule.

Checks come from three places (generated body-level checks, protocol checks, stateful
checks) and report in the same terms. The runner

* keeps the catalogue's rule order and reports every selected rule, checked or not;
* skips a rule whose ``needs`` the target profile does not give (B9 without known
  compute environments, B30 without a job quota, ...), with the reason;
* runs the checks that change shared target state (the job quota, the rate-limit
  window, the job list) one at a time, in this process, so that no check sees another's
  jobs or requests: after the others, or beside the worker processes that run the rest
  (``workers``) on an emulator of their own when the target can be built twice;
* with a time budget, runs the checks that draw cases again, round after round, each
  round from a seed derived from the run's seed and the round's number, until it is spent;
* judges the response form of every answer of every check and reports breaches under
  ``RESPONSE-FORM`` as well as under the check that saw them;
* deletes every job a check left behind, also when the run is interrupted.

Exit status: 0 when no rule failed, 1 when one did. A harness error (a rule the harness
could not judge) is reported with status ``error`` but does not fail the run by itself.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..transport import TransportError
from .checks.response_form import RULE as RESPONSE_FORM
from .coverage import Tally
from .coverage_map import build as coverage_map
from .driver import fold_digests
from .exchange import delete_job
from .model import ANSWER_BOUND, Check, Failure, RuleResult, RunReport, RunSettings, Status
from .scheduling import Scheduling, worker_count
from .shard import owners
from .targets import Observer, TargetFactory

#: Rules whose checks change state other checks depend on: run alone, after the others.
_EXCLUSIVE_RULES = frozenset({"P9", "B30"})
_EXTRA_ORDER = ("VALID", "FUZZ")
PROBE_JOB_ID = "job-00000000"


class TargetUnusable(Exception):
    """The opening probe found a target that cannot be checked at all."""


class TargetUnreachable(TargetUnusable):
    """The target gave no answer to the first request."""


class CredentialRefused(TargetUnusable):
    """The target does not accept the run's credential at all."""


class NotTheApi(TargetUnusable):
    """The target answers, but not with the API's ``{"Response": {...}}`` JSON body."""


def catalogue_rules() -> list[Any]:
    """The catalogue's rules (objects with ``id``, ``code``, ``needs``), in catalogue order."""
    from .. import catalogue

    return list(catalogue.rules())


def all_checks() -> list[Check]:
    """Every check the harness has: generated, protocol, robustness, stateful, the model."""
    from .checks.generated import generated_checks
    from .checks.protocol import protocol_checks
    from .checks.robustness import robustness_checks
    from .checks.state_model import state_model_checks
    from .checks.stateful import stateful_checks

    checks: list[Check] = list(generated_checks())
    checks += protocol_checks()
    checks += robustness_checks()
    checks += stateful_checks()
    checks += state_model_checks()
    return checks


def known_rule_ids(checks: Iterable[Check], rules: Iterable[Any]) -> list[str]:
    """Every id ``--rules`` accepts, in report order."""
    order = [r.id for r in rules]
    extra = sorted({c.rule for c in checks} - set(order), key=lambda i: _rank(i, order))
    return [*order, *extra, RESPONSE_FORM]


def needs_met(needs: Iterable[str], profile: Any) -> list[str]:
    """The needs of a rule that ``profile`` does not give (empty: the rule can be checked)."""
    have = {
        "known_env_ids": bool(profile.known_env_ids),
        "job_quota": profile.job_quota is not None,
        "denied_credential": profile.has_denied_credential,
        "rate_limit": profile.rate_limit is not None,
    }
    return [need for need in needs if not have.get(need, False)]


_NEED_OPTIONS = {
    "known_env_ids": "--known-env-id",
    "job_quota": "--job-quota",
    "denied_credential": "--denied-secret-id/--denied-secret-key",
    "rate_limit": "--rate-limit",
}


def probe(targets: TargetFactory, timeout: float) -> None:
    """One request, to learn whether the target answers, speaks the API, knows the credential.

    Speaking the API means a JSON body holding a ``Response`` object: whatever its HTTP
    status or Content-Type parameters, such an answer is the rules' to judge (RESPONSE-FORM
    among them), so only an answer without one (a web page, a proxy's error) is refused.
    """
    limit = min(timeout, 10.0)
    client = targets.target().client.replace(timeout=limit)
    name = targets.spec.name
    try:
        result = client.call("DescribeJob", {"JobId": PROBE_JOB_ID})
    except TransportError as exc:
        if exc.kind == "timeout":
            raise TargetUnreachable(f"{name} did not answer within {limit:g} s") from None
        detail = exc.detail.removeprefix(f"{targets.spec.endpoint}: ")  # said already
        raise TargetUnreachable(f"{name} is unreachable: {detail}") from None
    answer = result.wire_response
    if answer is not None and answer.response is None:
        kind = (answer.content_type or "no Content-Type").split(";")[0]
        raise NotTheApi(
            f"{name} does not speak the Batch API: it answered DescribeJob with HTTP "
            f'{answer.status} {kind}, not a JSON {{"Response": ...}} body; check the URL'
        )
    if result.code in ("AuthFailure.SecretIdNotFound", "AuthFailure.SignatureFailure"):
        raise CredentialRefused(
            f"{targets.spec.name} refused the credential ({result.code}): check --secret-id "
            "and --secret-key (or TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY)"
        )


class Runner(Scheduling):
    """Runs checks against one target and builds the :class:`RunReport`."""

    def __init__(
        self,
        targets: TargetFactory,
        settings: RunSettings,
        *,
        checks: list[Check],
        rules: list[Any],
        selected: set[str] | None = None,
        workers: int = 1,
        progress: Any = None,
        max_seconds: float | None = None,
    ) -> None:
        self.targets = targets
        self.settings = settings
        self.rules = {r.id: r for r in rules}
        self.rule_order = [r.id for r in rules]
        self.checks = checks
        self.selected = selected
        self.workers = worker_count(targets, workers)
        self.progress = progress
        self.max_seconds = max_seconds  # the time budget; None: one round
        self.rounds = 0  # rounds run so far
        self.stop = threading.Event()
        #: Set when the target stopped answering mid-run: the run stops, without verdicts.
        self.gone: TransportError | None = None
        self._observers: list[Observer] = []  # every check run, every round, every process
        self._latest: dict[int, Observer] = {}
        self._portable: set[int] = set()  # checks a worker process can build
        self.on_twins: set[str] = set()  # rules a worker ran on a twin of the target

    # ---- planning -------------------------------------------------------------------

    def _wanted(self, rule: str) -> bool:
        return self.selected is None or rule in self.selected or self.selected == {RESPONSE_FORM}

    def plan(self) -> tuple[list[Check], list[Check], list[RuleResult]]:
        """(parallel checks, exclusive checks, results decided without running)."""
        profile = self.targets.spec.profile
        parallel: list[Check] = []
        exclusive: list[Check] = []
        decided: list[RuleResult] = []
        covered: set[str] = set()
        shard = self.settings.shard  # this run's part of the work (harness.shard), or all
        wanted = [check for check in self.checks if self._wanted(check.rule)]
        owner = owners(wanted, shard.count) if shard is not None else {}
        for check in wanted:
            covered.add(check.rule)
            elsewhere = shard is not None and owner.get(id(check), 1) != shard.index
            if elsewhere and (id(check) in owner or needs_met(self._needs(check), profile)):
                continue  # another shard's check; a split check is every shard's
            rule = self.rules.get(check.rule)
            missing = needs_met(self._needs(check), profile)
            if missing:
                options = ", ".join(_NEED_OPTIONS.get(n, n) for n in missing)
                decided.append(
                    RuleResult(
                        check.rule,
                        Status.SKIP,
                        code=_code(rule),
                        reason=f"the target profile lacks {', '.join(missing)} (give {options})",
                    )
                )
            elif _is_exclusive(check):
                exclusive.append(check)
            else:
                parallel.append(check)
        for rule_id in self.rule_order if shard is None or shard.index == 1 else ():
            if rule_id not in covered and self._wanted(rule_id):
                decided.append(
                    RuleResult(
                        rule_id,
                        Status.SKIP,
                        code=_code(self.rules[rule_id]),
                        reason="no check of this harness covers this rule",
                    )
                )
        return parallel, exclusive, decided

    def _needs(self, check: Check) -> dict[str, None]:
        rule = self.rules.get(check.rule)
        needs = list(getattr(rule, "needs", ()) or ()) + list(getattr(check, "needs", ()) or ())
        return dict.fromkeys(needs)

    # ---- running --------------------------------------------------------------------

    def run(self, target_name: str, endpoint: str | None) -> RunReport:
        from .driver import Stopped  # a check stopped by the run (the target went away)

        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        clock = time.monotonic()
        parallel, exclusive, decided = self.plan()
        results: list[RuleResult] = list(decided)
        notes: list[str] = []
        if self.progress is not None:
            self.progress.begin(len(parallel) + len(exclusive))
        pool = beside = None
        try:
            pool = self._pool(parallel)
            if self.max_seconds is not None:  # from when the workers are ready
                deadline = time.monotonic() + self.max_seconds
                self.settings = dataclasses.replace(self.settings, deadline=deadline)
            twinned = self._twinned(exclusive, pool)
            exclusive = [c for c in exclusive if all(c is not t for t in twinned)]
            beside = self._beside(exclusive, pool)
            results += self._run_round(twinned + parallel, self.settings, pool)
            if beside is not None:
                exclusive = []
                found, remarks, gone = beside.join()
                results += found
                notes += remarks
                if gone is not None:
                    self._gone(gone)
            for check in exclusive:
                if self.stop.is_set():
                    break
                timed_out = self.settings.time_up()
                results.append(self._unreached(check) if timed_out else self.run_one(check))
            self.rounds = 1
            results += self._more_rounds(parallel, results, pool)
        except (KeyboardInterrupt, Stopped):
            self.signal_stop()
            if pool is not None:
                pool.interrupt(self._absorb)
            notes.append("the run was interrupted: rules not listed did not finish")
        finally:
            if pool is not None:
                pool.close()
            if beside is not None and exclusive:  # interrupted before it was joined
                notes += beside.join()[1]
            notes += self.cleanup()
            if self.progress is not None:
                self.progress.end()
        if self.max_seconds is not None:
            notes.append(
                f"timed run: {self.rounds} round(s) of drawing in a budget of "
                f"{self.max_seconds:g} s, each from a seed derived from {self.settings.seed}"
            )
        if pool is not None and pool.pushed_back:
            notes.append("the target pushed back: from then on the checks ran one at a time")
        results = _merge(results)
        results.append(self._response_form_result(results))
        results = sorted(results, key=lambda r: _rank(r.rule, self.rule_order))
        return RunReport(
            target=target_name,
            profile=self.targets.spec.profile,
            settings=self.settings,
            results=results,
            seconds=time.monotonic() - clock,
            started=started,
            endpoint=endpoint,
            notes=notes,
            coverage=coverage_map([r.coverage for r in results]),
        )

    def signal_stop(self) -> None:
        """Stop the run: no check starts, the running ones end at their next case."""
        self.stop.set()
        for check in self.checks:
            event = getattr(check, "stop", None)
            if isinstance(event, threading.Event):
                event.set()

    def _gone(self, error: TransportError) -> None:
        """The target refused a connection: it went away; every remaining check would too."""
        if self.gone is None:
            self.gone = error
        self.signal_stop()

    def observer_of(self, check: Check) -> Observer | None:
        """The observer of the latest run of ``check`` in this process."""
        return self._latest.get(id(check))

    def run_one(self, check: Check) -> RuleResult:
        """One check, here, its answers watched; a crash or a transport error is its result."""
        if self.stop.is_set():
            raise KeyboardInterrupt
        observer = self.targets.observer(check.rule)
        observer.on_unreachable = self._gone
        self._observers.append(observer)
        self._latest[id(check)] = observer
        if self.progress is not None and self.rounds == 0:
            self.progress.started(check.rule)
        clock = time.monotonic()
        try:
            result = check.run(self.targets.target(observer), self.settings)
        except TransportError as exc:
            result = _transport_result(check.rule, exc, self.settings.request_timeout)
        except Exception as exc:  # a bug in a check: report it, keep running the others
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
            result = RuleResult(
                check.rule, Status.ERROR, reason=f"the check crashed: {exc!r} at {where}"
            )
        if not result.seconds:
            result.seconds = time.monotonic() - clock
        if not result.requests:
            result.requests = observer.requests
        result.coverage = observer.coverage
        if result.code is None:
            result.code = _code(self.rules.get(check.rule))
        if not (getattr(check, "judges_response_form", False) and result.failures):
            _add_breaches(result, observer.breaches)
        if self.progress is not None and self.rounds == 0:
            self.progress.finished(result)
        return result

    def _response_form_result(self, results: list[RuleResult]) -> RuleResult:
        observers = self._observers
        answers = sum(o.answers for o in observers)
        breaches = [b for o in observers for b in o.breaches]
        count = sum(o.breach_count for o in observers)
        if count:
            status = Status.FAIL
        elif answers:
            status = Status.PASS
        else:
            status = Status.SKIP
        reason = "" if answers else "no answers were seen"
        failures = [_retag(b) for b in breaches[:20]]
        return RuleResult(RESPONSE_FORM, status, cases=answers, failures=failures, reason=reason)

    def cleanup(self) -> list[str]:
        """Delete every job still recorded as created; remarks for the report.

        A Ctrl-C here stops the deleting: the jobs not deleted are printed at once (the
        report may never be written), and the run ends as interrupted.
        """
        created = self.targets.created_jobs
        if not created:
            return []
        target = self.targets.target()
        left = []
        try:
            for job_id in sorted(created):
                try:
                    if delete_job(target, job_id):
                        left.append(job_id)
                except TransportError:
                    left.append(job_id)
        except KeyboardInterrupt:
            self.signal_stop()
            left = sorted(set(left) | created)
            line = (f"interrupted while deleting: {len(left)} job(s) the run created are left "
                    f"on the target: {', '.join(left)}")  # fmt: skip
            print(line, file=sys.stderr, flush=True)
            return [line]
        if left:
            return [f"could not delete {len(left)} job(s) the run created: {', '.join(left)}"]
        return []


def _is_exclusive(check: Check) -> bool:
    if getattr(check, "exclusive", False):
        return True
    return check.rule in _EXCLUSIVE_RULES or check.rule.startswith("STATE-")


def _code(rule: Any) -> str | None:
    if rule is None:
        return None
    code = getattr(rule, "code", None)
    if isinstance(code, str):
        return code
    cases = getattr(rule, "cases", ())
    return " / ".join(dict.fromkeys(str(c.code) for c in cases)) or None


def _transport_result(rule: str, exc: TransportError, timeout: float) -> RuleResult:
    if exc.kind == "unreachable":
        return RuleResult(rule, Status.ERROR, reason=f"the target stopped answering ({exc})")
    if exc.kind == "timeout" and timeout < ANSWER_BOUND:
        reason = (f"no answer within the time limit of {timeout:g} s, shorter than the "
                  f"{ANSWER_BOUND:g} s a target may take: not judged ({exc})")  # fmt: skip
        return RuleResult(rule, Status.INCONCLUSIVE, reason=reason)
    failure = Failure(
        rule=rule,
        summary=f"no answer: {exc}",
        expected={"answer": "an HTTP 200 JSON answer within the time limit"},
        actual={"transport_error": str(exc)},
    )
    return RuleResult(rule, Status.FAIL, failures=[failure], reason=str(exc))


def _add_breaches(result: RuleResult, breaches: list[Failure]) -> None:
    """Attach response-form breaches the check did not report itself."""
    reported = {f.actual.get("request_id") for f in result.failures} - {None}
    added = [b for b in breaches if b.actual.get("request_id") not in reported]
    if not added:
        return
    result.failures.extend(added)
    if result.status in (Status.PASS, Status.ERROR):
        result.status = Status.FAIL


def _retag(failure: Failure) -> Failure:
    from dataclasses import replace

    return replace(failure, rule=RESPONSE_FORM, summary=f"[{failure.rule}] {failure.summary}")


_STATUS_WEIGHT = {
    Status.FAIL: 4,
    Status.ERROR: 3,
    Status.INCONCLUSIVE: 2,
    Status.PASS: 1,
    Status.SKIP: 0,
}


def _merge(results: list[RuleResult]) -> list[RuleResult]:
    """One result per rule id (B9, for example, is checked by two checks)."""
    merged: dict[str, RuleResult] = {}
    for result in results:
        other = merged.get(result.rule)
        if other is None:
            merged[result.rule] = result
            continue
        if other.status is Status.SKIP and result.status is not Status.SKIP:
            other, result = result, other
        first = other.requests_to_first_failure
        if first is None and result.requests_to_first_failure is not None:
            first = other.requests + result.requests_to_first_failure
        merged[result.rule] = RuleResult(
            rule=other.rule,
            status=max(other.status, result.status, key=_STATUS_WEIGHT.__getitem__),
            code=other.code or result.code,
            cases=other.cases + result.cases,
            requests=other.requests + result.requests,
            seconds=other.seconds + result.seconds,
            failures=other.failures + result.failures,
            reason="; ".join(r for r in (other.reason, result.reason) if r),
            requests_to_first_failure=first,
            harness_errors=other.harness_errors + result.harness_errors,
            digest=fold_digests(other.digest, result.digest),
            coverage=_merged_tally(other.coverage, result.coverage),
        )
    return list(merged.values())


def _merged_tally(first: Any, then: Any) -> Any:
    if first is None or then is None:
        return first if then is None else then
    return Tally().merge(first).merge(then)


def _rank(rule: str, order: list[str]) -> tuple[int, int, str]:
    if rule in order:
        return (0, order.index(rule), rule)
    if rule in _EXTRA_ORDER:
        return (1, _EXTRA_ORDER.index(rule), rule)
    if rule == RESPONSE_FORM:
        return (3, 0, rule)
    return (2, 0, rule)

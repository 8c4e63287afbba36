"""The generated conformance checks: one per body-level rule, valid jobs, and fuzzing.

Each check draws cases from the strategies, asks the oracle what the target must answer,
sends the case and compares. The strategy's own label is checked against the oracle
first: when the two disagree the harness has a bug, and that is reported as a harness
error on the rule, never held against the target.

* ``SingleFaultCheck(rule)``: a request breaking exactly ``rule`` must get exactly its code.
* ``ValidCheck`` (``VALID``): the documented examples, then generated valid jobs, must
  succeed and read back through DescribeJob and DescribeJobSubmitInfo (§6); every job is
  deleted right after its read-back.
* ``FuzzCheck`` (``FUZZ``): multi-fault and schema-fuzzed requests may get any code of the
  rules they break (success only where the oracle says so), never the InternalError family.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from hypothesis import strategies as st

from ...oracle import evaluate
from ..coverage import judged
from ..driver import DriveResult, Judgement, drive
from ..exchange import answer_problems, delete_job, send
from ..judging import (
    context,
    diamond_ladder,
    expected_codes,
    failure_of,
    field_template,
    harness_error,
    label_codes,
    planned,
    release,
    with_fresh_token,
)
from ..model import RuleResult, RunSettings, Status, Target
from .fixed_cases import catalogue_cases, judge_fixed
from .readback import describe_job_problems, submit_info_problems
from .sweep import sweep

VALID = "VALID"
FUZZ = "FUZZ"


class _GeneratedCheck:
    rule: str = ""
    judges_response_form = True  # each case's answer is judged whole, and shrunk
    examples_scale = 1  # times RunSettings.max_examples
    distinct: Any = None  # case -> key: a key judged before is not sent again (driver)
    distinct_count: int | None = None  # how many keys the strategy makes, when few

    def __init__(self) -> None:
        self.stop = threading.Event()

    def strategy(self, target: Target) -> st.SearchStrategy[Any]:
        raise NotImplementedError

    def judge(self, case: Any, pick: int, target: Target, settings: RunSettings) -> Judgement:
        raise NotImplementedError

    def run(self, target: Target, settings: RunSettings) -> RuleResult:
        from ..database import example_database
        from ..shard import case_range

        started = time.monotonic()
        only = case_range(self, settings)  # this shard's part of the cases, or all
        first, last = only is None or only.first, only is None or only.last
        database, key = example_database(settings, target.profile, self.rule)
        pre = DriveResult()
        if first:  # failures saved by runs before, then the fixed cases
            pre = self.replay_saved(target, settings, database, key)
            if pre.failure is None:
                pre = pre.merged(self.before(target, settings))
        drove = drive(
            self.rule,
            self.strategy(target),
            lambda case, pick: self.judge(case, pick, target, settings),
            max_examples=settings.max_examples * self.examples_scale,
            run_seed=settings.seed,
            stop=self.stop,
            shrink_seconds=settings.shrink_seconds,
            distinct=self.distinct,
            distinct_count=self.distinct_count,
            deadline=settings.deadline,
            database=database,
            database_key=key,
            only=None if only is None else only.cases,
        )
        done = self.stop.is_set() or settings.time_up()
        if pre.failure is None and drove.failure is None and not done and last:
            drove = drove.merged(self.after(target, settings))
        result = self._result(pre, drove, time.monotonic() - started)
        empty = result.status is Status.ERROR and not result.cases and not result.harness_errors
        if only is not None and empty:  # a shard's empty slice: nothing to judge here
            result.status, result.reason = Status.SKIP, "no case in this shard's slice"
        return result

    def before(self, target: Target, settings: RunSettings) -> DriveResult:
        """Fixed cases judged ahead of the generated ones (none by default)."""
        return DriveResult()

    def replay_saved(
        self, target: Target, settings: RunSettings, database: Any, key: bytes | None
    ) -> DriveResult:
        """The failures runs before saved in the example database, judged before anything
        else (the fixed cases included); nothing without a database or saved failures."""
        from ..database import has_saved

        if database is None or key is None or not has_saved(database, key):
            return DriveResult()
        return self._replay(self.rule, self.strategy(target), target, settings, database, key)

    def _replay(
        self,
        name: str,
        strategy: st.SearchStrategy[Any],
        target: Target,
        settings: RunSettings,
        database: Any,
        key: bytes,
    ) -> DriveResult:
        return drive(
            name,
            strategy,
            lambda case, pick: self.judge(case, pick, target, settings),
            max_examples=1,  # the saved cases; one drawn case when none fails any more
            run_seed=settings.seed,
            stop=self.stop,
            shrink_seconds=settings.shrink_seconds,
            database=database,
            database_key=key,
        )

    def after(self, target: Target, settings: RunSettings) -> DriveResult:
        """Cases judged after the generated ones passed (none by default)."""
        return DriveResult()

    def _result(self, pre: DriveResult, drove: DriveResult, seconds: float) -> RuleResult:
        failures = [f for f in (pre.failure, drove.failure) if f is not None]
        first = pre.requests_to_first_failure
        if first is None and drove.requests_to_first_failure is not None:
            first = pre.requests + drove.requests_to_first_failure
        result = RuleResult(
            rule=self.rule,
            status=Status.PASS,
            cases=pre.cases + drove.cases,
            requests=pre.requests + drove.requests,
            seconds=seconds,
            failures=failures,
            requests_to_first_failure=first,
            harness_errors=pre.harness_errors + drove.harness_errors,
            digest=drove.digest,
        )
        notes = [n for n in (pre.note, drove.note) if n]
        if result.harness_errors:
            notes.append(
                f"{len(result.harness_errors)} generated case(s) were not judged: "
                "the strategy's label and the oracle disagree"
            )
        skipped = pre.skipped + drove.skipped
        if failures:
            result.status = Status.FAIL
        elif result.harness_errors:
            result.status = Status.ERROR
        elif result.cases == 0:
            result.status = Status.SKIP if skipped else Status.ERROR
            notes.append(self.no_cases_reason(skipped))
        result.reason = "; ".join(notes)
        return result

    def no_cases_reason(self, skipped: int) -> str:
        return "no case could be generated"

    def spend_billable(self, settings: RunSettings, target: Target) -> bool:
        """Whether one more valid submission may go (the run's allowance is shared)."""
        return target.allowance.spend(settings.allow_billable)


class SingleFaultCheck(_GeneratedCheck):
    """A request breaking exactly one rule must get exactly that rule's code."""

    def __init__(self, rule: str) -> None:
        from ...strategies import fault_count

        super().__init__()
        self.rule = rule
        self.distinct_count = fault_count(rule)
        self.reached: set[str] = set()  # field templates the judged cases put a fault in

    @property
    def weight(self) -> float:
        """About how long the rule takes, in single-fault rules: its drawn cases, then one
        case for each field they did not reach (S4 has 184 fields, and sweeps most)."""
        from ...strategies import rule_fields

        return 1 + len(rule_fields(self.rule)) / 60

    def __repr__(self) -> str:
        return f"SingleFaultCheck({self.rule!r})"

    @staticmethod
    def distinct(case: Any) -> tuple[str, str]:
        """The fault itself: the member (list indices aside) and the value put there."""
        value: Any = case.params
        for part in (case.field or "").split("."):
            if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                value = value.get(part) if isinstance(value, dict) else None
        return field_template(case.field), repr(value)

    def strategy(self, target: Target) -> st.SearchStrategy[Any]:
        from ...strategies import single_fault

        self.reached = set()
        return single_fault(self.rule, target.profile)

    def after(self, target: Target, settings: RunSettings) -> DriveResult:
        """One case in each field of the rule that the drawn cases did not reach (see
        ``sweep``), then the catalogue's vectors of the rule: its hand-picked near misses,
        which drawing reaches by chance."""
        from ...strategies import rule_fields, single_fault
        from ..database import example_database, field_key

        database, _ = example_database(settings, target.profile, self.rule)
        out = sweep(
            self.rule,
            [t for t in rule_fields(self.rule) if t not in self.reached],
            lambda template: single_fault(self.rule, target.profile, field=template),
            lambda case, pick: self.judge(case, pick, target, settings),
            run_seed=settings.seed,
            max_examples=settings.max_examples,
            stop=self.stop,
            shrink_seconds=settings.shrink_seconds,
            database=database,
            key_for=lambda template: field_key(self.rule, template, target.profile, settings.form),
        )
        if out.failure is None and not self.stop.is_set():
            vectors = catalogue_cases(self.rule, target.profile)
            judge = lambda case: self.judge(case, 0, target, settings)  # noqa: E731
            out = out.merged(judge_fixed(vectors, judge, self.stop))
        return out

    def replay_saved(
        self, target: Target, settings: RunSettings, database: Any, key: bytes | None
    ) -> DriveResult:
        """The saved failures of the rule, then those its per-field sweep (``after``) saved,
        each in its field."""
        from ...strategies import rule_fields, single_fault
        from ..database import field_key, saved_fields

        out = super().replay_saved(target, settings, database, key)
        if database is None:
            return out
        profile, form = target.profile, settings.form
        keys = {t: field_key(self.rule, t, profile, form) for t in rule_fields(self.rule)}
        for template in saved_fields(database, keys):
            if out.failure is not None or self.stop.is_set():
                break
            strategy = single_fault(self.rule, profile, field=template)
            name = f"{self.rule}@{template}"
            out = out.merged(
                self._replay(name, strategy, target, settings, database, keys[template])
            )
        return out

    def judge(self, case: Any, pick: int, target: Target, settings: RunSettings) -> Judgement:
        self.reached.add(field_template(case.field))
        region = case.region or target.profile.region
        oracle_context = context(target, region)
        outcome = evaluate(case.action, case.params, oracle_context)
        if outcome.codes != [case.code] or case.rule not in outcome.rules:
            said = outcome.to_dict()
            return Judgement(
                harness_error=harness_error(
                    self.rule,
                    case,
                    f"strategy labelled {case.rule}/{case.code} at {case.field}, oracle says {said}",
                    region,
                )
            )
        form, params, as_sent = planned(
            case.action, case.params, self.rule, pick, settings, outcome, target, region
        )
        with judged(params, oracle_context, as_sent):
            exchange = send(target, case.action, params, form=form, region=region)
        problems = answer_problems(exchange, outcome.accepted_codes, None)
        problems += release(target, exchange)
        failure = None
        if problems:
            failure = failure_of(self.rule, exchange, problems, outcome.to_dict(), case.field)
        return Judgement(requests=exchange.requests, failure=failure)


class ValidCheck(_GeneratedCheck):
    """Valid jobs succeed and read back as sent (the documented examples first)."""

    rule = VALID
    examples_scale = 2  # one rule for the whole request tree and the read-back
    weight = 5  # a single-fault rule's time five times over (read-backs): scheduled first
    split_by_cases = True  # a sharded run deals out its cases, not the whole rule

    def __repr__(self) -> str:
        return "ValidCheck()"

    def strategy(self, target: Target) -> st.SearchStrategy[Any]:
        from ...strategies import valid_cases

        return valid_cases(target.profile)

    def before(self, target: Target, settings: RunSettings) -> DriveResult:
        from ...strategies import documented_examples

        fixed = catalogue_cases("valid", target.profile)
        cases = [
            case
            for case in [*documented_examples(), *fixed, diamond_ladder(target.profile.region)]
            if (case.region or target.profile.region) in target.profile.regions
        ]
        return judge_fixed(cases, lambda case: self.judge(case, 0, target, settings), self.stop)

    def no_cases_reason(self, skipped: int) -> str:
        if skipped:
            return (
                "valid submissions start billable jobs on a live target and none were "
                "allowed (use --allow-billable N)"
            )
        return "no valid case could be generated"

    def judge(self, case: Any, pick: int, target: Target, settings: RunSettings) -> Judgement:
        region = case.region or target.profile.region
        outcome = evaluate("SubmitJob", case.params, context(target, region))
        if not outcome.success:
            return Judgement(
                harness_error=harness_error(
                    self.rule,
                    case,
                    f"strategy made a valid job, oracle says {outcome.to_dict()}",
                    region,
                )
            )
        if not self.spend_billable(settings, target):
            return Judgement(skipped=True)
        params = with_fresh_token(case.params)
        form, params, _ = planned(
            "SubmitJob", params, self.rule, pick, settings, outcome, target, region
        )
        exchange = send(target, "SubmitJob", params, form=form, region=region)
        requests = exchange.requests
        problems = answer_problems(exchange, None, None)
        job_id = exchange.job_id if exchange.code is None else None
        if job_id:
            target.created_jobs.add(job_id)
        if not problems and job_id:
            for action, compare in (
                ("DescribeJob", describe_job_problems),
                ("DescribeJobSubmitInfo", submit_info_problems),
            ):
                reply = send(target, action, {"JobId": job_id}, form="tc3-post", region=region)
                requests += reply.requests
                found = [f"{action}: {p}" for p in answer_problems(reply, None, None)]
                if not found:
                    found = compare(params, job_id, reply.response or {})
                problems += found
        if job_id:
            cleanup = delete_job(target, job_id)
            requests += 2
            problems += [f"cleanup: {p}" for p in cleanup]
        failure = None
        if problems:
            failure = failure_of(self.rule, exchange, problems, {"outcome": "success"}, None)
        return Judgement(requests=requests, failure=failure)


class FuzzCheck(_GeneratedCheck):
    """Multi-fault and schema-fuzzed requests get a code of a rule they break."""

    rule = FUZZ
    weight = 2  # multi-fault requests, about twice a single-fault rule's time
    split_by_cases = True

    def __repr__(self) -> str:
        return "FuzzCheck()"

    def strategy(self, target: Target) -> st.SearchStrategy[Any]:
        from ...strategies import multi_fault, schema_fuzz

        return st.one_of(
            multi_fault(target.profile),
            schema_fuzz(target.profile, "negative"),
            schema_fuzz(target.profile, "positive"),
        )

    def judge(self, case: Any, pick: int, target: Target, settings: RunSettings) -> Judgement:
        params = getattr(case, "params", case)
        region = getattr(case, "region", None) or target.profile.region
        action = getattr(case, "action", "SubmitJob")
        if not isinstance(params, dict):
            return Judgement(skipped=True)
        outcome = evaluate(action, params, context(target, region))
        label = label_codes(case)
        if label is not None and label != set(outcome.codes):
            return Judgement(
                harness_error=harness_error(
                    self.rule,
                    case,
                    f"strategy labelled {sorted(label)}, oracle says {outcome.to_dict()}",
                    region,
                )
            )
        if outcome.success:
            if not self.spend_billable(settings, target):
                return Judgement(skipped=True)
            params = with_fresh_token(params)
        form, params, _ = planned(
            action, params, self.rule, pick, settings, outcome, target, region
        )
        exchange = send(target, action, params, form=form, region=region)
        problems = answer_problems(exchange, expected_codes(outcome), None)
        problems += release(target, exchange)
        failure = None
        if problems:
            field = getattr(case, "field", None)
            failure = failure_of(self.rule, exchange, problems, outcome.to_dict(), field)
        return Judgement(requests=exchange.requests, failure=failure)


def generated_checks() -> list[_GeneratedCheck]:
    """Every generated check: one per body-level rule, then VALID and FUZZ."""
    from ...strategies import single_fault_rules

    checks: list[_GeneratedCheck] = [SingleFaultCheck(rule) for rule in single_fault_rules()]
    checks += [ValidCheck(), FuzzCheck()]
    return checks

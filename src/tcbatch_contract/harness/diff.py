"""Differential runs: the same generated requests to two targets, every disagreement kept.

A team porting an implementation wants more than two verdicts: it wants each request the
two answer differently, with the contract's word on who is right. Here each drawn case
(the run's strategies, Hypothesis seeded per rule from the run's seed, so the same seed
draws the same cases) goes to both targets in the same form, with the same ClientToken;
the answers are compared by error code and, when both succeed, by what DescribeJob and
DescribeJobSubmitInfo read back (request ids, job ids and times aside). Each difference
carries the oracle's verdict on each side: where the contract allows both answers (an
alternative reading, or a multi-fault request whose codes are all conformant) it is shown
as *open*, never as one side being wrong.

Differences are grouped by rule, and within a rule by what differed (the two codes and
the field of the fault); of each group the smallest request (by the length of its JSON) is
kept, with the number of requests that showed the same difference.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from ..oracle import Outcome, evaluate
from .driver import Judgement, drive
from .exchange import Exchange, delete_job, send
from .judging import context, field_template, planned, with_fresh_token
from .model import Failure, RunSettings, Target
from .report.masking import mask_params

VALID = "VALID"
FUZZ = "FUZZ"
#: What a read-back may differ in between two correct targets.
_VOLATILE = frozenset({"RequestId", "JobId", "CreateTime", "EndTime", "StartTime", "JobState",
                       "TaskState", "TaskInstanceMetrics", "StateReason"})  # fmt: skip


@dataclass
class Difference:
    """One kind of disagreement on one rule, shown by its smallest request."""

    rule: str
    field: str | None
    params: dict[str, Any]  # masked
    form: str
    region: str
    answers: tuple[str, str]  # what each side answered: a code, "success", or "no answer: ..."
    verdict: str  # "A is wrong", "B is wrong", "both wrong", "open"
    expected: dict[str, Any]  # the oracle's outcome (with the codes other readings allow)
    detail: list[str] = field(default_factory=list)  # read-back differences
    count: int = 1  # requests that showed this difference

    @property
    def size(self) -> int:
        return len(json.dumps(self.params, ensure_ascii=False, default=repr))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "field": self.field,
            "answers": list(self.answers),
            "verdict": self.verdict,
            "expected": self.expected,
            "detail": self.detail,
            "count": self.count,
            "form": self.form,
            "region": self.region,
            "params": self.params,
        }


@dataclass
class DiffReport:
    names: tuple[str, str]
    seed: int
    cases: int = 0
    requests: int = 0
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.differences else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "targets": list(self.names),
            "seed": self.seed,
            "cases": self.cases,
            "requests": self.requests,
            "differences": [d.to_dict() for d in self.differences],
            "notes": self.notes,
        }


def verdict(outcome: Outcome, answers: tuple[str | None, str | None], ok: tuple[bool, bool]) -> str:
    """Who is wrong, by the oracle (``ok``: whether each side's answer arrived at all)."""
    a, b = (ok[i] and outcome.accepts(answers[i]) for i in (0, 1))
    if a and b:
        return "open"
    if a:
        return "B is wrong"
    if b:
        return "A is wrong"
    return "both wrong"


class Differ:
    """Draws the run's cases and sends each to both targets."""

    def __init__(self, a: Target, b: Target, settings: RunSettings) -> None:
        self.sides = (a, b)
        self.settings = settings
        self.stop = threading.Event()
        self.groups: dict[tuple[Any, ...], Difference] = {}
        self.requests = 0

    def strategies(self, rules: list[str] | None) -> list[tuple[str, st.SearchStrategy[Any]]]:
        from ..strategies import multi_fault, single_fault, single_fault_rules, valid_cases

        profile = self.sides[0].profile
        out = [(rule, single_fault(rule, profile)) for rule in single_fault_rules()]
        out += [(VALID, valid_cases(profile)), (FUZZ, multi_fault(profile))]
        return [(r, s) for r, s in out if rules is None or r in rules]

    def run(self, names: tuple[str, str], rules: list[str] | None = None) -> DiffReport:
        report = DiffReport(names, self.settings.seed)
        chosen = self.strategies(rules)
        skipped = 0
        for rule, strategy in chosen:
            if self.stop.is_set():
                break
            drove = self._drive(rule, strategy, self._collecting(rule))
            report.cases += drove.cases
            skipped += drove.skipped
        if self.settings.shrink_seconds != 0:
            for rule, strategy in chosen:
                for key in [k for k in self.groups if k[0] == rule]:
                    if not self.stop.is_set():
                        self._shrink(rule, strategy, key)
        report.requests = self.requests
        if skipped:
            report.notes.append(
                f"{skipped} valid case(s) were not sent: valid jobs are billable on a live "
                "target (use --allow-billable N)"
            )
        order = {r: i for i, (r, _) in enumerate(chosen)}
        report.differences = sorted(
            self.groups.values(), key=lambda d: (order.get(d.rule, 99), d.field or "", d.answers)
        )
        return report

    def _collecting(self, rule: str) -> Any:
        """A judge that keeps every difference and goes on drawing (no failure, no shrink)."""

        def judge(case: Any, pick: int) -> Judgement:
            judgement = self.judge(rule, case, pick)
            judgement.failure = None
            return judgement

        return judge

    def _drive(self, rule: str, strategy: Any, judge: Any, shrink: bool = False) -> Any:
        return drive(
            rule,
            strategy,
            judge,
            max_examples=self.settings.max_examples * (2 if rule == VALID else 1),
            run_seed=self.settings.seed,
            stop=self.stop,
            shrink_seconds=self.settings.shrink_seconds if shrink else None,
        )

    def _shrink(self, rule: str, strategy: Any, key: tuple[Any, ...]) -> None:
        """Draw the rule's cases again (the same seed: the same cases) until one shows the
        difference ``key``, then let Hypothesis shrink it; the smallest one seen is kept."""
        count = self.groups[key].count

        def judge(case: Any, pick: int) -> Judgement:
            judgement = self.judge(rule, case, pick, only=key)
            if judgement.failure is not None and judgement.failure.summary != repr(key):
                judgement.failure = None
            return judgement

        self._drive(rule, strategy, judge, shrink=True)
        self.groups[key].count = count

    def judge(self, rule: str, case: Any, pick: int, only: tuple | None = None) -> Judgement:
        """Send one case to both sides; a difference is kept and returned as a failure
        (whose summary names its group), so that a shrinking drive can follow it; with
        ``only``, differences of other groups are not kept (a shrink follows one group)."""
        a, b = self.sides
        params = getattr(case, "params", case)
        if not isinstance(params, dict):
            return Judgement(skipped=True)
        region = getattr(case, "region", None) or a.profile.region
        outcome = evaluate("SubmitJob", params, context(a, region))
        if outcome.success:
            if not a.allowance.spend(self.settings.allow_billable):
                return Judgement(skipped=True)  # a live target: valid jobs are billable
            params = with_fresh_token(params)  # one token, the same on both sides
        form, sent, _ = planned("SubmitJob", params, rule, pick, self.settings, outcome, a, region)
        exchanges = [send(side, "SubmitJob", sent, form=form, region=region) for side in (a, b)]
        requests = 2
        answers = tuple(_answer(x) for x in exchanges)
        detail: list[str] = []
        if answers[0] == answers[1] == "success":
            found, more = self._read_back(exchanges, region)
            detail, requests = found, requests + more
        for side, exchange in zip(self.sides, exchanges, strict=True):
            if exchange.job_id and exchange.code is None:
                side.created_jobs.add(exchange.job_id)
                delete_job(side, exchange.job_id)
                requests += 2
        self.requests += requests
        if answers[0] != answers[1] or detail:
            codes = tuple(x.code for x in exchanges)
            arrived = tuple(x.error is None for x in exchanges)
            said = verdict(outcome, codes, arrived)  # type: ignore[arg-type]
            if detail:
                said = _read_back_verdict(detail)
            key = self._keep(rule, case, sent, form, region, answers, said, outcome, detail, only)
            failure = Failure(rule, repr(key), outcome.to_dict(), {"answers": list(answers)})
            return Judgement(requests=requests, failure=failure)
        return Judgement(requests=requests)

    def _read_back(self, exchanges: list[Exchange], region: str) -> tuple[list[str], int]:
        from .checks.readback import describe_job_problems, submit_info_problems

        detail: list[str] = []
        requests = 0
        for action, check in (
            ("DescribeJob", describe_job_problems),
            ("DescribeJobSubmitInfo", submit_info_problems),
        ):
            bodies = []
            for name, side, x in zip("AB", self.sides, exchanges, strict=True):
                reply = send(side, action, {"JobId": x.job_id}, form="tc3-post", region=region)
                requests += 1
                body = reply.response or {}
                bodies.append(_stable(body))
                for problem in check(x.params, x.job_id or "", body) if reply.code is None else []:
                    detail.append(f"{name} {action}: {problem}")
            if bodies[0] != bodies[1] and not detail:
                detail.append(f"{action} reads back differently, and the contract allows both")
        return detail, requests

    def _keep(self, rule, case, sent, form, region, answers, said, outcome, detail, only) -> tuple:
        template = field_template(getattr(case, "field", None)) or None
        key = (rule, template, answers if not detail else ("read-back",), said)
        expected = outcome.to_dict()
        if outcome.ambiguous:
            expected["also_accepted"] = [
                c for c in outcome.accepted_codes if c not in outcome.codes
            ]
        found = Difference(rule, template, mask_params(sent), form, region, answers, said,
                           expected, detail)  # fmt: skip
        if only is not None and key != only:
            return key
        kept = self.groups.get(key)
        if kept is None:
            self.groups[key] = found
            return key
        found.count = kept.count + 1
        if found.size < kept.size:
            self.groups[key] = found
        else:
            kept.count = found.count
        return key


def _answer(exchange: Exchange) -> str:
    if exchange.error is not None:
        return f"no answer: {getattr(exchange.error, 'kind', exchange.error)}"
    return exchange.code or "success"


def _read_back_verdict(detail: list[str]) -> str:
    a = any(line.startswith("A ") for line in detail)
    b = any(line.startswith("B ") for line in detail)
    if a and b:
        return "both wrong"
    return "A is wrong" if a else "B is wrong" if b else "open"


def _stable(value: Any) -> Any:
    """A read-back without what two correct targets may answer differently."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value

"""The field sweep: one case in every field of a rule, drawn in one pass, labelled right,
the same for the same seed, and a failure shrunk on its own field."""

from __future__ import annotations

import threading

import pytest
from tcbatch_contract.strategies import rule_fields, single_fault, single_fault_rules

from tcbatch_contract.harness.checks.sweep import drawn_cases, sweep
from tcbatch_contract.harness.driver import Judgement
from tcbatch_contract.harness.judging import field_template
from tcbatch_contract.harness.model import Failure
from tcbatch_contract.oracle import Context, evaluate
from tcbatch_contract.profile import TargetProfile

PROFILE = TargetProfile(known_env_ids=("env-abcd1234",))


def _strategy_for(rule: str):
    return lambda template: single_fault(rule, PROFILE, field=template)


@pytest.mark.parametrize("rule", single_fault_rules())
def test_every_field_of_a_rule_gets_a_case_the_oracle_agrees_with(rule: str) -> None:
    templates = list(rule_fields(rule))
    drawn = list(drawn_cases(rule, templates, _strategy_for(rule), run_seed=0))
    assert [t for t, _, _ in drawn] == templates
    context = Context.from_profile(PROFILE, region=PROFILE.region)
    for template, case, pick in drawn:
        where = field_template(case.field)
        if rule == "S3":  # the fault is a member added to the object at the template
            assert where.startswith(f"{template}." if template else ""), (template, where)
        else:
            assert where == template
        assert 0 <= pick <= 9
        outcome = evaluate(case.action, case.params, context)
        assert outcome.codes == [case.code], (template, case.params, outcome.to_dict())


def test_the_same_seed_draws_the_same_cases_and_another_seed_others() -> None:
    templates = list(rule_fields("S4"))[:25]
    first = [c.params for _, c, _ in drawn_cases("S4", templates, _strategy_for("S4"), 3)]
    again = [c.params for _, c, _ in drawn_cases("S4", templates, _strategy_for("S4"), 3)]
    other = [c.params for _, c, _ in drawn_cases("S4", templates, _strategy_for("S4"), 4)]
    assert first == again
    assert first != other


def test_a_failing_field_is_shrunk_in_a_run_of_its_own() -> None:
    """A target that mishandles one field only: the sweep stops there and shrinks."""
    templates = ["Job.Tasks.*.MaxRetryCount", "Job.Priority", "Job.Tasks.*.Timeout"]
    templates = [t for t in templates if t in rule_fields("S4")]
    broken = templates[1]
    judged: list[str] = []

    def judge(case, pick: int) -> Judgement:
        template = field_template(case.field)
        judged.append(template)
        if template != broken:
            return Judgement(requests=1)
        failure = Failure(
            "S4", "wrong code", case.expected, {"code": "x"}, params=case.params, field=case.field
        )
        return Judgement(requests=1, failure=failure)

    out = sweep(
        "S4",
        templates,
        _strategy_for("S4"),
        judge,
        run_seed=0,
        max_examples=20,
        stop=threading.Event(),
        shrink_seconds=None,
    )
    assert out.failure is not None and field_template(out.failure.field) == broken
    assert out.requests_to_first_failure == 2
    assert templates[2] not in judged  # the sweep stopped at the failing field
    assert judged.count(broken) > 1  # and the failure was found again and shrunk
    assert out.note == ""

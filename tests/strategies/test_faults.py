"""Every single-fault case breaks exactly its rule, at every field the rule covers.

The strategies label their cases themselves; the oracle (a separate reading of the spec)
judges each one. A case whose request breaks a second rule, or not its own, fails here.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from tcbatch_contract.strategies import Case, rule_fields, single_fault, single_fault_rules

from tcbatch_contract import catalogue
from tcbatch_contract.oracle import Context, evaluate
from tcbatch_contract.profile import TargetProfile

# Building a whole request tree per example is slow by Hypothesis's standards, on purpose.
SLOW_OK = [HealthCheck.too_slow]
PLAIN = TargetProfile()
WITH_ENVS = TargetProfile(region="ap-shanghai", known_env_ids=("env-abcd1234", "env-0000zz99"))
#: Catalogue fields that no single change can break alone (§7: a negative DelayOnRetry is
#: S5 and B17 at once; multi_fault makes it). A whole InstanceTypes or Commands of the wrong
#: type is S4 to the contract, but also B11/B13 to a reading that asks for a non-empty list.
NOT_SINGLE = {
    ("S5", "Job.Tasks.*.Application.Docker.DelayOnRetry"),
    ("S4", "Job.Tasks.*.ComputeEnv.EnvData.InstanceTypes"),
    ("S4", "Job.Tasks.*.Application.Commands"),
}
BODY_RULES = [f"S{i}" for i in range(1, 7)] + [f"B{i}" for i in range(1, 30)]


def in_template(rule: str, field: str, template: str) -> bool:
    """Whether a case's field is an instance of ``template`` (list indices for ``*``).

    An S3 field is the object's path, a dot and the unknown member's name (any text).
    """
    pattern = r"\.".join(r"\d+" if part == "*" else re.escape(part) for part in template.split("."))
    if rule == "S3":
        pattern = rf"{pattern}\..*" if template else ".*"
    return re.fullmatch(pattern, field, flags=re.DOTALL) is not None


def judge(case: Case, profile: TargetProfile) -> None:
    outcome = evaluate(case.action, case.params, Context.from_profile(profile))
    detail = f"{case.rule} at {case.field} ({case.note}): oracle says {outcome.to_dict()}"
    assert outcome.codes == [case.code], detail
    assert not outcome.ambiguous, f"{detail}; another reading also accepts {outcome.accepted_codes}"
    assert case.rule in outcome.rules, detail
    assert case.region == profile.region
    assert case.expected == {"outcome": "error", "codes": [case.code]}


def test_every_body_rule_has_a_strategy() -> None:
    assert list(single_fault_rules()) == BODY_RULES


#: Each rule against one profile (alternating); the EnvId rules against both.
RULE_PROFILES = [
    (rule, profile)
    for i, rule in enumerate(BODY_RULES)
    for profile in (
        (PLAIN, WITH_ENVS) if rule in ("B7", "B8", "B9") else ((PLAIN, WITH_ENVS)[i % 2],)
    )
]


@pytest.mark.parametrize(
    ("rule", "profile"),
    RULE_PROFILES,
    ids=[f"{r}-{'envs' if p.known_env_ids else 'plain'}" for r, p in RULE_PROFILES],
)
def test_single_fault_gets_exactly_its_code(rule: str, profile: TargetProfile) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=SLOW_OK)
    @given(single_fault(rule, profile))
    def check(case: Case) -> None:
        assert case.rule == rule
        judge(case, profile)

    check()


FIELDS = [(rule, field) for rule in BODY_RULES for field in rule_fields(rule)]


@pytest.mark.parametrize(("rule", "field"), FIELDS, ids=[f"{r}:{f}" for r, f in FIELDS])
def test_fault_reaches_each_field(rule: str, field: str) -> None:
    profile = WITH_ENVS if "EnvId" in field else PLAIN
    seen: list[str] = []

    @settings(max_examples=2, deadline=None, suppress_health_check=SLOW_OK)
    @given(single_fault(rule, profile, field=field))
    def check(case: Case) -> None:
        assert case.field is not None and in_template(rule, case.field, field), case.field
        seen.append(case.field)
        judge(case, profile)

    check()
    assert seen


@pytest.mark.parametrize("rule", BODY_RULES)
def test_strategy_covers_every_field_of_the_catalogue(rule: str) -> None:
    wanted = {f for f in catalogue.rule(rule).fields if (rule, f) not in NOT_SINGLE}
    made = set(rule_fields(rule))
    assert wanted <= made, sorted(wanted - made)
    # S4 also breaks list items one by one (``Job.Tasks.*``), which the catalogue leaves implicit
    extra = {f.removesuffix(".*") for f in made - wanted}
    assert extra <= set(catalogue.rule(rule).fields), sorted(extra)


def test_unknown_rule_and_unknown_field_are_refused() -> None:
    for rule in ("B30", "B31", "P1", "S7", "b1"):
        with pytest.raises(ValueError, match="no single-fault strategy"):
            single_fault(rule)
    with pytest.raises(ValueError, match="has no field"):
        single_fault("B1", field="Job.Tasks.*.TaskName")


def test_faults_spread_over_tasks_and_list_items() -> None:
    """A fault lands in later tasks and later list items too, not only in the first one."""
    positions: set[tuple[int, int]] = set()

    @settings(max_examples=60, deadline=None, suppress_health_check=SLOW_OK)
    @given(single_fault("B21", PLAIN, field="Job.Tasks.*.InputMappings.*.DestinationPath"))
    def check(case: Case) -> None:
        parts = (case.field or "").split(".")
        positions.add((int(parts[2]), int(parts[4])))

    check()
    assert any(task > 0 for task, _ in positions), positions
    assert any(item > 0 for _, item in positions), positions

"""Multi-fault cases list every code a target may answer; schema fuzzing yields raw bodies."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcbatch_contract.strategies import MultiFaultCase, multi_fault, schema_fuzz
from tcbatch_contract.strategies._internal.schema_bodies import _break

from tcbatch_contract import codes
from tcbatch_contract.oracle import Context, evaluate
from tcbatch_contract.profile import TargetProfile

SLOW_OK = [HealthCheck.too_slow]
WITH_ENVS = TargetProfile(region="ap-chengdu", known_env_ids=("env-abcd1234",))


@pytest.mark.parametrize("profile", [TargetProfile(), WITH_ENVS], ids=["no-envs", "known-envs"])
def test_multi_fault_codes_are_exactly_the_codes_of_the_broken_rules(
    profile: TargetProfile,
) -> None:
    sizes: set[int] = set()

    @settings(max_examples=40, deadline=None, suppress_health_check=SLOW_OK)
    @given(multi_fault(profile))
    def check(case: MultiFaultCase) -> None:
        outcome = evaluate("SubmitJob", case.params, Context.from_profile(profile))
        detail = f"{case.note}: oracle says {outcome.to_dict()}"
        assert outcome.codes == case.code_set, detail
        assert set(case.rules) <= set(outcome.rules), detail
        assert len(case.rules) == len(case.fields) >= 2
        assert case.expected == {"outcome": "error", "codes": case.code_set}
        assert case.to_json()["rule"] == "multi"
        sizes.add(len(set(case.rules)))

    check()
    assert sizes == {2, 3}


@settings(max_examples=30, deadline=None, suppress_health_check=SLOW_OK)
@given(multi_fault())
def test_one_change_breaking_two_rules_is_never_single(case: MultiFaultCase) -> None:
    """§7: a negative DelayOnRetry, or 2**64 in a range-limited member, breaks two rules."""
    if case.fields[0] != case.fields[1]:
        return
    outcome = evaluate("SubmitJob", case.params)
    assert len(outcome.rules) == 2, outcome.to_dict()
    assert set(outcome.codes) == set(case.codes)


def _judge_fuzzed(mode: str, count: int) -> list[dict[str, Any]]:
    profile = TargetProfile(region="ap-seoul")
    bodies: list[dict[str, Any]] = []

    @settings(max_examples=count, deadline=None, suppress_health_check=list(HealthCheck))
    @given(schema_fuzz(profile, mode))
    def collect(body: dict[str, Any]) -> None:
        assert isinstance(body, dict)
        evaluate("SubmitJob", body, Context.from_profile(profile))  # never raises
        bodies.append(body)

    collect()
    return bodies


def test_schema_fuzz_positive_bodies_have_the_schema_shape_and_the_profile_region() -> None:
    bodies = _judge_fuzzed("positive", 8)
    assert bodies
    for body in bodies:
        assert body["Placement"]["Zone"] == "ap-seoul-1"
        assert isinstance(body["Job"]["Tasks"], list)
        outcome = evaluate("SubmitJob", body, Context(region="ap-seoul"))
        assert not {"S1", "S3", "B26"} & set(outcome.rules), outcome.to_dict()


def test_schema_fuzz_negative_bodies_break_the_schema() -> None:
    bodies = _judge_fuzzed("negative", 8)
    schema_codes = {codes.MISSING_PARAMETER, codes.UNKNOWN_PARAMETER, codes.INVALID_PARAMETER}
    schema_codes.add(codes.INVALID_PARAMETER_VALUE)
    broken = [b for b in bodies if set(evaluate("SubmitJob", b).codes) & schema_codes]
    assert len(broken) >= len(bodies) // 2, bodies[:3]


SCALAR_LISTS = {
    "Placement": {"Zone": "ap-seoul-1", "HostIds": ["host-1", "host-2"]},
    "Job": {"Tasks": [{"TaskName": "a", "Tags": [["k", "v"]]}]},
}


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_break_inside_lists_of_scalars_changes_the_body(data: st.DataObject) -> None:
    """Adding a member where the place drawn is a string in a list (or a list in a list)
    puts it in the closest object; every break changes the body."""
    body = copy.deepcopy(SCALAR_LISTS)
    broken = _break(data.draw, body)
    assert isinstance(broken, dict)
    assert broken != SCALAR_LISTS


def test_schema_fuzz_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="positive, negative"):
        schema_fuzz(TargetProfile(), "sideways")

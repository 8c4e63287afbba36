"""The driver draws fresh examples: a fault already judged is rarely drawn again."""

from __future__ import annotations

import itertools

import pytest
from tcbatch_contract.strategies import single_fault

from tcbatch_contract.harness.checks.generated import SingleFaultCheck
from tcbatch_contract.harness.determinism import MUTATOR_OFF
from tcbatch_contract.harness.driver import Judgement, drive


def _drive_b1(seed: int) -> tuple[list[object], int]:
    """(the faults drawn, cases judged) of a 40-case drive of B1, whose faults seldom
    repeat."""
    drawn: list[object] = []

    def distinct(case: object) -> object:
        drawn.append(SingleFaultCheck.distinct(case))
        return drawn[-1]

    result = drive(
        "B1",
        single_fault("B1"),
        lambda case, pick: Judgement(requests=1),
        max_examples=40,
        run_seed=seed,
        distinct=distinct,
    )
    return drawn, result.cases


def test_a_drive_draws_few_more_cases_than_it_judges() -> None:
    """Hypothesis's span mutator copies a part of an example over another: on a
    single-fault case that mostly repeats the fault, two thirds of the draws. A drive
    turns it off, so nearly every draw is a fault not judged before."""
    assert MUTATOR_OFF, "Hypothesis moved the mutator the driver turns off"
    for seed in (0, 1, 2):
        drawn, judged = _drive_b1(seed)
        assert judged == 40
        assert len(drawn) <= judged * 1.25, (seed, len(drawn), judged)


def test_the_same_seed_draws_the_same_cases() -> None:
    assert _drive_b1(5) == _drive_b1(5)


def test_a_rule_out_of_new_faults_stops_after_its_budget_of_repeats_in_a_row() -> None:
    """Three faults in all: once they are judged, ``max_examples`` draws in a row bring
    nothing new and the drive ends, well before its whole allowance of repeats."""
    from hypothesis import strategies as st

    from tcbatch_contract.harness.driver import REPEATS_PER_EXAMPLE

    drawn: list[int] = []

    def distinct(case: int) -> int:
        drawn.append(case % 3)
        return drawn[-1]

    result = drive(
        "few",
        st.integers(0, 10**6),  # many examples, three faults
        lambda case, pick: Judgement(requests=1),
        max_examples=30,
        run_seed=1,
        distinct=distinct,
    )
    assert result.cases == 3  # every fault there is
    last_new = max(drawn.index(fault) for fault in (0, 1, 2))
    assert len(drawn) - 1 - last_new == 30  # the repeats in a row that ended it
    assert len(drawn) - 3 < REPEATS_PER_EXAMPLE * 30  # the whole allowance was not spent


def test_a_drive_that_has_judged_every_fault_there_is_stops_drawing() -> None:
    """Told how many faults its strategy makes, a drive ends once it has judged them all:
    the same cases are judged as without the count, and no draw after the last of them."""
    from hypothesis import strategies as st

    def counted(count: int | None) -> tuple[list[int], list[object]]:
        drawn: list[int] = []
        judged: list[object] = []

        def distinct(case: int) -> int:
            drawn.append(case % 3)
            return drawn[-1]

        def judge(case: object, pick: int) -> Judgement:
            judged.append((case, pick))
            return Judgement(requests=1)

        drive(
            "few",
            st.integers(0, 10**6),
            judge,
            max_examples=30,
            run_seed=1,
            distinct=distinct,
            distinct_count=count,
        )
        return drawn, judged

    drawn, judged = counted(3)
    all_drawn, all_judged = counted(None)
    assert judged == all_judged and len(judged) == 3
    last_new = max(all_drawn.index(fault) for fault in (0, 1, 2))
    assert len(drawn) == last_new + 1  # nothing drawn once the third fault was judged
    assert len(all_drawn) == len(drawn) + 30  # without the count: 30 repeats in a row


def test_each_rule_with_few_faults_makes_exactly_as_many_as_it_declares() -> None:
    """``fault_count``: the distinct faults (the harness's key) of the rule's strategy are
    never more than it says, and a long enough draw reaches every one of them."""
    from tcbatch_contract.strategies import fault_count, generate, single_fault_rules

    from tcbatch_contract.profile import TargetProfile

    declared = {r: fault_count(r) for r in single_fault_rules() if fault_count(r) is not None}
    assert {"S1", "S2", "B13", "B18", "B25"} <= set(declared)
    profiles = (
        TargetProfile(known_env_ids=("env-abcd1234",)),  # the embedded emulator's
        TargetProfile(),  # a URL's, no EnvId known
        TargetProfile(region="ap-shanghai", known_env_ids=("env-abcd1234", "env-efgh5678")),
    )
    for profile, (rule, count) in itertools.product(profiles, declared.items()):
        keys: set[object] = set()
        for seed in range(10):  # up to 2,000 draws; most rules need a few dozen
            cases = generate(single_fault(rule, profile), 200, seed)
            keys |= {SingleFaultCheck.distinct(c) for c in cases}
            assert len(keys) <= count, (profile, rule, count, sorted(keys))
            if len(keys) == count:
                break
        assert len(keys) == count, (profile, rule, count, sorted(keys))


def _drive_failing(monkeypatch, direct: bool, flaky: bool = False) -> tuple[object, list[object]]:
    """A drive of B3 whose judge fails every case with a task name over 70 characters
    (once per case when ``flaky``), through the engine directly or through ``@given``."""
    from tcbatch_contract.harness import driver
    from tcbatch_contract.harness.model import Failure

    monkeypatch.setattr(driver, "DIRECT", direct)
    judged: list[object] = []
    failed_before: set[str] = set()

    def judge(case: object, pick: int) -> Judgement:
        judged.append((case.params, pick))
        names = [t.get("TaskName", "") for t in case.params["Job"]["Tasks"]]
        longest = max(names, key=len)
        if len(longest) <= 70 or (flaky and longest in failed_before):
            return Judgement(requests=1)
        failed_before.add(longest)
        failure = Failure(rule="B3", summary=f"{len(longest)}", expected={}, actual={})
        return Judgement(requests=1, failure=failure)

    result = drive("B3", single_fault("B3"), judge, max_examples=30, run_seed=4)
    return result, judged


def test_the_engine_run_directly_judges_and_shrinks_as_given_does(monkeypatch) -> None:
    from tcbatch_contract.harness.driver import DIRECT

    assert DIRECT, "Hypothesis moved the engine the driver runs directly"
    direct, direct_cases = _drive_failing(monkeypatch, direct=True)
    given, given_cases = _drive_failing(monkeypatch, direct=False)
    assert direct.failure is not None and direct.note == ""
    assert direct_cases == given_cases  # the same cases, shrinking and the replay included
    assert (direct.digest, direct.requests_to_first_failure, direct.failure.summary) == (
        given.digest,
        given.requests_to_first_failure,
        given.failure.summary,
    )
    assert direct.failure.summary == "71"  # shrunk to the smallest failing length


def test_a_failure_that_does_not_come_again_is_noted_either_way(monkeypatch) -> None:
    for direct in (True, False):
        result, _ = _drive_failing(monkeypatch, direct=direct, flaky=True)
        assert result.failure is not None
        assert "answered the same case differently" in result.note, direct


def _failing_above_50(monkeypatch, direct: bool, strategy, judge_error_after: int | None = None):
    from hypothesis import strategies as st  # noqa: F401  (the caller's strategies)

    from tcbatch_contract.harness import driver
    from tcbatch_contract.harness.model import Failure

    monkeypatch.setattr(driver, "DIRECT", direct)
    failures = itertools.count(1)

    def judge(case: int, pick: int) -> Judgement:
        if case <= 50:
            return Judgement(requests=1)
        if judge_error_after is not None and next(failures) > judge_error_after:
            raise RuntimeError("the harness broke while shrinking")
        return Judgement(
            requests=1, failure=Failure(rule="X", summary=str(case), expected={}, actual={})
        )

    return drive("X", strategy, judge, max_examples=50, run_seed=2)


def test_a_strategy_that_draws_differently_when_replayed_is_noted_not_a_crash(monkeypatch) -> None:
    """Hypothesis notices it (in generating or in the final replay) and says so; the
    drive ends with a note instead of the check crashing."""
    from hypothesis import strategies as st

    for direct in (True, False):
        calls = itertools.count()

        @st.composite
        def unstable(draw, calls=calls) -> int:
            value = draw(st.integers(0, 100))
            if next(calls) % 3 == 2:  # every third draw takes one more choice
                draw(st.integers(0, 100))
            return value

        result = _failing_above_50(monkeypatch, direct, unstable())
        assert "differently" in result.note, (direct, result.note)


def test_an_error_of_the_harness_while_shrinking_keeps_the_failure_found(monkeypatch) -> None:
    from hypothesis import strategies as st

    for direct in (True, False):
        result = _failing_above_50(monkeypatch, direct, st.integers(0, 100), judge_error_after=2)
        assert result.failure is not None and int(result.failure.summary) > 50, direct
        assert "shrinking stopped" in result.note, (direct, result.note)


def test_an_engine_that_fails_the_check_is_left_for_given(monkeypatch) -> None:
    """The direct run is checked by running it once; a Hypothesis whose engine keeps its
    failures elsewhere, or behaves otherwise, is driven through ``@given``."""
    from tcbatch_contract.harness import driver

    assert driver._direct_works(), "this Hypothesis's engine fails the direct run's check"
    with pytest.raises(driver._EngineMoved):
        driver._smallest_failure(object())
    monkeypatch.setattr(driver, "_direct_works", lambda: False)
    monkeypatch.setattr(driver, "ConjectureRunner", None)  # any direct use would fail
    result, _ = _drive_failing(monkeypatch, direct=True)
    assert result.failure is not None and result.failure.summary == "71"

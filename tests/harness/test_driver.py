"""The driver draws fresh examples: a fault already judged is rarely drawn again."""

from __future__ import annotations

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

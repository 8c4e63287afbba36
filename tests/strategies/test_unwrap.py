"""Keeping a lazy strategy's unwrapped form changes nothing that is drawn."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.strategies._internal import lazy
from tcbatch_contract.strategies import generate, multi_fault, single_fault, valid_cases
from tcbatch_contract.strategies.unwrap import KEPT, kept_unwrapping

from tcbatch_contract.profile import TargetProfile

PROFILE = TargetProfile(known_env_ids=("env-unwrap01",))
TREE: st.SearchStrategy[object] = st.deferred(
    lambda: st.integers(0, 9) | st.lists(TREE, max_size=3) | st.dictionaries(st.text(), TREE)
)


def test_the_same_seed_draws_the_same_values_with_unwrapping_kept() -> None:
    assert KEPT, "Hypothesis moved unwrap_strategies"
    for strategy in (
        valid_cases(PROFILE),
        single_fault("B6", PROFILE),
        multi_fault(PROFILE),
        TREE,  # a recursive definition: its nested unwrapping is Hypothesis's own
        st.lists(st.integers(0, 5).map(str), unique=True),
    ):
        with kept_unwrapping():
            kept = generate(strategy, 25, 11)
            again = generate(strategy, 25, 11)  # every wrapper's answer now kept
        plain = generate(strategy, 25, 11)
        assert repr(kept) == repr(again) == repr(plain)


def test_hypothesis_gets_its_own_function_back_even_after_an_error() -> None:
    original = lazy.unwrap_strategies
    try:
        with kept_unwrapping(), kept_unwrapping():
            assert lazy.unwrap_strategies is not original
            raise KeyError("inside")
    except KeyError:
        pass
    assert lazy.unwrap_strategies is original

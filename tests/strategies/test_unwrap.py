"""Keeping a lazy strategy's unwrapped form changes nothing that is drawn."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.strategies._internal import lazy
from tcbatch_contract.strategies import generate, multi_fault, single_fault, valid_cases
from tcbatch_contract.strategies.unwrap import _PATCHES, KEPT, _unwrap_kept, kept_unwrapping

from tcbatch_contract.profile import TargetProfile

PROFILE = TargetProfile(known_env_ids=("env-unwrap01",))
TREE: st.SearchStrategy[object] = st.deferred(
    lambda: st.integers(0, 9) | st.lists(TREE, max_size=3) | st.dictionaries(st.text(), TREE)
)


def test_the_same_seed_draws_the_same_values_with_unwrapping_kept(monkeypatch) -> None:
    from hypothesis.internal.conjecture.data import ConjectureData

    assert KEPT, "Hypothesis moved unwrap_strategies or ConjectureData.draw"
    original_draw = ConjectureData.draw
    strategies = (
        valid_cases(PROFILE),
        single_fault("B6", PROFILE),
        multi_fault(PROFILE),
        TREE,  # a recursive definition: its nested unwrapping is Hypothesis's own
        st.lists(st.integers(0, 5).map(str), unique=True),
    )
    kept, again = [], []
    with kept_unwrapping():
        assert ConjectureData.draw is not original_draw
        for strategy in strategies:
            kept.append(generate(strategy, 25, 11))
            again.append(generate(strategy, 25, 11))  # every strategy's answers now kept
    assert ConjectureData.draw is original_draw
    for patch in _PATCHES:  # Hypothesis alone (``generate`` keeps unwrapping itself)
        monkeypatch.setattr(patch, "module", None)
    plain = [generate(strategy, 25, 11) for strategy in strategies]
    assert lazy.unwrap_strategies is not _unwrap_kept
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


def test_threads_entering_and_leaving_in_turn_leave_hypothesis_its_own_function() -> None:
    """The patch stays while any thread is inside, and goes when the last one leaves."""
    import threading

    original = lazy.unwrap_strategies
    inside, leave = threading.Barrier(3), threading.Event()
    seen: list[object] = []

    def draw_inside() -> None:
        with kept_unwrapping():
            inside.wait()
            leave.wait()
            generate(st.lists(st.integers(0, 3)), 5, 1)
            seen.append(lazy.unwrap_strategies)

    threads = [threading.Thread(target=draw_inside) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert lazy.unwrap_strategies is not original  # both threads inside
    leave.set()
    for thread in threads:
        thread.join(30)
    assert len(seen) == 2 and lazy.unwrap_strategies is original

"""Keeping a lazy strategy's unwrapped form changes nothing that is drawn."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.strategies._internal import lazy
from tcbatch_contract.strategies import generate, multi_fault, single_fault, valid_cases
from tcbatch_contract.strategies.unwrap import (
    _PATCHES,
    KEPT,
    _drawn,
    _unwrap_kept,
    kept_unwrapping,
)

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


def test_the_choices_and_spans_recorded_are_hypothesis_own(monkeypatch) -> None:
    """Shrinking reads the spans and their labels: they are the same, draw for draw."""
    strategies = (
        single_fault("B6", PROFILE),
        multi_fault(PROFILE),
        TREE,
        st.one_of(st.integers(0, 3), st.text(max_size=3), st.none()).map(str),
    )
    with kept_unwrapping():
        kept = [_drawn(s, seed) for s in strategies for seed in range(8)]
    for patch in _PATCHES:
        monkeypatch.setattr(patch, "module", None)
    plain = [_drawn(s, seed) for s in strategies for seed in range(8)]
    assert kept == plain
    assert sum(len(spans) for _, _, spans in plain) > 500  # deep draws, many spans


def test_a_one_of_over_a_stateful_bundle_keeps_hypothesis_own_draw() -> None:
    """Whether a bundle is empty depends on the test so far: no chooser is kept for it."""
    import pytest
    from hypothesis.errors import InvalidArgument
    from hypothesis.stateful import Bundle
    from tcbatch_contract.strategies.unwrap import _BRANCHES

    mixed = st.one_of(st.integers(0, 3), Bundle("jobs"))
    plain = st.one_of(st.integers(0, 3), st.booleans())
    with kept_unwrapping():
        _drawn(plain, 0)
        with pytest.raises(InvalidArgument, match="runner"):  # a bundle needs a machine
            _drawn(mixed, 0)
    assert mixed.__dict__[_BRANCHES] is False and plain.__dict__[_BRANCHES] is not False


def _hypothesis_own() -> list[object]:
    """The attributes of Hypothesis's that the scope replaces, as they are now."""
    return [getattr(patch.module, patch.name) for patch in _PATCHES]


def test_hypothesis_gets_its_own_functions_back_even_after_an_error() -> None:
    own = _hypothesis_own()
    try:
        with kept_unwrapping(), kept_unwrapping():
            assert all(a is not b for a, b in zip(_hypothesis_own(), own, strict=True))
            raise KeyError("inside")
    except KeyError:
        pass
    assert all(a is b for a, b in zip(_hypothesis_own(), own, strict=True))


def test_threads_entering_and_leaving_in_turn_leave_hypothesis_its_own_functions() -> None:
    """The patches stay while any thread is inside, and go when the last one leaves."""
    import threading

    own = _hypothesis_own()
    inside, leave = threading.Barrier(3), threading.Event()
    seen: list[list[object]] = []

    def draw_inside() -> None:
        with kept_unwrapping():
            inside.wait()
            leave.wait()
            generate(st.lists(st.integers(0, 3) | st.none()), 5, 1)
            seen.append(_hypothesis_own())

    threads = [threading.Thread(target=draw_inside) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert all(a is not b for a, b in zip(_hypothesis_own(), own, strict=True))  # both inside
    leave.set()
    for thread in threads:
        thread.join(30)
    assert len(seen) == 2 and all(a is b for a, b in zip(_hypothesis_own(), own, strict=True))


def test_the_patches_are_checked_by_drawing_before_a_process_uses_them(monkeypatch) -> None:
    """A release that keeps the names but changes what they do draws unpatched."""
    from hypothesis.internal.conjecture.data import ConjectureData
    from tcbatch_contract.strategies import unwrap

    assert unwrap._compare(), "this Hypothesis draws differently with the patches"
    own = ConjectureData.draw
    monkeypatch.setattr(unwrap, "_agree", [])
    monkeypatch.setattr(unwrap, "_compare", lambda: False)
    with kept_unwrapping():
        assert ConjectureData.draw is own
    monkeypatch.setattr(unwrap, "_agree", [])
    monkeypatch.setattr(unwrap, "_compare", lambda: True)
    with kept_unwrapping():
        assert ConjectureData.draw is not own

"""Drawing from a sequence known only at draw time, without building a strategy for it.

``draw(st.sampled_from(options))`` inside a draw builds a new strategy object every time,
and Hypothesis validates each new object before its first draw: on a request of a few
hundred draws that validation costs more than the drawing. :func:`choice` draws the index
from a strategy cached per length instead; it shrinks the same way (towards the first
option) and, like ``sampled_from``, draws nothing when there is one option only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TypeVar

from hypothesis import strategies as st

from .filler import ranged

T = TypeVar("T")
BOOL = st.booleans()


@cache
def ints(low: int, high: int) -> st.SearchStrategy[int]:
    """``st.integers(low, high)``, built once per range (a filler draws it too)."""
    return ranged(st.integers(low, high), low, high)


def choice(draw: st.DrawFn, options: Sequence[T]) -> T:
    """One of ``options`` (not empty), shrinking towards the first."""
    if len(options) == 1:
        return options[0]
    if not options:
        raise ValueError("choice from no options")
    return options[draw(ints(0, len(options) - 1))]


def sample(draw: st.DrawFn, options: Sequence[T]) -> T:
    """The value ``draw(st.sampled_from(options))`` draws from the same seed (an index
    sampled from a ``range`` is drawn as an element of the list is; only the span's label
    differs), from a strategy built once per length: for a list known only at draw time."""
    if len(options) == 1:  # ``sampled_from`` of one element is ``just`` it: nothing drawn
        return options[0]
    return options[draw(_indices(len(options)))]


@cache
def _indices(count: int) -> st.SearchStrategy[int]:
    return st.sampled_from(range(count))


@cache
def sampled(options: tuple[T, ...]) -> st.SearchStrategy[T]:
    """``st.sampled_from(options)``, built once per tuple of options."""
    return st.sampled_from(options)

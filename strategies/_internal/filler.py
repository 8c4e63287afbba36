"""The valid filler around a fault, made from one drawn seed instead of ~150 drawn choices.

A single-fault request is one broken member inside a valid job; the job around it (every
other member of the rich task, of ``Job``, of ``Placement``) only has to be valid and
varied. Drawing that filler choice by choice through Hypothesis costs ~20-30 µs a choice
and ~150 choices a request, most of a case's time, for nothing the shrinker needs: a
failure is about the fault. So Hypothesis draws the fault, the task graph, the location,
how dense the filler is and one seed; a :class:`Filler` seeded with it stands in for
``draw`` while ``tree.build_object`` builds the rest.

A ``Filler`` answers a draw from a strategy registered here: an integer range
(:func:`ranged`) and a strategy with a maker of its own (:func:`made`)
it draws with its random, any other (:func:`pooled`) from a pool of that strategy's own
values, edges and odd characters included. Pool slot ``i`` of a strategy is drawn from that
very strategy on first use, with a random seeded by the strategy's registered name and
``i``: every worker process and every run holds the same values, whatever was drawn
before, and a process pays only for the slots it uses. Since a slot is the same wherever
it is drawn, a run's processes hand each other the slots they drew (:func:`fresh_slots`,
:func:`known_slots`, :func:`learn_slots`): a slot costs about half a millisecond to draw
(some, five), and each process would otherwise draw most of the same few thousand. The
default Region's slots are drawn once and shipped with the package (``shipped``): a run
draws only the slots of its own EnvIds' pool and of other profiles.
A strategy nobody registered is a programming error (``LookupError``), never a silent
Hypothesis draw.

Drawing a pool outside the engine takes a private corner of Hypothesis (a
``ConjectureData`` and a build context, as the harness's field sweep does); if that corner
moves, :data:`AVAILABLE` is False and the strategies draw the filler through Hypothesis as
before.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Hashable
from random import Random
from threading import Lock
from typing import Any, TypeVar

from hypothesis import strategies as st

from ..pinning import fixed_generation

try:
    from hypothesis.control import BuildContext
    from hypothesis.errors import StopTest
    from hypothesis.internal.conjecture.data import ConjectureData

    AVAILABLE = True
except ImportError:  # pragma: no cover - another Hypothesis
    AVAILABLE = False

T = TypeVar("T")
POOL_SIZE = 48  # values per pooled strategy
_ATTEMPTS = 10  # seeds tried per pool slot (a filter or an overrun may reject a draw)

_RANGES: dict[int, tuple[int, int]] = {}  # id(strategy) -> (low, high)
_NAMES: dict[int, tuple[Hashable, Hashable, int]] = {}  # id -> pool name, seed name, size
_MAKERS: dict[int, Callable[[Random], Any]] = {}  # id(strategy) -> its maker
_KEEP: list[st.SearchStrategy[Any]] = []  # registered strategies stay alive: ids stay theirs
_SLOTS: dict[tuple[Hashable, int], Any] = {}  # (pool name, slot) -> value
_FRESH: dict[tuple[Hashable, int], Any] = {}  # slots drawn here since fresh_slots() last ran
_lock = Lock()


def _register(strategy: st.SearchStrategy[Any], table: dict[int, Any], entry: Any) -> None:
    """One way to draw each strategy object, whenever it is registered.

    Hypothesis hands out one object for equal calls (``st.integers(0, 3)`` twice is one
    strategy), so two call sites may register one object: a second, different way to draw
    it would make what a filler draws depend on which call site ran first in the process.
    """
    key = id(strategy)
    known = [t[key] for t in (_RANGES, _MAKERS, _NAMES) if key in t]
    if known and (key not in table or table[key] != entry):
        raise ValueError(f"{strategy!r} is registered for the filler already ({known[0]!r})")
    _KEEP.append(strategy)
    table[key] = entry


def ranged(strategy: st.SearchStrategy[int], low: int, high: int) -> st.SearchStrategy[int]:
    """Register ``strategy`` (``st.integers(low, high)``): a filler draws it uniformly."""
    _register(strategy, _RANGES, (low, high))
    return strategy


def made(strategy: st.SearchStrategy[T], maker: Callable[[Random], T]) -> st.SearchStrategy[T]:
    """Register ``strategy``: a filler draws ``maker(random)`` instead (same kind of values).

    One maker per strategy object: register the object once (e.g. from a cached function).
    """
    _register(strategy, _MAKERS, maker)
    return strategy


def pooled(
    strategy: st.SearchStrategy[T], name: Hashable, seed: Hashable = None, size: int = POOL_SIZE
) -> st.SearchStrategy[T]:
    """Register ``strategy`` under ``name``; ``seed`` (default ``name``) seeds its pool of
    ``size`` slots (a larger pool where the filler's value becomes a fault's, e.g. a task
    name a duplicate copies).

    The seed must be the same in every process and every run of one seed: a name that
    holds a value made afresh per run (a run's random EnvId) needs a seed without it, so
    that the pool draws the same choices (the same index of the EnvIds) each run.

    One object, one name: a pool must not depend on which of two call sites drew first,
    so a strategy object shared by two names is refused (wrap it with :func:`own`).
    """
    _register(strategy, _NAMES, (name, name if seed is None else seed, size))
    return strategy


def own(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``strategy`` as an object of its own, to pool it under a name of its own."""
    return st.deferred(lambda: strategy)


class Filler:
    """A stand-in for ``draw`` that answers from a seeded random and per-process pools."""

    __slots__ = ("random",)

    def __init__(self, seed: int) -> None:
        self.random = Random(seed)

    def __call__(self, strategy: st.SearchStrategy[T]) -> T:
        key = id(strategy)
        span = _RANGES.get(key)
        if span is not None:
            return self.random.randint(*span)  # type: ignore[return-value]
        maker = _MAKERS.get(key)
        if maker is not None:
            return maker(self.random)  # type: ignore[no-any-return]
        named = _NAMES.get(key)
        if named is None:
            raise LookupError(f"the filler cannot draw from an unregistered {strategy!r}")
        name, seed, size = named
        value = slot(name, seed, strategy, self.random.randrange(size))
        # a fault may be put inside a list of the filler: never hand out the pooled list
        return list(value) if isinstance(value, list) else value


def slot(name: Hashable, seed: Hashable, strategy: st.SearchStrategy[T], index: int) -> T:
    """Value ``index`` of the pool ``name`` of ``strategy``: shipped, or drawn on first use."""
    key = (name, index)
    value = _SLOTS.get(key, _ABSENT)
    if value is _ABSENT and name == seed:  # a pool its name alone decides: maybe shipped
        value = _shipped().get(key, _ABSENT)
    if value is not _ABSENT:
        return value  # type: ignore[no-any-return]
    with _lock:
        if key not in _SLOTS:
            _SLOTS[key] = _FRESH[key] = _draw_slot(seed, strategy, index)
        return _SLOTS[key]  # type: ignore[no-any-return]


_ABSENT = object()


def _shipped() -> dict[tuple[Hashable, int], Any]:
    """The slots shipped with the package (``shipped``), read once per process."""
    global _SHIPPED
    if _SHIPPED is None:
        from .shipped import read

        _SHIPPED = read()
    return _SHIPPED


_SHIPPED: dict[tuple[Hashable, int], Any] | None = None


def pools() -> list[tuple[Hashable, Hashable, int, st.SearchStrategy[Any]]]:
    """(name, seed, size, strategy) of every pool registered in this process so far."""
    by_id = {id(s): s for s in _KEEP}
    return [(name, seed, size, by_id[key]) for key, (name, seed, size) in _NAMES.items()]


def fresh_slots() -> dict[tuple[Hashable, int], Any]:
    """The slots this process drew since the last call, for the run's other processes."""
    with _lock:
        fresh = dict(_FRESH)
        _FRESH.clear()
    return fresh


def known_slots() -> dict[tuple[Hashable, int], Any]:
    """Every slot this process holds, drawn here or learnt."""
    with _lock:
        return dict(_SLOTS)


def learn_slots(slots: dict[tuple[Hashable, int], Any]) -> None:
    """Take in slots another process of the run drew: the values this one would draw."""
    with _lock:
        for key, value in slots.items():
            _SLOTS.setdefault(key, value)


def _draw_slot(seed: Hashable, strategy: st.SearchStrategy[T], index: int) -> T:
    base = zlib.crc32(repr((seed, index)).encode("utf-8", "surrogatepass"))
    # pinned: what a slot holds must not depend on the modules a process happened to load
    with fixed_generation():
        for attempt in range(_ATTEMPTS):
            data = ConjectureData(random=Random(base * _ATTEMPTS + attempt))
            try:
                with BuildContext(data, wrapped_test=_no_test):
                    return data.draw(strategy)
            except StopTest:
                continue
    raise LookupError(f"no value could be drawn for slot {index} of the pool {seed!r}")


def _no_test() -> None:  # pragma: no cover - a build context's placeholder
    pass

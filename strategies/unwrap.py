"""Drawing from Hypothesis's strategies without asking the same questions at every draw.

Most strategies Hypothesis hands out (``st.integers(0, 5)``, ``st.lists(...)``,
``st.deferred(...)``) are wrappers that build the real strategy on first use and keep it.
Every ``data.draw`` still asks ``unwrap_strategies`` for the real one, and that function's
memo lasts only as long as its outermost call: each draw of a wrapper walks it again
through thread-local bookkeeping. In a harness worker that was a twentieth of the time
(py-spy, a timed run of B1, B6 and S3), on a question whose answer never changes.

Inside :func:`kept_unwrapping`, the answer of an outermost call is kept on the wrapper
itself. What is drawn stays the same: the strategy kept is the one Hypothesis unwrapped,
and the nested calls of a wrapper still being unwrapped (a recursive definition) go to
Hypothesis's own function as before.

A nested draw (one a strategy makes while it draws: each member of a job, each item of
a list) also asked four more questions of the strategy each time: whether it was
validated in this thread, whether it can draw anything, how deep the draw is, and its
label. A job has hundreds of such draws, and they were about a tenth of a worker's time.
Once a strategy has been drawn from without error, the answers are settled: validation
passed, the strategy is not empty (an empty one never draws), and its label is computed
once and kept by Hypothesis. Inside the scope, :func:`_draw_kept` keeps the unwrapped
strategy and its label on the strategy (they stay true after the scope: the next scope
uses them) and, for a nested draw, opens the span and draws as Hypothesis's own
``ConjectureData.draw`` does after those checks. The top-level draw (the one Hypothesis
times and reports) and every first draw of a strategy go to Hypothesis's method
unchanged.

``st.one_of`` (and ``a | b``) chose its branch at each draw through a strategy built
for that draw (``sampled_from`` of the branches, filtered on "not currently empty"), so
that every such draw paid for a new strategy's validation and label. The branches of a
``one_of`` are settled, and "currently empty" is "empty" for every strategy but a
stateful test's bundle, so :func:`_one_of_kept` builds that strategy once per ``one_of``
(with a filter of the same verdicts) and draws from it as Hypothesis does; a ``one_of``
with a bundle among its branches goes to Hypothesis's own method.

This reaches three private corners of Hypothesis (``ConjectureData.draw`` imports
``unwrap_strategies`` from its module at each call, that method itself, and
``OneOfStrategy.do_draw``); if any moves, :data:`KEPT` is False and drawing goes on
unchanged. A release that keeps the names but changes what they do is caught by
drawing: the first scope of a process draws a few values of strategies of every kind
with the patches and without, and draws unpatched unless choices, spans and values are
all the same.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._internal.patch import Patch

try:
    from hypothesis.errors import FlakyStrategyDefinition
    from hypothesis.internal.compat import add_note
    from hypothesis.internal.conjecture import data as _data
    from hypothesis.strategies._internal import lazy as _lazy
    from hypothesis.strategies._internal.deferred import DeferredStrategy
    from hypothesis.strategies._internal.strategies import (
        OneOfStrategy,
        SampledFromStrategy,
        SearchStrategy,
    )

    _WRAPPERS: tuple[type, ...] = (_lazy.LazyStrategy, DeferredStrategy)
    _CURRENTLY_EMPTY: Any = SearchStrategy.is_currently_empty
    KEPT = (
        callable(_lazy.unwrap_strategies)
        and hasattr(_lazy, "threadlocal")
        and callable(_data.ConjectureData.draw)
        and isinstance(_data.MAX_DEPTH, int)
        and hasattr(_data.ConjectureData, "start_span")
        and callable(OneOfStrategy.do_draw)
        and isinstance(getattr(OneOfStrategy, "element_strategies", None), property)
    )
except (ImportError, AttributeError):  # pragma: no cover - another Hypothesis
    _lazy = _data = OneOfStrategy = None
    KEPT = False

_ATTRIBUTE = "_tcbatch_unwrapped"
_SETTLED = "_tcbatch_settled"  # (the unwrapped strategy, its label) once drawn from
_BRANCHES = "_tcbatch_branches"  # a one_of's chooser of a branch, or False: Hypothesis's


def _unwrap_kept(strategy: Any) -> Any:
    if not isinstance(strategy, _WRAPPERS):
        return strategy
    kept = strategy.__dict__.get(_ATTRIBUTE)
    if kept is not None:
        return kept
    if getattr(_lazy.threadlocal, "unwrap_depth", 0) > 0:  # inside Hypothesis's own walk
        return _UNWRAP.original(strategy)
    result = _UNWRAP.original(strategy)
    strategy.__dict__[_ATTRIBUTE] = result
    return result


def _draw_kept(
    data: Any, strategy: Any, label: int | None = None, observe_as: str | None = None
) -> Any:
    """``data.draw(strategy)``, without the checks a settled strategy has passed."""
    if data.depth == 0 or data.depth >= _data.MAX_DEPTH:  # the top level, or too deep
        return _DRAW.original(data, strategy, label, observe_as)
    settled = getattr(strategy, "__dict__", {}).get(_SETTLED)
    if settled is None:
        value = _DRAW.original(data, strategy, label, observe_as)
        unwrapped = _unwrap_kept(strategy)
        if hasattr(strategy, "__dict__"):  # validated, not empty, its label computed
            strategy.__dict__[_SETTLED] = (unwrapped, unwrapped.label)
        return value
    unwrapped, own_label = settled
    data.start_span(label=own_label if label is None else label)
    try:
        return unwrapped.do_draw(data)
    except FlakyStrategyDefinition as err:
        add_note(err, f"while drawing from {strategy!r}")
        raise
    finally:
        data.stop_span()


def _not_empty(strategy: Any) -> bool:
    return not strategy.is_empty


def _one_of_kept(one_of: Any, data: Any) -> Any:
    """``one_of.do_draw(data)``, its chooser of a branch built once."""
    chooser = one_of.__dict__.get(_BRANCHES)
    if chooser is None:
        branches = one_of.element_strategies
        if all(type(b).is_currently_empty is _CURRENTLY_EMPTY for b in branches):
            chooser = SampledFromStrategy(branches).filter(_not_empty)
        else:  # a bundle among them: whether it is empty depends on the test so far
            chooser = False
        one_of.__dict__[_BRANCHES] = chooser
    if chooser is False:
        return _ONE_OF.original(one_of, data)
    return data.draw(data.draw(chooser))


_UNWRAP = Patch(_lazy if KEPT else None, "unwrap_strategies", _unwrap_kept)
_DRAW = Patch(_data.ConjectureData if KEPT else None, "draw", _draw_kept)
_ONE_OF = Patch(OneOfStrategy if KEPT else None, "do_draw", _one_of_kept)
_PATCHES = (_UNWRAP, _DRAW, _ONE_OF)


_checked = threading.Lock()
_agree: list[bool] = []  # set once: whether the patches draw as Hypothesis does


def _drawn(strategy: Any, seed: int) -> tuple[Any, ...]:
    """A value of ``strategy`` drawn with seeded choices ("(rejected)" when the draw was
    rejected), beside the choices made and the spans recorded (label, start, end, depth)."""
    from random import Random

    from hypothesis.control import BuildContext
    from hypothesis.errors import StopTest

    data = _data.ConjectureData(random=Random(seed))
    try:
        with BuildContext(data, wrapped_test=_drawn):
            value = repr(data.draw(strategy))
    except StopTest:
        value = "(rejected)"
    data.freeze()
    spans = tuple((s.label, s.start, s.end, s.depth) for s in data.spans)
    return value, tuple(data.choices), spans


def _patches_agree() -> bool:
    """Whether this Hypothesis draws the same values, choices and spans with the patches
    as without them, on strategies of every kind they touch (asked once, before any
    scope has patched anything: a release that moved them is drawn from unpatched)."""
    with _checked:
        if not _agree:
            _agree.append(KEPT and _compare())
    return _agree[0]


def _compare() -> bool:
    from hypothesis import strategies as st

    tree = st.deferred(lambda: st.integers(0, 3) | st.lists(tree, max_size=2))
    probe = st.tuples(
        tree,
        st.one_of(st.text(max_size=3), st.booleans(), st.none()),
        st.lists(st.sampled_from("abc"), unique=True).map(sorted),
        st.builds(dict, x=st.integers(), y=st.just(1)).filter(bool),
    )
    try:
        plain = [_drawn(probe, seed) for seed in range(6)]
        with _UNWRAP.scope(), _DRAW.scope(), _ONE_OF.scope():
            kept = [_drawn(probe, seed) for seed in range(6)]
    except Exception:
        return False
    return kept == plain


@contextmanager
def kept_unwrapping() -> Iterator[None]:
    """Draw with each wrapper unwrapped once, each settled strategy's checks skipped in
    nested draws, and each ``one_of``'s chooser built once (re-entrant, thread-safe);
    with Hypothesis's own drawing where these do not draw as it does."""
    if not _patches_agree():
        yield
        return
    with _UNWRAP.scope(), _DRAW.scope(), _ONE_OF.scope():
        yield

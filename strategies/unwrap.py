"""Drawing from Hypothesis's lazy strategies without unwrapping them again at every draw.

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

This reaches one private corner of Hypothesis (``ConjectureData.draw`` imports
``unwrap_strategies`` from its module at each call); if that corner moves, :data:`KEPT` is
False and drawing goes on unchanged.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from ._internal.patch import Patch

try:
    from hypothesis.strategies._internal import lazy as _lazy
    from hypothesis.strategies._internal.deferred import DeferredStrategy

    _WRAPPERS: tuple[type, ...] = (_lazy.LazyStrategy, DeferredStrategy)
    _ORIGINAL: Any = _lazy.unwrap_strategies
    KEPT = callable(_ORIGINAL) and hasattr(_lazy, "threadlocal")
except (ImportError, AttributeError):  # pragma: no cover - another Hypothesis
    _lazy = None
    KEPT = False

_ATTRIBUTE = "_tcbatch_unwrapped"


def _unwrap_kept(strategy: Any) -> Any:
    if not isinstance(strategy, _WRAPPERS):
        return strategy
    kept = strategy.__dict__.get(_ATTRIBUTE)
    if kept is not None:
        return kept
    if getattr(_lazy.threadlocal, "unwrap_depth", 0) > 0:  # inside Hypothesis's own walk
        return _ORIGINAL(strategy)
    result = _ORIGINAL(strategy)
    strategy.__dict__[_ATTRIBUTE] = result
    return result


_PATCH = Patch(_lazy if KEPT else None, "unwrap_strategies", _unwrap_kept)


def kept_unwrapping() -> AbstractContextManager[None]:
    """Draw with each wrapper unwrapped once (re-entrant, thread-safe)."""
    return _PATCH.scope()

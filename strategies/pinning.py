"""The same seed draws the same cases, whichever modules happen to be loaded.

Hypothesis mixes into its draws, now and then, constants it collects from the source of
the "local" (not installed) modules loaded in the process. What a seed draws then depends
on how the package is installed (an editable checkout is local, a wheel is not) and on
which modules a run loaded (a run against the emulator loads the emulator's; a replay
does not); and any edit anywhere in the code changes it. A harness run must draw the same
cases from the same seed for a recording to be replayable, so while it draws, that pool
is empty: only the strategies and the seed decide.

This reaches into one private corner of Hypothesis; if that corner moves, drawing goes on
unchanged and :data:`PINNED` says the pool could not be emptied.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from ._internal.patch import Patch

try:
    from hypothesis.internal.conjecture import providers as _providers

    _EMPTY: Any = _providers.Constants()
    PINNED = callable(getattr(_providers, "_get_local_constants", None)) and hasattr(
        _providers, "CONSTANTS_CACHE"
    )
except (ImportError, AttributeError, TypeError):  # pragma: no cover - another Hypothesis
    _providers = None
    PINNED = False


def _no_local_constants() -> Any:
    return _EMPTY


_PATCH = Patch(
    _providers if PINNED else None,
    "_get_local_constants",
    _no_local_constants,
    reset=lambda: _providers.CONSTANTS_CACHE.cache.clear(),
)


def fixed_generation() -> AbstractContextManager[None]:
    """Draw without constants taken from the loaded modules (re-entrant, thread-safe)."""
    return _PATCH.scope()

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

A drive also draws without Hypothesis's span mutator (:func:`without_span_mutation`).
After each new example, the generate phase runs up to five more that copy one part of the
example over another part with the same label, to reach "the same value in two places".
A single-fault case is one fault placed on purpose (the duplicate rules place their
duplicates themselves), and the driver sends each distinct fault once: measured over the
default run, 93% of the mutated examples repeated a fault already judged (2,642 of
2,853), against 43% of the fresh ones, and they were two thirds of the 7,608 examples
the run drew. Without them the run draws about half as many (3,600) and judges more
distinct faults per rule. Shrinking and the example database never used it; the state
machine's runs, outside a drive, keep it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    from hypothesis.internal.conjecture import engine as _engine
    from hypothesis.internal.conjecture import providers as _providers

    _EMPTY: Any = _providers.Constants()
    PINNED = callable(getattr(_providers, "_get_local_constants", None)) and hasattr(
        _providers, "CONSTANTS_CACHE"
    )
    MUTATOR_OFF = callable(getattr(_engine.ConjectureRunner, "generate_mutations_from", None))
except (ImportError, AttributeError, TypeError):  # pragma: no cover - another Hypothesis
    _providers = _engine = None
    PINNED = MUTATOR_OFF = False

_lock = threading.Lock()
_depth = 0
_original: Any = None


def _no_local_constants() -> Any:
    return _EMPTY


@contextmanager
def fixed_generation() -> Iterator[None]:
    """Draw without constants taken from the loaded modules (re-entrant, thread-safe)."""
    global _depth, _original
    if not PINNED:
        yield
        return
    with _lock:
        if _depth == 0:
            _original = _providers._get_local_constants
            _providers._get_local_constants = _no_local_constants
            _providers.CONSTANTS_CACHE.cache.clear()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _providers._get_local_constants = _original
                _providers.CONSTANTS_CACHE.cache.clear()


_here = threading.local()  # .off: how deep this thread is inside without_span_mutation
_installed = False


def _install_switch() -> None:
    """Wrap the mutator once so that it steps aside in a thread that asked it to."""
    global _installed
    with _lock:
        if _installed:
            return
        original = _engine.ConjectureRunner.generate_mutations_from

        def generate_mutations_from(runner: Any, data: Any) -> None:
            if getattr(_here, "off", 0):
                return None
            return original(runner, data)

        _engine.ConjectureRunner.generate_mutations_from = generate_mutations_from
        _installed = True


@contextmanager
def without_span_mutation() -> Iterator[None]:
    """Generate in this thread without the span mutator (re-entrant; other threads keep it)."""
    if not MUTATOR_OFF:
        yield
        return
    _install_switch()
    _here.off = getattr(_here, "off", 0) + 1
    try:
        yield
    finally:
        _here.off -= 1

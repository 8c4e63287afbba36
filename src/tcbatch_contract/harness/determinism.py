"""How the harness draws: from the seed and the strategies only, and without repeats.

A run draws with Hypothesis's pool of constants from the loaded modules emptied
(:func:`fixed_generation`, from ``strategies.pinning``: see there why), so that the same
seed draws the same cases whichever modules are loaded and however the package is
installed.

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

from ..strategies.pinning import PINNED, fixed_generation
from ..strategies.unwrap import kept_unwrapping

__all__ = [
    "MUTATOR_OFF",
    "PINNED",
    "fixed_generation",
    "kept_unwrapping",
    "without_span_mutation",
]

try:
    from hypothesis.internal.conjecture import engine as _engine

    MUTATOR_OFF = callable(getattr(_engine.ConjectureRunner, "generate_mutations_from", None))
except (ImportError, AttributeError):  # pragma: no cover - another Hypothesis
    _engine = None
    MUTATOR_OFF = False

_lock = threading.Lock()  # installs the switch once
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

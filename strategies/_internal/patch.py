"""A module attribute of Hypothesis's replaced while a drawing scope lasts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Patch:
    """``module.name`` is ``replacement`` while any thread is inside :meth:`scope`
    (re-entrant, thread-safe), and its own value again once the last one has left;
    ``reset`` runs at each switch (a cache of what the attribute computed). A ``module``
    of None (another Hypothesis, without that corner) makes the scope change nothing."""

    def __init__(
        self,
        module: Any,
        name: str,
        replacement: Any,
        reset: Callable[[], None] = lambda: None,
    ) -> None:
        self.module = module
        self.name = name
        self.replacement = replacement
        self.reset = reset
        self._lock = threading.Lock()
        self._depth = 0
        self._original: Any = None

    @property
    def original(self) -> Any:
        """The attribute's own value: what it was when the first scope was entered."""
        return self._original

    @contextmanager
    def scope(self) -> Iterator[None]:
        if self.module is None:
            yield
            return
        with self._lock:
            if self._depth == 0:
                self._original = getattr(self.module, self.name)
                setattr(self.module, self.name, self.replacement)
                self.reset()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    setattr(self.module, self.name, self._original)
                    self.reset()

"""The per-(SecretId, Action) sliding one-second rate limit (rule P9).

A request is admitted when fewer than ``limit`` admitted requests of the same key fall in
the second before it; only admitted requests are remembered, so requests refused by the
limit do not prolong it. State is in memory: a restart forgets it, as a real gateway would
after a second anyway.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable

WINDOW_SECONDS = 1.0


class RateLimit:
    """A thread-safe sliding-window counter per key; ``limit=None`` admits everything."""

    def __init__(self, limit: int | None, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[Hashable, deque[float]] = {}

    def admit(self, key: Hashable) -> bool:
        if self.limit is None:
            return True
        now = self._clock()
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - WINDOW_SECONDS:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()

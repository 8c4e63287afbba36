"""Client-side pacing: at most N requests per (SecretId, Action) in any sliding second.

The target's limit (protocol rule P9) applies per (SecretId, Action) over a sliding
one-second window and is measured at the target, after the request has travelled; the
limiter therefore measures a slightly longer window than one second, so that network
jitter cannot pack N+1 of our requests into one of the target's seconds.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

DEFAULT_MARGIN = 0.1


class Pacer:
    """Paces our own requests: waits so that at most N per key leave in any sliding window.

    The clock and the sleep are injected. The target's limit, which admits or refuses, is
    ``emulator.ratelimit.RateLimit``.
    """

    def __init__(
        self,
        limit: int,
        *,
        window: float = 1.0,
        margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError(f"rate limit must be at least 1 request per window, got {limit}")
        self.limit = limit
        self.span = window + margin
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Pacer({self.limit} per {self.span:.2f} s)"

    def delay(self, key: Hashable) -> float:
        """Seconds to wait before one more request under ``key`` may go (0 when it may now)."""
        with self._lock:
            return self._delay(key, self._clock())

    def clear_in(self, key: Hashable) -> float:
        """Seconds until no request under ``key`` is left in the window."""
        with self._lock:
            now = self._clock()
            sent = self._prune(key, now)
            return max(0.0, sent[-1] + self.span - now) if sent else 0.0

    def acquire(self, key: Hashable) -> float:
        """Wait until a request under ``key`` may go, count it, and return the time waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                wait = self._delay(key, now)
                if wait <= 0:
                    self._sent.setdefault(key, deque()).append(now)
                    return waited
            self._sleep(wait)
            waited += wait

    def record(self, key: Hashable) -> None:
        """Count a request that went out without :meth:`acquire`."""
        with self._lock:
            self._sent.setdefault(key, deque()).append(self._clock())

    def wait_clear(self, key: Hashable) -> None:
        """Wait until the window under ``key`` is empty."""
        while (wait := self.clear_in(key)) > 0:
            self._sleep(wait)

    def _delay(self, key: Hashable, now: float) -> float:
        sent = self._prune(key, now)
        if len(sent) < self.limit:
            return 0.0
        return sent[len(sent) - self.limit] + self.span - now

    def _prune(self, key: Hashable, now: float) -> deque[float]:
        sent = self._sent.get(key)
        if sent is None:
            return deque()
        while sent and sent[0] <= now - self.span:
            sent.popleft()
        return sent

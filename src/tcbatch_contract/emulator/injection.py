"""Injection: answer some requests with a back-end failure on purpose.

Off unless the configuration lists rules. A rule applies to requests that passed the
protocol rules (P1-P9), before their parameters are read; the request is then not
executed. ``every=N`` fires on the Nth, 2Nth, ... matching request; ``probability=P`` draws
from a random generator seeded by the rule, so a run can be repeated exactly.
"""

from __future__ import annotations

import random
import threading

from .config import InjectionRule
from .errors import ApiError

_MESSAGES = {
    "InternalError.CallCvm": "Calling CVM failed (a fault injected by the emulator).",
    "InternalError.CallTagAPI": "Calling the tag API failed (a fault injected by the emulator).",
    "RequestLimitExceeded": "The request frequency is over the limit "
    "(a fault injected by the emulator); wait and send again.",
}


class Injector:
    def __init__(self, rules: tuple[InjectionRule, ...]) -> None:
        self.rules = rules
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._counts = [0] * len(self.rules)
            self._randoms = [random.Random(rule.seed) for rule in self.rules]

    def check(self, action: str) -> None:
        """Raise the injected error when a rule fires for this request of ``action``."""
        if not self.rules:
            return
        with self._lock:
            for index, rule in enumerate(self.rules):
                if rule.action is not None and rule.action != action:
                    continue
                self._counts[index] += 1
                if rule.every is not None:
                    fires = self._counts[index] % rule.every == 0
                else:
                    fires = self._randoms[index].random() < (rule.probability or 0.0)
                if fires:
                    raise ApiError(rule.code, _MESSAGES[rule.code])

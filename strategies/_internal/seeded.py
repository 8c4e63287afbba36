"""Reproducible generation: the same seed gives the same cases, in the same order.

``hypothesis.find`` and ``.example()`` draw from fresh randomness every call. Running the
strategy through ``@given`` with an explicit ``@seed``, no example database, and only the
generate phase makes Hypothesis's engine deterministic for a given seed and Hypothesis
version, which is what a command that writes test vectors to a file needs.
"""

from __future__ import annotations

from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from ..unwrap import kept_unwrapping

T = TypeVar("T")
MAX_ROUNDS = 20


def generate(strategy: st.SearchStrategy[T], count: int, seed_value: int = 0) -> list[T]:
    """``count`` values of ``strategy``, always the same ones for the same ``seed_value``."""
    found: list[T] = []
    for round_no in range(MAX_ROUNDS):
        wanted = count - len(found)
        if wanted <= 0:
            break
        found.extend(_one_round(strategy, wanted, seed_value * MAX_ROUNDS + round_no))
    return found[:count]


def _one_round(strategy: st.SearchStrategy[T], count: int, seed_value: int) -> list[T]:
    found: list[T] = []

    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    @seed(seed_value)
    @given(strategy)
    def collect(value: T) -> None:
        found.append(value)

    with kept_unwrapping():  # the same values, each lazy strategy unwrapped once
        collect()
    return found

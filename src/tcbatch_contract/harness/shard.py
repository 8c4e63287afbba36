"""Sharding: one run's work split over N runners so that together they do exactly it.

Fifty CI runners checking one target must between them send what one run sends and give
one verdict back (``tcbatch-contract merge``). The split is a pure function of the checks
and the shard count, the same on every runner:

* the small checks (one rule each, most of them) go whole to one shard each, dealt out in
  plan order to the shard with the least ``weight`` (about how long a check takes) so far;
* the big generated checks (``split_by_cases``: VALID, FUZZ) are split by case ranges:
  every shard draws the same sequence from the rule's seed and judges only its slice of
  it (the cases before the slice are drawn, not sent); the first slice also judges the
  check's fixed cases, the last one its closing cases.

So the shards' results, merged, have the verdicts and the case count of the unsharded run
with the same seed. A rule the run reports without running it (skipped for lack of
profile, or covered by no check) is reported by the shard that owns its check, else by
shard 1.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class ShardError(ValueError):
    """A ``--shard`` value that is not K/N with 1 <= K <= N."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class CasePart:
    """The slice of a big check's case sequence that one shard judges."""

    cases: range
    first: bool  # judges the check's fixed cases too
    last: bool  # judges its closing cases too


def parse_shard(text: str | None) -> Shard | None:
    """``"2/3"`` as ``Shard(2, 3)``; None stays None; anything else raises ShardError."""
    if text is None:
        return None
    match = _SHARD.fullmatch(text)
    if match is None:
        raise ShardError(f"{text!r}: give K/N, e.g. 2/3 for the second of three shards")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise ShardError(f"{text!r}: K/N needs 1 <= K <= N, e.g. 1/3, 2/3, 3/3")
    return Shard(index, count)


def is_split(check: Any) -> bool:
    """Whether ``check`` is split by case ranges (a big generated check, ``split_by_cases``)
    rather than dealt whole."""
    return callable(getattr(check, "strategy", None)) and getattr(check, "split_by_cases", False)


def owners(checks: list[Any], count: int) -> dict[int, int]:
    """``id(check) -> shard index`` for the checks dealt whole (split ones are left out)."""
    load = [0.0] * count
    out: dict[int, int] = {}
    for check in checks:
        if is_split(check):
            continue
        lightest = min(range(count), key=lambda i: (load[i], i))
        load[lightest] += getattr(check, "weight", 1)
        out[id(check)] = lightest + 1
    return out


def case_range(check: Any, settings: Any) -> CasePart | None:
    """The part of ``check``'s cases this run judges; None: all of them (not sharded)."""
    shard: Shard | None = getattr(settings, "shard", None)
    if shard is None or shard.count == 1 or not is_split(check):
        return None
    total = settings.max_examples * getattr(check, "examples_scale", 1)
    start = total * (shard.index - 1) // shard.count
    # The last part runs on to the end: a case a replayed failure added is judged too.
    stop = sys.maxsize if shard.index == shard.count else total * shard.index // shard.count
    return CasePart(range(start, stop), shard.index == 1, shard.index == shard.count)

"""The filler's pool slots for the default Region, drawn once and shipped in ``pools.json.gz``.

A slot of a pool (``filler.pooled``) is drawn through Hypothesis on first use, from a
random seeded by the pool's name and the slot's index, so it holds the same value in every
process and every run: it is a function of the strategies alone. Drawing one takes about a
quarter of a millisecond, and a default run uses nearly all of the ~3,000 slots of the
default Region's pools, in each worker process that had not yet learnt them from another.
So they are drawn here once, and a process reads them from the file in milliseconds.

Kept: every slot of every pool that the strategies register for the default Region with
one known EnvId (the embedded emulator's) or none (a URL's, unless ``--known-env-id`` is
given), and whose name is its seed (the values depend on nothing else). Not kept: the
EnvId pool, whose values are the target's own EnvIds, made afresh each run, and the pools
of other Regions or of a profile with more EnvIds; those are drawn on first use as before. The values stand
as drawn with the Hypothesis the tests pin: with another release, a kept slot keeps its
value and only the others are drawn by that release.

``python -m tcbatch_contract.strategies._internal.shipped`` writes the file again after a
change to a pooled strategy; a test draws every kept slot afresh and compares, so the file
cannot fall behind the strategies unnoticed.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Hashable
from pathlib import Path
from typing import Any

FILE = Path(__file__).with_name("pools.json.gz")
FORMAT = 1
CASES_PER_STRATEGY = 10  # drawn to register the pools a run uses (most register at once)


def read(path: Path = FILE) -> dict[tuple[Hashable, int], Any]:
    """The kept slots, ``(pool name, index) -> value``; none when the file is missing or
    of another format (every slot is then drawn on first use)."""
    try:
        with gzip.open(path, "rt", encoding="ascii") as stream:
            document = json.load(stream)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            return {}
        return {(_hashable(name), index): value for name, index, value in document["slots"]}
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError):
        return {}  # truncated, corrupt or of another shape: nothing shipped


def _hashable(value: Any) -> Hashable:
    """A pool name read back from JSON: its tuples were written as lists."""
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    return value  # type: ignore[no-any-return]


def drawn_afresh() -> dict[tuple[Hashable, int], Any]:
    """Every slot of the pools to keep, drawn now in this process."""
    from . import filler

    # Registered by drawing, with no shipped slot looked up: which pools a case uses may
    # depend on a pooled value (a PACKAGE DeliveryForm draws a PackagePath), and the file
    # being written again must not decide it.
    shipped, filler._SHIPPED = filler._SHIPPED, {}
    try:
        _register_default_pools()
    finally:
        filler._SHIPPED = shipped
    out: dict[tuple[Hashable, int], Any] = {}
    for name, seed, size, strategy in filler.pools():
        if name != seed:  # its values are the run's own
            continue
        for index in range(size):
            out[(name, index)] = filler._draw_slot(seed, strategy, index)
    return out


def _register_default_pools() -> None:
    """Draw cases of every strategy family for the default profile: the pools they use
    are registered as they are first drawn from."""
    from tcbatch_contract.profile import TargetProfile

    from .faults import rule_fields, single_fault, single_fault_rules
    from .multi import multi_fault
    from .seeded import generate
    from .valid import valid_cases

    # The embedded emulator's profile (one EnvId), and a URL's when no --known-env-id is
    # given (none): a pool's seed counts the EnvIds.
    for profile in (TargetProfile(known_env_ids=("env-00000000",)), TargetProfile()):
        families = [valid_cases(profile), multi_fault(profile)]
        families += [single_fault(rule, profile) for rule in single_fault_rules()]
        for strategy in families:
            generate(strategy, CASES_PER_STRATEGY)
        for rule in single_fault_rules():  # a field's own pools (a forced list is never empty)
            for field in rule_fields(rule):
                generate(single_fault(rule, profile, field=field), 1)


def write(path: Path = FILE) -> int:
    """Draw the slots afresh and write them to ``path``; how many were written."""
    slots = drawn_afresh()
    rows = sorted(
        ([name, index, value] for (name, index), value in slots.items()),
        key=lambda row: json.dumps(row[:2]),
    )
    text = json.dumps({"format": FORMAT, "slots": rows}, ensure_ascii=True, sort_keys=True)
    with gzip.GzipFile(path, "wb", mtime=0) as stream:  # the same bytes for the same slots
        stream.write(text.encode("ascii"))
    return len(rows)


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    print(f"{write()} slots written to {FILE}")

"""Seeded bugs: the emulator with one realistic implementation mistake switched on.

A harness is only as good as the bugs it finds. Each mutant here is one small, named
change an implementer of the contract could plausibly make (a limit off by one, a scheme
compared case-blind, a RequestId reused, the idempotency token forgotten after a delete),
applied to one :class:`~tcbatch_contract.emulator.EmulatorApp` through the tables the app
looks up on every request (``app.steps``, ``app.checks``, ``app.handlers``) or the
instance's own attributes (``head``, ``respond``, ``limiter``, ``store``). Nothing global
changes: two apps in one process can carry different mutants.

Every mutant changes the answer to at least one valid or single-fault request; the tests
show one such request for each, so none of them is an equivalent mutant. A mutant that
could hang (the exponential cycle check) is bounded: it answers late, but it answers.

``tcbatch-contract emulator --mutant NAME`` serves one; ``--list-mutants`` lists them;
``tcbatch-contract mutation-score`` runs the harness against each and reports which were
caught.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..app import EmulatorApp

#: The families, in the order listings show them.
FAMILIES: tuple[str, ...] = (
    "cycle",
    "limit",
    "path",
    "value",
    "code-swap",
    "missing-check",
    "protocol",
    "response",
    "state",
    "robustness",
)


@dataclass(frozen=True)
class Mutant:
    """One seeded bug: its name, its family, what it gets wrong, and how to switch it on."""

    name: str
    family: str
    description: str
    apply: Callable[[EmulatorApp], None]

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"mutant {self.name}: unknown family {self.family!r}")


MUTANTS: dict[str, Mutant] = {}


def mutant(name: str, family: str, description: str):
    """Register ``apply(app)`` as the mutant ``name``."""

    def register(apply: Callable[[EmulatorApp], None]) -> Callable[[EmulatorApp], None]:
        if name in MUTANTS:
            raise ValueError(f"mutant {name} registered twice")
        MUTANTS[name] = Mutant(name, family, description, apply)
        return apply

    return register


def names() -> list[str]:
    """Every mutant's name, by family, then in registration order."""
    return [m.name for m in all_mutants()]


def all_mutants() -> list[Mutant]:
    return sorted(MUTANTS.values(), key=lambda m: FAMILIES.index(m.family))


def get(name: str) -> Mutant:
    """The mutant called ``name``; ``KeyError`` with the valid names when there is none."""
    try:
        return MUTANTS[name]
    except KeyError:
        raise KeyError(f"no mutant {name!r}; use one of: {', '.join(names())}") from None


def apply(app: EmulatorApp, name: str) -> EmulatorApp:
    """Switch mutant ``name`` on in ``app`` (in place) and return the app."""
    get(name).apply(app)
    return app


def listing() -> str:
    """One line per mutant: name, family, description."""
    width = max(len(n) for n in MUTANTS)
    return "\n".join(f"{m.name:<{width}}  {m.family:<13}  {m.description}" for m in all_mutants())


# The modules below register their mutants when imported.
from . import _between, _graph, _protocol, _robustness, _rules, _state  # noqa: E402, F401

__all__ = ["FAMILIES", "MUTANTS", "Mutant", "all_mutants", "apply", "get", "listing", "names"]

"""The table of single-fault strategies: one entry per body-level rule.

A fault builder is a function ``(draw, profile, only) -> Injected`` registered with
``@fault(rule, code, fields)``; ``fields`` are the member templates the rule is about, so
that the tests can check that generation reaches every one of them, and ``only`` (one of
``fields`` or None) narrows a builder to one of them. Builders start from ``at(...)``, a
valid request that holds the field to break and one drawn location of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import strategies as st

from tcbatch_contract.profile import TargetProfile

from .case import Case
from .choice import choice
from .locate import Location, Template, dotted, force_for, get_at, locations
from .valid import filled_request

T = TypeVar("T")
PLACEHOLDER_ENV_ID = "env-00000000"


@dataclass(frozen=True)
class Injected:
    """A request with one fault in it, where the fault is, and which variant it is."""

    params: dict[str, Any]
    where: Location
    note: str


Builder = Callable[[st.DrawFn, TargetProfile, "str | None"], Injected]


@dataclass(frozen=True)
class FaultSpec:
    rule: str
    code: str
    fields: tuple[str, ...]
    build: Builder
    faults: int | None = None  # how many distinct faults ``build`` makes, when they are few


REGISTRY: dict[str, FaultSpec] = {}


def fault(
    rule: str, code: str, fields: tuple[str, ...] = (), *, faults: int | None = None
) -> Callable[[Builder], Builder]:
    """Register a single-fault builder for ``rule``.

    ``faults``: for a builder that can make only a few distinct faults (a member, and the
    value put there: S2 has one, an empty ``Tasks``), how many; a run that has judged that
    many has judged them all and stops drawing. None: more than a run could exhaust.
    """

    def register(build: Builder) -> Builder:
        if rule in REGISTRY:
            raise ValueError(f"rule {rule} registered twice")
        REGISTRY[rule] = FaultSpec(rule, code, fields, build, faults)
        return build

    return register


def pick(
    draw: st.DrawFn, options: Sequence[T], only: str | None, field_of: Callable[[T], str]
) -> T:
    """One of ``options``; only those whose field is ``only`` when that is given."""
    if only is not None:
        options = [o for o in options if field_of(o) == only]
    return choice(draw, options)


def at(
    draw: st.DrawFn, profile: TargetProfile, template: Template, *, min_tasks: int = 1
) -> tuple[dict[str, Any], Location]:
    """A valid request holding ``template`` and one drawn location of it.

    One task has a full drawn body: the one holding ``template``, or the first. The fault
    is the point of the request; the dense valid jobs of ``valid_cases`` are what put every
    member through a target.

    An ``EnvId`` cannot be valid on a target with no known compute environment; there the
    task gets a placeholder EnvId (instead of its ComputeEnv) for the caller to overwrite.
    """
    if template[-1:] == ("EnvId",) and not profile.known_env_ids:
        params, loc = at(draw, profile, template[:-1], min_tasks=min_tasks)
        task = get_at(params, loc)
        task.pop("ComputeEnv", None)
        task["EnvId"] = PLACEHOLDER_ENV_ID
        return params, (*loc, "EnvId")
    params = filled_request(draw, profile, force_for(template), min_tasks=min_tasks)
    found = locations(params, template)
    if not found:  # pragma: no cover - the force tree guarantees one
        raise AssertionError(f"no {'.'.join(template)} in a request forced to hold it")
    return params, choice(draw, found)


def as_case(
    spec: FaultSpec, profile: TargetProfile, only: str | None = None
) -> st.SearchStrategy[Case]:
    if only is not None and only not in spec.fields:
        raise ValueError(
            f"rule {spec.rule} has no field {only!r}; use one of {', '.join(spec.fields)}"
        )

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        injected = spec.build(draw, profile, only)
        where = injected.where if isinstance(injected.where, str) else dotted(injected.where)
        return Case(
            spec.rule, spec.code, where, injected.params, profile.region, note=injected.note
        )

    return build()

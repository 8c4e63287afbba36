"""Requests that break two or three rules at once, with every code a target may answer.

Each fault is made by its own single-fault builder on a request of its own and then
transplanted into one shared valid request: a fault inside a task replaces a whole task
(each fault a different one), a fault elsewhere replaces one top-level member (``Placement``,
``ClientToken``, an unknown member) or one member of ``Job`` (``JobName``, ``Tags`` ...).
Faults in different places of a request do not interact, so the codes a conformant target
may answer are exactly the union of the faults' codes. Faults that need the whole task graph
(B5, B6, a duplicate TaskName, S2, anything in ``Dependences``) cannot be moved and are not
combined. Besides combinations, a few single changes break two rules by themselves (§7):
a negative ``DelayOnRetry`` (S5 and B17) and a range-limited integer of 2**64 or more (S4
and B16/B17).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from hypothesis import strategies as st

from tcbatch_contract import codes
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.typetable import UINT64_MAX

from .case import MultiFaultCase
from .choice import choice
from .dag import drop_edges_touching
from .faults import single_fault_rules
from .locate import Location, dotted, set_at
from .registry import REGISTRY, Injected, at

UNMOVABLE = frozenset({"S2", "B5", "B6"})
MAX_TRIES = 8


def _scope(rule: str, injected: Injected) -> tuple[str | int, ...] | None:
    """Where a fault lives, as the part of the request it can be moved with."""
    where = injected.where
    if rule in UNMOVABLE or (rule == "B4" and injected.note == "duplicate"):
        return None
    if where[:2] == ("Job", "Tasks") and len(where) >= 3:
        return where[:3]
    if where[:1] == ("Job",):
        return where[:2] if len(where) >= 2 and where[1] not in ("Tasks", "Dependences") else None
    return where[:1]


def _transplant(
    params: dict[str, Any], injected: Injected, scope: tuple, task_slot: int | None
) -> Location:
    """Move the fault at ``scope`` of ``injected`` into ``params``; where it now sits."""
    source = injected.params
    if task_slot is None:
        holder, source_holder = params, source
        for part in scope[:-1]:
            holder, source_holder = holder[part], source_holder.get(part, {})
        key = scope[-1]
        if key in source_holder:
            holder[key] = copy.deepcopy(source_holder[key])
        else:
            holder.pop(key, None)
        return injected.where
    tasks = params["Job"]["Tasks"]
    old = tasks[task_slot]
    faulty = copy.deepcopy(source["Job"]["Tasks"][scope[2]])
    name_is_fault = len(injected.where) == 3 or injected.where[3] == "TaskName"
    if isinstance(old, dict) and "TaskName" in old:
        if name_is_fault or not isinstance(faulty, dict):
            drop_edges_touching(params, old["TaskName"])
        else:
            faulty["TaskName"] = old["TaskName"]
    elif isinstance(faulty, dict) and not name_is_fault:
        faulty.pop("TaskName", None)
    tasks[task_slot] = faulty
    return ("Job", "Tasks", task_slot, *injected.where[3:])


_COUNT = st.integers(2, 3)


@cache
def _rule_lists(count: int) -> st.SearchStrategy[list[str]]:
    movable = [r for r in single_fault_rules() if r not in UNMOVABLE]
    return st.lists(st.sampled_from(movable), min_size=count, max_size=count, unique=True)


@st.composite
def _combined(draw: st.DrawFn, profile: TargetProfile) -> MultiFaultCase:
    count = draw(_COUNT)
    rules = draw(_rule_lists(count))
    params, _ = at(draw, profile, ("Job", "Tasks"), min_tasks=count)
    free_tasks = list(range(len(params["Job"]["Tasks"])))
    used: set[tuple] = set()
    found: list[tuple[str, str, Location, str]] = []
    for rule in rules:
        spec = REGISTRY[rule]
        for _ in range(MAX_TRIES):
            injected = spec.build(draw, profile, None)
            scope = _scope(rule, injected)
            if scope is not None and (scope[:2] == ("Job", "Tasks") or scope not in used):
                break
        else:
            continue
        slot = None
        if scope[:2] == ("Job", "Tasks"):
            slot = choice(draw, free_tasks)
            free_tasks.remove(slot)
        used.add(scope)
        where = _transplant(params, injected, scope, slot)
        found.append((rule, spec.code, where, injected.note))
    if len(found) < 2:
        return draw(_one_change(profile))
    return MultiFaultCase(
        rules=tuple(f[0] for f in found),
        codes=tuple(f[1] for f in found),
        fields=tuple(dotted(f[2]) for f in found),
        params=params,
        region=profile.region,
        note="; ".join(f"{f[0]}: {f[3]}" for f in found),
    )


_ONE_CHANGE = (
    (("Job", "Tasks", "*", "Application", "Docker", "DelayOnRetry"), "negative", ("S5", "B17")),
    (("Job", "Priority"), "huge", ("S4", "B17")),
    (("Job", "Tasks", "*", "MaxConcurrentNum"), "huge", ("S4", "B17")),
    (("Job", "Tasks", "*", "MaxRetryCount"), "huge", ("S4", "B16")),
    (("Job", "Tasks", "*", "ResourceMaxRetryCount"), "huge", ("S4", "B16")),
    (("Job", "Tasks", "*", "Application", "Docker", "MaxRetryCount"), "huge", ("S4", "B16")),
)
_ONE_CHANGES = st.sampled_from(_ONE_CHANGE)
_NEGATIVE = st.integers(max_value=-1)
_HUGE = st.integers(UINT64_MAX + 1, 2**70)
_CODES = {
    "S4": codes.INVALID_PARAMETER,
    "S5": codes.NEGATIVE,
    "B16": codes.MAX_RETRY_COUNT,
    "B17": codes.INVALID_PARAMETER_VALUE,
}


@st.composite
def _one_change(draw: st.DrawFn, profile: TargetProfile) -> MultiFaultCase:
    template, kind, rules = draw(_ONE_CHANGES)
    params, loc = at(draw, profile, template)
    value = draw(_NEGATIVE if kind == "negative" else _HUGE)
    set_at(params, loc, value)
    return MultiFaultCase(
        rules=rules,
        codes=tuple(_CODES[r] for r in rules),
        fields=(dotted(loc), dotted(loc)),
        params=params,
        region=profile.region,
        note=f"one change breaks {' and '.join(rules)}: {value}",
    )


def multi_fault(profile: TargetProfile | None = None) -> st.SearchStrategy[MultiFaultCase]:
    """Requests breaking two or three rules; ``expected`` lists every code that conforms."""
    profile = profile or TargetProfile()
    return st.one_of(_combined(profile), _one_change(profile))

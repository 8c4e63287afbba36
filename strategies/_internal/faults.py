"""Public entry points over the fault table: one strategy per rule, or any rule."""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from tcbatch_contract.profile import TargetProfile

from . import faults_env, faults_graph, faults_schema, faults_values  # noqa: F401 (registers)
from .case import Case
from .registry import REGISTRY, as_case


def _order(rule: str) -> tuple[int, int]:
    return ("SB".index(rule[0]), int(rule[1:]))


def single_fault_rules() -> tuple[str, ...]:
    """The rule ids that have a body-level single-fault strategy, in catalogue order."""
    return tuple(sorted(REGISTRY, key=_order))


def single_fault(
    rule: str, profile: TargetProfile | None = None, *, field: str | None = None
) -> st.SearchStrategy[Case]:
    """Valid requests with exactly one fault, breaking ``rule`` and nothing else.

    ``field`` (a template of ``rule_fields(rule)``, e.g. ``Job.Tasks.*.TaskName``) puts
    the fault in that member only.
    """
    if rule not in REGISTRY:
        raise ValueError(
            f"no single-fault strategy for rule {rule!r}; "
            f"use one of {', '.join(single_fault_rules())}"
        )
    return _single_fault(rule, profile or TargetProfile(), field)


@cache
def _single_fault(rule: str, profile: TargetProfile, field: str | None) -> st.SearchStrategy[Case]:
    """Built once per rule, profile and field: Hypothesis validates a strategy on its first
    draw, and a sweep over a rule's fields asks for each of them again and again."""
    return as_case(REGISTRY[rule], profile, field)


def any_single_fault(profile: TargetProfile | None = None) -> st.SearchStrategy[Case]:
    """A single-fault case of any body-level rule."""
    profile = profile or TargetProfile()
    return st.one_of([single_fault(rule, profile) for rule in single_fault_rules()])


def fault_count(rule: str) -> int | None:
    """How many distinct faults ``rule``'s strategy makes (a member, list indices aside, and
    the value put there), for a rule with only a few; None for one with more."""
    return REGISTRY[rule].faults


def rule_fields(rule: str) -> tuple[str, ...]:
    """The member templates (``Job.Tasks.*.TaskName``) that ``rule``'s strategy reaches."""
    return REGISTRY[rule].fields

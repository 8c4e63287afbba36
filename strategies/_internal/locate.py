"""Member templates of the SubmitJob tree and the places where a request holds them.

A *template* is a member path with ``*`` for list items, e.g.
``("Job", "Tasks", "*", "RedirectInfo", "StdoutRedirectPath")``. The templates are derived
from the type table, so a member added to ``types.json`` is reached by every strategy that
walks all templates (S1, S3, S4, S5) without a change here. A *location* is a concrete path
in one request (``("Job", "Tasks", 2, "RedirectInfo", "StdoutRedirectPath")``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from tcbatch_contract.typetable import Member, types

from .tree import Force

ROOT = "SubmitJobRequest"
Template = tuple[str, ...]
Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Slot:
    """One member template with the type that owns it."""

    template: Template
    owner: str
    member: Member

    @property
    def dotted(self) -> str:
        return ".".join(self.template)


@cache
def slots() -> tuple[Slot, ...]:
    """Every member of every type, as reached from SubmitJobRequest, depth-first."""
    return tuple(_walk(ROOT, ()))


def _walk(type_name: str, prefix: Template) -> Iterator[Slot]:
    for name, member in types()[type_name].items():
        template = (*prefix, name)
        yield Slot(template, type_name, member)
        if member.holds_objects:
            inner = (*template, "*") if member.is_list else template
            yield from _walk(member.elem, inner)


@cache
def object_templates() -> tuple[tuple[Template, str], ...]:
    """Every place an object sits (the root included), with its type."""
    found: list[tuple[Template, str]] = [((), ROOT)]
    for slot in slots():
        if slot.member.holds_objects:
            where = (*slot.template, "*") if slot.member.is_list else slot.template
            found.append((where, slot.member.elem))
    return tuple(found)


def force_for(template: Template) -> Force:
    """The force tree that makes a valid request hold ``template``."""
    force: Force = {}
    node = force
    for part in template:
        if part == "*":
            continue
        node = node.setdefault(part, {})
    return force


def locations(params: Any, template: Template) -> list[Location]:
    """Every concrete location of ``template`` in ``params``."""
    found: list[Location] = [()]
    for part in template:
        step: list[Location] = []
        for loc in found:
            value = get_at(params, loc)
            if part == "*":
                if isinstance(value, list):
                    step.extend((*loc, i) for i in range(len(value)))
            elif isinstance(value, dict) and part in value:
                step.append((*loc, part))
        found = step
    return found


def get_at(params: Any, loc: Location) -> Any:
    value = params
    for part in loc:
        value = value[part]
    return value


def set_at(params: Any, loc: Location, value: Any) -> None:
    get_at(params, loc[:-1])[loc[-1]] = value


def dotted(loc: Location) -> str:
    """``Job.Tasks.2.TaskName`` for ``("Job", "Tasks", 2, "TaskName")``."""
    return ".".join(str(part) for part in loc)

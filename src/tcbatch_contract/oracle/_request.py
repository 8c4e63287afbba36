"""One pass over a request: schema findings (S1-S6) and an index of its well-typed objects.

The business rules never walk the request themselves: they read ``Request.objects[type]``,
the list of every object of that type that sits where the type table puts it, each with its
parameter path. A value of the wrong JSON type is outside the domain of every business
rule (it is S4's alone), so nothing of the wrong type reaches the index. That single walk
keeps evaluation linear in the size of the request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..typetable import INT64_MAX, INT64_MIN, UINT64_MAX, Member, types
from ._limits import ENUMS
from ._model import Breach, Context


@dataclass
class Request:
    """A request under evaluation."""

    action: str
    params: Mapping[str, Any]
    context: Context
    objects: dict[str, list[tuple[str, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Schema breaches (S1-S6) found by the one walk, filed under their rule id.
    schema: dict[str, list[Breach]] = field(default_factory=lambda: defaultdict(list))

    def of(self, type_name: str) -> list[tuple[str, dict[str, Any]]]:
        return self.objects.get(type_name, [])


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def join(path: str, name: str | int) -> str:
    return f"{path}.{name}" if path else str(name)


def index_request(action: str, params: Mapping[str, Any], context: Context, root: str) -> Request:
    request = Request(action, params, context)
    _walk_object(request, root, "", params)
    tasks = params.get("Job", {}).get("Tasks") if isinstance(params.get("Job"), dict) else None
    if isinstance(tasks, list) and not tasks:
        request.schema["S2"].append(
            Breach(
                "Job.Tasks",
                "The request is missing a required parameter `Job.Tasks`: the list is empty.",
            )
        )
    return request


def _walk_object(request: Request, type_name: str, path: str, obj: Mapping[str, Any]) -> None:
    members = types()[type_name]
    request.objects[type_name].append((path, obj))  # type: ignore[arg-type]
    for name, member in members.items():
        if member.required and name not in obj:
            request.schema["S1"].append(
                Breach(
                    join(path, name),
                    f"The request is missing a required parameter `{join(path, name)}`.",
                )
            )
    for name, value in obj.items():
        member = members.get(name) if isinstance(name, str) else None
        where = join(path, name)
        if member is None:
            request.schema["S3"].append(
                Breach(
                    where,
                    f"The parameter `{where}` is not recognized.",
                )
            )
            continue
        _walk_member(request, type_name, member, where, value)


def _walk_member(request: Request, owner: str, member: Member, path: str, value: Any) -> None:
    if member.kind == "list":
        if not isinstance(value, list):
            _wrong_type(request, path, "list")
            return
        for index, item in enumerate(value):
            _walk_value(request, owner, member, join(path, index), item)
    else:
        _walk_value(request, owner, member, path, value)


def _walk_value(request: Request, owner: str, member: Member, path: str, value: Any) -> None:
    elem = member.elem
    if elem == "string":
        if not isinstance(value, str):
            _wrong_type(request, path, "string")
            return
        allowed = ENUMS.get((owner, member.name))
        if allowed is not None and value not in allowed:
            request.schema["S6"].append(
                Breach(
                    path,
                    f"The value `{value}` of `{path}` is not one of {sorted(allowed)}.",
                )
            )
    elif elem == "bool":
        if not isinstance(value, bool):
            _wrong_type(request, path, "boolean")
    elif elem in ("int64", "uint64"):
        _check_integer(request, elem, path, value)
    elif not isinstance(value, dict):
        _wrong_type(request, path, "object")
    else:
        _walk_object(request, elem, path, value)


def _check_integer(request: Request, elem: str, path: str, value: Any) -> None:
    if not is_int(value):
        _wrong_type(request, path, "integer")
    elif elem == "uint64" and value < 0:
        request.schema["S5"].append(Breach(path, f"The value of `{path}` must not be negative."))
    elif (elem == "uint64" and value > UINT64_MAX) or (
        elem == "int64" and not INT64_MIN <= value <= INT64_MAX
    ):
        request.schema["S4"].append(
            Breach(
                path,
                f"The value of `{path}` is outside the range of {elem}.",
            )
        )


def _wrong_type(request: Request, path: str, expected: str) -> None:
    request.schema["S4"].append(
        Breach(
            path,
            f"The parameter `{path}` must be of type {expected}.",
        )
    )

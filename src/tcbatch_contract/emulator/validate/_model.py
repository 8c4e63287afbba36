"""What every check receives and yields.

A check is ``check(subject) -> Iterable[Finding]``: pure, no I/O, one rule. The subject is
the decoded request plus the target facts that some rules need. The helpers below walk
the parts of a SubmitJob request that several rules share; they skip anything of the wrong
JSON type, so a check never fails on a request the schema rules would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ...typetable import ACTIONS, Member, types


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule: its id, its error code, the parameter path, the message."""

    rule: str
    code: str
    path: str
    message: str


@dataclass(frozen=True, slots=True)
class Node:
    """A member present in the request (or an item of a list member), where it was found."""

    path: str
    owner: str  # the type that defines the member
    member: Member
    value: Any
    item: bool  # True for an item of a list member


@dataclass(frozen=True)
class Subject:
    """A decoded request of ``action`` and the target facts its rules depend on."""

    action: str
    params: dict[str, Any]
    region: str = "ap-guangzhou"
    known_env_ids: frozenset[str] = frozenset()
    credential_denied: bool = False
    jobs_held: int = 0
    job_quota: int | None = None

    @cached_property
    def walk(self) -> tuple[list[tuple[str, str, dict[str, Any]]], list[Node]]:
        """Every object ``(path, type, value)`` and every member node, in document order.

        Only values of the right container type are descended into, so a wrong type is
        reported once, where it is, and nothing beneath it is judged.
        """
        found_objects: list[tuple[str, str, dict[str, Any]]] = []
        nodes: list[Node] = []
        _walk(self.params, ACTIONS[self.action], "", found_objects, nodes)
        return found_objects, nodes

    @cached_property
    def job(self) -> dict[str, Any]:
        job = self.params.get("Job")
        return job if isinstance(job, dict) else {}

    @cached_property
    def tasks(self) -> list[tuple[str, dict[str, Any]]]:
        """``(path, task)`` for every task object of ``Job.Tasks``."""
        return list(objects(self.job.get("Tasks"), "Job.Tasks"))

    @cached_property
    def env_datas(self) -> list[tuple[str, dict[str, Any]]]:
        """``(path, EnvData)`` for every task's ``ComputeEnv.EnvData`` object."""
        found = []
        for path, task in self.tasks:
            env = task.get("ComputeEnv")
            if isinstance(env, dict) and isinstance(env.get("EnvData"), dict):
                found.append((f"{path}.ComputeEnv.EnvData", env["EnvData"]))
        return found

    @cached_property
    def applications(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (f"{path}.Application", task["Application"])
            for path, task in self.tasks
            if isinstance(task.get("Application"), dict)
        ]


def _walk(
    obj: dict[str, Any],
    type_name: str,
    path: str,
    found_objects: list[tuple[str, str, dict[str, Any]]],
    nodes: list[Node],
) -> None:
    found_objects.append((path, type_name, obj))
    members = types()[type_name]
    for key, value in obj.items():
        member = members.get(key)
        if member is None:
            continue
        member_path = f"{path}.{key}" if path else key
        nodes.append(Node(member_path, type_name, member, value, False))
        if member.is_list and isinstance(value, list):
            for index, item in enumerate(value):
                item_path = f"{member_path}.{index}"
                nodes.append(Node(item_path, type_name, member, item, True))
                if member.holds_objects and isinstance(item, dict):
                    _walk(item, member.elem, item_path, found_objects, nodes)
        elif member.is_object and isinstance(value, dict):
            _walk(value, member.elem, member_path, found_objects, nodes)


Check = Callable[[Subject], Iterable[Finding]]


def objects(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(path.N, item)`` for each object item of a list (nothing if not a list)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"{path}.{index}", item


def child(obj: dict[str, Any], name: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """``(path.name, obj[name])`` when that member is an object."""
    value = obj.get(name)
    return (f"{path}.{name}", value) if isinstance(value, dict) else None


def strings(obj: dict[str, Any], name: str, path: str) -> Iterator[tuple[str, str]]:
    """``(path.name, value)`` when the member is a string."""
    value = obj.get(name)
    if isinstance(value, str):
        yield f"{path}.{name}", value


def integer(obj: dict[str, Any], name: str) -> int | None:
    value = obj.get(name)
    return value if type(value) is int else None

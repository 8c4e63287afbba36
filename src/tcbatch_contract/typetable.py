"""The request type table of SubmitJob and the other actions, as data.

The 36 request types of SubmitJob come from ``contracts/types.json`` (the same facts as the
``api.json`` that ships with tccli). The oracle, the emulator and the strategies all read the
shape of a request from here; none of them keeps a private copy of it.

A member is ``(name, kind, elem, required)``:

* ``kind`` is ``string``, ``int``, ``bool``, ``object`` or ``list``;
* ``elem`` is the scalar type (``string``, ``int64``, ``uint64``, ``bool``) or, for objects
  and lists of objects, the name of the member type.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ._resources import contract_json

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

SCALARS = frozenset({"string", "int64", "uint64", "bool"})

# Request types of the other actions the harness needs (DescribeJob & co.).
_JOB_ID_REQUEST = (("JobId", "string", "string", True),)
OTHER_ACTIONS: dict[str, str] = {
    "DescribeJob": "DescribeJobRequest",
    "DescribeJobSubmitInfo": "DescribeJobSubmitInfoRequest",
    "TerminateJob": "TerminateJobRequest",
    "DeleteJob": "DeleteJobRequest",
}
ACTIONS: dict[str, str] = {"SubmitJob": "SubmitJobRequest", **OTHER_ACTIONS}


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    kind: str
    elem: str
    required: bool

    @property
    def is_object(self) -> bool:
        return self.kind == "object"

    @property
    def is_list(self) -> bool:
        return self.kind == "list"

    @property
    def holds_objects(self) -> bool:
        """True for an object member or a list of objects."""
        return self.elem not in SCALARS


@cache
def types() -> dict[str, dict[str, Member]]:
    """Every request type by name, each a dict of its members in documented order."""
    raw: dict[str, list[list]] = contract_json("types.json")
    table = {
        type_name: {m[0]: Member(m[0], m[1], m[2], bool(m[3])) for m in members}
        for type_name, members in raw.items()
    }
    for type_name in OTHER_ACTIONS.values():
        table[type_name] = {m[0]: Member(*m) for m in _JOB_ID_REQUEST}
    return table


def request_type(action: str) -> dict[str, Member]:
    """The members of the request type of ``action`` (KeyError for an action not served)."""
    return types()[ACTIONS[action]]


def submitjob_type_names() -> list[str]:
    """The 36 request types of SubmitJob, in file order."""
    return list(contract_json("types.json"))

"""Single faults of the schema rules S1-S6, at every member of every type.

The places come from the type table (``locate.slots``), so every required member, every
object type, every member and every ``uint64`` is reached. What each fault must not also
do, and how it is avoided:

* a removed or wrong-typed ``Job.Tasks`` (or task, or ``TaskName``) would leave
  dependences naming no task (B5): the dependences that mention it are dropped;
* an integer beyond int64/uint64 in a member with a range rule also breaks that rule
  (``Priority`` 2**64 is S4 and B17, §7): out-of-range integers go only to members
  without one, and a DataDisk size beyond int64 stays a multiple of 10;
* a negative ``DelayOnRetry`` is S5 and B17 (§7): S5 leaves it out;
* unknown members at the top level avoid the names of the common parameters.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import strategies as st

from tcbatch_contract import codes
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.typetable import INT64_MAX, INT64_MIN, UINT64_MAX, types

from . import values as v
from .bad import outside_enum
from .dag import drop_edges_touching
from .locate import Location, get_at, object_templates, set_at, slots
from .registry import Injected, at, fault, pick

COMMON_PARAMETERS = frozenset(
    {"Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "Signature"}
    | {"SignatureMethod", "Token", "Language", "RequestClient"}
)
#: uint64 members with an upper bound: beyond 2**64-1 they break that rule too.
RANGED_UINT64 = frozenset(
    {
        ("Job", "Priority"),
        ("Task", "MaxRetryCount"),
        ("Task", "ResourceMaxRetryCount"),
        ("Task", "MaxConcurrentNum"),
        ("Docker", "MaxRetryCount"),
        ("Docker", "DelayOnRetry"),
    }
)
#: int64 members that must not be negative or not positive (B27): below int64 is two faults.
FLOORED_INT64 = frozenset(
    {
        ("SystemDisk", "DiskSize"),
        ("DataDisk", "DiskSize"),
        ("InternetAccessible", "InternetMaxBandwidthOut"),
    }
)

_REQUIRED = tuple(s.template for s in slots() if s.member.required)
_UINT64 = tuple(
    s.template
    for s in slots()
    if s.member.elem == "uint64" and (s.owner, s.member.name) != ("Docker", "DelayOnRetry")
)
_ENUMERATED = tuple(
    (s.template + (("*",) if s.member.is_list else ()), v.ENUMS[(s.owner, s.member.name)])
    for s in slots()
    if (s.owner, s.member.name) in v.ENUMS
)
#: Lists that are the only source of what their object needs (another member beside them
#: breaks B12): a whole value of the wrong type there reads as "not given" to a legitimate
#: reading of B11/B13, so it is no single fault. Their elements still get wrong types.
_SOLE_SOURCES = frozenset({("EnvData", "InstanceTypes"), ("Application", "Commands")})

_TYPED = tuple(
    (s.template, s) for s in slots() if (s.owner, s.member.name) not in _SOLE_SOURCES
) + tuple(((*s.template, "*"), s) for s in slots() if s.member.is_list)


def _first(entry: tuple[tuple[str, ...], object]) -> str:
    return ".".join(entry[0])


def _forget_task_names(params: dict[str, Any], loc: Location) -> None:
    """Drop dependences on the tasks a fault at ``loc`` removes or makes unreadable."""
    if loc == ("Job", "Tasks"):
        params["Job"].pop("Dependences", None)
        return
    if len(loc) >= 3 and loc[:2] == ("Job", "Tasks"):
        task = get_at(params, loc[:3])
        named = isinstance(task, dict) and isinstance(task.get("TaskName"), str)
        if named and (len(loc) == 3 or loc[3] == "TaskName"):
            drop_edges_touching(params, task["TaskName"])


@fault(
    "S1",
    codes.MISSING_PARAMETER,
    tuple(".".join(t) for t in _REQUIRED),
    faults=len(_REQUIRED),  # each required member, removed
)
def s1(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    template = pick(draw, _REQUIRED, only, ".".join)
    params, loc = at(draw, profile, template)
    _forget_task_names(params, loc)
    del get_at(params, loc[:-1])[loc[-1]]
    return Injected(params, loc, "removed")


@fault("S2", codes.MISSING_PARAMETER, ("Job.Tasks",), faults=1)
def s2(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, ("Job", "Tasks"))
    params["Job"].pop("Dependences", None)
    params["Job"]["Tasks"] = []
    return Injected(params, loc, "empty Tasks")


@cache
def _unknown_name(type_name: str, top_level: bool) -> st.SearchStrategy[str]:
    known = list(types()[type_name])
    others = sorted({m for t in types().values() for m in t} - set(known))
    variants = [
        f(m) for m in known for f in (str.lower, str.upper, lambda s: s[:1].lower() + s[1:])
    ]
    pool = st.sampled_from(["Foo", "", "x", *variants, *others[:40]])
    return (pool | st.text(v.ANY_CHAR, max_size=12)).filter(
        lambda name: name not in known and not (top_level and name in COMMON_PARAMETERS)
    )


_ANY_JSON = st.one_of(
    st.sampled_from(["x", 1, True, None, {}, [], 1.5]), v.free_text(), st.integers()
)


@fault("S3", codes.UNKNOWN_PARAMETER, tuple(".".join(t) for t, _ in object_templates()))
def s3(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    template, type_name = pick(draw, object_templates(), only, _first)
    params, loc = at(draw, profile, template)
    target = get_at(params, loc)
    name = draw(_unknown_name(type_name, top_level=not loc))
    target[name] = draw(_ANY_JSON)
    return Injected(params, (*loc, name), "unknown member")


@cache
def _wrong_type(owner: str, name: str, kind: str, elem: str) -> st.SearchStrategy[Any]:
    """A JSON value of another type than ``kind``/``elem`` (out-of-range ints included)."""
    if kind == "list":
        return st.sampled_from(["x", 1, {}, True, None, 0.0, "[]"])
    if elem not in ("string", "int64", "uint64", "bool"):
        return st.sampled_from(["x", 1, [], [{}], True, None, "{}", 2.5])
    if elem == "string":
        return st.one_of(st.sampled_from([1, 0, -1, 1.5, True, False, None, [], {}, ["x"]]))
    if elem == "bool":
        return st.sampled_from(["true", "True", 1, 0, 1.0, None, [], {}, "false"])
    options: list[st.SearchStrategy[Any]] = [
        st.sampled_from([True, False]),  # a bool is an int in Python and a number in JS
        st.sampled_from([1.0, 0.0, 0.5, -2.0, 1e3, "1", "", None, [], {}, [1]]),
        st.floats(allow_nan=False, allow_infinity=False),
    ]
    if elem == "uint64" and (owner, name) not in RANGED_UINT64:
        options.append(st.integers(UINT64_MAX + 1, UINT64_MAX * 4) | st.just(UINT64_MAX + 1))
    if elem == "int64":
        if (owner, name) == ("DataDisk", "DiskSize"):
            options.append(st.integers(INT64_MAX // 10 + 1, INT64_MAX).map(lambda n: n * 10))
        else:
            options.append(st.integers(INT64_MAX + 1, UINT64_MAX * 2) | st.just(INT64_MAX + 1))
        if (owner, name) not in FLOORED_INT64:
            options.append(st.integers(-(2**66), INT64_MIN - 1) | st.just(INT64_MIN - 1))
    return st.one_of(*options)


@fault("S4", codes.INVALID_PARAMETER, tuple(".".join(t) for t, _ in _TYPED))
def s4(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    template, slot = pick(draw, _TYPED, only, _first)
    params, loc = at(draw, profile, template)
    element = template[-1] == "*"
    kind = "scalar" if element else slot.member.kind
    value = draw(_wrong_type(slot.owner, slot.member.name, kind, slot.member.elem))
    _forget_task_names(params, loc)
    set_at(params, loc, value)
    return Injected(params, loc, f"{type(value).__name__} for {slot.member.elem}")


_NEGATIVE = st.one_of(st.just(-1), st.integers(max_value=-1), st.just(-(2**64) - 7))


@fault("S5", codes.NEGATIVE, tuple(".".join(t) for t in _UINT64))
def s5(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    template = pick(draw, _UINT64, only, ".".join)
    params, loc = at(draw, profile, template)
    value = draw(_NEGATIVE)
    set_at(params, loc, value)
    return Injected(params, loc, "negative")


@fault("S6", codes.INVALID_PARAMETER_VALUE, tuple(".".join(t) for t, _ in _ENUMERATED))
def s6(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    template, allowed = pick(draw, _ENUMERATED, only, _first)
    params, loc = at(draw, profile, template)
    set_at(params, loc, draw(outside_enum(allowed)))
    return Injected(params, loc, "outside the enumeration")

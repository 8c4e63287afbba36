"""Valid objects of any SubmitJob type, driven by the type table.

The shape of every object comes from ``tcbatch_contract.typetable``; this module adds only
what the table cannot say: the value strategies of constrained members, the exclusion
groups of B7/B11/B12/B13, and the members whose value decides another's presence
(``DeliveryForm`` PACKAGE needs ``PackagePath``; ``KeepImageLogin`` TRUE excludes the login
secrets). A *force* tree names members that must be present (a dict per object; for a list
member, the dict applies to one element at a drawn index), which is how a single-fault
strategy gets a valid request that holds the field it is about to break.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.typetable import INT64_MAX, INT64_MIN, UINT64_MAX, Member, types

from . import values as v
from .choice import choice, ints
from .filler import own, pooled

Force = dict[str, "Force"]


@dataclass(frozen=True)
class Ctx:
    """What a builder needs beyond the type: the target and how dense optional members are."""

    profile: TargetProfile
    density: int = 2  # an optional member is present with probability 2**-density; BARE: never

    @property
    def known_env_ids(self) -> tuple[str, ...]:
        return tuple(self.profile.known_env_ids)


_Values = Callable[[Ctx], st.SearchStrategy[Any]]

#: Value strategies for members with a rule (scalars and lists of scalars).
VALUES: dict[tuple[str, str], _Values] = {
    ("SubmitJobRequest", "ClientToken"): lambda c: v.client_token(),
    ("Placement", "Zone"): lambda c: v.zone(c.profile.region),
    ("Job", "JobName"): lambda c: v.limited_text(60),
    ("Job", "JobDescription"): lambda c: v.limited_text(200),
    ("Job", "Priority"): lambda c: v.uint64(0, 100),
    ("Task", "TaskInstanceNum"): lambda c: v.uint64(1),
    ("Task", "MaxRetryCount"): lambda c: v.uint64(0, 5),
    ("Task", "MaxConcurrentNum"): lambda c: v.uint64(0, 200000),
    ("Task", "ResourceMaxRetryCount"): lambda c: v.uint64(0, 100),
    ("Task", "EnvId"): lambda c: st.sampled_from(c.known_env_ids),
    ("Application", "PackagePath"): lambda c: v.remote_path(directory=False),
    ("Docker", "MaxRetryCount"): lambda c: v.uint64(0, 10),
    ("Docker", "DelayOnRetry"): lambda c: v.uint64(1, 360),
    ("AnonymousComputeEnv", "EnvType"): lambda c: st.just("MANAGED"),
    ("EnvData", "ImageId"): lambda c: v.prefixed_id("img"),
    ("EnvData", "InstanceTypes"): lambda c: st.lists(
        v.free_text(8), min_size=1, max_size=10, unique=True
    ),
    ("EnvData", "Zones"): lambda c: st.lists(v.zone(c.profile.region), max_size=3),
    ("SystemDisk", "DiskSize"): lambda c: v.int64(1),
    ("DataDisk", "DiskSize"): lambda c: v.disk_size_multiple_of_ten(),
    ("InternetAccessible", "InternetMaxBandwidthOut"): lambda c: v.int64(0),
    ("InternetAccessible", "InternetServiceProvider"): lambda c: (
        st.sampled_from(["BGP", "CMCC", "CTCC", "CUCC"]) | v.free_text()
    ),
    ("LoginSettings", "Password"): lambda c: v.password(),
    ("SpotMarketOptions", "MaxPrice"): lambda c: v.max_price(),
    ("InstanceTypeOptions", "InstanceCategories"): lambda c: st.lists(
        st.sampled_from(v.ENUMS[("InstanceTypeOptions", "InstanceCategories")]), max_size=3
    ),
    ("MountDataDisk", "LocalPath"): lambda c: v.local_path(),
    ("RedirectInfo", "StdoutRedirectPath"): lambda c: v.remote_path(directory=True),
    ("RedirectInfo", "StderrRedirectPath"): lambda c: v.remote_path(directory=True),
    ("RedirectLocalInfo", "StdoutLocalPath"): lambda c: v.local_path(),
    ("RedirectLocalInfo", "StderrLocalPath"): lambda c: v.local_path(),
    ("InputMapping", "SourcePath"): lambda c: v.remote_path(directory=False),
    ("InputMapping", "DestinationPath"): lambda c: v.local_path(),
    ("OutputMapping", "SourcePath"): lambda c: v.local_path(),
    ("OutputMapping", "DestinationPath"): lambda c: v.remote_path(directory=True),
    ("Notification", "TopicName"): lambda c: v.topic_name(),
}
for _key, _allowed in {**v.ENUMS, **v.BUSINESS_ENUMS}.items():
    if _key not in VALUES and _key != ("InstanceTypeOptions", "InstanceCategories"):
        VALUES[_key] = lambda c, allowed=_allowed: st.sampled_from(allowed)

#: Groups of members of which exactly one must be present (B7, B11/B12, B12/B13).
EXACTLY_ONE: dict[str, tuple[tuple[str, ...], ...]] = {
    "Task": (("ComputeEnv", "EnvId"),),
    "Application": (("Command", "Commands"),),
    "EnvData": (("InstanceType", "InstanceTypes", "InstanceTypeOptions"),),
}
#: Groups of members of which at most one may be present (B12).
AT_MOST_ONE: dict[str, tuple[tuple[str, ...], ...]] = {
    "EnvData": (("VirtualPrivateCloud", "Zones", "VirtualPrivateClouds"),),
    "LoginSettings": (("Password", "KeyIds"),),
}
#: Optional members that a valid object always has (B11: a ComputeEnv needs EnvData).
ALWAYS: frozenset[tuple[str, str]] = frozenset({("AnonymousComputeEnv", "EnvData")})
#: Lists that must not be empty when present (B11, B13).
NON_EMPTY: frozenset[tuple[str, str]] = frozenset(
    {("Application", "Commands"), ("EnvData", "InstanceTypes")}
)
#: Members a caller fills in itself (the task graph).
MANAGED_BY_CALLER: frozenset[tuple[str, str]] = frozenset(
    {("Job", "Tasks"), ("Job", "Dependences"), ("Task", "TaskName")}
)


#: The density of a request with no optional member at all (what a filler shrinks towards).
BARE = 64


def include(draw: st.DrawFn, ctx: Ctx) -> bool:
    """Whether one optional member is present; shrinks towards absent."""
    return bool(_mask(draw, 1, ctx.density))


def _mask(draw: st.DrawFn, width: int, density: int) -> int:
    """``width`` bits, each set with probability 2**-density; shrinks towards no bits."""
    if density >= BARE:
        return 0
    mask = (1 << width) - 1
    for _ in range(density):
        mask &= draw(_bits(width))
    return mask


def _bits(width: int) -> st.SearchStrategy[int]:
    return ints(0, (1 << width) - 1)


@cache
def _member_plan(
    type_name: str, forced: frozenset[str], skip: frozenset[str]
) -> tuple[frozenset[str], tuple[str, ...]]:
    """The members always present and the optional ones, worked out once per shape."""
    fixed = set()
    optional = []
    for name, member in types()[type_name].items():
        if name in skip or (type_name, name) in MANAGED_BY_CALLER:
            continue
        if member.required or name in forced or (type_name, name) in ALWAYS:
            fixed.add(name)
        else:
            optional.append(name)
    return frozenset(fixed), tuple(optional)


def _choose_members(
    draw: st.DrawFn, type_name: str, ctx: Ctx, force: Force, skip: frozenset[str]
) -> list[str]:
    members = types()[type_name]
    fixed, optional = _member_plan(type_name, frozenset(force), skip)
    chosen = set(fixed)
    if optional:
        mask = _mask(draw, len(optional), ctx.density)
        chosen.update(name for i, name in enumerate(optional) if mask >> i & 1)
    for group in EXACTLY_ONE.get(type_name, ()):
        options = [m for m in group if not (m == "EnvId" and not ctx.known_env_ids)]
        forced = [m for m in group if m in force]
        if len(forced) > 1:
            raise ValueError(f"cannot force {forced} together in {type_name}")
        keep = forced[0] if forced else choice(draw, options)
        chosen.difference_update(group)
        chosen.add(keep)
    for group in AT_MOST_ONE.get(type_name, ()):
        forced = [m for m in group if m in force]
        present = [m for m in group if m in chosen]
        if len(forced) > 1:
            raise ValueError(f"cannot force {forced} together in {type_name}")
        chosen.difference_update(group)
        if forced:
            chosen.add(forced[0])
        elif present:
            chosen.add(choice(draw, present))
    return [name for name in members if name in chosen]


def build_object(
    draw: st.DrawFn,
    type_name: str,
    ctx: Ctx,
    force: Force | None = None,
    skip: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A valid object of ``type_name`` holding at least the members of ``force``."""
    force = force or {}
    members = types()[type_name]
    chosen = _choose_members(draw, type_name, ctx, force, skip)
    obj: dict[str, Any] = {}
    for name in chosen:
        obj[name] = build_member(draw, type_name, members[name], ctx, force.get(name))
    package = type_name == "Application" and obj.get("DeliveryForm") == "PACKAGE"
    if package and "PackagePath" not in obj:
        obj["PackagePath"] = draw(value_strategy(("Application", "PackagePath"), ctx))
    secret = type_name == "LoginSettings" and ("Password" in obj or "KeyIds" in obj)
    if secret and obj.get("KeepImageLogin") == "TRUE":
        obj["KeepImageLogin"] = "FALSE"
    return obj


@cache
def value_strategy(
    key: tuple[str, str], ctx: Ctx, *, non_empty: bool = False
) -> st.SearchStrategy[Any]:
    """The (cached) value strategy of a constrained member; ``non_empty`` for a forced list.

    Each is an object of its own (members may share a strategy of ``values``), pooled
    under its member's name for a filler.
    """
    strategy = VALUES[key](ctx)
    drawn = strategy.filter(bool) if non_empty else own(strategy)
    # a run's EnvIds may be made afresh: the pool's seed counts them only, and only the
    # EnvId pool, whose values they are, has them in its name
    seed = ("value", key, ctx.profile.region, len(ctx.known_env_ids), non_empty)
    if key not in _THE_RUNS_OWN:
        return pooled(drawn, seed)
    return pooled(drawn, ("value", key, ctx.profile.region, ctx.known_env_ids, non_empty), seed)


#: Members whose values are the target's own (its EnvIds, made afresh for each run).
_THE_RUNS_OWN = frozenset({("Task", "EnvId")})


def build_member(
    draw: st.DrawFn, owner: str, member: Member, ctx: Ctx, force: Force | None = None
) -> Any:
    """A valid value of one member of ``owner``."""
    key = (owner, member.name)
    if key in VALUES:
        return draw(value_strategy(key, ctx, non_empty=force is not None and member.is_list))
    if member.kind == "list":
        return _build_list(draw, owner, member, ctx, force)
    if member.kind == "object":
        return build_object(draw, member.elem, ctx, force)
    return draw(scalar(member.elem))


def _build_list(
    draw: st.DrawFn, owner: str, member: Member, ctx: Ctx, force: Force | None
) -> list[Any]:
    low = 1 if force is not None or (owner, member.name) in NON_EMPTY else 0
    high = 10 if (owner, member.name) == ("Job", "Tags") and draw(_RARE) else 3
    size = draw(ints(low, max(low, high)))
    if not member.holds_objects:
        return [draw(scalar(member.elem)) for _ in range(size)]
    forced_at = draw(ints(0, size - 1)) if force is not None else -1
    if (owner, member.name) == ("Notification", "EventConfigs"):
        names = draw(_event_names(size))
        return [
            {
                "EventName": name,
                **build_object(
                    draw,
                    "EventConfig",
                    ctx,
                    force if i == forced_at else None,
                    skip=frozenset({"EventName"}),
                ),
            }
            for i, name in enumerate(names)
        ]
    return [
        build_object(draw, member.elem, ctx, force if i == forced_at else None) for i in range(size)
    ]


@cache
def _event_names(size: int) -> st.SearchStrategy[list[str]]:
    names = v.ENUMS[("EventConfig", "EventName")]
    drawn = st.lists(st.sampled_from(names), min_size=size, max_size=size, unique=True)
    return pooled(drawn, ("event names", size))


_RARE = pooled(own(v.coin(8)), ("rare", 8))


@cache
def scalar(elem: str) -> st.SearchStrategy[Any]:
    """Any valid value of an unconstrained scalar member."""
    return pooled(own(_scalar(elem)), ("scalar", elem))


def _scalar(elem: str) -> st.SearchStrategy[Any]:
    if elem == "string":
        return v.free_text()
    if elem == "bool":
        return st.booleans()
    if elem == "uint64":
        return v.uint64(0, UINT64_MAX)
    if elem == "int64":
        return st.one_of(
            st.integers(-1000, 1000), st.sampled_from([INT64_MIN, INT64_MAX]), v.int64(INT64_MIN)
        )
    raise ValueError(f"no scalar strategy for {elem}")

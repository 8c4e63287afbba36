"""Single faults of the compute-environment and CVM rules: B7-B15, B27, B28.

These rules are about presence and combinations, so each fault starts from a valid object
and adds or removes exactly the members of one sub-condition. "Given" means "present" for
B7 and B12 (so ``InstanceTypes: []`` next to ``InstanceType`` is B12), while B11 and B13
treat an empty list as not given (§7); the variants below use both readings on purpose.
A task given both ``EnvId`` and ``ComputeEnv`` (B7) uses a known EnvId, because an
unknown one would also break B9; without known ids only the "neither" variant is made.
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from tcbatch_contract import codes
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.typetable import INT64_MIN

from . import values as v
from .bad import bad_password, malformed_id, outside_enum, unknown_env_id
from .choice import BOOL, ints, sample
from .locate import get_at, set_at
from .registry import Injected, at, fault, pick
from .tree import Ctx, build_object

TASK = ("Job", "Tasks", "*")
COMPUTE_ENV = (*TASK, "ComputeEnv")
ENV_DATA = (*COMPUTE_ENV, "EnvData")
APPLICATION = (*TASK, "Application")
_B13_MEMBERS = ("Command", "Commands", "DeliveryForm", "PackagePath")
LOGIN = (*ENV_DATA, "LoginSettings")
INSTANCE_GROUP = ("InstanceType", "InstanceTypes", "InstanceTypeOptions")
NETWORK_GROUP = ("VirtualPrivateCloud", "Zones", "VirtualPrivateClouds")


def _dotted(*templates: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(".".join(t) for t in templates)


@fault("B7", codes.ALLOWED_ONE_ENV, _dotted((*TASK, "EnvId"), (*TASK, "ComputeEnv")))
def b7(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    member = pick(draw, ("EnvId", "ComputeEnv"), only, lambda m: ".".join((*TASK, m)))
    params, loc = at(draw, profile, TASK)
    task = get_at(params, loc)
    if profile.known_env_ids and draw(BOOL):
        task["EnvId"] = sample(draw, profile.known_env_ids)
        if "ComputeEnv" not in task:
            task["ComputeEnv"] = build_object(draw, "AnonymousComputeEnv", Ctx(profile))
        return Injected(params, (*loc, member), "both EnvId and ComputeEnv")
    task.pop("EnvId", None)
    task.pop("ComputeEnv", None)
    return Injected(params, (*loc, member), "neither EnvId nor ComputeEnv")


def _set_env_id(draw: st.DrawFn, profile: TargetProfile, value: st.SearchStrategy[str]) -> Injected:
    params, loc = at(draw, profile, TASK)
    task = get_at(params, loc)
    task.pop("ComputeEnv", None)
    task["EnvId"] = draw(value)
    return Injected(params, (*loc, "EnvId"), "EnvId")


@fault("B8", codes.ENV_ID_MALFORMED, _dotted((*TASK, "EnvId")))
def b8(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    return _set_env_id(draw, profile, malformed_id("env"))


@fault("B9", codes.RESOURCE_NOT_FOUND_COMPUTE_ENV, _dotted((*TASK, "EnvId")))
def b9(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    return _set_env_id(draw, profile, unknown_env_id(tuple(profile.known_env_ids)))


@fault("B10", codes.IMAGE_ID_MALFORMED, _dotted((*ENV_DATA, "ImageId")))
def b10(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, (*ENV_DATA, "ImageId"))
    set_at(params, loc, draw(malformed_id("img")))
    return Injected(params, loc, "malformed")


@fault(
    "B11",
    codes.COMPUTE_ENV,
    _dotted((*COMPUTE_ENV, "EnvType"), ENV_DATA, *((*ENV_DATA, m) for m in INSTANCE_GROUP)),
)
def b11(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    member = pick(draw, ("EnvType", "EnvData", *INSTANCE_GROUP), only, _b11_field)
    if member == "EnvType":
        params, loc = at(draw, profile, (*COMPUTE_ENV, "EnvType"))
        set_at(params, loc, draw(outside_enum(("MANAGED",))))
        return Injected(params, loc, "EnvType not MANAGED")
    if member == "EnvData":
        params, loc = at(draw, profile, ENV_DATA)
        del get_at(params, loc[:-1])["EnvData"]
        return Injected(params, loc, "ComputeEnv without EnvData")
    params, loc = at(draw, profile, (*ENV_DATA, member))
    env_data = get_at(params, loc[:-1])
    del env_data[member]
    if draw(BOOL):
        env_data["InstanceTypes"] = []
        return Injected(params, loc, f"{member} replaced by an empty InstanceTypes")
    return Injected(params, loc, f"{member} removed, no instance type left")


def _b11_field(member: str) -> str:
    return ".".join(
        (*COMPUTE_ENV, member) if member in ("EnvType", "EnvData") else (*ENV_DATA, member)
    )


_EMPTY_OR_TYPES = st.just([]) | st.lists(v.free_text(8), min_size=1, max_size=10, unique=True)
_EMPTY_OR_COMMANDS = st.just([]) | st.lists(st.builds(dict, Command=v.free_text()), max_size=2)
_KEY_IDS = st.lists(v.free_text(), max_size=2)
_B15_COUNT = st.one_of(st.just(11), st.integers(11, 40))
_TAG = st.fixed_dictionaries({"Key": v.free_text(), "Value": v.free_text()})


@cache
def _zones(region: str) -> st.SearchStrategy[list[str]]:
    return st.lists(v.zone(region), max_size=3)


def _conflict_value(draw: st.DrawFn, profile: TargetProfile, name: str) -> object:
    """A valid value for a member of an exclusion group (empty lists count as given)."""
    ctx = Ctx(profile)
    if name in ("InstanceType", "Command"):
        return draw(v.free_text(8))
    if name == "InstanceTypes":
        return draw(_EMPTY_OR_TYPES)
    if name == "Zones":
        return draw(_zones(profile.region))
    if name == "Commands":
        return draw(_EMPTY_OR_COMMANDS)
    if name == "Password":
        return draw(v.password())
    if name == "KeyIds":
        return draw(_KEY_IDS)
    if name == "VirtualPrivateClouds":
        return [build_object(draw, "VirtualPrivateCloud", ctx)]
    elem = {"VirtualPrivateCloud": "VirtualPrivateCloud"}.get(name, "InstanceTypeOptions")
    return build_object(draw, elem, ctx)


_B12_OWNERS = (
    *((ENV_DATA, m, INSTANCE_GROUP) for m in INSTANCE_GROUP),
    *((ENV_DATA, m, NETWORK_GROUP) for m in NETWORK_GROUP),
    *((APPLICATION, m, ("Command", "Commands")) for m in ("Command", "Commands")),
    *((LOGIN, m, ("Password", "KeyIds", "KeepImageLogin")) for m in ("Password", "KeyIds")),
    (LOGIN, "KeepImageLogin", ("Password", "KeyIds")),
)


@fault("B12", codes.INVALID_COMBINATION, tuple(".".join((*o, m)) for o, m, _ in _B12_OWNERS))
def b12(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    owner, member, group = pick(draw, _B12_OWNERS, only, lambda e: ".".join((*e[0], e[1])))
    partners = [m for m in group if m != member]
    partner = sample(draw, partners)
    if owner == LOGIN:
        params, loc = at(draw, profile, owner)
        obj = get_at(params, loc)
        for name in ("Password", "KeyIds", "KeepImageLogin"):
            obj.pop(name, None)
    else:
        params, loc = at(draw, profile, (*owner, partner))
        loc, obj = loc[:-1], get_at(params, loc[:-1])
    for name in (partner, member):
        if name == "KeepImageLogin":
            obj[name] = "TRUE"
        elif name not in obj:
            obj[name] = _conflict_value(draw, profile, name)
    if owner == ENV_DATA and draw(v.coin(3)):
        third = [m for m in partners if m != partner]
        obj[third[0]] = _conflict_value(draw, profile, third[0])
    return Injected(params, (*loc, member), f"{member} with {partner}")


@fault(
    "B13",
    codes.MISSING_PARAMETER,
    _dotted(*((*APPLICATION, m) for m in _B13_MEMBERS)),
    # Command, Commands or PackagePath removed; DeliveryForm PACKAGE; Commands left empty
    faults=len(_B13_MEMBERS) + 1,
)
def b13(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    member = pick(draw, _B13_MEMBERS, only, lambda m: ".".join((*APPLICATION, m)))
    template = (*APPLICATION, member) if member != "DeliveryForm" else APPLICATION
    params, loc = at(draw, profile, template)
    app = get_at(params, (*loc[: len(APPLICATION)],))
    loc = (*loc[: len(APPLICATION)], member)
    if member in ("DeliveryForm", "PackagePath"):
        app["DeliveryForm"] = "PACKAGE"
        app.pop("PackagePath", None)
        return Injected(params, loc, "PACKAGE without PackagePath")
    del app[member]
    if draw(BOOL):
        app["Commands"] = []
        return Injected(params, loc, f"{member} removed, only an empty Commands left")
    return Injected(params, loc, "neither Command nor Commands")


INSTANCE_TYPES = (*ENV_DATA, "InstanceTypes")


@fault("B14", codes.INSTANCE_TYPE_DUPLICATE, _dotted(INSTANCE_TYPES))
def b14(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, INSTANCE_TYPES)
    kinds = get_at(params, loc)
    copy = kinds[draw(ints(0, len(kinds) - 1))]
    if len(kinds) < 10 and draw(BOOL):
        kinds.insert(draw(ints(0, len(kinds))), copy)
    elif len(kinds) > 1:
        kinds[sample(draw, [i for i, k in enumerate(kinds) if k != copy])] = copy
    else:
        kinds.append(copy)
    return Injected(params, loc, f"{copy!r} twice")


@fault("B15", codes.LIMIT_EXCEEDED_VALUE, _dotted(INSTANCE_TYPES, ("Job", "Tags")))
def b15(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    count = draw(_B15_COUNT)
    if pick(
        draw, [True, False], only, lambda it: ".".join(INSTANCE_TYPES if it else ("Job", "Tags"))
    ):
        params, loc = at(draw, profile, INSTANCE_TYPES)
        set_at(params, loc, [f"S{i % 9 + 1}.T{i}" for i in range(count)])
        return Injected(params, loc, f"{count} InstanceTypes")
    params, loc = at(draw, profile, ("Job", "Tags"))
    tag = draw(_TAG)
    set_at(params, loc, [dict(tag, Key=f"{tag['Key']}{i}") for i in range(count)])
    return Injected(params, loc, f"{count} Tags")


SYSTEM_DISK = (*ENV_DATA, "SystemDisk")
DATA_DISK = (*ENV_DATA, "DataDisks", "*")
INTERNET = (*ENV_DATA, "InternetAccessible")
_CVM_FIELDS = (
    (*SYSTEM_DISK, "DiskType"),
    (*DATA_DISK, "DiskType"),
    (*INTERNET, "InternetChargeType"),
    (*DATA_DISK, "DiskSize"),
    (*SYSTEM_DISK, "DiskSize"),
    (*INTERNET, "InternetMaxBandwidthOut"),
    (*LOGIN, "Password"),
    (*LOGIN, "KeepImageLogin"),
)


def _cvm_value(draw: st.DrawFn, template: tuple[str, ...]) -> object:
    owner = {"SystemDisk": "SystemDisk", "*": "DataDisk"}.get(template[-2], template[-2])
    name = template[-1]
    if (owner, name) in v.BUSINESS_ENUMS:
        return draw(outside_enum(v.BUSINESS_ENUMS[(owner, name)]))
    if name == "Password":
        return draw(bad_password())
    if (owner, name) == ("DataDisk", "DiskSize"):
        return draw(_BAD_DATA_DISK_SIZE)
    if (owner, name) == ("SystemDisk", "DiskSize"):
        return draw(_BAD_SYSTEM_DISK_SIZE)
    return draw(_NOT_POSITIVE)


_BAD_DATA_DISK_SIZE = st.one_of(
    st.sampled_from([0, 1, 5, 15, -10, 9223372036854775807, INT64_MIN]),
    st.integers(INT64_MIN, 10**6).filter(lambda n: n <= 0 or n % 10),
)
_BAD_SYSTEM_DISK_SIZE = st.sampled_from([0, -1, INT64_MIN]) | st.integers(INT64_MIN, 0)
_NOT_POSITIVE = st.sampled_from([-1, INT64_MIN]) | st.integers(INT64_MIN, -1)


@fault("B27", codes.CVM_PARAMETERS, _dotted(*_CVM_FIELDS))
def b27(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    template = pick(draw, _CVM_FIELDS, only, ".".join)
    params, loc = at(draw, profile, template)
    value = _cvm_value(draw, template)
    set_at(params, loc, value)
    return Injected(params, loc, f"{template[-1]} = {value!r}"[:80])


@fault("B28", codes.UNSUPPORTED_CHARGE_TYPE, _dotted((*ENV_DATA, "InstanceChargeType")))
def b28(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, (*ENV_DATA, "InstanceChargeType"))
    set_at(params, loc, draw(outside_enum(v.BUSINESS_ENUMS[("EnvData", "InstanceChargeType")])))
    return Injected(params, loc, "outside the enumeration")

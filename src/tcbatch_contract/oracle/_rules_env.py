"""Business rules about where and on what a task runs: compute environments, instance
types, images, zones, CVM settings and spot prices (B7-B15, B22, B26-B28), and about what
an application is made of (B12's Command/Commands, B13)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ._limits import (
    DATA_DISK_TYPES,
    DECIMAL,
    ENV_ID,
    ENV_TYPE_MANAGED,
    IMAGE_ID,
    INSTANCE_CHARGE_TYPES,
    INSTANCE_TYPES_MAX,
    INTERNET_CHARGE_TYPES,
    KEEP_IMAGE_LOGIN,
    PASSWORD_MAX,
    PASSWORD_MIN,
    PASSWORD_SPECIALS,
    SYSTEM_DISK_TYPES,
)
from ._model import Breach
from ._request import Request, is_int, join


def env_id_xor_compute_env(req: Request) -> Iterator[Breach]:
    for path, task in req.of("Task"):
        if ("EnvId" in task) == ("ComputeEnv" in task):
            yield Breach(
                path or "Task",
                f"`{path}` must give exactly one of `EnvId` and `ComputeEnv`.",
            )


def env_id_malformed(req: Request) -> Iterator[Breach]:
    for path, env_id in _env_ids(req):
        if not ENV_ID.fullmatch(env_id):
            yield Breach(
                path,
                f"`{path}` is not a compute environment id (env-xxxxxxxx): `{env_id}`.",
            )


def env_id_unknown(req: Request) -> Iterator[Breach]:
    for path, env_id in _env_ids(req):
        if ENV_ID.fullmatch(env_id) and env_id not in req.context.known_env_ids:
            yield Breach(
                path,
                f"The compute environment `{env_id}` of `{path}` does not exist.",
            )


def image_id_malformed(req: Request) -> Iterator[Breach]:
    for path, env_data in req.of("EnvData"):
        image = env_data.get("ImageId")
        if isinstance(image, str) and not IMAGE_ID.fullmatch(image):
            where = join(path, "ImageId")
            yield Breach(
                where,
                f"`{where}` is not an image id (img-xxxxxxxx): `{image}`.",
            )


def compute_env_invalid(req: Request) -> Iterator[Breach]:
    for path, env in req.of("AnonymousComputeEnv"):
        env_type = env.get("EnvType")
        if isinstance(env_type, str) and env_type != ENV_TYPE_MANAGED:
            where = join(path, "EnvType")
            yield Breach(where, f"`{where}` must be `{ENV_TYPE_MANAGED}`, not `{env_type}`.")
        if "EnvData" not in env:
            yield Breach(join(path, "EnvData"), f"`{path}` must give `EnvData`.")
    for path, env_data in req.of("EnvData"):
        given = (
            "InstanceType" in env_data
            or ("InstanceTypes" in env_data and env_data["InstanceTypes"] != [])
            or "InstanceTypeOptions" in env_data
        )
        if not given:
            yield Breach(
                path,
                f"`{path}` must give one of `InstanceType`, `InstanceTypes`, "
                "`InstanceTypeOptions`.",
            )
        elif _only_given_as_wrong_type(
            env_data, "InstanceTypes", ("InstanceType", "InstanceTypeOptions")
        ):
            where = join(path, "InstanceTypes")
            yield Breach(
                where,
                f"`{where}` is no list, so no instance type is given.",
                alternative=True,
            )


def exclusive_members(req: Request) -> Iterator[Breach]:
    groups: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("EnvData", ("InstanceType", "InstanceTypes", "InstanceTypeOptions")),
        ("EnvData", ("VirtualPrivateCloud", "Zones", "VirtualPrivateClouds")),
        ("Application", ("Command", "Commands")),
        ("LoginSettings", ("Password", "KeyIds")),
    )
    for type_name, members in groups:
        for path, obj in req.of(type_name):
            present = [m for m in members if m in obj]
            if len(present) > 1:
                yield _together(path, present)
    for path, login in req.of("LoginSettings"):
        if login.get("KeepImageLogin") == "TRUE" and ("Password" in login or "KeyIds" in login):
            present = ["KeepImageLogin"] + [m for m in ("Password", "KeyIds") if m in login]
            yield _together(path, present)


def application_incomplete(req: Request) -> Iterator[Breach]:
    for path, app in req.of("Application"):
        if "Command" not in app and app.get("Commands", []) == []:
            yield Breach(
                join(path, "Command"),
                f"The request is missing a required parameter `{join(path, 'Command')}`"
                " (or `Commands`).",
            )
        elif _only_given_as_wrong_type(app, "Commands", ("Command",)):
            where = join(path, "Commands")
            yield Breach(
                where,
                f"`{where}` is no list, so no command is given.",
                alternative=True,
            )
        if app.get("DeliveryForm") == "PACKAGE" and "PackagePath" not in app:
            where = join(path, "PackagePath")
            yield Breach(
                where,
                f"The request is missing a required parameter `{where}`.",
            )


def instance_type_duplicate(req: Request) -> Iterator[Breach]:
    for path, instance_types in _instance_type_lists(req):
        seen: set[str] = set()
        for index, value in enumerate(instance_types):
            if isinstance(value, str):
                if value in seen:
                    where = join(path, index)
                    yield Breach(
                        where,
                        f"`{where}` repeats the instance type `{value}`.",
                    )
                seen.add(value)


def instance_types_limit(req: Request) -> Iterator[Breach]:
    for path, instance_types in _instance_type_lists(req):
        if len(instance_types) > INSTANCE_TYPES_MAX:
            yield Breach(
                path,
                f"`{path}` holds {len(instance_types)} values; at most "
                f"{INSTANCE_TYPES_MAX} are allowed.",
            )


def max_price_not_decimal(req: Request) -> Iterator[Breach]:
    for path, spot in req.of("SpotMarketOptions"):
        price = spot.get("MaxPrice")
        if isinstance(price, str) and not DECIMAL.fullmatch(price):
            where = join(path, "MaxPrice")
            yield Breach(where, f"`{where}` is not a decimal number: `{price}`.")


def zone_mismatch(req: Request) -> Iterator[Breach]:
    pattern = re.compile(re.escape(req.context.region) + r"-[1-9][0-9]?")
    for path, placement in req.of("Placement"):
        zone = placement.get("Zone")
        if isinstance(zone, str) and not pattern.fullmatch(zone):
            yield _foreign_zone(join(path, "Zone"), zone, req.context.region)
    for path, env_data in req.of("EnvData"):
        zones = env_data.get("Zones")
        if isinstance(zones, list):
            for index, zone in enumerate(zones):
                if isinstance(zone, str) and not pattern.fullmatch(zone):
                    yield _foreign_zone(join(path, f"Zones.{index}"), zone, req.context.region)


def cvm_parameters(req: Request) -> Iterator[Breach]:
    for path, disk in req.of("SystemDisk"):
        yield from _cvm_enum(path, disk, "DiskType", SYSTEM_DISK_TYPES)
        size = disk.get("DiskSize")
        if is_int(size) and size <= 0:
            yield _cvm(join(path, "DiskSize"), "must be positive")
    for path, disk in req.of("DataDisk"):
        yield from _cvm_enum(path, disk, "DiskType", DATA_DISK_TYPES)
        size = disk.get("DiskSize")
        if is_int(size) and (size <= 0 or size % 10):
            yield _cvm(join(path, "DiskSize"), "must be a positive multiple of 10")
    for path, internet in req.of("InternetAccessible"):
        yield from _cvm_enum(path, internet, "InternetChargeType", INTERNET_CHARGE_TYPES)
        bandwidth = internet.get("InternetMaxBandwidthOut")
        if is_int(bandwidth) and bandwidth < 0:
            yield _cvm(join(path, "InternetMaxBandwidthOut"), "must not be negative")
    for path, login in req.of("LoginSettings"):
        password = login.get("Password")
        if isinstance(password, str) and not linux_password_ok(password):
            yield _cvm(join(path, "Password"), "breaks the password rule")
        yield from _cvm_enum(path, login, "KeepImageLogin", KEEP_IMAGE_LOGIN)


def charge_type_unsupported(req: Request) -> Iterator[Breach]:
    for path, env_data in req.of("EnvData"):
        charge = env_data.get("InstanceChargeType")
        if isinstance(charge, str) and charge not in INSTANCE_CHARGE_TYPES:
            where = join(path, "InstanceChargeType")
            yield Breach(
                where,
                f"`{where}` must be POSTPAID_BY_HOUR or SPOTPAID, not `{charge}`.",
            )


def linux_password_ok(password: str) -> bool:
    """8-16 characters, each an ASCII letter, digit or special, of at least two classes."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return False
    classes = set()
    for ch in password:
        if ch.isascii() and ch.isalpha():
            classes.add("letter")
        elif ch.isascii() and ch.isdigit():
            classes.add("digit")
        elif ch in PASSWORD_SPECIALS:
            classes.add("special")
        else:
            return False
    return len(classes) >= 2


def _only_given_as_wrong_type(obj: dict[str, Any], member: str, others: tuple[str, ...]) -> bool:
    """``member`` is present but no list, and none of ``others`` is given: "given" by key
    presence (the contract's reading), "not given" by a reading that asks for a non-empty
    list (B11, B13)."""
    return member in obj and not isinstance(obj[member], list) and not any(o in obj for o in others)


def _env_ids(req: Request) -> Iterator[tuple[str, str]]:
    for path, task in req.of("Task"):
        env_id = task.get("EnvId")
        if isinstance(env_id, str):
            yield join(path, "EnvId"), env_id


def _instance_type_lists(req: Request) -> Iterator[tuple[str, list[Any]]]:
    for path, env_data in req.of("EnvData"):
        instance_types = env_data.get("InstanceTypes")
        if isinstance(instance_types, list):
            yield join(path, "InstanceTypes"), instance_types


def _cvm_enum(path: str, obj: dict[str, Any], member: str, allowed: frozenset[str]):
    value = obj.get(member)
    if isinstance(value, str) and value not in allowed:
        yield _cvm(join(path, member), f"must be one of {sorted(allowed)}")


def _together(path: str, present: list[str]) -> Breach:
    names = ", ".join(f"`{join(path, m)}`" for m in present)
    return Breach(
        path,
        f"These parameters cannot be given together: {names}.",
    )


def _foreign_zone(path: str, zone: str, region: str) -> Breach:
    return Breach(
        path,
        f"The zone `{zone}` of `{path}` is not a zone of the region `{region}`.",
    )


def _cvm(path: str, what: str) -> Breach:
    return Breach(path, f"The CVM parameter `{path}` {what}.")

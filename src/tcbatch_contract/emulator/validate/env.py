"""Business rules of the anonymous compute environment and the CVM settings it carries."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ... import codes
from ..errors import echo
from ._model import Finding, Subject, child, integer, objects, strings

_IMAGE_ID = re.compile(r"img-[a-z0-9]{8}")
_PRICE = re.compile(r"[0-9]+(\.[0-9]+)?")

SYSTEM_DISK_TYPES = frozenset({
    "LOCAL_BASIC", "LOCAL_SSD", "CLOUD_BASIC", "CLOUD_SSD", "CLOUD_PREMIUM", "CLOUD_BSSD",
    "CLOUD_HSSD", "CLOUD_TSSD",
})  # fmt: skip
DATA_DISK_TYPES = SYSTEM_DISK_TYPES | {"LOCAL_NVME", "LOCAL_PRO"}
INTERNET_CHARGE_TYPES = frozenset({
    "BANDWIDTH_PREPAID", "TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR",
    "BANDWIDTH_PACKAGE",
})  # fmt: skip
INSTANCE_CHARGE_TYPES = frozenset({"POSTPAID_BY_HOUR", "SPOTPAID"})
PASSWORD_SPECIALS = frozenset("()`~!@#$%^&*-+=|{}[]:;',.?/")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ASCII_DIGITS = frozenset("0123456789")


def b10_image_id_form(subject: Subject) -> Iterator[Finding]:
    for env_path, env in subject.env_datas:
        for path, image_id in strings(env, "ImageId", env_path):
            if not _IMAGE_ID.fullmatch(image_id):
                yield Finding(
                    "B10",
                    codes.IMAGE_ID_MALFORMED,
                    path,
                    f"The image id `{echo(image_id)}` of `{path}` is malformed: an id is `img-` "
                    "and 8 lower-case letters or digits.",
                )


def b11_compute_env(subject: Subject) -> Iterator[Finding]:
    for task_path, task in subject.tasks:
        found = child(task, "ComputeEnv", task_path)
        if not found:
            continue
        path, env = found
        env_type = env.get("EnvType")
        if isinstance(env_type, str) and env_type != "MANAGED":
            yield _b11(f"{path}.EnvType", f"the environment type `{echo(env_type)}` is not MANAGED")
        if "EnvData" not in env:
            yield _b11(f"{path}.EnvData", "a compute environment needs `EnvData`")
        data = env.get("EnvData")
        if isinstance(data, dict):
            types = data.get("InstanceTypes")
            if not (
                "InstanceType" in data
                or (isinstance(types, list) and types)
                or "InstanceTypeOptions" in data
            ):
                yield _b11(
                    f"{path}.EnvData",
                    "give one of `InstanceType`, `InstanceTypes` or `InstanceTypeOptions`",
                )


def _b11(path: str, why: str) -> Finding:
    return Finding("B11", codes.COMPUTE_ENV, path, f"`{path}` is invalid: {why}.")


_EXCLUSIVE_IN_ENV_DATA = (
    ("InstanceType", "InstanceTypes", "InstanceTypeOptions"),
    ("VirtualPrivateCloud", "Zones", "VirtualPrivateClouds"),
)


def b12_exclusive_members(subject: Subject) -> Iterator[Finding]:
    groups: list[tuple[str, dict, tuple[str, ...]]] = []
    for path, env in subject.env_datas:
        groups += [(path, env, names) for names in _EXCLUSIVE_IN_ENV_DATA]
        login = child(env, "LoginSettings", path)
        if login:
            groups.append((login[0], login[1], ("Password", "KeyIds")))
            if login[1].get("KeepImageLogin") == "TRUE":
                groups.append((login[0], login[1], ("KeepImageLogin", "Password")))
                groups.append((login[0], login[1], ("KeepImageLogin", "KeyIds")))
    groups += [(path, app, ("Command", "Commands")) for path, app in subject.applications]
    for path, obj, names in groups:
        given = [name for name in names if name in obj]
        if len(given) >= 2:
            yield Finding(
                "B12",
                codes.INVALID_COMBINATION,
                f"{path}.{given[1]}",
                f"`{path}` gives {' and '.join(f'`{n}`' for n in given)}; "
                "these exclude each other.",
            )


def b14_instance_types_unique(subject: Subject) -> Iterator[Finding]:
    for env_path, env in subject.env_datas:
        items = env.get("InstanceTypes")
        if isinstance(items, list):
            seen: set[str] = set()
            for index, item in enumerate(items):
                if isinstance(item, str) and item in seen:
                    path = f"{env_path}.InstanceTypes.{index}"
                    yield Finding(
                        "B14",
                        codes.INSTANCE_TYPE_DUPLICATE,
                        path,
                        f"The instance type `{echo(item)}` of `{path}` is listed twice.",
                    )
                seen.add(item)


def b22_max_price(subject: Subject) -> Iterator[Finding]:
    for env_path, env in subject.env_datas:
        market = child(env, "InstanceMarketOptions", env_path)
        spot = child(market[1], "SpotOptions", market[0]) if market else None
        if spot:
            for path, price in strings(spot[1], "MaxPrice", spot[0]):
                if not _PRICE.fullmatch(price):
                    yield Finding(
                        "B22",
                        codes.NOT_FLOAT,
                        path,
                        f"The price `{echo(price)}` of `{path}` is not a decimal number "
                        "such as `0.5`.",
                    )


def b27_cvm_parameters(subject: Subject) -> Iterator[Finding]:
    for env_path, env in subject.env_datas:
        yield from _cvm_problems(env, env_path)


def _cvm_problems(env: dict, env_path: str) -> Iterator[Finding]:
    system = child(env, "SystemDisk", env_path)
    if system:
        path, disk = system
        yield from _enum(disk, "DiskType", path, SYSTEM_DISK_TYPES)
        size = integer(disk, "DiskSize")
        if size is not None and size <= 0:
            yield _b27(f"{path}.DiskSize", f"the disk size {size} must be positive")
    for path, disk in objects(env.get("DataDisks"), f"{env_path}.DataDisks"):
        yield from _enum(disk, "DiskType", path, DATA_DISK_TYPES)
        size = integer(disk, "DiskSize")
        if size is not None and (size <= 0 or size % 10):
            yield _b27(
                f"{path}.DiskSize", f"the disk size {size} must be a positive multiple of 10"
            )
    internet = child(env, "InternetAccessible", env_path)
    if internet:
        path, access = internet
        yield from _enum(access, "InternetChargeType", path, INTERNET_CHARGE_TYPES)
        bandwidth = integer(access, "InternetMaxBandwidthOut")
        if bandwidth is not None and bandwidth < 0:
            yield _b27(f"{path}.InternetMaxBandwidthOut", "the bandwidth must not be negative")
    login = child(env, "LoginSettings", env_path)
    if login:
        path, settings = login
        for full, password in strings(settings, "Password", path):
            if not linux_password_ok(password):
                yield _b27(
                    full,
                    "a password has 8 to 16 letters, digits or "
                    "()`~!@#$%^&*-+=|{}[]:;',.?/, from at least two of these classes",
                )
        yield from _enum(settings, "KeepImageLogin", path, frozenset({"TRUE", "FALSE"}))


def linux_password_ok(password: str) -> bool:
    """The documented Linux rule: 8-16 characters of three classes, at least two of them."""
    if not 8 <= len(password) <= 16:
        return False
    classes = (_ASCII_LETTERS, _ASCII_DIGITS, PASSWORD_SPECIALS)
    if not all(any(ch in cls for cls in classes) for ch in password):
        return False
    return sum(any(ch in cls for ch in password) for cls in classes) >= 2


def _enum(obj: dict, name: str, path: str, allowed: frozenset[str]) -> Iterator[Finding]:
    for full, value in strings(obj, name, path):
        if value not in allowed:
            yield _b27(full, f"`{echo(value)}` is not one of {', '.join(sorted(allowed))}")


def _b27(path: str, why: str) -> Finding:
    return Finding("B27", codes.CVM_PARAMETERS, path, f"`{path}` is invalid: {why}.")


def b28_instance_charge_type(subject: Subject) -> Iterator[Finding]:
    for env_path, env in subject.env_datas:
        for path, value in strings(env, "InstanceChargeType", env_path):
            if value not in INSTANCE_CHARGE_TYPES:
                yield Finding(
                    "B28",
                    codes.UNSUPPORTED_CHARGE_TYPE,
                    path,
                    f"The charge type `{echo(value)}` of `{path}` is not supported; use "
                    "POSTPAID_BY_HOUR or SPOTPAID.",
                )

"""Single faults of the value rules: ranges (B16-B18), paths (B19-B21), MaxPrice (B22),
zones (B26) and the ClientToken (B29).

Numbers stay within uint64 so that no range fault is also S4, and ``DelayOnRetry`` is
pushed up or to 0, never below (a negative one is S5 and B17, §7). A bad scheme (B19) keeps
the rest of the path well formed and, in a directory field, the trailing ``/``, because a
directory path without it would also break B20 whatever its scheme.
"""

from __future__ import annotations

from hypothesis import strategies as st

from tcbatch_contract import codes
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.typetable import UINT64_MAX

from . import values as v
from .bad import (
    bad_client_token,
    bad_local_path,
    bad_max_price,
    bad_remote_form,
    bad_scheme_path,
    bad_zone,
)
from .locate import Template, set_at
from .registry import Injected, at, fault, pick

TASK = ("Job", "Tasks", "*")
ENV_DATA = (*TASK, "ComputeEnv", "EnvData")
DOCKER = (*TASK, "Application", "Docker")


def _fields(table: tuple[tuple[Template, object], ...]) -> tuple[str, ...]:
    return tuple(".".join(template) for template, _ in table)


def _above(low: int) -> st.SearchStrategy[int]:
    return v.uint64(low, UINT64_MAX)


_RETRIES: tuple[tuple[Template, st.SearchStrategy[int]], ...] = (
    ((*TASK, "MaxRetryCount"), _above(6)),
    ((*TASK, "ResourceMaxRetryCount"), _above(101)),
    ((*DOCKER, "MaxRetryCount"), _above(11)),
)
_RANGES: tuple[tuple[Template, st.SearchStrategy[int]], ...] = (
    (("Job", "Priority"), _above(101)),
    ((*TASK, "MaxConcurrentNum"), _above(200001)),
    ((*DOCKER, "DelayOnRetry"), st.just(0) | _above(361)),
)


def _first(entry: tuple[Template, object]) -> str:
    return ".".join(entry[0])


def _number(draw: st.DrawFn, profile: TargetProfile, only: str | None, table: tuple) -> Injected:
    template, values = pick(draw, table, only, _first)
    params, loc = at(draw, profile, template)
    value = draw(values)
    set_at(params, loc, value)
    return Injected(params, loc, str(value))


@fault("B16", codes.MAX_RETRY_COUNT, _fields(_RETRIES))
def b16(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    return _number(draw, profile, only, _RETRIES)


@fault("B17", codes.INVALID_PARAMETER_VALUE, _fields(_RANGES))
def b17(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    return _number(draw, profile, only, _RANGES)


@fault("B18", codes.TASK_INSTANCE_NUM, ("Job.Tasks.*.TaskInstanceNum",), faults=1)
def b18(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, (*TASK, "TaskInstanceNum"))
    set_at(params, loc, 0)
    return Injected(params, loc, "0")


#: The remote paths of §5, with whether each is a directory (must end with ``/``).
REMOTE_PATHS: tuple[tuple[Template, bool], ...] = (
    ((*TASK, "RedirectInfo", "StdoutRedirectPath"), True),
    ((*TASK, "RedirectInfo", "StderrRedirectPath"), True),
    ((*TASK, "Application", "PackagePath"), False),
    ((*TASK, "InputMappings", "*", "SourcePath"), False),
    ((*TASK, "OutputMappings", "*", "DestinationPath"), True),
)
#: The local paths of §5.
LOCAL_PATHS: tuple[Template, ...] = (
    (*TASK, "ComputeEnv", "MountDataDisks", "*", "LocalPath"),
    (*TASK, "InputMappings", "*", "DestinationPath"),
    (*TASK, "OutputMappings", "*", "SourcePath"),
    (*TASK, "RedirectLocalInfo", "StdoutLocalPath"),
    (*TASK, "RedirectLocalInfo", "StderrLocalPath"),
)


@fault("B19", codes.REMOTE_STORAGE_SCHEME, _fields(REMOTE_PATHS))
def b19(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    template, directory = pick(draw, REMOTE_PATHS, only, _first)
    params, loc = at(draw, profile, template)
    value = draw(bad_scheme_path(directory=directory))
    set_at(params, loc, value)
    return Injected(params, loc, f"scheme {value[: value.index('://')]!r}")


@fault("B20", codes.REMOTE_STORAGE_PATH, _fields(REMOTE_PATHS))
def b20(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    template, directory = pick(draw, REMOTE_PATHS, only, _first)
    params, loc = at(draw, profile, template)
    value = draw(bad_remote_form(directory=directory))
    set_at(params, loc, value)
    return Injected(params, loc, "bad form" if "://" in value else "no ://")


@fault("B21", codes.LOCAL_PATH, tuple(".".join(t) for t in LOCAL_PATHS))
def b21(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    template = pick(draw, LOCAL_PATHS, only, ".".join)
    params, loc = at(draw, profile, template)
    value = draw(bad_local_path())
    set_at(params, loc, value)
    return Injected(params, loc, "not an absolute path" if value[:1] != "/" else "control char")


MAX_PRICE = (*ENV_DATA, "InstanceMarketOptions", "SpotOptions", "MaxPrice")


@fault("B22", codes.NOT_FLOAT, (".".join(MAX_PRICE),))
def b22(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, MAX_PRICE)
    set_at(params, loc, draw(bad_max_price()))
    return Injected(params, loc, "not a decimal")


ZONES: tuple[Template, ...] = (("Placement", "Zone"), (*ENV_DATA, "Zones", "*"))


@fault("B26", codes.INVALID_ZONE_MISMATCH_REGION, tuple(".".join(t) for t in ZONES))
def b26(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, pick(draw, ZONES, only, ".".join))
    value = draw(bad_zone(profile.region))
    set_at(params, loc, value)
    return Injected(params, loc, f"zone {value!r}"[:60])


@fault("B29", codes.INVALID_PARAMETER_VALUE, ("ClientToken",))
def b29(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, ("ClientToken",))
    value = draw(bad_client_token())
    params["ClientToken"] = value
    return Injected(params, loc, "empty" if not value else f"{len(value)} characters")

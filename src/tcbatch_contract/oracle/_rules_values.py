"""Business rules on numbers and storage paths (B16-B21)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from ._limits import (
    DELAY_ON_RETRY_MAX,
    DELAY_ON_RETRY_MIN,
    DOCKER_MAX_RETRY,
    LOCAL_PATHS,
    MAX_CONCURRENT_NUM_MAX,
    PRIORITY_MAX,
    REMOTE_PATHS,
    REMOTE_SCHEMES,
    TASK_MAX_RETRY,
    TASK_RESOURCE_MAX_RETRY,
)
from ._model import Breach
from ._request import Request, is_int, join

_RETRY_LIMITS = (
    ("Task", "MaxRetryCount", TASK_MAX_RETRY),
    ("Task", "ResourceMaxRetryCount", TASK_RESOURCE_MAX_RETRY),
    ("Docker", "MaxRetryCount", DOCKER_MAX_RETRY),
)
_RANGES = (
    ("Job", "Priority", 0, PRIORITY_MAX),
    ("Task", "MaxConcurrentNum", 0, MAX_CONCURRENT_NUM_MAX),
    ("Docker", "DelayOnRetry", DELAY_ON_RETRY_MIN, DELAY_ON_RETRY_MAX),
)


def retry_count_too_large(req: Request) -> Iterator[Breach]:
    for type_name, member, limit in _RETRY_LIMITS:
        for path, obj in req.of(type_name):
            value = obj.get(member)
            if is_int(value) and value > limit:
                where = join(path, member)
                yield Breach(
                    where,
                    f"`{where}` is {value}; at most {limit} retries are allowed.",
                )


def value_out_of_range(req: Request) -> Iterator[Breach]:
    for type_name, member, low, high in _RANGES:
        for path, obj in req.of(type_name):
            value = obj.get(member)
            # Below the low bound matters only where it is above 0: a negative uint64 is S5's.
            if is_int(value) and (value > high or (low > 0 and value < low)):
                where = join(path, member)
                yield Breach(
                    where,
                    f"`{where}` must be between {low} and {high}, not {value}.",
                )


def task_instance_num_zero(req: Request) -> Iterator[Breach]:
    for path, task in req.of("Task"):
        value = task.get("TaskInstanceNum")
        if is_int(value) and value == 0:
            where = join(path, "TaskInstanceNum")
            yield Breach(where, f"`{where}` must be at least 1.")


def remote_scheme(req: Request) -> Iterator[Breach]:
    for where, path, _ in _remote_paths(req):
        if "://" in path and path.split("://", 1)[0] not in REMOTE_SCHEMES:
            yield Breach(
                where,
                f"`{where}` must use one of the schemes cos://, cfs://, nfs://.",
            )


def remote_path(req: Request) -> Iterator[Breach]:
    for where, path, is_directory in _remote_paths(req):
        problem = remote_path_problem(path, is_directory)
        if problem:
            yield Breach(where, f"`{where}` {problem}.")


def local_path(req: Request) -> Iterator[Breach]:
    for type_name, member in LOCAL_PATHS:
        for path, obj in req.of(type_name):
            value = obj.get(member)
            if isinstance(value, str) and not local_path_ok(value):
                where = join(path, member)
                yield Breach(
                    where,
                    f"`{where}` must be an absolute Linux path or a Windows drive path.",
                )


def remote_path_problem(path: str, is_directory: bool) -> str | None:
    """Why ``path`` breaks B20, or None. A wrong scheme is B19's, not this rule's."""
    if "://" not in path:
        return "has no scheme (cos://, cfs:// or nfs://)"
    scheme, rest = path.split("://", 1)
    if scheme in REMOTE_SCHEMES:
        slash = rest.find("/")
        if slash < 1 or any(ch.isspace() for ch in rest):
            return "must look like scheme://host/path with no white space"
    if is_directory and not path.endswith("/"):
        return "names a directory and must end with `/`"
    return None


def local_path_ok(path: str) -> bool:
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        return False
    if path.startswith("/"):
        return True
    return len(path) >= 3 and path[0].isascii() and path[0].isalpha() and path[1:3] == ":\\"


def _remote_paths(req: Request) -> Iterator[tuple[str, str, bool]]:
    for (type_name, member), is_directory in REMOTE_PATHS.items():
        for path, obj in req.of(type_name):
            value = obj.get(member)
            if isinstance(value, str):
                yield join(path, member), value, is_directory

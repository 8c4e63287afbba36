"""Storage paths: remote (B19 scheme, B20 form) and local (B21).

Whitespace is what ``str.isspace()`` says (Unicode spaces, ``\\x1c``-``\\x1f``, ``\\x85``),
control characters are the Unicode ``Cc`` category; both are tested character by
character rather than trusted to a regex flavour.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from ... import codes
from ..errors import echo
from ._model import Finding, Subject, child, objects, strings

REMOTE_SCHEMES = ("cos", "cfs", "nfs")
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:\\")


def remote_paths(subject: Subject) -> Iterator[tuple[str, str, bool]]:
    """``(path, value, is_directory)`` for every remote path of the request."""
    for task_path, task in subject.tasks:
        redirect = child(task, "RedirectInfo", task_path)
        if redirect:
            for name in ("StdoutRedirectPath", "StderrRedirectPath"):
                for path, value in strings(redirect[1], name, redirect[0]):
                    yield path, value, True
        app = child(task, "Application", task_path)
        if app:
            for path, value in strings(app[1], "PackagePath", app[0]):
                yield path, value, False
        for path, item in objects(task.get("InputMappings"), f"{task_path}.InputMappings"):
            for full, value in strings(item, "SourcePath", path):
                yield full, value, False
        for path, item in objects(task.get("OutputMappings"), f"{task_path}.OutputMappings"):
            for full, value in strings(item, "DestinationPath", path):
                yield full, value, True


def local_paths(subject: Subject) -> Iterator[tuple[str, str]]:
    """``(path, value)`` for every local path of the request."""
    for task_path, task in subject.tasks:
        env = child(task, "ComputeEnv", task_path)
        if env:
            for path, disk in objects(env[1].get("MountDataDisks"), f"{env[0]}.MountDataDisks"):
                yield from strings(disk, "LocalPath", path)
        for path, item in objects(task.get("InputMappings"), f"{task_path}.InputMappings"):
            yield from strings(item, "DestinationPath", path)
        for path, item in objects(task.get("OutputMappings"), f"{task_path}.OutputMappings"):
            yield from strings(item, "SourcePath", path)
        local = child(task, "RedirectLocalInfo", task_path)
        if local:
            for name in ("StdoutLocalPath", "StderrLocalPath"):
                yield from strings(local[1], name, local[0])


def b19_remote_scheme(subject: Subject) -> Iterator[Finding]:
    for path, value, _ in remote_paths(subject):
        scheme, sep, _ = value.partition("://")
        if sep and scheme not in REMOTE_SCHEMES:
            yield Finding(
                "B19",
                codes.REMOTE_STORAGE_SCHEME,
                path,
                f"The scheme `{echo(scheme)}` of `{path}` is not supported; use cos://, cfs:// "
                "or nfs://.",
            )


def b20_remote_form(subject: Subject) -> Iterator[Finding]:
    for path, value, is_directory in remote_paths(subject):
        scheme, sep, rest = value.partition("://")
        if not sep:
            why = "it has no `scheme://`"
        elif scheme in REMOTE_SCHEMES and not _well_formed_remote(rest):
            why = f"it must be `{scheme}://<host>/<path>` without whitespace"
        elif is_directory and not value.endswith("/"):
            why = "a directory path must end with `/`"
        else:
            continue
        yield Finding(
            "B20",
            codes.REMOTE_STORAGE_PATH,
            path,
            f"The remote path `{echo(value)}` of `{path}` is invalid: {why}.",
        )


def _well_formed_remote(rest: str) -> bool:
    """``rest`` (after ``scheme://``) is ``[^/\\s]+/\\S*``."""
    host, slash, _ = rest.partition("/")
    return bool(host) and bool(slash) and not any(ch.isspace() for ch in rest)


def b21_local_path(subject: Subject) -> Iterator[Finding]:
    for path, value in local_paths(subject):
        shaped = value.startswith("/") or _WINDOWS_DRIVE.match(value) is not None
        if not shaped or any(unicodedata.category(ch) == "Cc" for ch in value):
            yield Finding(
                "B21",
                codes.LOCAL_PATH,
                path,
                f"The local path `{echo(value)}` of `{path}` is invalid: give an absolute "
                "Linux path or a Windows drive path, without control characters.",
            )

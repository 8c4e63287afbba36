"""What ``run`` (and the pytest suite, which reuses it) checks before anything is sent.

Option names as the user spelled them (``--target`` here, ``--tcbatch-target`` under
pytest), output paths that must be writable at the end of the run, the target URL, and the
credential of a URL target, found where the official SDK finds it. Each failure is a
``UsageError``: one line, exit status 2, before the first request.
"""

from __future__ import annotations

import argparse
import os
from typing import Any
from urllib.parse import urlsplit

from ._common import UsageError, check_output_directory, check_output_file


def option(args: argparse.Namespace, name: str) -> str:
    """How the user spells option ``name``: ``--name`` here, ``--tcbatch-name`` under pytest."""
    return getattr(args, "option_prefix", "--") + name


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before anything is sent, an output that could not be written after the run."""
    if args.junit_xml:
        check_output_file("--junit-xml", args.junit_xml)
    reports = args.report if isinstance(args.report, list) else [args.report]
    for path in filter(None, reports):
        check_output_file("--report", path)
    if args.record:
        check_output_directory("--record", args.record)


def is_builtin_target(target: str) -> bool:
    return target in ("emulator", "emulator+http") or target.startswith("replay:")


def url_parts(args: argparse.Namespace) -> Any:
    """The target URL, split; a UsageError for anything that is not an http(s) URL."""
    name = option(args, "target")
    try:
        parts = urlsplit(args.target)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise UsageError(f"{name} {args.target!r}: not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{name} {args.target!r}: give emulator, emulator+http, an http(s):// URL, "
            "or replay:DIR"
        )
    return parts


def url_credential(args: argparse.Namespace) -> tuple[Any, str]:
    """The credential of a URL target, found as the official SDK finds it; and its source."""
    from pathlib import Path

    from ..transport.credential import CredentialFileError, find_credential

    home = os.environ.get("HOME")
    try:
        found = find_credential(
            args.secret_id, args.secret_key, args.token, os.environ, Path(home) if home else None
        )
    except CredentialFileError as exc:
        raise UsageError(str(exc)) from None
    if found is None:
        raise UsageError(
            f"a URL target needs credentials: give {option(args, 'secret-id')} and "
            f"{option(args, 'secret-key')}, set TENCENTCLOUD_SECRET_ID and "
            "TENCENTCLOUD_SECRET_KEY, or write them in ~/.tencentcloud/credentials"
        )
    return found

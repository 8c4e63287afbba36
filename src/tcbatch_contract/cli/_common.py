"""Helpers shared by the sub-commands: usage errors and payload loading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class UsageError(Exception):
    """A problem with what the user asked for; shown as one line, exit code 2."""


def load_json_object(path: str) -> dict[str, Any]:
    """Read a JSON object from ``path`` (``-`` for stdin) or raise ``UsageError``."""
    import sys

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path} is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise UsageError(f"{path} holds a JSON {type(value).__name__}, not an object")
    return value


def add_profile_arguments(parser, *, region: bool = True) -> None:
    """The target-profile options every command that judges requests shares."""
    if region:
        parser.add_argument(
            "--region", default=None, help="Region of the requests (default ap-guangzhou)"
        )
    parser.add_argument(
        "--known-env-id",
        action="append",
        default=[],
        metavar="ID",
        help="a compute environment the target has (repeatable)",
    )

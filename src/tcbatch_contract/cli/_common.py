"""Helpers shared by the sub-commands: usage errors, the parser, inputs and output paths.

Bad input must end in one line naming the option and what to do, and exit status 2, never
in a traceback, and never after a run: so every output path is checked before anything is
sent, and argparse's own errors drop the long usage text for a pointer to ``--help``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from ..config import UsageError

__all__ = ["ArgumentParser", "UsageError", "add_profile_arguments", "plain_help"]


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with its errors in one line and a pointer to ``--help`` (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n(see {self.prog} --help)\n")


def plain_help(text: str | None) -> str | None:
    """A docstring paragraph as help text: no reStructuredText markup, one paragraph."""
    if not text:
        return text
    text = re.sub(r"\*(\w[^*]*)\*", r"\1", text.replace("``", ""))
    return " ".join(text.split())


def load_json_object(path: str) -> dict[str, Any]:
    """Read a JSON object from ``path`` (``-`` for stdin) or raise ``UsageError``."""
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


def check_output_file(option: str, path: str) -> None:
    """Refuse now an output file that could not be written at the end of the run."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a directory; give a file name")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"{option} {path}: the file is not writable; choose another path")
    _check_directory(option, path, target.parent)


def check_output_directory(option: str, path: str) -> None:
    """Refuse now an output directory that could not be created or written into."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{option} {path}: exists and is not a directory; give a directory")
    existing = target
    while not existing.exists():
        existing = existing.parent
    _check_directory(option, path, existing)


def _check_directory(option: str, path: str, directory: Path) -> None:
    directory = directory if str(directory) else Path(".")
    if not directory.exists():
        raise UsageError(
            f"{option} {path}: directory {directory} does not exist; create it or choose "
            "another path"
        )
    if not directory.is_dir():
        raise UsageError(
            f"{option} {path}: {directory} is not a directory; create it or choose another path"
        )
    try:  # the one sure test: root passes os.access, a read-only file system does not
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: cannot write in {directory} ({exc.strerror or exc}); "
            "choose another path"
        ) from None


def add_profile_arguments(parser: argparse.ArgumentParser, *, region: bool = True) -> None:
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

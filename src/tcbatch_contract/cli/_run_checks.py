"""What ``run`` (and the pytest suite, which reuses it) checks before anything is sent.

Option names as the user spelled them (``--target`` here, ``--tcbatch-target`` under
pytest) and output paths that must be writable at the end of the run; the target URL and
the credential of a URL target (found where the official SDK finds it) are checked by
``session``, re-exported here. Each failure is a ``UsageError``: one line, exit status 2,
before the first request.
"""

from __future__ import annotations

import argparse

from ..session import is_builtin_target, url_credential, url_parts
from ._common import check_output_directory, check_output_file

__all__ = ["check_outputs", "is_builtin_target", "option", "url_credential", "url_parts"]


def option(args: argparse.Namespace, name: str) -> str:
    """How the user spells option ``name``: ``--name`` here, ``--tcbatch-name`` under pytest."""
    return getattr(args, "option_prefix", "--") + name


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before anything is sent, an output that could not be written after the run."""
    if args.junit_xml:
        check_output_file("--junit-xml", args.junit_xml)
    if getattr(args, "result", None):
        check_output_file("--result", args.result)
    reports = args.report if isinstance(args.report, list) else [args.report]
    for path in filter(None, reports):
        check_output_file("--report", path)
    if args.record:
        check_output_directory("--record", args.record)

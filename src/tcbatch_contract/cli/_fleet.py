"""The fleet options of ``run`` (and of the pytest suite): ``--shard``, ``--database``,
``--result``. Checked before anything is sent (one line naming the option, exit status 2),
and the result written after the run; the logic is in ``harness.shard``,
``harness.database`` and ``harness.result``.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import UsageError, check_output_file
from ._run_checks import option


def prepare(args: argparse.Namespace) -> None:
    """Check ``--shard``, ``--database`` and ``--result``; set ``args.shard_parts``."""
    from ..harness.database import DatabaseError, open_database
    from ..harness.shard import ShardError, parse_shard

    try:
        args.shard_parts = parse_shard(getattr(args, "shard", None))
    except ShardError as exc:
        raise UsageError(f"{option(args, 'shard')} {exc}") from None
    database = getattr(args, "database", None)
    if database is not None and (getattr(args, "record", None) or _replay(args)):
        raise UsageError(
            f"{option(args, 'database')} {database}: a recording or a replay sends what the "
            "seed alone draws; leave --database out"
        )
    if database is not None:
        try:
            open_database(database, check=True)
        except DatabaseError as exc:
            raise UsageError(f"{option(args, 'database')} {exc}") from None
    if getattr(args, "result", None):
        check_output_file(option(args, "result"), args.result)
    if args.shard_parts is not None and (getattr(args, "record", None) or _replay(args)):
        raise UsageError(
            f"{option(args, 'shard')} {args.shard}: a recording or a replay is one whole run; "
            "leave --shard out"
        )


def write_result(args: argparse.Namespace, report: Any, exit_code: int, scrub: Any) -> None:
    """``--result FILE``: the run's result document, when asked for."""
    if not getattr(args, "result", None):
        return
    from ..harness.result import write_result as write

    rules = sorted(r.strip() for r in args.rules.split(",") if r.strip()) if args.rules else None
    write(report, args.result, exit_code=exit_code, scrub=scrub, rules=rules)
    print(f"result written to {args.result}")


def _replay(args: argparse.Namespace) -> bool:
    return str(getattr(args, "target", "")).startswith("replay:")

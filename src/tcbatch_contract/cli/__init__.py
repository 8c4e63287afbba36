"""The ``tcbatch-contract`` command line.

Each sub-command lives in a module of this package that defines ``register(subparsers)``;
the module sets ``func`` on its parser, a callable taking the parsed arguments and returning
the exit code. A ``UsageError`` anywhere becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._common import UsageError

#: Sub-command modules, in the order ``--help`` lists them.
COMMANDS = ("run", "expect", "rules", "generate", "emulator", "mutation_score")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tcbatch-contract",
        description="Conformance and fuzzing harness for the Tencent Cloud Batch SubmitJob API.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"tcbatch-contract {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tcbatch-contract {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

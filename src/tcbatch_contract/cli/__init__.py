"""The ``tcbatch-contract`` command line.

Each sub-command lives in a module of this package that defines ``register(subparsers)``;
the module sets ``func`` on its parser, a callable taking the parsed arguments and returning
the exit code. A ``UsageError`` anywhere becomes one line on stderr and exit code 2; so
does an argparse error (with a pointer to ``--help`` instead of the long usage text).
Output cut short by its reader (``tcbatch-contract rules | head -1``) ends quietly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ._common import ArgumentParser, UsageError

#: Sub-command modules, in the order ``--help`` lists them.
COMMANDS = (
    "run", "merge", "diff", "expect", "rules", "generate", "emulator", "mutation_score", "examples",
)  # fmt: skip
#: The exit status when the reader of the output went away (128 + SIGPIPE, as a shell has).
BROKEN_PIPE = 141

EPILOG = """\
exit status: 0 success, 1 a rule failed (see each command's --help), 2 bad usage or a
target that cannot be checked, 130 interrupted, 141 the output's reader went away.
Shell completion: pip install 'tcbatch-contract[completion]', then
  eval "$(register-python-argcomplete tcbatch-contract)"   (bash or zsh)
"""


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = ArgumentParser(
        prog="tcbatch-contract",
        description="Conformance and fuzzing harness for the Tencent Cloud Batch SubmitJob API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(subparsers)
    return parser


def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request when argcomplete is installed (a no-op otherwise)."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    _complete(parser)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, where a reader gone away is caught, not at exit
        return code
    except UsageError as exc:
        print(f"tcbatch-contract {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tcbatch-contract {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return BROKEN_PIPE


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that the flush at exit is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test's capture): nothing to flush
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

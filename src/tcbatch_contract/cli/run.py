"""``tcbatch-contract run``: check a target against the contract and report per rule.

The default target is the embedded emulator, in-process, configured so that every rule
can be checked (a known compute environment, a small job quota, a denied credential, a
rate limit that keeps the run quick), with fresh random credentials for each run. A URL
target needs real credentials and states what it is configured with through options.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Collection
from contextlib import ExitStack
from typing import Any

from .. import config
from ..config import (
    CREDENTIALS,
    CREDENTIALS_HELP,
    DEFAULT_MAX_EXAMPLES,
    FORMS,
    MAX_DEFAULT_WORKERS,
    RunOptions,
)
from ..session import EMULATOR_JOB_QUOTA, EMULATOR_RATE_LIMIT, LIVE_HOST
from ._common import UsageError
from ._run_checks import check_outputs, is_builtin_target, url_parts

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "EMULATOR_JOB_QUOTA",
    "EMULATOR_RATE_LIMIT",
    "FORMS",
    "LIVE_HOST",
    "MAX_DEFAULT_WORKERS",
    "add_options",
    "options_from_args",
    "parse_duration",
    "register",
    "run_command",
]

EPILOG = """\
exit status:
  0  conformant: no rule failed (skipped rules and harness errors are listed, and do not
     fail the run on their own)
  1  at least one rule failed
  2  bad usage, an unreachable target, a target that does not speak the API, or one
     that refuses the credential (nothing is sent after the first request)
  130 interrupted (jobs the run created are deleted first)
A replay (--target replay:DIR) exits 2 when it did not send exactly the recorded
requests, and 1 when a rule's verdict differs from the recorded one.

Rules whose target configuration the profile lacks are skipped with the reason (B9
needs --known-env-id, B30 --job-quota, B31 --denied-secret-id/--denied-secret-key,
P9 --rate-limit). A harness error (status "error") means the harness could not judge a
rule, e.g. its generator and its oracle disagreed: it is a bug of this tool, not of the
target, and is reported without changing the exit status. Neither do rules declared in
--expectations FILE (unsupported, unexpected-pass) nor, against a live service, failing
rules whose basis is assumed (drift): see docs/recording.md.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="check a target against the contract",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(parser)
    files = parser.add_argument_group("configuration")
    files.add_argument(
        "--config",
        metavar="FILE",
        help="read options from the [tcbatch-contract] table of this TOML file, instead of "
        "[tool.tcbatch-contract] in ./pyproject.toml (the command line and the environment "
        "come first)",
    )
    files.add_argument(
        "--show-config",
        action="store_true",
        help="print every option's value and where it came from (secrets masked), then exit",
    )
    parser.set_defaults(func=run_command)


def add_options(parser: argparse.ArgumentParser, only: Collection[str] | None = None) -> None:
    """The options of the table (``config.RunOptions``), grouped as ``--help`` shows them;
    ``only`` names the ones a command other than ``run`` shares with it."""
    groups: dict[str, Any] = {"": parser}
    for item in config.table():
        if only is not None and item.name not in only:
            continue
        spec: config.Spec = item.metadata["option"]
        if spec.group not in groups:
            description = CREDENTIALS_HELP if spec.group == CREDENTIALS else None
            groups[spec.group] = parser.add_argument_group(spec.group, description)
        groups[spec.group].add_argument(
            "--" + config.file_key(item.name), dest=item.name, **config.argparse_keywords(item)
        )


def options_from_args(args: argparse.Namespace, directory: str = ".") -> RunOptions:
    """The run options the command line stands for: resolved, checked, a replay's filled in
    from its recording, the workers made concrete."""
    from ..session import with_recording

    given = {item.name: getattr(args, item.name, None) for item in config.table()}
    found = (
        config.read_config_file(args.config)
        if getattr(args, "config", None)
        else config.project_file(directory)
    )
    options = with_recording(config.resolve(given, files=[found] if found else []))
    options = config.with_workers(options)
    config.check_together(options)
    if not is_builtin_target(options.target):
        url_parts(options)
    return options


def parse_duration(text: str | None) -> float | None:
    """``90s``, ``10m``, ``1h``, ``1.5h`` or plain seconds, as seconds (None stays None)."""
    try:
        return config.duration_seconds(text)
    except ValueError as exc:
        raise UsageError(f"--max-time {text!r}: {exc}") from None


def run_command(args: argparse.Namespace) -> int:
    from ..session import build_target, check_fleet_options

    options = options_from_args(args)
    if getattr(args, "show_config", False):
        for line in config.show(options):
            print(line)
        return 0
    if options.record and options.is_replay:
        raise UsageError(f"--record {options.record}: a replay cannot be recorded again")
    check_outputs(options)
    check_fleet_options(options)
    if options.max_time is not None and (options.record or options.is_replay):
        raise UsageError(
            f"--max-time {options.max_time}: how far a timed run gets depends on the target's "
            "speed, so it cannot be recorded or replayed; leave --max-time out"
        )
    with ExitStack() as stack:
        built = build_target(options, stack)
        scrub = _scrubbing(stack, built.secrets, built.spec)
        try:
            return _run(options, built, scrub, stack)
        except UsageError as exc:
            raise UsageError(scrub(str(exc))) from None
        except Exception:  # a bug of this tool: its traceback, scrubbed, as Python would
            import traceback

            traceback.print_exc()
            raise SystemExit(1) from None


def _scrubbing(stack: ExitStack, secrets_used: list[str | None], spec: Any) -> Any:
    """One scrubber for everything the run writes: it learns each signature as it is made,
    and stdout and stderr (progress, messages, tracebacks) go through it."""
    import sys

    from ..harness.report.masking import ScrubbedStream, Scrubber

    token = getattr(spec.credential, "token", None)
    scrub = stack.enter_context(Scrubber([*secrets_used, token]).listening())
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        stack.callback(setattr, sys, name, stream)
        setattr(sys, name, ScrubbedStream(stream, scrub))
    return scrub


def _run(options: RunOptions, built: Any, scrub: Any, stack: ExitStack) -> int:
    from ..harness.report.console import Progress, results_table, summary_lines
    from ..harness.report.document import write_report
    from ..harness.report.junit import write_junit
    from ..session import run, write_result

    with _sigterm_as_interrupt():
        report = run(options, stack=stack, built=built, scrub=scrub, progress=Progress())
    print(scrub(results_table(report)))
    print()
    for line in summary_lines(report):
        print(scrub(line))
    if options.junit_xml:
        write_junit(report, options.junit_xml, scrub)
        print(f"JUnit XML written to {options.junit_xml}")
    for path in options.report:
        write_report(report, path, scrub)
        print(f"report written to {path}")
    write_result(options, report, 130 if report.interrupted else report.exit_code, scrub)
    if report.interrupted:
        return 130
    if report.replay_problems:
        raise UsageError(
            f"the replay of {options.target} did not send exactly the recorded requests: "
            + "; ".join(report.replay_problems)
        )
    return max(report.exit_code, 1) if report.verdict_changes else report.exit_code


class _sigterm_as_interrupt:
    """SIGTERM ends a run like Ctrl-C does: stop, delete what was created, report."""

    def __enter__(self) -> None:
        self._old = None
        try:
            self._old = signal.signal(signal.SIGTERM, self._raise)
        except ValueError:  # not the main thread: leave signals alone
            self._old = None

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)

    @staticmethod
    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

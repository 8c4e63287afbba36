"""``tcbatch-contract diff``: send the same generated requests to two targets, show where
they disagree and which side the contract says is wrong.

A target is a URL (credentials as for ``run``: the same for both targets), ``emulator``
(the embedded emulator, in-process) or ``emulator:MUTANT`` (the same with one seeded bug,
see ``emulator --list-mutants``), so that the command can be tried without two servers.
"""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack
from typing import Any

from ._common import UsageError, check_output_file

#: The options ``diff`` shares with ``run``: declared, defaulted and checked by the one
#: table (``config.RunOptions``), read from the same files and environment.
SHARED = (
    "region", "known_env_id", "secret_id", "secret_key", "token", "max_examples", "seed",
    "rules", "form", "allow_billable", "timeout",
)  # fmt: skip

EPILOG = """\
exit status:
  0  the two targets answered every request alike
  1  at least one request was answered differently (listed by rule, smallest first, with
     the oracle's verdict: "A is wrong", "B is wrong", "both wrong", or "open" when the
     contract allows both answers)
  2  bad usage, or a target that is unreachable or does not speak the API
"""


def register(subparsers: Any) -> None:
    from .run import add_options

    parser = subparsers.add_parser(
        "diff",
        help="send the same generated requests to two targets and report the differences",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="TARGET",
        help="give twice: a URL, emulator, or emulator:MUTANT",
    )
    add_options(parser, only=SHARED)
    own = parser.add_argument_group("diff")
    own.add_argument(
        "--secret-id-b", help="the second target's own credential (with --secret-key-b)"
    )
    own.add_argument("--secret-key-b", help="default: the same credential as the first target")
    own.add_argument(
        "--no-shrink",
        action="store_true",
        help="show the smallest drawn request of each difference as drawn, without shrinking "
        "it (quicker); by default Hypothesis shrinks each one (at most 20 s each)",
    )
    own.add_argument("--json", metavar="FILE", help="also write the differences as JSON")
    parser.set_defaults(func=diff_command)


def diff_command(args: argparse.Namespace) -> int:
    from .. import config
    from ..harness.diff import Differ
    from ..harness.model import RunSettings
    from ..harness.runner import TargetUnusable, probe
    from ..harness.targets import TargetFactory

    if len(args.target) != 2:
        raise UsageError(f"--target: give exactly two targets (got {len(args.target)})")
    found = config.project_file(".")
    options = config.resolve(
        {name: getattr(args, name) for name in SHARED}, files=[found] if found else []
    )
    config.check_together(options)
    if bool(args.secret_id_b) != bool(args.secret_key_b):
        raise UsageError("give --secret-id-b and --secret-key-b together, or neither")
    rules = _rules(options.rules)
    if args.json:
        check_output_file("--json", args.json)
    with ExitStack() as stack:
        shared = _shared_emulator(options)
        specs = [_spec(args, options, name, shared, stack, i) for i, name in enumerate(args.target)]
        sides = []
        for spec in specs:
            targets = TargetFactory(spec)
            try:
                probe(targets, options.timeout)
            except TargetUnusable as exc:
                raise UsageError(str(exc)) from None
            sides.append(targets.target())
        settings = RunSettings(
            max_examples=options.max_examples, seed=options.seed, request_timeout=options.timeout,
            allow_billable=None if all(s.is_loopback for s in specs) else (options.allow_billable or 0),
            form=options.form,
            shrink_seconds=0.0 if args.no_shrink else RunSettings.shrink_seconds,
        )  # fmt: skip
        differ = Differ(sides[0], sides[1], settings)
        try:
            report = differ.run((args.target[0], args.target[1]), rules)
        finally:
            for side in sides:
                _cleanup(side)
    for line in report_lines(report):
        print(line)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(report.to_dict(), out, indent=2, ensure_ascii=True, default=repr)
    return report.exit_code


def report_lines(report: Any) -> list[str]:
    a, b = report.names
    lines = [f"A = {a}", f"B = {b}", ""]
    current = None
    for diff in report.differences:
        if diff.rule != current:
            current = diff.rule
            lines.append(f"== {diff.rule}")
        where = f" at {diff.field}" if diff.field else ""
        lines.append(
            f"  {diff.verdict.upper()}{where}: A {diff.answers[0]}, B {diff.answers[1]}; "
            f"contract: {_expected(diff.expected)} ({diff.count} request(s), smallest shown, "
            f"{diff.form})"
        )
        lines.extend(f"    {line}" for line in diff.detail[:5])
        lines.append("    " + json.dumps(diff.params, ensure_ascii=True, sort_keys=True)[:600])
    lines.extend(report.notes)
    rules = len({d.rule for d in report.differences})
    head = "DIFFERENT" if report.differences else "ALIKE"
    lines.append(
        f"{head}: {len(report.differences)} difference(s) in {rules} rule(s); "
        f"{report.cases} cases, {report.requests} requests to both targets, seed {report.seed}"
    )
    return lines


def _expected(expected: dict[str, Any]) -> str:
    if expected.get("outcome") == "success":
        return "success"
    text = " or ".join(expected.get("codes", []))
    also = expected.get("also_accepted")
    return f"{text} (another reading: {' or '.join(also)})" if also else text


def _rules(value: str | None) -> list[str] | None:
    """The rules ``--rules`` names among those ``diff`` draws (the body rules, VALID, FUZZ)."""
    if not value:
        return None
    from ..config import rule_set
    from ..strategies import single_fault_rules

    known = [*single_fault_rules(), "VALID", "FUZZ"]
    try:
        return sorted(rule_set(value, known), key=known.index)
    except ValueError as exc:
        raise UsageError(f"--rules: {exc}") from None


def _shared_emulator(options: Any) -> dict[str, Any]:
    """One configuration for every embedded emulator of the run, so that both answer alike:
    the same credentials and compute environments."""
    from ..session import fresh_credential, fresh_name

    (secret_id, secret_key), (denied_id, denied_key) = fresh_credential(), fresh_credential()
    return {
        "secret_id": secret_id, "secret_key": secret_key,
        "denied_secret_id": denied_id, "denied_secret_key": denied_key,
        "known_env_id": list(options.known_env_id) or ["env-" + fresh_name(8)],
    }  # fmt: skip


def _spec(
    args: argparse.Namespace,
    options: Any,
    name: str,
    shared: dict[str, Any],
    stack: ExitStack,
    index: int,
) -> Any:
    from dataclasses import replace

    from ..config import RunOptions
    from ..session import build_target

    common = {"region": options.region, "timeout": options.timeout, "workers": 1}
    if name == "emulator" or name.startswith("emulator:"):
        from ..emulator import mutants

        mutant = name.partition(":")[2] or None
        if mutant is not None and mutant not in mutants.names():
            raise UsageError(
                f"--target {name}: unknown mutant {mutant!r}; see "
                "`tcbatch-contract emulator --list-mutants`"
            )
        options = RunOptions(target="emulator", **common, **shared)
        return replace(build_target(options, stack, mutant=mutant).spec, name=name)
    if name.startswith(("emulator+", "replay:")):
        raise UsageError(f"--target {name}: diff takes a URL, emulator or emulator:MUTANT")
    secret_id, secret_key = options.secret_id, options.secret_key
    if index == 1 and args.secret_id_b:
        secret_id, secret_key = args.secret_id_b, args.secret_key_b
    options = RunOptions(
        target=name, known_env_id=list(options.known_env_id), secret_id=secret_id,
        secret_key=secret_key, token=options.token, **common,
    )  # fmt: skip
    return build_target(options, stack).spec


def _cleanup(target: Any) -> None:
    from ..harness.exchange import delete_job
    from ..transport import TransportError

    for job_id in sorted(target.created_jobs):
        try:
            delete_job(target, job_id)
        except TransportError:
            pass

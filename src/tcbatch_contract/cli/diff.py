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

from ..config import FORMS
from ._common import UsageError, add_profile_arguments, check_output_file

DEFAULT_MAX_EXAMPLES = 20

EPILOG = """\
exit status:
  0  the two targets answered every request alike
  1  at least one request was answered differently (listed by rule, smallest first, with
     the oracle's verdict: "A is wrong", "B is wrong", "both wrong", or "open" when the
     contract allows both answers)
  2  bad usage, or a target that is unreachable or does not speak the API
"""


def register(subparsers: Any) -> None:
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
    add_profile_arguments(parser)
    cred = parser.add_argument_group("credentials (URL targets, both the same)")
    cred.add_argument("--secret-id", help="give with --secret-key")
    cred.add_argument("--secret-key", help="give with --secret-id")
    cred.add_argument("--token", help="a temporary credential's token")
    cred.add_argument(
        "--secret-id-b", help="the second target's own credential (with --secret-key-b)"
    )
    cred.add_argument("--secret-key-b", help="default: the same credential as the first target")
    gen = parser.add_argument_group("the run")
    gen.add_argument(
        "--max-examples",
        type=int,
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help=f"generated cases per rule (default {DEFAULT_MAX_EXAMPLES}; VALID twice as many)",
    )
    gen.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    gen.add_argument(
        "--rules", metavar="ID,...", help="only these rules (S1-S6, B1-B29, VALID, FUZZ)"
    )
    gen.add_argument("--form", choices=FORMS, default="mixed", help="request form (default mixed)")
    gen.add_argument(
        "--allow-billable",
        type=int,
        default=0,
        metavar="N",
        help="valid submissions allowed when a target is a URL that is not loopback "
        "(default 0: none; loopback and embedded targets: no limit)",
    )
    gen.add_argument("--timeout", type=float, default=35.0, metavar="S", help="per-request limit")
    gen.add_argument(
        "--no-shrink",
        action="store_true",
        help="show the smallest drawn request of each difference as drawn, without shrinking "
        "it (quicker); by default Hypothesis shrinks each one (at most 20 s each)",
    )
    gen.add_argument("--json", metavar="FILE", help="also write the differences as JSON")
    parser.set_defaults(func=diff_command)


def diff_command(args: argparse.Namespace) -> int:
    from ..harness.diff import Differ
    from ..harness.model import RunSettings
    from ..harness.runner import TargetUnusable, probe
    from ..harness.targets import TargetFactory

    if len(args.target) != 2:
        raise UsageError(f"--target: give exactly two targets (got {len(args.target)})")
    if args.max_examples < 1:
        raise UsageError(f"--max-examples {args.max_examples}: give a number of 1 or more")
    if args.allow_billable < 0:
        raise UsageError(f"--allow-billable {args.allow_billable}: give 0 or more")
    if not args.timeout > 0:
        raise UsageError(f"--timeout {args.timeout}: give a positive number of seconds")
    for first, second in (("secret_id", "secret_key"), ("secret_id_b", "secret_key_b")):
        if bool(getattr(args, first)) != bool(getattr(args, second)):
            name, other = (f"--{n.replace('_', '-')}" for n in (first, second))
            raise UsageError(f"give {name} and {other} together, or neither")
    rules = _rules(args.rules)
    if args.json:
        check_output_file("--json", args.json)
    with ExitStack() as stack:
        shared = _shared_emulator(args)
        specs = [_spec(args, name, shared, stack, i) for i, name in enumerate(args.target)]
        sides = []
        for spec in specs:
            targets = TargetFactory(spec)
            try:
                probe(targets, args.timeout)
            except TargetUnusable as exc:
                raise UsageError(str(exc)) from None
            sides.append(targets.target())
        settings = RunSettings(
            max_examples=args.max_examples, seed=args.seed, request_timeout=args.timeout,
            allow_billable=None if all(s.is_loopback for s in specs) else args.allow_billable,
            form=args.form,
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
    if not value:
        return None
    from ..strategies import single_fault_rules

    known = [*single_fault_rules(), "VALID", "FUZZ"]
    lookup = {r.upper(): r for r in known}
    wanted = [p.strip() for p in value.split(",") if p.strip()]
    unknown = [w for w in wanted if w.upper() not in lookup]
    if unknown or not wanted:
        raise UsageError(
            f"--rules: unknown rule id(s) {', '.join(unknown) or '(none given)'}; "
            f"valid ids: {', '.join(known)}"
        )
    return [lookup[w.upper()] for w in wanted]


def _shared_emulator(args: argparse.Namespace) -> dict[str, Any]:
    """One configuration for every embedded emulator of the run, so that both answer alike:
    the same credentials and compute environments."""
    from ..session import fresh_credential, fresh_name

    (secret_id, secret_key), (denied_id, denied_key) = fresh_credential(), fresh_credential()
    return {
        "secret_id": secret_id, "secret_key": secret_key,
        "denied_secret_id": denied_id, "denied_secret_key": denied_key,
        "known_env_id": list(args.known_env_id) or ["env-" + fresh_name(8)],
    }  # fmt: skip


def _spec(
    args: argparse.Namespace, name: str, shared: dict[str, Any], stack: ExitStack, index: int
) -> Any:
    from dataclasses import replace

    from ..config import RunOptions
    from ..session import build_target

    common = {"region": args.region, "timeout": args.timeout, "workers": 1}
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
    secret_id, secret_key = args.secret_id, args.secret_key
    if index == 1 and args.secret_id_b:
        secret_id, secret_key = args.secret_id_b, args.secret_key_b
    options = RunOptions(
        target=name, known_env_id=list(args.known_env_id), secret_id=secret_id,
        secret_key=secret_key, token=args.token, **common,
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

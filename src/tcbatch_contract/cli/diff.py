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
from types import SimpleNamespace
from typing import Any

from ._common import UsageError, add_profile_arguments, check_output_file

DEFAULT_MAX_EXAMPLES = 20
FORMS = ("mixed", "tc3-post", "tc3-get", "v1-get", "v1-post")

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
    from ..harness.targets import Targets

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
        config = _emulator_config(args)
        specs = [_spec(args, name, config, stack, i) for i, name in enumerate(args.target)]
        sides = []
        for spec in specs:
            targets = Targets(spec)
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


def _emulator_config(args: argparse.Namespace) -> Any:
    """One configuration for every embedded emulator of the run: both answer alike."""
    from ..emulator import EmulatorConfig
    from ..profile import DEFAULT_REGION, DEFAULT_REGIONS
    from .run import EMULATOR_JOB_QUOTA, EMULATOR_RATE_LIMIT, _fresh_credential, _fresh_name

    region = args.region or DEFAULT_REGION
    regions = DEFAULT_REGIONS if region in DEFAULT_REGIONS else (*DEFAULT_REGIONS, region)
    (secret_id, secret_key), (denied_id, denied_key) = _fresh_credential(), _fresh_credential()
    return EmulatorConfig(
        secret_id=secret_id, secret_key=secret_key, regions=regions,
        known_env_ids=tuple(args.known_env_id) or ("env-" + _fresh_name(8),),
        job_quota=EMULATOR_JOB_QUOTA, rate_limit=EMULATOR_RATE_LIMIT,
        denied_secret_id=denied_id, denied_secret_key=denied_key,
    )  # fmt: skip


def _spec(args: argparse.Namespace, name: str, config: Any, stack: ExitStack, index: int) -> Any:
    if name == "emulator" or name.startswith("emulator:"):
        return _emulator_spec(args, name, config)
    if name.startswith(("emulator+", "replay:")):
        raise UsageError(f"--target {name}: diff takes a URL, emulator or emulator:MUTANT")
    from .run import _target_spec

    secret_id, secret_key = args.secret_id, args.secret_key
    if index == 1 and args.secret_id_b:
        secret_id, secret_key = args.secret_id_b, args.secret_key_b
    run_args = SimpleNamespace(
        target=name, region=args.region, known_env_id=args.known_env_id,
        secret_id=secret_id, secret_key=secret_key, token=args.token,
        denied_secret_id=None, denied_secret_key=None, job_quota=None, rate_limit=None,
        live=False, connect_to=None, timeout=args.timeout, workers=1,
    )  # fmt: skip
    spec, _ = _target_spec(run_args, stack)  # type: ignore[arg-type]
    return spec


def _emulator_spec(args: argparse.Namespace, name: str, config: Any) -> Any:
    from ..emulator import make_app, mutants
    from ..harness.targets import TargetSpec
    from ..profile import DEFAULT_REGION, TargetProfile
    from ..transport import Credential, WsgiTransport

    app = make_app(config)
    mutant = name.partition(":")[2]
    if mutant:
        if mutant not in mutants.names():
            raise UsageError(
                f"--target {name}: unknown mutant {mutant!r}; see "
                "`tcbatch-contract emulator --list-mutants`"
            )
        mutants.apply(app, mutant)
    transport = WsgiTransport(app, host="127.0.0.1:9000")
    profile = TargetProfile(
        region=args.region or DEFAULT_REGION, regions=config.regions,
        known_env_ids=config.known_env_ids, job_quota=config.job_quota,
        rate_limit=config.rate_limit, denied_secret_id=config.denied_secret_id,
        denied_secret_key=config.denied_secret_key,
    )  # fmt: skip
    return TargetSpec(
        name=name,
        profile=profile,
        transport=transport,
        host=transport.host,
        credential=Credential(config.secret_id, config.secret_key),
        denied_credential=Credential(config.denied_secret_id, config.denied_secret_key),
        request_timeout=args.timeout,
    )


def _cleanup(target: Any) -> None:
    from ..harness.exchange import delete_job
    from ..transport import TransportError

    for job_id in sorted(target.created_jobs):
        try:
            delete_job(target, job_id)
        except TransportError:
            pass

"""``tcbatch-contract generate``: write labelled SubmitJob cases as JSON lines.

The cases are test vectors for any implementation, in any language: each line holds the
request, the Region, the rule it breaks, the field the fault sits in and the answer the
contract requires. The same ``--seed`` always writes the same lines (whatever else is loaded
in the process, see ``harness.determinism``), so a vector file can be regenerated and
diffed, and a failure reported by seed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ._common import UsageError, add_profile_arguments, check_output_file


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write generated SubmitJob cases (valid or single-fault) as JSON lines",
        description=(
            "Write generated SubmitJob requests with the answer the contract requires, one "
            "JSON object per line. The same --seed always gives the same output."
        ),
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--rule", metavar="ID", help="single-fault cases of rule ID (e.g. B19)")
    which.add_argument("--valid", action="store_true", help="valid requests")
    which.add_argument(
        "--multi", action="store_true", help="requests breaking two or three rules at once"
    )
    parser.add_argument("--count", type=int, default=10, help="number of cases (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generation (default 0)")
    parser.add_argument(
        "--output", metavar="FILE", default="-", help="where to write (default stdout)"
    )
    add_profile_arguments(parser)
    parser.set_defaults(func=run)


def _profile(args: argparse.Namespace) -> Any:
    from ..config import check_profile
    from ..profile import DEFAULT_REGION, TargetProfile

    check_profile(args.region, args.known_env_id)
    region = args.region or DEFAULT_REGION
    return TargetProfile(region=region, known_env_ids=tuple(args.known_env_id))


def run(args: argparse.Namespace) -> int:
    from tcbatch_contract import strategies
    from tcbatch_contract.harness.determinism import fixed_generation

    from ..config import rule_set

    if args.count < 1:
        raise UsageError(f"--count must be at least 1, not {args.count}")
    profile = _profile(args)
    if args.output != "-":
        check_output_file("--output", args.output)
    if args.valid:
        strategy = strategies.valid_cases(profile)
    elif args.multi:
        strategy = strategies.multi_fault(profile)
    else:
        rules = strategies.single_fault_rules()
        try:  # rule ids in any case, as everywhere
            (rule,) = rule_set(args.rule, rules)
        except ValueError:
            raise UsageError(
                f"--rule {args.rule!r} has no single-fault strategy; use one of {', '.join(rules)}"
            ) from None
        strategy = strategies.single_fault(rule, profile)
    with fixed_generation():
        cases = strategies.generate(strategy, args.count, args.seed)
    lines = "".join(json.dumps(case.to_json(), ensure_ascii=True) + "\n" for case in cases)
    if args.output == "-":
        sys.stdout.write(lines)
    else:
        try:
            Path(args.output).write_text(lines, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {args.output}: {exc.strerror or exc}") from None
    return 0

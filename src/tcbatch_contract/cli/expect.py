"""``tcbatch-contract expect``: what the contract requires a target to answer to a payload.

The oracle's verdict on one request, without a target: useful to check a hand-written
payload, to explain a harness finding, or to drive another implementation's tests from the
shell. It prints exactly ``Outcome.to_dict()`` as one JSON line and exits 0 whatever the
outcome; bad input exits 2 with one line naming what to fix.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._common import UsageError, add_profile_arguments, load_json_object


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "expect",
        help="print the outcome the contract requires for a payload",
        description=(
            "Judge one request payload with the oracle and print its outcome as one JSON "
            'line: {"outcome": "success"} or {"outcome": "error", "codes": [...], '
            '"rules": [...]}.'
        ),
    )
    parser.add_argument("payload", metavar="PAYLOAD.json", help="a JSON object; - reads stdin")
    parser.add_argument(
        "--action", default="SubmitJob", help="the action the payload is for (default SubmitJob)"
    )
    add_profile_arguments(parser)
    parser.add_argument(
        "--jobs-held",
        type=int,
        default=None,
        metavar="N",
        help="undeleted jobs the account already holds (needs --job-quota)",
    )
    parser.add_argument(
        "--job-quota", type=int, default=None, metavar="N", help="the target's job quota"
    )
    parser.add_argument(
        "--denied",
        action="store_true",
        help="the caller's credential is one the target denies (rule B31)",
    )
    parser.set_defaults(func=run)


def _context(args: argparse.Namespace) -> Any:
    from ..config import check_profile
    from ..oracle import Context
    from ..profile import DEFAULT_REGION

    if args.jobs_held is not None and args.job_quota is None:
        raise UsageError("--jobs-held needs --job-quota: give the target's job quota too")
    for option, value in (("--jobs-held", args.jobs_held), ("--job-quota", args.job_quota)):
        if value is not None and value < 0:
            raise UsageError(f"{option} must be 0 or more, not {value}")
    check_profile(args.region, args.known_env_id)
    region = DEFAULT_REGION if args.region is None else args.region
    return Context(
        region=region,
        known_env_ids=frozenset(args.known_env_id),
        jobs_held=args.jobs_held or 0,
        job_quota=args.job_quota,
        credential_denied=args.denied,
    )


def run(args: argparse.Namespace) -> int:
    from ..oracle import evaluate
    from ..typetable import ACTIONS

    if args.action not in ACTIONS:
        raise UsageError(f"--action {args.action!r} is not served; use one of {', '.join(ACTIONS)}")
    context = _context(args)
    payload = load_json_object(args.payload)
    outcome = evaluate(args.action, payload, context)
    sys.stdout.write(json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")
    return 0

"""``tcbatch-contract examples``: record or replay the two documented SubmitJob examples.

``record DIR`` exchanges both examples with a fresh in-process emulator (each as the
reference writes it and as the official SDK sends it, read back, terminated, deleted) and
writes the cassette; ``replay DIR`` sends the same calls to the recording and judges the
recorded answers again. Exit status 0 when every example succeeded and read back as
submitted, 1 otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import plain_help


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "examples",
        help="record or replay the documented SubmitJob examples as a cassette",
        description=plain_help(__doc__.split("\n\n")[1] if __doc__ else None),
    )
    parser.add_argument("action", choices=("record", "replay"), help="what to do with DIR")
    parser.add_argument("directory", metavar="DIR", help="the cassette's directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..recording import examples

    directory = Path(args.directory)
    if args.action == "record":
        problems = examples.record(directory, *_fresh_emulator(examples.HOST))
    else:
        problems = examples.replay(directory)
    for problem in problems:
        print(problem)
    verdict = "ok" if not problems else f"{len(problems)} problem(s)"
    print(f"{args.action}: {verdict} ({args.directory})")
    return 1 if problems else 0


def _fresh_emulator(host: str) -> tuple[Any, Any]:
    """A fresh in-process emulator with no rate limit, and its credential."""
    from ..emulator import EmulatorConfig, make_app
    from ..session import fresh_credential
    from ..transport import Credential, WsgiTransport

    credential = Credential(*fresh_credential())
    config = EmulatorConfig(
        secret_id=credential.secret_id, secret_key=credential.secret_key, rate_limit=None
    )
    return WsgiTransport(make_app(config), host=host), credential

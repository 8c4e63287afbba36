"""``tcbatch-contract emulator``: serve the Batch API emulator until Ctrl-C.

Prints the endpoint, the credentials it accepts (test-only values unless given) and a
ready tccli / SDK invocation, so that a developer can point a client at it at once.
"""

from __future__ import annotations

import argparse
import errno
import re
import socket
import sys
from typing import TYPE_CHECKING

from ._common import UsageError

if TYPE_CHECKING:
    from ..emulator import Emulator, EmulatorConfig, InjectionRule

_INJECTION = re.compile(r"(?P<code>[A-Za-z.]+)(?::(?P<action>[A-Za-z]+))?(?:@(?P<rate>[0-9.]+))?")


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..emulator.config import DEFAULT_ENV_ID, DEFAULT_SECRET_ID
    from ..profile import DOCUMENTED_JOB_QUOTA, DOCUMENTED_RATE_LIMIT

    parser = subparsers.add_parser(
        "emulator",
        help="serve a local Batch API emulator (SDK and tccli compatible)",
        description="Serve a local, faithful stand-in for the Batch API until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", default="9000", help="port (default %(default)s; 0: any)")
    parser.add_argument("--db", metavar="FILE", help="SQLite file: jobs survive a restart")
    parser.add_argument(
        "--server",
        choices=("waitress", "stdlib"),
        default="waitress",
        help="the HTTP server: waitress (default) or the standard library's http.server "
        "(keep-alive, headers and body in two sends: to try a client against other TCP habits)",
    )
    parser.add_argument("--secret-id", help=f"the accepted SecretId (default {DEFAULT_SECRET_ID})")
    parser.add_argument("--secret-key", help="its SecretKey (give with --secret-id)")
    parser.add_argument(
        "--known-env-id",
        action="append",
        metavar="ID",
        help=f"a compute environment that exists (repeatable; default {DEFAULT_ENV_ID})",
    )
    parser.add_argument(
        "--job-quota",
        metavar="N|none",
        default=str(DOCUMENTED_JOB_QUOTA),
        help="undeleted jobs per account (default %(default)s)",
    )
    parser.add_argument(
        "--rate-limit",
        metavar="N|none",
        default=str(DOCUMENTED_RATE_LIMIT),
        help="requests per second per (SecretId, Action) (default %(default)s)",
    )
    parser.add_argument("--denied-secret-id", help="a credential that B31 refuses")
    parser.add_argument("--denied-secret-key", help="its SecretKey")
    parser.add_argument("--regions", metavar="LIST", help="comma-separated Regions served")
    parser.add_argument(
        "--inject",
        "--fault",
        dest="inject",
        action="append",
        default=[],
        metavar="CODE[:ACTION][@RATE]",
        help="inject CODE (InternalError.CallCvm, InternalError.CallTagAPI, "
        "RequestLimitExceeded) on every RATE-th request (an integer) or with probability "
        "RATE (a decimal such as 0.1); default every request (repeatable)",
    )
    parser.add_argument(
        "--mutant",
        metavar="NAME",
        help="switch on one seeded bug (see --list-mutants): a deliberately wrong emulator",
    )
    parser.add_argument("--list-mutants", action="store_true", help="list the seeded bugs and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..emulator import mutants

    if args.list_mutants:
        print(mutants.listing())
        return 0
    if args.mutant is not None and args.mutant not in mutants.MUTANTS:
        raise UsageError(
            f"--mutant {args.mutant}: no such mutant; see --list-mutants for the names"
        )
    config = build_config(args)
    emulator = _listen(config, args.host, int(args.port), args.server)
    if args.mutant:
        mutants.apply(emulator.app, args.mutant)
    _print_banner(emulator, config)
    if args.mutant:
        chosen = mutants.get(args.mutant)
        print(f"  MUTANT    {chosen.name} ({chosen.family}): {chosen.description}")
        print("  This emulator breaks the contract on purpose.", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    print("emulator stopped", file=sys.stderr)
    return 0


def _listen(config: EmulatorConfig, host: str, port: int, server: str = "waitress") -> Emulator:
    """The emulator bound to ``host:port`` on ``config``'s store, or ``UsageError``."""
    from ..emulator import Emulator
    from ..emulator.store import StoreError

    try:
        if server == "stdlib":
            from ..emulator.stdlib_server import StdlibEmulator

            return StdlibEmulator(config, host=host, port=port)
        return Emulator(config, host=host, port=port)
    except StoreError as exc:
        raise UsageError(f"--db {config.db_path}: {exc}") from None
    except (ValueError, socket.gaierror):  # waitress / http.server: the name does not resolve
        raise UsageError(
            f"--host {host}: no address by that name; give an IP address such as "
            "127.0.0.1 or a name this machine resolves"
        ) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"--port {port}: the port is in use on {host}; choose another port or --port 0"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise UsageError(
                f"--host {host}: not an address of this machine; give one of its own "
                "addresses, such as 127.0.0.1"
            ) from None
        if exc.errno == errno.EACCES:
            raise UsageError(
                f"--port {port}: not allowed to listen there (ports below 1024 need "
                "privileges); choose a port of 1024 or more, or --port 0"
            ) from None
        raise UsageError(
            f"--host {host} --port {port}: cannot listen: {exc.strerror or exc}"
        ) from None


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    """The configuration the options ask for, or ``UsageError`` naming the bad option."""
    from ..emulator import EmulatorConfig
    from ..emulator.config import DEFAULT_ENV_ID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
    from ..profile import DEFAULT_REGIONS, is_env_id, is_region

    if bool(args.secret_id) != bool(args.secret_key):
        raise UsageError("--secret-id and --secret-key go together; give both or neither")
    if bool(args.denied_secret_id) != bool(args.denied_secret_key):
        raise UsageError("--denied-secret-id and --denied-secret-key go together; give both")
    if not (args.port.isdigit() and 0 <= int(args.port) <= 65535):
        raise UsageError(f"--port {args.port}: give a port between 0 and 65535")
    for env_id in args.known_env_id or ():
        if not is_env_id(env_id):
            raise UsageError(
                f"--known-env-id {env_id}: give env- and 8 lowercase letters or digits, "
                "e.g. env-abcdefgh"
            )
    regions = DEFAULT_REGIONS
    if args.regions is not None:
        regions = tuple(r.strip() for r in args.regions.split(",") if r.strip())
        if not regions:
            raise UsageError("--regions: give a comma-separated list such as ap-guangzhou")
        for region in regions:
            if not is_region(region):
                raise UsageError(f"--regions {region!r}: a Region looks like ap-guangzhou")
    values = dict(
        secret_id=args.secret_id or DEFAULT_SECRET_ID,
        secret_key=args.secret_key or DEFAULT_SECRET_KEY,
        regions=regions,
        known_env_ids=tuple(args.known_env_id or (DEFAULT_ENV_ID,)),
        job_quota=_limit("--job-quota", args.job_quota, minimum=0),
        rate_limit=_limit("--rate-limit", args.rate_limit, minimum=1),
        denied_secret_id=args.denied_secret_id,
        denied_secret_key=args.denied_secret_key,
        db_path=args.db,
        injections=tuple(parse_injection(text) for text in args.inject),
    )
    try:
        return EmulatorConfig(**values)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def parse_injection(text: str) -> InjectionRule:
    """``CODE[:ACTION][@RATE]`` as an injection rule, or ``UsageError``."""
    from ..emulator import InjectionRule
    from ..typetable import ACTIONS

    match = _INJECTION.fullmatch(text)
    if not match:
        raise UsageError(
            f"--inject {text}: write CODE[:ACTION][@RATE], e.g. InternalError.CallCvm@10"
        )
    action, rate = match["action"], match["rate"] or "1"
    if action is not None and action not in ACTIONS:
        raise UsageError(
            f"--inject {text}: unknown action {action}; use one of {', '.join(ACTIONS)}"
        )
    try:
        if "." in rate:
            return InjectionRule(code=match["code"], action=action, probability=float(rate))
        return InjectionRule(code=match["code"], action=action, every=int(rate))
    except ValueError as exc:
        raise UsageError(f"--inject {text}: {exc}") from None


def _limit(option: str, text: str, *, minimum: int) -> int | None:
    if text.lower() == "none":
        return None
    if not text.isdigit() or int(text) < minimum:
        raise UsageError(f"{option} {text}: give an integer of at least {minimum}, or none")
    return int(text)


def _print_banner(emulator: Emulator, config: EmulatorConfig) -> None:
    region = config.regions[0]
    from ..emulator.config import DEFAULT_SECRET_ID

    test_only = " (test-only default)" if config.secret_id == DEFAULT_SECRET_ID else ""
    print(f"Batch API emulator listening on {emulator.endpoint}")
    print(f"  SecretId  {config.secret_id}{test_only}")
    print(f"  SecretKey {config.secret_key}")
    print(f"  Regions   {', '.join(config.regions)}")
    print(f"  EnvIds    {', '.join(config.known_env_ids) or '(none)'}")
    print(f"  storage   {config.db_path or 'in memory'}")
    print("Try it with tccli:")
    print(
        f"  TENCENTCLOUD_SECRET_ID={config.secret_id} TENCENTCLOUD_SECRET_KEY={config.secret_key} "
        f"TENCENTCLOUD_REGION={region} tccli batch DescribeJob --endpoint {emulator.endpoint} "
        "--JobId job-00000000"
    )
    print("or with the Python SDK:")
    print(
        f'  HttpProfile(endpoint="{emulator.host}", protocol="http") with '
        f'Credential("{config.secret_id}", "<SecretKey>")'
    )
    print("Ctrl-C stops it.", flush=True)

"""``tcbatch-contract run``: check a target against the contract and report per rule.

The default target is the embedded emulator, in-process, configured so that every rule
can be checked (a known compute environment, a small job quota, a denied credential, a
rate limit that keeps the run quick), with fresh random credentials for each run. A URL
target needs real credentials and states what it is configured with through options.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

from ._common import UsageError, add_profile_arguments
from ._run_checks import (
    check_outputs,
    is_builtin_target,
    option,
    url_credential,
    url_parts,
)

DEFAULT_MAX_EXAMPLES = 60
#: Worker processes by default: the usable cores, at most this many.
MAX_DEFAULT_WORKERS = 8
EMULATOR_JOB_QUOTA = 5
EMULATOR_RATE_LIMIT = 100
FORMS = ("mixed", "tc3-post", "tc3-get", "v1-get", "v1-post")
_ENV_ID = re.compile(r"env-[a-z0-9]{8}")
_REGION = re.compile(r"[a-z]{2,}-[a-z]+")
_LOOPBACK = ("localhost", "::1")
LIVE_HOST = "tencentcloudapi.com"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smh]?)")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}

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
    parser.add_argument(
        "--target",
        default="emulator",
        help="emulator (in-process, default), emulator+http (served on loopback), a URL, "
        "or replay:DIR (a recorded run, offline)",
    )
    add_profile_arguments(parser)
    cred = parser.add_argument_group(
        "credentials (URL targets)",
        "Default: as the official SDK finds them: env TENCENTCLOUD_SECRET_ID and "
        "TENCENTCLOUD_SECRET_KEY, then ~/.tencentcloud/credentials [default].",
    )
    cred.add_argument("--secret-id", help="give with --secret-key")
    cred.add_argument("--secret-key", help="give with --secret-id")
    cred.add_argument(
        "--token",
        help="a temporary credential's token, sent as X-TC-Token (default: env "
        "TENCENTCLOUD_SESSION_TOKEN)",
    )
    cred.add_argument("--denied-secret-id", help="a credential the target denies Batch to (B31)")
    cred.add_argument("--denied-secret-key")
    profile = parser.add_argument_group("target configuration")
    profile.add_argument("--job-quota", type=int, metavar="N", help="the target's job quota (B30)")
    profile.add_argument(
        "--rate-limit", type=int, metavar="N", help="the target's requests/s per action (P9)"
    )
    gen = parser.add_argument_group("the run")
    gen.add_argument(
        "--max-examples",
        type=int,
        default=None,
        metavar="N",
        help=f"generated cases per rule (default {DEFAULT_MAX_EXAMPLES})",
    )
    gen.add_argument("--seed", type=int, default=None, help="the run's seed (default 0)")
    gen.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes running checks side by side (default: the usable cores; 1 "
        "runs everything in this process; a recording or a replay uses 1)",
    )
    gen.add_argument(
        "--max-time",
        metavar="DURATION",
        help="keep drawing new cases, round after round, until DURATION is spent (90s, 10m, "
        "1h, or seconds), then report",
    )
    gen.add_argument("--rules", metavar="ID,...", help="check only these rules")
    gen.add_argument(
        "--form",
        choices=FORMS,
        default=None,
        help="request form of generated cases (default mixed: mostly tc3-post)",
    )
    gen.add_argument(
        "--live",
        action="store_true",
        help="the URL is the real Tencent Cloud service (or a proxy to it): failing rules "
        "whose basis is assumed are reported as contract drift to review, not as failures "
        "(implied for *.tencentcloudapi.com)",
    )
    gen.add_argument(
        "--allow-billable",
        type=int,
        metavar="N",
        help="valid submissions allowed against a non-loopback URL (default 0: none)",
    )
    gen.add_argument(
        "--timeout", type=float, default=35.0, metavar="S", help="per-request time limit"
    )
    gen.add_argument(
        "--connect-to",
        metavar="ADDRESS:PORT",
        help="open connections there instead of at the URL's host, which is still the Host "
        "sent and signed and what decides whether the target is loopback (as curl's "
        "--connect-to)",
    )
    gen.add_argument(
        "--expectations",
        metavar="FILE",
        help="rules the target declares it does not meet (YAML): reported as unsupported",
    )
    gen.add_argument(
        "--record",
        metavar="DIR",
        help="record the run into DIR (a vcrpy cassette, secrets scrubbed) for --target replay:DIR",
    )
    gen.add_argument(
        "--min-coverage",
        metavar="PCT|DIM=PCT,...",
        help="fail (exit 1, status insufficient-coverage) when the run exercised less of the "
        "contract: one percentage for every dimension, or pairs of rules, fields, enums, "
        "forms, boundaries, transitions (e.g. boundaries=80,enums=100); default: not judged",
    )
    out = parser.add_argument_group("reports")
    out.add_argument("--junit-xml", metavar="FILE", help="write JUnit XML, one testcase per rule")
    out.add_argument(
        "--report",
        metavar="FILE",
        action="append",
        default=[],
        help="write a report: FILE.md or FILE.html (repeatable)",
    )
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    from ..harness.report_doc import report_format

    replay = _replay_record(args)
    _defaults(args)
    _validate(args)
    for path in args.report:
        if report_format(path) is None:
            raise UsageError(f"--report {path}: the report file must end in .md or .html")
    if args.record and replay is not None:
        raise UsageError(f"--record {args.record}: a replay cannot be recorded again")
    check_outputs(args)
    if args.max_time is not None and (args.record or replay is not None):
        raise UsageError(
            f"--max-time {args.max_time}: how far a timed run gets depends on the target's "
            "speed, so it cannot be recorded or replayed; leave --max-time out"
        )
    with ExitStack() as stack:
        spec, secrets_used = _target_spec(args, stack)
        scrub = _scrubbing(stack, secrets_used, spec)
        try:
            return _run(args, spec, secrets_used, replay, scrub)
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

    from ..harness.masking import ScrubbedStream, Scrubber

    token = getattr(spec.credential, "token", None)
    scrub = stack.enter_context(Scrubber([*secrets_used, token]).listening())
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        stack.callback(setattr, sys, name, stream)
        setattr(sys, name, ScrubbedStream(stream, scrub))
    return scrub


def _replay_record(args: argparse.Namespace) -> Any:
    """The run record of a ``replay:DIR`` target (its options filled in), else None."""
    from ..recording.session import CassetteError, replay_options

    try:
        return replay_options(args)
    except CassetteError as exc:
        raise UsageError(f"{option(args, 'target')} {args.target}: {exc}") from None


def _defaults(args: argparse.Namespace) -> None:
    from ..harness.workers import usable_cores

    for name, value in (
        ("max_examples", DEFAULT_MAX_EXAMPLES),
        ("seed", 0),
        ("workers", min(usable_cores(), MAX_DEFAULT_WORKERS)),
        ("form", "mixed"),
    ):
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    if getattr(args, "record", None) or str(getattr(args, "target", "")).startswith("replay:"):
        args.workers = 1  # a recording and a replay are one sequence of exchanges
    if not hasattr(args, "max_time"):
        args.max_time = None


def parse_duration(text: str | None) -> float | None:
    """``90s``, ``10m``, ``1h``, ``1.5h`` or plain seconds, as seconds (None stays None)."""
    if text is None:
        return None
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise UsageError(
            f"--max-time {text!r}: give a duration such as 90s, 10m, 1h or a number of seconds"
        )
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds <= 0:
        raise UsageError(f"--max-time {text!r}: give a duration longer than zero")
    return seconds


def _run(
    args: argparse.Namespace,
    spec: Any,
    secrets_used: list[str | None],
    replay: Any = None,
    scrub: Any = None,
) -> int:
    from ..harness import drift
    from ..harness import expectations as declared
    from ..harness.console import Progress, results_table, summary_lines
    from ..harness.masking import Scrubber
    from ..harness.model import RunSettings
    from ..harness.report_doc import write_report
    from ..harness.report_junit import write_junit
    from ..harness.runner import (
        Runner,
        TargetUnusable,
        all_checks,
        catalogue_rules,
        known_rule_ids,
        probe,
    )
    from ..harness.targets import Targets
    from ..recording import ReplayMiss
    from ..recording import session as recording

    checks = all_checks()
    rules = catalogue_rules()
    known = known_rule_ids(checks, rules)
    selected = _selected(args.rules, known)
    expectations = _expectations(args, known)
    settings = RunSettings(
        max_examples=args.max_examples,
        seed=args.seed,
        request_timeout=args.timeout,
        allow_billable=None if spec.is_loopback else (args.allow_billable or 0),
        form=args.form,
        # Shrinking by request budget only, so that a recording replays the same way.
        shrink_seconds=None if (args.record or replay) else RunSettings.shrink_seconds,
    )
    recorder = None
    if args.record:
        recorder = recording.record_spec(spec, secrets_used, scrub)
        spec = recording.recorded(spec, recorder)
    targets = Targets(spec)
    if getattr(args, "credential_source", None):
        print(f"{args.target}: signing with the credential from {args.credential_source}")
    try:
        probe(targets, args.timeout)
    except (TargetUnusable, ReplayMiss) as exc:
        raise UsageError(str(exc)) from None
    runner = Runner(
        targets,
        settings,
        checks=checks,
        rules=rules,
        selected=selected,
        workers=args.workers,
        progress=Progress(),
        max_seconds=args.max_seconds,
    )
    with _sigterm_as_interrupt():
        try:
            report = runner.run(args.target, spec.endpoint)
        except ReplayMiss:
            first = spec.transport.misses[0]
            raise UsageError(f"the replay of {args.target} stopped: {first}") from None
    if runner.gone is not None:
        raise UsageError(
            f"{args.target} stopped answering during the run ({runner.gone.detail}); "
            "no verdict: run again once the target is back"
        )
    if report.coverage is not None:
        report.coverage.minimum = getattr(args, "coverage_minimum", None) or {}
    scrub = scrub or Scrubber(secrets_used)
    try:
        problems, changes = recording.after_run(
            args, spec, report, recorder, replay, interrupted=runner.stop.is_set()
        )
    except (recording.CassetteError, OSError) as exc:
        raise UsageError(f"--record {args.record}: {exc}") from None
    if replay.is_live if replay is not None else spec.is_live_service:
        drift.apply(report, rules)  # the live service disagreeing with an assumed rule
    if expectations is not None:
        declared.apply(report, expectations)
    print(scrub(results_table(report)))
    print()
    for line in summary_lines(report):
        print(scrub(line))
    if args.junit_xml:
        write_junit(report, args.junit_xml, scrub)
        print(f"JUnit XML written to {args.junit_xml}")
    for path in args.report:
        write_report(report, path, scrub)
        print(f"report written to {path}")
    if runner.stop.is_set():
        return 130
    if problems:
        raise UsageError(
            f"the replay of {args.target} did not send exactly the recorded requests: "
            + "; ".join(problems)
        )
    return max(report.exit_code, 1) if changes else report.exit_code


def _expectations(args: argparse.Namespace, known: list[str]) -> Any:
    if not args.expectations:
        return None
    from ..harness.expectations import ExpectationsError, load

    try:
        return load(args.expectations, known)
    except ExpectationsError as exc:
        raise UsageError(f"{option(args, 'expectations')}: {exc}") from None


def _validate(args: argparse.Namespace) -> None:
    for name in ("max_examples", "workers", "job_quota", "rate_limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            name = option(args, name.replace("_", "-"))
            raise UsageError(f"{name} {value}: give a number of 1 or more")
    if args.allow_billable is not None and args.allow_billable < 0:
        name = option(args, "allow-billable")
        raise UsageError(f"{name} {args.allow_billable}: give 0 or more")
    if not args.timeout > 0:
        name = option(args, "timeout")
        raise UsageError(f"{name} {args.timeout}: give a positive number of seconds")
    args.max_seconds = parse_duration(args.max_time)
    args.coverage_minimum = _coverage_minimum(args)
    if args.region is not None and not _REGION.fullmatch(args.region):
        name = option(args, "region")
        raise UsageError(f"{name} {args.region!r}: a Region looks like ap-guangzhou")
    for env_id in args.known_env_id:
        if not _ENV_ID.fullmatch(env_id):
            name = option(args, "known-env-id")
            raise UsageError(f"{name} {env_id!r}: an env id looks like env-xxxxxxxx")
    for first, second in (("denied-secret-id", "denied-secret-key"), ("secret-id", "secret-key")):
        if bool(getattr(args, first.replace("-", "_"))) != bool(
            getattr(args, second.replace("-", "_"))
        ):
            raise UsageError(
                f"give {option(args, first)} and {option(args, second)} together, or neither"
            )
    if args.connect_to is not None:
        address, _, port = args.connect_to.rpartition(":")
        if not address or not port.isdigit() or not 0 < int(port) < 65536:
            raise UsageError(
                f"{option(args, 'connect-to')} {args.connect_to!r}: give ADDRESS:PORT, "
                "e.g. 127.0.0.1:9000"
            )
    if not is_builtin_target(args.target):
        url_parts(args)


def _coverage_minimum(args: argparse.Namespace) -> dict[str, float]:
    value = getattr(args, "min_coverage", None)
    if value is None:
        return {}
    from ..harness.coverage_map import MinimumError, parse_minimum

    try:
        return parse_minimum(value)
    except MinimumError as exc:
        raise UsageError(f"{option(args, 'min-coverage')} {value!r}: {exc}") from None


def _selected(value: str | None, known: list[str], name: str = "--rules") -> set[str] | None:
    if not value:
        return None
    wanted = [part.strip() for part in value.split(",") if part.strip()]
    lookup = {rule.upper(): rule for rule in known}
    unknown = [w for w in wanted if w.upper() not in lookup]
    if unknown or not wanted:
        raise UsageError(
            f"{name}: unknown rule id(s) {', '.join(unknown) or '(none given)'}; "
            f"valid ids: {', '.join(known)}"
        )
    return {lookup[w.upper()] for w in wanted}


def _target_spec(args: argparse.Namespace, stack: ExitStack) -> tuple[Any, list[str | None]]:
    from ..harness.targets import TargetSpec
    from ..harness.workers import EmulatorRecipe, HttpRecipe
    from ..profile import DEFAULT_REGION, DEFAULT_REGIONS, TargetProfile
    from ..transport import Credential, HttpTransport, WsgiTransport

    if args.target.startswith("replay:"):
        from ..recording.session import CassetteError, replay_directory, replay_spec

        try:
            return replay_spec(replay_directory(args.target), args.timeout)  # type: ignore[arg-type,return-value]
        except CassetteError as exc:
            raise UsageError(f"{option(args, 'target')} {args.target}: {exc}") from None
    region = args.region or DEFAULT_REGION
    regions = DEFAULT_REGIONS if region in DEFAULT_REGIONS else (*DEFAULT_REGIONS, region)
    if args.target in ("emulator", "emulator+http"):
        from ..emulator import Emulator, EmulatorConfig, make_app

        secret_id, secret_key = _fresh_credential()
        denied_id, denied_key = _fresh_credential()
        env_ids = tuple(args.known_env_id) or ("env-" + _fresh_name(8),)
        config = EmulatorConfig(
            secret_id=args.secret_id or secret_id,
            secret_key=args.secret_key or secret_key,
            regions=regions,
            known_env_ids=env_ids,
            job_quota=args.job_quota or EMULATOR_JOB_QUOTA,
            rate_limit=args.rate_limit or EMULATOR_RATE_LIMIT,
            denied_secret_id=args.denied_secret_id or denied_id,
            denied_secret_key=args.denied_secret_key or denied_key,
        )
        recipe: Any = None
        if args.target == "emulator":
            if args.workers > 1:  # worker processes share the jobs through one SQLite file
                config = replace(config, db_path=_scratch_database(stack))
            transport = WsgiTransport(make_app(config), host="127.0.0.1:9000")
            host = transport.host
            recipe = EmulatorRecipe(config, host)
        else:
            emulator = stack.enter_context(Emulator(config, host="127.0.0.1", port=0))
            transport = HttpTransport(emulator.endpoint)
            host = emulator.host
            recipe = HttpRecipe(emulator.endpoint)
        profile = TargetProfile(
            region=region,
            regions=config.regions,
            known_env_ids=config.known_env_ids,
            job_quota=config.job_quota,
            rate_limit=config.rate_limit,
            denied_secret_id=config.denied_secret_id,
            denied_secret_key=config.denied_secret_key,
        )
        spec = TargetSpec(
            name=args.target,
            profile=profile,
            transport=transport,
            host=host,
            credential=Credential(config.secret_id, config.secret_key),
            denied_credential=Credential(config.denied_secret_id, config.denied_secret_key),
            is_loopback=True,
            endpoint=None,
            request_timeout=args.timeout,
            recipe=recipe,
        )
        used = [
            config.secret_id,
            config.secret_key,
            config.denied_secret_id,
            config.denied_secret_key,
        ]
        return spec, used
    parts = url_parts(args)
    credential, source = url_credential(args)
    args.credential_source = source
    host = parts.hostname
    loopback = host in _LOOPBACK or host.startswith("127.")
    # The live service is billable even through a proxy on loopback: it gets the live rules.
    live = args.live or host == LIVE_HOST or host.endswith("." + LIVE_HOST)
    profile = TargetProfile(
        region=region,
        regions=regions,
        known_env_ids=tuple(args.known_env_id),
        job_quota=args.job_quota,
        rate_limit=args.rate_limit,
        denied_secret_id=args.denied_secret_id,
        denied_secret_key=args.denied_secret_key,
    )
    denied = None
    if args.denied_secret_id:
        denied = Credential(args.denied_secret_id, args.denied_secret_key)
    base = f"{parts.scheme}://{parts.netloc}"
    try:
        transport = HttpTransport(base, connect_to=args.connect_to)
    except ValueError as exc:
        raise UsageError(f"{option(args, 'target')} {args.target!r}: {exc}") from None
    stack.callback(getattr(transport, "close", lambda: None))
    spec = TargetSpec(
        name=args.target,
        profile=profile,
        transport=transport,
        host=parts.netloc,
        credential=credential,
        denied_credential=denied,
        is_loopback=loopback and not live,
        is_live_service=live,
        endpoint=base,
        request_timeout=args.timeout,
        recipe=HttpRecipe(base, args.connect_to),
    )
    used = [credential.secret_id, credential.secret_key, credential.token]
    return spec, [*used, args.denied_secret_id, args.denied_secret_key]


def _scratch_database(stack: ExitStack) -> str:
    """A SQLite file for this run's emulator, removed when the run ends."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="tcbatch-run-")
    stack.callback(shutil.rmtree, folder, ignore_errors=True)
    return os.path.join(folder, "jobs.sqlite3")


def _fresh_credential() -> tuple[str, str]:
    return "AKID" + secrets.token_hex(16), secrets.token_urlsafe(24)


def _fresh_name(length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


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

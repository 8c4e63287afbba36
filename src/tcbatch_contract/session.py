"""One run from its options: the target they name, the runner, the verdicts.

``build_target(options, stack)`` turns the options into the target a run talks to: the
embedded emulator (in-process or served on loopback, configured so that every rule can be
checked, with fresh random credentials), a URL, or a recorded run. ``run(options)`` checks
it and returns the ``RunReport``; the faces (``tcbatch-contract run``, the pytest suite,
``mutation-score``) print and exit as each needs. Bad input is a ``UsageError``.
"""

from __future__ import annotations

import os
import secrets
from contextlib import ExitStack
from dataclasses import replace
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .config import RunOptions, UsageError

EMULATOR_JOB_QUOTA = 5
EMULATOR_RATE_LIMIT = 100
#: API keys of the embedded emulator's account beyond the first: checks take them in turn,
#: so that a check starts with a rate-limit window of its own (the limit is per key).
EMULATOR_MORE_KEYS = 8
LIVE_HOST = "tencentcloudapi.com"
_LOOPBACK = ("localhost", "::1")


class BuiltTarget(NamedTuple):
    """A target as the options name it, the secrets it signs with, and where a URL
    target's credential was found (None for the others)."""

    spec: Any  # harness.targets.TargetSetup
    secrets: list[str | None]
    credential_source: str | None = None


def with_recording(options: RunOptions) -> RunOptions:
    """For a ``replay:DIR`` target, the options of the replay (``from_recording``): the
    recording decides what is sent; options given on the command line may not contradict it.
    Any other target's options are returned as they are."""
    if not options.is_replay:
        return options
    from .config import COMMAND_LINE
    from .recording.session import CassetteError, replay_run_record

    try:
        record = replay_run_record(options.target)
    except CassetteError as exc:
        raise UsageError(f"{options.spelling('target')} {options.target}: {exc}") from None
    return options.from_recording(record, options.given(COMMAND_LINE))


def build_target(
    options: RunOptions, stack: ExitStack, *, mutant: str | None = None
) -> BuiltTarget:
    """The target of ``options``; what it opens is closed with ``stack``.

    ``mutant`` (emulator targets only) carries one seeded bug of ``emulator.mutants``.
    """
    if options.is_replay:
        return _replay_target(options)
    if options.target in ("emulator", "emulator+http"):
        return _emulator_target(options, stack, mutant)
    return _url_target(options, stack)


def _regions(options: RunOptions) -> tuple[str, tuple[str, ...]]:
    from .profile import DEFAULT_REGION, DEFAULT_REGIONS

    region = options.region or DEFAULT_REGION
    return region, DEFAULT_REGIONS if region in DEFAULT_REGIONS else (*DEFAULT_REGIONS, region)


def _replay_target(options: RunOptions) -> BuiltTarget:
    from .recording.session import CassetteError, replay_directory, replay_spec

    try:
        spec, used = replay_spec(replay_directory(options.target), options.timeout)  # type: ignore[arg-type]
    except CassetteError as exc:
        raise UsageError(f"{options.spelling('target')} {options.target}: {exc}") from None
    return BuiltTarget(spec, list(used))


def _emulator_target(options: RunOptions, stack: ExitStack, mutant: str | None) -> BuiltTarget:
    from .emulator import Emulator, EmulatorConfig, make_app, mutants
    from .harness.targets import TargetSetup
    from .harness.workers import EmulatorRecipe, HttpRecipe
    from .profile import TargetProfile
    from .transport import Credential, HttpTransport, WsgiTransport

    region, regions = _regions(options)
    secret_id, secret_key = fresh_credential()
    denied_id, denied_key = fresh_credential()
    config = EmulatorConfig(
        secret_id=options.secret_id or secret_id,
        secret_key=options.secret_key or secret_key,
        regions=regions,
        known_env_ids=tuple(options.known_env_id) or ("env-" + fresh_name(8),),
        job_quota=options.job_quota or EMULATOR_JOB_QUOTA,
        rate_limit=options.rate_limit or EMULATOR_RATE_LIMIT,
        denied_secret_id=options.denied_secret_id or denied_id,
        denied_secret_key=options.denied_secret_key or denied_key,
        more_keys=tuple(fresh_credential() for _ in range(EMULATOR_MORE_KEYS)),
    )
    recipe: Any = None
    if options.target == "emulator":
        if (options.workers or 1) > 1:  # worker processes share the jobs through one SQLite file
            config = replace(config, db_path=_scratch_database(stack))
        app = make_app(config)
        if mutant is not None:
            mutants.apply(app, mutant)
        transport: Any = WsgiTransport(app, host="127.0.0.1:9000")
        host = transport.host
        # A worker rebuilds the emulator from its recipe, which knows no mutant.
        recipe = EmulatorRecipe(config, host) if mutant is None else None
    else:
        if mutant is not None:
            raise UsageError("a mutant is carried by the in-process emulator only")
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
    spec = TargetSetup(
        name=options.target if mutant is None else f"{options.target} --mutant {mutant}",
        profile=profile,
        transport=transport,
        host=host,
        credential=Credential(config.secret_id, config.secret_key),
        denied_credential=Credential(config.denied_secret_id, config.denied_secret_key),
        is_loopback=True,
        endpoint=None,
        request_timeout=options.timeout,
        recipe=recipe,
        more_credentials=tuple(Credential(*key) for key in config.more_keys),
    )
    used = [config.secret_id, config.secret_key, config.denied_secret_id, config.denied_secret_key]
    used += [secret for key in config.more_keys for secret in key]
    return BuiltTarget(spec, used)


def _url_target(options: RunOptions, stack: ExitStack) -> BuiltTarget:
    from .harness.targets import TargetSetup
    from .harness.workers import HttpRecipe
    from .profile import TargetProfile
    from .transport import Credential, HttpTransport

    region, regions = _regions(options)
    parts = url_parts(options)
    credential, source = url_credential(options)
    host = parts.hostname
    loopback = host in _LOOPBACK or host.startswith("127.")
    # The live service is billable even through a proxy on loopback: it gets the live rules.
    live = options.live or host == LIVE_HOST or host.endswith("." + LIVE_HOST)
    profile = TargetProfile(
        region=region,
        regions=regions,
        known_env_ids=tuple(options.known_env_id),
        job_quota=options.job_quota,
        rate_limit=options.rate_limit,
        denied_secret_id=options.denied_secret_id,
        denied_secret_key=options.denied_secret_key,
    )
    denied = None
    if options.denied_secret_id:
        denied = Credential(options.denied_secret_id, options.denied_secret_key)
    base = f"{parts.scheme}://{parts.netloc}"
    try:
        transport = HttpTransport(base, connect_to=options.connect_to)
    except ValueError as exc:
        raise UsageError(f"{options.spelling('target')} {options.target!r}: {exc}") from None
    stack.callback(getattr(transport, "close", lambda: None))
    spec = TargetSetup(
        name=options.target,
        profile=profile,
        transport=transport,
        host=parts.netloc,
        credential=credential,
        denied_credential=denied,
        is_loopback=loopback and not live,
        is_live_service=live,
        endpoint=base,
        request_timeout=options.timeout,
        recipe=HttpRecipe(base, options.connect_to),
    )
    used = [credential.secret_id, credential.secret_key, credential.token]
    return BuiltTarget(spec, [*used, options.denied_secret_id, options.denied_secret_key], source)


def is_builtin_target(target: str) -> bool:
    return target in ("emulator", "emulator+http") or target.startswith("replay:")


def url_parts(options: RunOptions) -> Any:
    """The target URL, split; a UsageError for anything that is not an http(s) URL."""
    name = options.spelling("target")
    try:
        parts = urlsplit(options.target)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise UsageError(f"{name} {options.target!r}: not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{name} {options.target!r}: give emulator, emulator+http, an http(s):// URL, "
            "or replay:DIR"
        )
    return parts


def url_credential(options: RunOptions) -> tuple[Any, str]:
    """The credential of a URL target, found as the official SDK finds it; and its source."""
    from pathlib import Path

    from .transport.credential import CredentialFileError, find_credential

    home = os.environ.get("HOME")
    try:
        found = find_credential(
            options.secret_id,
            options.secret_key,
            options.token,
            os.environ,
            Path(home) if home else None,
        )
    except CredentialFileError as exc:
        raise UsageError(str(exc)) from None
    if found is None:
        raise UsageError(
            f"a URL target needs credentials: give {options.spelling('secret_id')} and "
            f"{options.spelling('secret_key')}, set TENCENTCLOUD_SECRET_ID and "
            "TENCENTCLOUD_SECRET_KEY, or write them in ~/.tencentcloud/credentials"
        )
    return found


def check_fleet_options(options: RunOptions) -> None:
    """``--shard`` and ``--database``: refuse what cannot work together, and a database
    that cannot be opened, before anything is sent."""
    from .harness.database import DatabaseError, open_database

    one_sequence = options.record or options.is_replay
    if options.database is not None and one_sequence:
        raise UsageError(
            f"{options.spelling('database')} {options.database}: a recording or a replay "
            "sends what the seed alone draws; leave it out"
        )
    if options.shard is not None and one_sequence:
        raise UsageError(
            f"{options.spelling('shard')} {options.shard}: a recording or a replay is one "
            "whole run; leave it out"
        )
    if options.database is not None:
        try:
            open_database(options.database, check=True)
        except DatabaseError as exc:
            raise UsageError(f"{options.spelling('database')} {exc}") from None


def write_result(options: RunOptions, report: Any, exit_code: int, scrub: Any) -> None:
    """``--result FILE``: the run's result document, when asked for."""
    if not options.result:
        return
    from .harness.result import write_result as write

    rules = sorted(options.selected_rules) if options.selected_rules else None
    write(report, options.result, exit_code=exit_code, scrub=scrub, rules=rules)
    print(f"result written to {options.result}")


def run_settings(options: RunOptions, spec: Any) -> Any:
    """The harness's settings of a run of ``options`` against ``spec``."""
    from .harness.model import RunSettings

    return RunSettings(
        max_examples=options.max_examples,
        seed=options.seed,
        request_timeout=options.timeout,
        allow_billable=None if spec.is_loopback else (options.allow_billable or 0),
        form=options.form,
        # Shrinking by request budget only, so that a recording replays the same way.
        shrink_seconds=None
        if (options.record or options.is_replay)
        else RunSettings.shrink_seconds,
        database=options.database,
        shard=options.shard_parts,
    )


def expectations(options: RunOptions, known: list[str]) -> Any:
    """The expectations file of ``options``, read and checked (None when none is given)."""
    if not options.expectations:
        return None
    from .harness.expectations import ExpectationsError, load

    try:
        return load(options.expectations, known)
    except ExpectationsError as exc:
        raise UsageError(f"{options.spelling('expectations')}: {exc}") from None


def run(
    options: RunOptions,
    *,
    stack: ExitStack | None = None,
    built: BuiltTarget | None = None,
    scrub: Any = None,
    progress: Any = None,
) -> Any:
    """Check the target of ``options``; the ``RunReport`` (a replay's comparison included).

    ``built`` is the target when the caller built it already (to scrub its secrets from
    what it prints); otherwise it is built here, and closed with ``stack``.
    """
    from .harness import drift
    from .harness import expectations as declared
    from .harness.runner import (
        Runner,
        TargetUnusable,
        all_checks,
        catalogue_rules,
        known_rule_ids,
        probe,
    )
    from .harness.targets import TargetFactory

    # The recording layer (and vcrpy under it) is loaded only by a run that records or
    # replays: a fifth of a second of every other run's start.
    replay_miss: type[Exception] = _NothingReplayed
    records = bool(options.record or options.is_replay)
    if records:
        from .recording import ReplayMiss as replay_miss
        from .recording import session as recording

    with ExitStack() as own:
        if built is None:
            built = build_target(options, stack if stack is not None else own)
        spec, secrets_used = built.spec, built.secrets
        checks = all_checks()
        rules = catalogue_rules()
        known = known_rule_ids(checks, rules)
        expected = expectations(options, known)
        settings = run_settings(options, spec)
        recorder = None
        if options.record:
            recorder = recording.record_spec(spec, secrets_used, scrub)
            spec = recording.recorded(spec, recorder)
        targets = TargetFactory(spec)
        if built.credential_source:
            print(f"{options.target}: signing with the credential from {built.credential_source}")
        try:
            probe(targets, options.timeout)
        except (TargetUnusable, replay_miss) as exc:
            raise UsageError(str(exc)) from None
        runner = Runner(
            targets,
            settings,
            checks=checks,
            rules=rules,
            selected=options.selected_rules,
            workers=options.workers or 1,
            progress=progress,
            max_seconds=options.max_seconds,
        )
        try:
            report = runner.run(options.target, spec.endpoint)
        except replay_miss:
            first = spec.transport.misses[0]
            raise UsageError(f"the replay of {options.target} stopped: {first}") from None
        if runner.gone is not None:
            raise UsageError(
                f"{options.target} stopped answering during the run ({runner.gone.detail}); "
                "no verdict: run again once the target is back"
            )
        report.interrupted = runner.stop.is_set()
        if report.coverage is not None:
            report.coverage.minimum = options.coverage_minimum
        if records:
            try:
                report.replay_problems, report.verdict_changes = recording.after_run(
                    options,
                    spec,
                    report,
                    recorder,
                    options.recording,
                    interrupted=report.interrupted,
                )
            except (recording.CassetteError, OSError) as exc:
                raise UsageError(f"--record {options.record}: {exc}") from None
        replay = options.recording
        if replay.is_live if replay is not None else spec.is_live_service:
            drift.apply(report, rules)  # the live service disagreeing with an assumed rule
        if expected is not None:
            declared.apply(report, expected)
        return report


class _NothingReplayed(Exception):
    """What a run that replays nothing catches where a replay catches ``ReplayMiss``."""


def _scratch_database(stack: ExitStack) -> str:
    """A SQLite file for this run's emulator, removed when the run ends."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="tcbatch-run-")
    stack.callback(shutil.rmtree, folder, ignore_errors=True)
    return os.path.join(folder, "jobs.sqlite3")


def fresh_credential() -> tuple[str, str]:
    return "AKID" + secrets.token_hex(16), secrets.token_urlsafe(24)


def fresh_name(length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))

"""Recording a run and replaying one: what ``run --record`` and ``--target replay:DIR`` do.

Recording wraps the run's transport, whatever the target, and writes the cassette and its
run record after the run. Replaying builds a target that looks, to the harness, exactly
like the recorded one (same Host, Region, profile, options), with throw-away credentials:
the match key names credentials by role, so none of the recorded ones is needed, and no
recorded secret exists to be needed. A fixed-seed run is deterministic, so the replayed
run sends the recorded requests; the checks then judge the recorded answers again.

The options that decide what a run sends (seed, examples, rules, form, workers, allowed
valid submissions) and the target profile come from the recording; giving another value
for one of them is refused, since the replay could then only miss.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..harness.model import RunReport
from ..harness.targets import TargetSetup
from ..profile import TargetProfile
from ..transport import Credential
from .cassette import CassetteError, RunRecord, generator_fingerprint, load, load_record, save
from .matching import KeyContext, roles_of
from .transports import RecordingTransport, ReplayTransport

REPLAY_PREFIX = "replay:"
#: Run options a replay takes from the recording: option name -> run.json settings key.
RECORDED_OPTIONS = {
    "seed": "seed",
    "max_examples": "max_examples",
    "form": "form",
    "workers": "workers",
    "rules": "rules",
    "allow_billable": "allow_billable",
}
#: Options a replay refuses: the target profile and credentials are the recording's.
PROFILE_OPTIONS = (
    "region",
    "known_env_id",
    "job_quota",
    "rate_limit",
    "secret_id",
    "secret_key",
    "denied_secret_id",
    "denied_secret_key",
)
LABELS = {
    "emulator": "a run against the embedded emulator of tcbatch-contract (not the real "
    "service): what the harness sends and what a conforming target answers",
    "loopback": "a run against an implementation served on loopback",
    "remote": "a run against an implementation at a non-loopback URL",
    "live": "a run against the live service",
}


def replay_directory(target: str) -> Path | None:
    """The directory of a ``replay:DIR`` target, None for any other target."""
    if not target.startswith(REPLAY_PREFIX):
        return None
    directory = target[len(REPLAY_PREFIX) :]
    if not directory:
        raise CassetteError("--target replay:DIR needs the directory of a recorded run")
    return Path(directory)


def replay_record(directory: Path) -> RunRecord:
    return load(directory)[1]


def replay_run_record(target: str) -> RunRecord | None:
    """For a ``replay:DIR`` target: its run record (None for any other target).

    ``RunOptions.from_recording`` then takes the run options from it. Only ``run.json`` is
    read here; the replay target reads (and checks) the cassette.
    """
    directory = replay_directory(target)
    if directory is None:
        return None
    record = load_record(directory)
    if record.settings.get("examples"):
        raise CassetteError(
            f"{directory} holds the documented examples, not a run: replay them with "
            f"`tcbatch-contract examples replay {directory}`"
        )
    return record


def replay_spec(directory: Path, timeout: float) -> tuple[TargetSetup, list[str]]:
    """A target that answers from the recording in ``directory``; the secrets it invented."""
    record = replay_record(directory)
    main = _throwaway_credential(with_token=bool(record.profile.get("token")))
    denied = _throwaway_credential() if record.profile.get("denied") else None
    context = KeyContext(
        roles_of([("main", main), ("denied", denied)]),
        known_env_ids=frozenset(record.profile.get("known_env_ids") or ()),
    )
    transport = ReplayTransport(directory, context)
    profile = TargetProfile(
        region=record.profile["region"],
        regions=tuple(record.profile["regions"]),
        known_env_ids=tuple(record.profile.get("known_env_ids") or ()),
        job_quota=record.profile.get("job_quota"),
        rate_limit=record.profile.get("rate_limit"),
        denied_secret_id=denied.secret_id if denied else None,
        denied_secret_key=denied.secret_key if denied else None,
    )
    spec = TargetSetup(
        name=f"{REPLAY_PREFIX}{directory}",
        profile=profile,
        transport=transport,
        host=record.host,
        credential=main,
        denied_credential=denied,
        is_loopback=record.source in ("emulator", "loopback"),
        endpoint=None if record.source == "emulator" else record.base_url,
        request_timeout=timeout,
    )
    used = [main.secret_id, main.secret_key, main.token]
    if denied is not None:
        used += [denied.secret_id, denied.secret_key]
    return spec, used


def record_spec(
    spec: TargetSetup, secrets_used: list[str | None], scrub: Any = None
) -> RecordingTransport:
    """The recording transport a run sends through (install it with ``recorded(spec, ...)``)."""
    context = KeyContext(
        roles_of([("main", spec.credential), ("denied", spec.denied_credential)]),
        known_env_ids=frozenset(spec.profile.known_env_ids),
    )
    base_url = spec.endpoint or f"{getattr(spec.transport, 'scheme', 'http')}://{spec.host}"
    return RecordingTransport(
        spec.transport,
        context,
        base_url=base_url,
        secrets=[s for s in secrets_used if s],
        scrub=scrub,
    )


def recorded(spec: TargetSetup, recorder: RecordingTransport) -> TargetSetup:
    """``spec`` sending through ``recorder``, with its main key only: a recording keys
    each request by the role of the key that signed it, and its replay holds one."""
    return dataclasses.replace(spec, transport=recorder, more_credentials=())


def run_options(options: Any) -> dict[str, Any]:
    """The options of a run that decide what it sends, as ``run.json`` keeps them."""
    selected = options.selected_rules
    return {
        "seed": options.seed,
        "max_examples": options.max_examples,
        "form": options.form,
        "workers": options.workers,
        "rules": sorted(selected) if selected else None,
        "allow_billable": options.allow_billable,
    }


def write_recording(
    recorder: RecordingTransport, spec: TargetSetup, report: RunReport, options: Any
) -> Path:
    """Write the cassette and run record of a finished run into ``options.record``."""
    from .. import __version__

    source = _source(spec)
    profile = spec.profile
    record = RunRecord(
        label=LABELS[source] + ("" if source == "emulator" else f" ({spec.name})"),
        source=source,
        target=spec.name,
        base_url=recorder.base_url,
        host=spec.host,
        scheme=getattr(spec.transport, "scheme", "http"),
        recorded=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
        profile={
            "region": profile.region,
            "regions": list(profile.regions),
            "known_env_ids": list(profile.known_env_ids),
            "job_quota": profile.job_quota,
            "rate_limit": profile.rate_limit,
            "denied": spec.denied_credential is not None,
            "token": spec.credential.token is not None,
        },
        settings=run_options(options),
        verdicts={r.rule: r.status.value for r in report.results},
        generator=generator_fingerprint(),
    )
    return save(
        Path(options.record), recorder.interactions, record, recorder.secrets, recorder.scrub
    )


def after_run(
    options: Any,
    spec: TargetSetup,
    report: RunReport,
    recorder: RecordingTransport | None,
    replay: RunRecord | None,
    *,
    interrupted: bool,
) -> tuple[list[str], list[str]]:
    """Write a recording, or compare a replay with its recording.

    Returns why a replay did not send exactly the recorded requests, and the rules whose
    verdict changed (both [] for a run that is no replay); says what it wrote.
    """
    if recorder is not None and interrupted:
        print(f"not recorded into {options.record}: the run was interrupted")
    elif recorder is not None:
        written = write_recording(recorder, spec, report, options)
        print(f"recorded {len(recorder.interactions)} exchanges into {written}")
    if replay is None:
        return [], []
    changes = verdict_changes(replay, report)
    report.notes += [f"replay: verdict changed: {c}" for c in changes]
    return replay_problems(spec.transport), changes  # type: ignore[arg-type]


def replay_problems(transport: ReplayTransport, limit: int = 3) -> list[str]:
    """Why a replay did not send exactly the recorded requests ([] when it did)."""
    problems = []
    recorded = transport.record.generator
    if (transport.misses or transport.unplayed()) and recorded != generator_fingerprint():
        problems.append(
            "the strategies, checks or contract data changed since the recording "
            f"(fingerprint {recorded or 'unknown'}, now {generator_fingerprint()}): re-record it"
        )
    if transport.misses:
        problems.append(
            f"{len(transport.misses)} request(s) had no recorded answer; first: "
            f"{transport.misses[0]}"
        )
    unplayed = transport.unplayed()
    if unplayed:
        shown = "; ".join(_brief_key(k) for k in unplayed[:limit])
        problems.append(f"{len(unplayed)} recorded request(s) were not sent: {shown}")
    return problems


def verdict_changes(record: RunRecord, report: RunReport) -> list[str]:
    """Rules whose replayed verdict differs from the recorded one."""
    now = {r.rule: r.status.value for r in report.results}
    return [
        f"{rule}: recorded {before}, replayed {now.get(rule, 'absent')}"
        for rule, before in record.verdicts.items()
        if now.get(rule) != before
    ]


def _brief_key(key: str) -> str:
    from .matching import key_fields

    fields = key_fields(key)
    return f"{fields.get('action') or '?'} from check {fields.get('rule') or '-'}"


def _source(spec: TargetSetup) -> str:
    if spec.name in ("emulator", "emulator+http"):
        return "emulator"
    if spec.is_live_service:
        return "live"
    return "loopback" if spec.is_loopback else "remote"


def _throwaway_credential(with_token: bool = False) -> Credential:
    token = secrets.token_urlsafe(16) if with_token else None
    return Credential("AKIDreplay" + secrets.token_hex(13), secrets.token_urlsafe(24), token)


__all__ = [
    "REPLAY_PREFIX",
    "CassetteError",
    "after_run",
    "record_spec",
    "recorded",
    "replay_directory",
    "replay_problems",
    "replay_record",
    "replay_run_record",
    "replay_spec",
    "run_options",
    "verdict_changes",
    "write_recording",
]

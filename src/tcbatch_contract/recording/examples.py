"""The two documented SubmitJob examples as a cassette: recorded from the emulator, replayed.

The public SubmitJob reference gives two request examples (a single-task job, and a DAG
of two tasks). ``cassettes/documented-examples`` holds them as exchanged with the
embedded emulator, each sent as the reference writes it (Signature V1, GET) and as the
official SDK sends it (TC3, JSON POST), then read back with DescribeJob and
DescribeJobSubmitInfo, terminated and deleted. Replaying sends the same calls through
the replay transport and judges the recorded answers again: both examples succeed and
read back as submitted (contract §6).

    python -m tcbatch_contract.recording.examples record cassettes/documented-examples
    python -m tcbatch_contract.recording.examples replay cassettes/documented-examples
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__, catalogue
from ..harness.checks.readback import JOB_ID, describe_job_problems, submit_info_problems
from ..profile import DEFAULT_REGIONS
from ..transport import Client, Credential, Transport, TransportError
from .cassette import RunRecord, save
from .matching import KeyContext
from .transports import RecordingTransport, ReplayMiss, ReplayTransport

FORMS = ("v1-get", "tc3-post")
HOST = "127.0.0.1:9000"
LABEL = (
    "the two documented SubmitJob examples, exchanged with the embedded emulator of "
    "tcbatch-contract (not the real service)"
)


def exchange_examples(transport: Transport, credential: Credential) -> tuple[int, list[str]]:
    """Send every documented example in every form and read it back: (calls, problems)."""
    calls = 0
    problems: list[str] = []
    for vector in catalogue.documented_examples():
        for form in FORMS:
            client = Client(transport, credential, vector.region, host=HOST, form=form)
            where = f"{vector.id} [{form}]"
            submitted = client.call("SubmitJob", vector.params)
            calls += 1
            job_id = submitted.job_id or ""
            if not submitted.success or not JOB_ID.fullmatch(job_id):
                problems.append(f"{where}: SubmitJob answered {submitted.code or job_id!r}")
                continue
            for action, compare in (
                ("DescribeJob", describe_job_problems),
                ("DescribeJobSubmitInfo", submit_info_problems),
            ):
                answer = client.call(action, {"JobId": job_id}, form="tc3-post")
                calls += 1
                found = compare(vector.params, job_id, answer.response or {})
                if answer.code is not None:
                    found = [f"answered {answer.code}"]
                problems += [f"{where}: {action}: {p}" for p in found]
            for action in ("TerminateJob", "DeleteJob"):
                answer = client.call(action, {"JobId": job_id}, form="tc3-post")
                calls += 1
                if answer.code is not None:
                    problems.append(f"{where}: {action} answered {answer.code}")
    return calls, problems


def record(directory: Path) -> list[str]:
    """Record the examples against a fresh in-process emulator into ``directory``."""
    from ..emulator import EmulatorConfig, make_app
    from ..transport import WsgiTransport

    credential = Credential("AKID" + secrets.token_hex(16), secrets.token_urlsafe(24))
    config = EmulatorConfig(
        secret_id=credential.secret_id, secret_key=credential.secret_key, rate_limit=None
    )
    context = KeyContext({"main": credential})
    hidden = [credential.secret_id, credential.secret_key]
    recorder = RecordingTransport(
        WsgiTransport(make_app(config), host=HOST),
        context,
        base_url=f"http://{HOST}",
        secrets=hidden,
    )
    with recorder.scrub.listening():
        _, problems = exchange_examples(recorder, credential)
    if problems:
        return problems
    run = RunRecord(
        label=LABEL,
        source="emulator",
        target="emulator",
        base_url=f"http://{HOST}",
        host=HOST,
        scheme="http",
        recorded=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
        profile={"region": None, "regions": list(DEFAULT_REGIONS), "denied": False},
        settings={"examples": [v.id for v in catalogue.documented_examples()], "forms": FORMS},
    )
    save(directory, recorder.interactions, run, hidden, recorder.scrub)
    return []


def replay(directory: Path) -> list[str]:
    """Send the examples to the recording in ``directory``; the problems found ([]: none)."""
    credential = Credential("AKIDreplay" + secrets.token_hex(13), secrets.token_urlsafe(24))
    transport = ReplayTransport(directory, KeyContext({"main": credential}))
    try:
        _, problems = exchange_examples(transport, credential)
    except (ReplayMiss, TransportError) as exc:  # no recording, or "no answer" recorded
        problems = [f"{type(exc).__name__}: {exc}"]
    unplayed = transport.unplayed()
    if unplayed and not problems:
        problems.append(f"{len(unplayed)} recorded exchange(s) were not replayed")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands: dict[str, Callable[[Path], list[str]]] = {"record": record, "replay": replay}
    if len(args) != 2 or args[0] not in commands:
        print("usage: python -m tcbatch_contract.recording.examples record|replay DIR")
        return 2
    problems = commands[args[0]](Path(args[1]))
    for problem in problems:
        print(problem)
    print(f"{args[0]}: {'ok' if not problems else f'{len(problems)} problem(s)'} ({args[1]})")
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The two documented SubmitJob examples as a cassette: recorded from the emulator, replayed.

The public SubmitJob reference gives two request examples (a single-task job, and a DAG
of two tasks). ``cassettes/documented-examples`` holds them as exchanged with the
embedded emulator, each sent as the reference writes it (Signature V1, GET) and as the
official SDK sends it (TC3, JSON POST), then read back with DescribeJob and
DescribeJobSubmitInfo, terminated and deleted. Replaying sends the same calls through
the replay transport and judges the recorded answers again: both examples succeed and
read back as submitted (contract §6).

    tcbatch-contract examples record cassettes/documented-examples
    tcbatch-contract examples replay cassettes/documented-examples
"""

from __future__ import annotations

import secrets
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


def record(directory: Path, target: Transport, credential: Credential) -> list[str]:
    """Record the examples, exchanged with ``target`` (a fresh emulator), into ``directory``."""
    context = KeyContext({"main": credential})
    hidden = [credential.secret_id, credential.secret_key]
    recorder = RecordingTransport(
        target,
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

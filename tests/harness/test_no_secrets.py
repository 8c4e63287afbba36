"""No artefact the tool writes holds a key, a SecretId, a token or a signature.

A run against a target that fails some rules (so that the reports carry payloads, wire
requests and reproductions) is recorded, reported in Markdown and JUnit, then replayed
and reported in HTML and JUnit again. The target notes every signature it received; the
cassette, the run record, the reports, the JUnit files and the console output of both
runs are then searched for each credential value and each of those signatures.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from waitress.server import create_server

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.recording import KeyContext, RecordingTransport
from tcbatch_contract.recording.cassette import RunRecord, save
from tcbatch_contract.transport import Client, Credential, WsgiTransport

SECRET_ID = "AKIDnoSECRETS0000000000000000000001"
SECRET_KEY = "noSECRETSkey000000000000000000001"
DENIED_ID = "AKIDnoSECRETSdenied00000000000000002"
DENIED_KEY = "noSECRETSdeniedKey0000000000000002"
WRONG = {  # answers this target gets wrong, so that the reports show failing requests
    b'"InvalidParameter.JobNameTooLong"': b'"InvalidParameter"',
    b'"AuthFailure.SignatureFailure"': b'"AuthFailure.InvalidAuthorization"',
}


def signatures_noting(app: Callable, seen: set[str]) -> Callable:
    def wrapped(environ, start_response):
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if "Signature=" in authorization:
            seen.add(authorization.rsplit("Signature=", 1)[1].strip())
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        for name, value in parse_qsl(environ.get("QUERY_STRING", "")) + parse_qsl(
            body.decode("latin-1")
        ):
            if name == "Signature" and value:
                seen.add(value)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["headers"] = headers
            return lambda data: None

        answer = b"".join(app(environ, capture))
        for old, new in WRONG.items():
            answer = answer.replace(old, new)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response("200 OK", [*headers, ("Content-Length", str(len(answer)))])
        return [answer] if environ["REQUEST_METHOD"] != "HEAD" else []

    return wrapped


@pytest.fixture
def target() -> Iterator[tuple[str, set[str]]]:
    seen: set[str] = set()
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None,
                            denied_secret_id=DENIED_ID, denied_secret_key=DENIED_KEY)  # fmt: skip
    server = create_server(signatures_noting(make_app(config), seen), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", seen
    finally:
        server.close()
        thread.join(timeout=5)


def leaks(text: str, secrets: set[str]) -> list[str]:
    found = [s[:12] + "…" for s in secrets if s in text]
    found += re.findall(r"(?i)signature\W{0,3}[0-9a-f]{64}", text)  # any TC3 signature
    found += re.findall(r"Signature=(?!\*\*\*)[A-Za-z0-9+/%]{8,}", text)
    found += re.findall(r"Credential=(?!\*\*\*)[^/\s]+/", text)
    return found


def test_no_artefact_of_a_run_or_its_replay_holds_a_secret(
    target: tuple[str, set[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, seen = target
    cassette = tmp_path / "cassette"
    run = ["run", "--target", url, "--secret-id", SECRET_ID, "--secret-key", SECRET_KEY,
           "--denied-secret-id", DENIED_ID, "--denied-secret-key", DENIED_KEY,
           "--rules", "B1,B27,B31,P4,P7,STATE-IDEMPOTENCY,VALID", "--max-examples", "4"]  # fmt: skip
    assert main([*run, "--record", str(cassette), "--report", str(tmp_path / "run.md"),
                 "--junit-xml", str(tmp_path / "run.xml")]) == 1  # fmt: skip
    first = capsys.readouterr()
    assert main(["run", "--target", f"replay:{cassette}", "--report", str(tmp_path / "replay.html"),
                 "--junit-xml", str(tmp_path / "replay.xml")]) == 1  # fmt: skip
    second = capsys.readouterr()
    (tmp_path / "console.log").write_text(first.out + first.err + second.out + second.err)

    assert len(seen) > 50  # the target did receive signed requests
    secrets = {SECRET_ID, SECRET_KEY, DENIED_ID, DENIED_KEY, *seen}
    artefacts = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    names = {p.name for p in artefacts}
    assert {"cassette.yaml", "run.json", "run.md", "run.xml", "replay.html", "replay.xml",
            "console.log"} <= names  # fmt: skip
    for path in artefacts:
        assert leaks(path.read_text(encoding="utf-8"), secrets) == [], path.name
    report = (tmp_path / "run.md").read_text()
    assert "### B1" in report and "### P7" in report and "Authorization" in report


def test_a_temporary_credential_token_is_never_recorded(tmp_path: Path) -> None:
    credential = Credential(SECRET_ID, SECRET_KEY, token="noSECRETStoken0000000000000003")
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None)
    recorder = RecordingTransport(WsgiTransport(make_app(config)), KeyContext({"main": credential}),
                                  base_url="http://127.0.0.1:9000",
                                  secrets=[SECRET_ID, SECRET_KEY, credential.token])  # fmt: skip
    for form in ("tc3-post", "v1-get", "v1-post", "tc3-get"):
        Client(recorder, credential, "ap-guangzhou", form=form).call("DescribeJob", {"JobId": "x"})
    record = RunRecord(label="t", source="emulator", target="emulator", base_url="http://h",
                       host="h", scheme="http", recorded="", tool_version="", profile={},
                       settings={})  # fmt: skip
    save(tmp_path, recorder.interactions, record, recorder.secrets, recorder.scrub)
    text = (tmp_path / "cassette.yaml").read_text()
    assert leaks(text, {SECRET_ID, SECRET_KEY, credential.token}) == []
    assert "X-TC-Token" in text and "Token=***" in text

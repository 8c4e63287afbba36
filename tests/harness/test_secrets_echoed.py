"""A target that echoes what it received into its answers still gets no secret written.

Some proxies and debug builds put the raw request into their error messages. Here the
emulator does so: every error message carries the raw query string, the raw body and the
Authorization header, and every signature alone (as received and URL-encoded in lower
case); every answer echoes the query and the Authorization in headers.
A recorded run with Markdown, HTML and JUnit reports is then searched, byte for byte, for
every credential and every signature the target received, in every form a signature
travels in: as sent, URL-encoded with upper- or lower-case escapes, encoded twice,
JSON-escaped, and hex in either case.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, quote

from support.loopback import serve

from tcbatch_contract.emulator import EmulatorConfig, make_app

SECRET_ID = "AKIDechoSECRETS000000000000000000001"
SECRET_KEY = "echo+SECRETS/key==00000000000000001"
DENIED_ID = "AKIDechoSECRETSdenied000000000000002"
DENIED_KEY = "echoSECRETSdeniedKey0000000000000002"


def echoing(app: Callable, seen: set[str]) -> Callable:
    """``app``, echoing each request into its answer; notes every signature received."""

    def wrapped(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        query, auth = environ.get("QUERY_STRING", ""), environ.get("HTTP_AUTHORIZATION", "")
        got = []
        if "Signature=" in auth:
            got.append(auth.rsplit("Signature=", 1)[1].strip())
        for name, value in parse_qsl(query) + parse_qsl(body.decode("latin-1")):
            if name == "Signature" and value:
                got.append(value)
        seen.update(got)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        answer = b"".join(app(environ, capture))
        try:
            document = json.loads(answer)
            error = document["Response"].get("Error")
        except (ValueError, KeyError, AttributeError):
            error = None
        if error is not None:
            echoed = f" (query: {query}; body: {body.decode('latin-1')}; authorization: {auth}"
            # As a debug build words it: the signature alone, decoded and re-encoded.
            echoed += "".join(f"; got {g} alias {lower_escapes(quote(g, safe=''))})" for g in got)
            error["Message"] = str(error.get("Message", "")) + echoed
            answer = json.dumps(document).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers += [("X-Echo-Query", query[:4000]), ("X-Echo-Authorization", auth)]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(answer)))])
        return [answer] if environ["REQUEST_METHOD"] != "HEAD" else []

    return wrapped


def lower_escapes(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def forms(secret: str) -> set[str]:
    """``secret`` in every form it may be written in."""
    encoded = quote(secret, safe="")
    lowered = lower_escapes(encoded)
    out = {secret, encoded, lowered, quote(secret, safe="/"), quote(encoded, safe="")}
    out.add(secret.replace("/", "\\/"))
    if re.fullmatch("[0-9a-fA-F]+", secret):
        out |= {secret.lower(), secret.upper()}
    return {s for s in out if len(s) >= 8}


def test_an_echoing_target_gets_no_secret_into_any_artefact(tmp_path: Path) -> None:
    seen: set[str] = set()
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=5,
                            denied_secret_id=DENIED_ID, denied_secret_key=DENIED_KEY)  # fmt: skip
    app = make_app(config)
    try:
        with serve(echoing(app, seen)) as url:
            command = [
                sys.executable, "-c", "import sys; from tcbatch_contract.cli import main; "
                "sys.exit(main())", "run", "--target", url,
                "--secret-id", SECRET_ID, "--secret-key", SECRET_KEY,
                "--denied-secret-id", DENIED_ID, "--denied-secret-key", DENIED_KEY,
                "--rate-limit", "5", "--rules", "B1,B31,P4,P7,P9", "--max-examples", "4",
                "--record", str(tmp_path / "cassette"), "--report", str(tmp_path / "r.md"),
                "--report", str(tmp_path / "r.html"), "--junit-xml", str(tmp_path / "j.xml"),
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, timeout=240, check=False)
    finally:
        app.close()
    (tmp_path / "stdout").write_bytes(done.stdout)
    (tmp_path / "stderr").write_bytes(done.stderr)
    assert done.returncode in (0, 1), done.stderr.decode()[-2000:]
    assert len(seen) > 40  # signed requests reached the target, V1 and V3
    assert any(len(s) == 64 for s in seen) and any(s.endswith("=") for s in seen)
    artefacts = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert {"cassette.yaml", "run.json", "r.md", "r.html", "j.xml", "stdout", "stderr"} <= {
        p.name for p in artefacts
    }
    cassette = (tmp_path / "cassette" / "cassette.yaml").read_text(encoding="utf-8")
    assert "(query: " in cassette and "x-echo-authorization" in cassette.lower()  # echoed
    wanted = {f: s for s in {SECRET_ID, SECRET_KEY, DENIED_ID, DENIED_KEY, *seen} for f in forms(s)}
    for path in artefacts:
        data = path.read_bytes()
        found = sorted({wanted[f][:10] for f in wanted if f.encode() in data})
        assert found == [], f"{path.name} holds {len(found)} secret(s): {found[:5]}"

"""The ROBUST-* checks against real servers: they pass on correct ones (the emulator
in-process, on waitress, behind a relay) and fail a server that falls over on their input.

The hostile server is a real loopback relay in front of the real emulator on waitress:
it passes every request through, except the one kind of input it is built to fail on,
where it answers 500, closes the connection or never answers. A relay that refuses an
input with an HTTP 4xx of its own, as many HTTP servers do, is not judged on it.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import Emulator, EmulatorConfig
from tcbatch_contract.emulator.stdlib_server import StdlibEmulator
from tcbatch_contract.harness.checks.robustness import RULES
from tcbatch_contract.transport import HttpTransport, TransportError

CONFIG = EmulatorConfig(
    secret_id="AKIDrobustTEST1111111111111111111", secret_key="r" * 30, rate_limit=100
)
ALL = ",".join(RULES)
HANG_SECONDS = 40.0  # past the 35 s a target may take


def run(endpoint: str, rules: str, *extra: str) -> tuple[int, str]:
    """``tcbatch-contract run`` against ``endpoint``: exit status and console output."""
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["run", "--target", endpoint, "--secret-id", CONFIG.secret_id,
                     "--secret-key", CONFIG.secret_key, "--rate-limit", "100",
                     "--rules", rules, "--workers", "1", *extra])  # fmt: skip
    return code, out.getvalue()


def status(out: str, rule: str) -> str:
    found = re.search(rf"^{re.escape(rule)}\s+([A-Z]+)\s", out, re.M)
    assert found, out
    return found.group(1)


@pytest.fixture(scope="module")
def upstream() -> Iterator[Emulator]:
    """The emulator on waitress, waiting 1 s (not 30) for a body cut short."""
    with Emulator(CONFIG, stall_seconds=1) as emulator:
        yield emulator


# ---- a relay that fails one kind of input ---------------------------------------------

Misbehaviour = Callable[[bytes], bytes | str | None]


def _read_request(conn: socket.socket) -> bytes:
    """One request as it came; what is still missing after 0.5 s of quiet stays missing."""
    conn.settimeout(0.5)
    data = b""
    with contextlib.suppress(TimeoutError):
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(1 << 16)
            if not chunk:
                return data
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        length = int(found.group(1)) if found else 0
        chunked = re.search(rb"(?im)^transfer-encoding:\s*chunked", head) is not None
        while (b"0\r\n\r\n" not in rest) if chunked else (len(rest) < length):
            chunk = conn.recv(1 << 16)
            if not chunk:
                break
            rest += chunk
            data += chunk
    return data


def _answer(status_line: bytes, body: bytes, content_type: bytes = b"text/plain") -> bytes:
    return (b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (status_line, content_type, len(body)) + body)  # fmt: skip


@contextlib.contextmanager
def relay(
    upstream: Emulator, misbehave: Misbehaviour, *, one_at_a_time: bool = False
) -> Iterator[str]:
    """A threaded loopback server relaying to ``upstream``; for a request where
    ``misbehave(data)`` is not None it answers those bytes, or "drop"s or "hang"s.
    ``one_at_a_time``: one connection is served at a time, and its first bytes are waited
    for without end (up to ``HANG_SECONDS``), as a naive blocking server does."""
    transport = HttpTransport(upstream.endpoint)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            if one_at_a_time:
                self.request.settimeout(HANG_SECONDS)
                with contextlib.suppress(OSError):
                    self.request.recv(1, socket.MSG_PEEK)
            data = _read_request(self.request)
            if not data:
                return
            how = misbehave(data)
            if how == "drop":
                return
            if how == "hang":
                time.sleep(HANG_SECONDS)
                return
            if isinstance(how, bytes):
                self.request.sendall(how)
                return
            method = data.split(b" ", 1)[0].decode("latin-1")
            try:
                answer = transport.send_bytes(data, method, 40)
            except TransportError:
                return
            kind = answer.headers.get("content-type", "").encode()
            self.request.sendall(_answer(b"%d OK" % answer.status, answer.body, kind))

    base = socketserver.TCPServer if one_at_a_time else socketserver.ThreadingTCPServer

    class Server(base):  # type: ignore[misc,valid-type]
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 64  # the listen backlog takes every connection the check opens

    with Server(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join(5)


def _body(data: bytes) -> bytes:
    return data.partition(b"\r\n\r\n")[2]


def _500(data: bytes) -> bytes:
    return _answer(b"500 Internal Server Error", b"Internal Server Error")


def _short(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return found is not None and int(found.group(1)) > len(body)


HOSTILE: dict[str, tuple[str, Misbehaviour, str]] = {
    "500 on invalid UTF-8": (
        "ROBUST-ENCODING", lambda d: _500(d) if b"\xed\xa0\x80" in _body(d) else None,
        "encoded surrogate"),
    "500 on a lone surrogate": (
        "ROBUST-ENCODING", lambda d: _500(d) if b"\\ud800" in _body(d) else None,
        "lone surrogate"),
    "drop on deep nesting": (
        "ROBUST-NESTING", lambda d: "drop" if _body(d).count(b"[") > 10_000 else None,
        "no answer"),
    "500 on 1e400": (
        "ROBUST-NUMBERS", lambda d: _500(d) if b"1e400" in _body(d) else None, "1e400"),
    "500 on a 30-digit timestamp": (
        "ROBUST-NUMBERS", lambda d: _500(d) if re.search(rb"\d{30}", d.partition(b"\r\n\r\n")[0])
        else None, "Timestamp 10^30"),
    "500 on many header fields": (
        "ROBUST-HEADERS", lambda d: _500(d) if _many_fields(d) else None,
        "120 extra header fields"),
    "drop on a request without Host": (
        "ROBUST-HEADERS", lambda d: None if _has_host(d) else "drop", "no Host header"),
    "drop on a chunked body": (
        "ROBUST-FRAMING", lambda d: "drop" if _chunked(d) else None, "chunked"),
    "500 on a body cut short": (
        "ROBUST-FRAMING", lambda d: _500(d) if _short(d) else None,
        "shorter than its Content-Length"),
    "500 on bytes that are not HTTP": (
        "ROBUST-FRAMING", lambda d: _500(d) if d.startswith(b"\x16\x03") else None, "not HTTP"),
}  # fmt: skip


def _many_fields(data: bytes) -> bool:
    return data.partition(b"\r\n\r\n")[0].count(b"\r\n") > 100


def _has_host(data: bytes) -> bool:
    return re.search(rb"(?im)^host:", data.partition(b"\r\n\r\n")[0]) is not None


def _chunked(data: bytes) -> bool:
    return b"Transfer-Encoding: chunked" in data


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_server_that_falls_over_fails_the_rule(upstream: Emulator, name: str) -> None:
    rule, misbehave, case = HOSTILE[name]
    with relay(upstream, misbehave) as endpoint:
        code, out = run(endpoint, rule)
    assert code == 1, out
    assert status(out, rule) == "FAIL", out
    assert case in out, out


def test_a_relay_that_passes_everything_passes_every_rule(upstream: Emulator) -> None:
    with relay(upstream, lambda data: None) as endpoint:
        code, out = run(endpoint, ALL)
    assert code == 0, out
    for rule in RULES:
        assert status(out, rule) == "PASS", out


def test_the_emulator_on_waitress_passes_every_rule_and_sends_every_case(
    upstream: Emulator,
) -> None:
    code, out = run(upstream.endpoint, ALL)
    assert code == 0, out
    for rule in RULES:
        assert status(out, rule) == "PASS", out
    assert re.search(r"^ROBUST-FRAMING\s+PASS\s+4\s", out, re.M), out  # socket cases sent


def test_the_embedded_emulator_passes_and_skips_only_the_socket_cases() -> None:
    out_code, out = _embedded(ALL)
    assert out_code == 0, out
    for rule in set(RULES) - {"ROBUST-CONNECTIONS"}:
        assert status(out, rule) == "PASS", out
    assert re.search(r"^ROBUST-FRAMING\s+PASS\s+1\s", out, re.M), out
    assert status(out, "ROBUST-CONNECTIONS") == "SKIP", out


def _embedded(rules: str) -> tuple[int, str]:
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["run", "--rules", rules, "--workers", "1"])
    return code, out.getvalue()


def test_a_server_that_serves_one_connection_at_a_time_is_not_judged_on_a_short_timeout(
    upstream: Emulator,
) -> None:
    with relay(upstream, lambda data: None, one_at_a_time=True) as endpoint:
        code, out = run(endpoint, "ROBUST-CONNECTIONS", "--timeout", "3")
    assert code == 0, out  # the idle connections keep it busy; it may take 35 s
    assert status(out, "ROBUST-CONNECTIONS") == "INCONCLUSIVE", out
    assert "idle connections" in out, out


# ---- refused by the HTTP layer, or no answer after the end of a body cut short ---------


def _refused(status_line: bytes) -> bytes:
    return _answer(status_line, b"<html><body>refused</body></html>", b"text/html")


#: Relays that refuse one input with a 4xx of their own (as http.server, nginx or a load
#: balancer do), or leave a body cut short unanswered once it ended: not judged.
REFUSING: dict[str, tuple[str, Misbehaviour, str]] = {
    "431 on many header fields": (
        "ROBUST-HEADERS",
        lambda d: _refused(b"431 Request Header Fields Too Large") if _many_fields(d) else None,
        "'120 extra header fields' [tc3-post]: refused by the HTTP server (HTTP 431)"),
    "400 on a request without Host": (
        "ROBUST-HEADERS", lambda d: None if _has_host(d) else _refused(b"400 Bad Request"),
        "'no Host header (a signed header)' [tc3-post]: refused by the HTTP server (HTTP 400)"),
    "411 on a chunked body": (
        "ROBUST-FRAMING", lambda d: _refused(b"411 Length Required") if _chunked(d) else None,
        "'a chunked body (any API answer)' [tc3-post]: refused by the HTTP server (HTTP 411)"),
    "501 on a chunked body": (
        "ROBUST-FRAMING", lambda d: _refused(b"501 Not Implemented") if _chunked(d) else None,
        "'a chunked body (any API answer)' [tc3-post]: refused by the HTTP server (HTTP 501)"),
    "no answer to a body cut short": (
        "ROBUST-FRAMING", lambda d: "hang" if _short(d) else None,
        "no answer within 5 s of the end of the request (timeout): not judged"),
    "closing on a body cut short": (
        "ROBUST-FRAMING", lambda d: "drop" if _short(d) else None,
        "no answer within 5 s of the end of the request (dropped): not judged"),
}  # fmt: skip


def run_result(endpoint: str, rules: str, tmp_path, *extra: str) -> tuple[int, str, dict]:
    """``run`` writing its ``--result``: exit status, console output, the rules by id."""
    path = tmp_path / "result.json"
    code, out = run(endpoint, rules, "--result", str(path), *extra)
    document = json.loads(path.read_text())
    return code, out, {r["rule"]: r for r in document["results"]}


@pytest.mark.parametrize("name", list(REFUSING))
def test_a_refusal_by_the_http_layer_is_noted_not_judged(upstream: Emulator, name: str,
                                                         tmp_path) -> None:  # fmt: skip
    rule, misbehave, note = REFUSING[name]
    with relay(upstream, misbehave) as endpoint:
        code, out, results = run_result(endpoint, rule, tmp_path)
    assert code == 0, out
    assert results[rule]["status"] == "pass", results[rule]  # its other cases were judged
    assert note in results[rule]["reason"], results[rule]
    # (ROBUST-FRAMING's cases go over sockets of their own: the rule judges their form.)
    assert results["RESPONSE-FORM"]["status"] in ("pass", "skip"), results["RESPONSE-FORM"]
    assert not results["RESPONSE-FORM"]["failures"], results["RESPONSE-FORM"]


def test_a_rule_whose_every_case_the_http_layer_refused_is_inconclusive(
    upstream: Emulator, tmp_path
) -> None:
    def refuse(data: bytes) -> bytes | None:
        head = data.partition(b"\r\n\r\n")[0]
        if len(head) > 8000 or _many_fields(data):
            return _refused(b"431 Request Header Fields Too Large")
        if not _has_host(data):
            return _refused(b"400 Bad Request")
        return None

    with relay(upstream, refuse) as endpoint:
        code, out, results = run_result(endpoint, "ROBUST-HEADERS", tmp_path)
    assert code == 0, out
    assert results["ROBUST-HEADERS"]["status"] == "inconclusive", results["ROBUST-HEADERS"]
    assert results["ROBUST-HEADERS"]["reason"].count("refused by the HTTP server") == 5, out


def test_a_4xx_carrying_the_api_body_is_judged_as_the_api(upstream: Emulator) -> None:
    """Not a refusal by the HTTP layer: the API in a broken form (interpretation 25)."""

    def as_400(data: bytes) -> bytes | None:
        if not _many_fields(data):
            return None
        body = json.dumps(
            {
                "Response": {
                    "Error": {"Code": "RequestSizeLimitExceeded", "Message": "too many"},
                    "RequestId": "00000000-0000-4000-8000-000000000000",
                }
            }
        )
        return _answer(b"400 Bad Request", body.encode(), b"application/json")  # fmt: skip

    with relay(upstream, as_400) as endpoint:
        code, out = run(endpoint, "ROBUST-HEADERS")
    assert code == 1, out
    assert status(out, "ROBUST-HEADERS") == "FAIL", out
    assert "HTTP status 400, expected 200" in out, out


@pytest.mark.slow
def test_a_hang_on_a_chunked_body_fails_once_the_target_had_its_35_s(upstream: Emulator) -> None:
    misbehave = lambda d: "hang" if _chunked(d) else None  # noqa: E731
    with relay(upstream, misbehave) as endpoint:
        code, out = run(endpoint, "ROBUST-FRAMING", "--timeout", "36")
    assert code == 1, out
    assert status(out, "ROBUST-FRAMING") == "FAIL", out
    assert "chunked" in out, out


def test_the_stdlib_server_passes_every_rule() -> None:
    """``http.server`` refuses more than 100 header fields (431), reads a chunked body as
    empty and a body cut short up to its end: none of it is a fault of the API."""
    with StdlibEmulator(CONFIG) as emulator:
        code, out = run(emulator.endpoint, ALL, "--timeout", "3")
    assert code == 0, out
    for rule in RULES:
        assert status(out, rule) == "PASS", out
    assert status(out, "RESPONSE-FORM") == "PASS", out

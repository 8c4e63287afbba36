"""The ROBUST-* checks against real servers: they pass on correct ones (the emulator
in-process, on waitress, behind a relay) and fail a server that falls over on their input.

The hostile server is a real loopback relay in front of the real emulator on waitress:
it passes every request through, except the one kind of input it is built to fail on,
where it answers 500, closes the connection, refuses the framing or never answers.
"""

from __future__ import annotations

import contextlib
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
    "431 on many header fields": (
        "ROBUST-HEADERS",
        lambda d: _answer(b"431 Request Header Fields Too Large", b"too many headers")
        if d.count(b"\r\n") > 100 else None, "120 extra header fields"),
    "400 on a request without Host": (
        "ROBUST-HEADERS",
        lambda d: None if re.search(rb"(?im)^host:", d.partition(b"\r\n\r\n")[0])
        else _answer(b"400 Bad Request", b"no Host"), "no Host header"),
    "411 on a chunked body": (
        "ROBUST-FRAMING",
        lambda d: _answer(b"411 Length Required", b"") if b"Transfer-Encoding: chunked" in d
        else None, "chunked"),
    "500 on bytes that are not HTTP": (
        "ROBUST-FRAMING", lambda d: _500(d) if d.startswith(b"\x16\x03") else None, "not HTTP"),
}  # fmt: skip


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


def test_a_short_timeout_judges_a_hang_on_a_body_cut_short_inconclusive(upstream: Emulator) -> None:
    misbehave = lambda d: "hang" if _short(d) else None  # noqa: E731
    with relay(upstream, misbehave) as endpoint:
        code, out = run(endpoint, "ROBUST-FRAMING", "--timeout", "3")
    assert code == 0, out  # no verdict: the target may take 35 s
    assert status(out, "ROBUST-FRAMING") == "INCONCLUSIVE", out


def test_a_server_that_serves_one_connection_at_a_time_is_not_judged_on_a_short_timeout(
    upstream: Emulator,
) -> None:
    with relay(upstream, lambda data: None, one_at_a_time=True) as endpoint:
        code, out = run(endpoint, "ROBUST-CONNECTIONS", "--timeout", "3")
    assert code == 0, out  # the idle connections keep it busy; it may take 35 s
    assert status(out, "ROBUST-CONNECTIONS") == "INCONCLUSIVE", out
    assert "idle connections" in out, out


@pytest.mark.slow
def test_a_hang_on_a_body_cut_short_fails_once_the_target_had_its_35_s(upstream: Emulator) -> None:
    misbehave = lambda d: "hang" if _short(d) else None  # noqa: E731
    with relay(upstream, misbehave) as endpoint:
        code, out = run(endpoint, "ROBUST-FRAMING", "--timeout", "36")
    assert code == 1, out
    assert status(out, "ROBUST-FRAMING") == "FAIL", out
    assert "shorter than its Content-Length" in out, out


def test_the_stdlib_server_passes_the_body_rules_and_fails_on_framing_and_headers() -> None:
    """``http.server`` has no chunked bodies and at most 100 header fields (431): the
    adapter is deliberately plain, and these two rules say so."""
    with StdlibEmulator(CONFIG) as emulator:
        code, out = run(emulator.endpoint, ALL, "--timeout", "3")
    assert code == 1, out
    for rule in ("ROBUST-NESTING", "ROBUST-ENCODING", "ROBUST-NUMBERS", "ROBUST-CONNECTIONS"):
        assert status(out, rule) == "PASS", out
    assert status(out, "ROBUST-HEADERS") == "FAIL", out
    assert status(out, "ROBUST-FRAMING") == "FAIL", out

"""HttpTransport and WsgiTransport move the request as built and bring back the answer.

Servers here are real: waitress on loopback for WSGI apps, and a bare socket server where
the test needs to see raw bytes or to misbehave (hang up, stall).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from support.loopback import raw_server, read_request, serve

from tcbatch_contract.transport import (
    HttpTransport,
    TransportError,
    WireRequest,
    WsgiTransport,
)


class RecordingApp:
    """Answers every request with a fixed API answer and keeps what it received."""

    def __init__(self, answer: dict[str, Any] | None = None) -> None:
        self.answer = answer or {"Response": {"RequestId": "00000000-0000-4000-8000-000000000000"}}
        self.seen: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:]: v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["CONTENT_TYPE"] = environ["CONTENT_TYPE"]
        self.seen.append(
            {
                "method": environ["REQUEST_METHOD"],
                "path": environ["PATH_INFO"],
                "query": environ["QUERY_STRING"],
                "headers": headers,
                "body": body,
            }
        )
        payload = json.dumps(self.answer).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [payload]


REQUEST = WireRequest(
    "POST",
    "/",
    "a=1&b=x%20y",
    [("Host", "http://127.0.0.1:1"), ("Content-Type", "application/json"), ("X-TC-Action", "")],
    b'{"JobId": "job-abcdefgh"}',
)


def test_http_sends_the_bytes_as_built() -> None:
    captured: list[bytes] = []

    def handle(conn: socket.socket) -> None:
        captured.append(read_request(conn))
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            b"Connection: close\r\n\r\n{}"
        )

    with raw_server(handle) as url:
        response = HttpTransport(url).send(REQUEST, timeout=5)
    assert response.status == 200 and response.json() == {}
    assert captured == [
        b"POST /?a=1&b=x%20y HTTP/1.1\r\n"
        b"Host: http://127.0.0.1:1\r\n"
        b"Content-Type: application/json\r\n"
        b"X-TC-Action: \r\n"
        b"Content-Length: 25\r\n\r\n"
        b'{"JobId": "job-abcdefgh"}'
    ]


def test_http_and_wsgi_deliver_the_same_request_to_an_app() -> None:
    over_http, in_process = RecordingApp(), RecordingApp()
    with serve(over_http) as url:
        http_answer = HttpTransport(url).send(REQUEST, timeout=5)
    wsgi_answer = WsgiTransport(in_process).send(REQUEST, timeout=5)
    assert over_http.seen == in_process.seen
    seen = in_process.seen[0]
    assert seen["headers"]["HOST"] == "http://127.0.0.1:1"
    assert seen["query"] == "a=1&b=x%20y" and seen["body"] == REQUEST.body
    for answer in (http_answer, wsgi_answer):
        assert answer.status == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.request_id == "00000000-0000-4000-8000-000000000000"
        assert answer.code is None and answer.response is not None


def test_http_keeps_connections_alive() -> None:
    ports: set[int] = set()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]):
        ports.add(int(environ["REMOTE_PORT"]))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"Response": {}}']

    with serve(app) as url:
        transport = HttpTransport(url)
        for _ in range(5):
            assert transport.send(WireRequest("GET", headers=[("Host", "x")]), 5).status == 200
        transport.close()
    assert len(ports) == 1


def test_http_head_answer_has_no_body() -> None:
    with serve(RecordingApp()) as url:
        response = HttpTransport(url).send(WireRequest("HEAD", headers=[("Host", "x")]), 5)
    assert response.status == 200 and response.body == b""
    assert WsgiTransport(RecordingApp()).send(WireRequest("HEAD"), 5).body == b""


def test_http_unreachable_timeout_and_dropped_are_transport_errors() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed_port = probe.getsockname()[1]
    with pytest.raises(TransportError) as unreachable:
        HttpTransport(f"http://127.0.0.1:{closed_port}").send(WireRequest("GET"), 2)
    assert unreachable.value.kind == "unreachable"

    def stall(conn: socket.socket) -> None:
        read_request(conn)
        time.sleep(1.0)

    with raw_server(stall) as url:
        started = time.monotonic()
        with pytest.raises(TransportError) as timeout:
            HttpTransport(url).send(WireRequest("GET", headers=[("Host", "x")]), 0.3)
        assert timeout.value.kind == "timeout"
        assert time.monotonic() - started < 0.9

    def hang_up(conn: socket.socket) -> None:
        read_request(conn)

    with raw_server(hang_up) as url, pytest.raises(TransportError) as dropped:
        HttpTransport(url).send(WireRequest("GET", headers=[("Host", "x")]), 2)
    assert dropped.value.kind == "dropped"


def test_http_reads_an_early_answer_to_an_oversized_body() -> None:
    def refuse_early(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n"
            b"Connection: close\r\n\r\n"
            b'{"Response": {}}'
        )
        conn.shutdown(socket.SHUT_WR)
        time.sleep(0.2)

    big = WireRequest("POST", headers=[("Host", "x")], body=b" " * (4 << 20))
    with raw_server(refuse_early) as url:
        response = HttpTransport(url).send(big, 5)
    assert response.json() == {"Response": {}}


def test_http_base_url_is_checked() -> None:
    for bad in ("127.0.0.1:9000", "ftp://h", "http://h/api", "http://h/?x=1"):
        with pytest.raises(ValueError, match="base URL"):
            HttpTransport(bad)
    transport = HttpTransport("https://batch.example.com")
    assert (transport.host, transport.scheme) == ("batch.example.com", "https")


def test_wsgi_timeout_and_app_errors() -> None:
    def slow(environ: dict[str, Any], start_response: Callable[..., Any]):
        time.sleep(0.5)
        start_response("200 OK", [])
        return [b""]

    with pytest.raises(TransportError) as timeout:
        WsgiTransport(slow).send(WireRequest("GET"), 0.1)
    assert timeout.value.kind == "timeout"

    def broken(environ: dict[str, Any], start_response: Callable[..., Any]):
        raise RuntimeError("boom")

    answer = WsgiTransport(broken).send(WireRequest("GET"), 1)
    assert answer.status == 500 and b"boom" in answer.body and answer.json() is None


def test_wsgi_environ_follows_pep_3333() -> None:
    transport = WsgiTransport(RecordingApp(), host="example.test:8080")
    request = WireRequest(
        "POST",
        "/a%20b",
        "x=1",
        [("Host", "h:1"), ("Content-Type", "text/plain"), ("X-A", "1"), ("x-a", "2")],
        b"abc",
    )
    environ = transport.environ(request)
    assert environ["PATH_INFO"] == "/a b"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("example.test", "8080")
    assert environ["CONTENT_TYPE"] == "text/plain" and environ["CONTENT_LENGTH"] == "3"
    assert environ["HTTP_HOST"] == "h:1" and environ["HTTP_X_A"] == "1,2"
    assert environ["wsgi.input"].read() == b"abc"


def test_http_replaces_a_kept_alive_connection_the_target_closed() -> None:
    connections: list[int] = []

    def answer_once_then_close(conn: socket.socket) -> None:
        connections.append(1)
        read_request(conn)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        )
        time.sleep(0.05)  # then close, as a target does with an idle connection

    with raw_server(answer_once_then_close) as url:
        transport = HttpTransport(url)
        first = transport.send(WireRequest("GET", headers=[("Host", "x")]), 2)
        time.sleep(0.1)
        second = transport.send(WireRequest("GET", headers=[("Host", "x")]), 2)
    assert first.json() == second.json() == {}
    assert len(connections) == 2


BODY = b'{"Response": {"RequestId": "r"}}'


@pytest.mark.parametrize(
    ("answer", "reusable"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY, True),
        (
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(BODY)
            + BODY,
            False,
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY, False),
        (
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: %d\r\n\r\n" % len(BODY)
            + BODY,
            True,
        ),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + BODY, False),
        (b"HTTP/1.1 200 OK\nContent-Length: %d\n\n" % len(BODY) + BODY, True),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;ext=1\r\n"
            + BODY[:5]
            + b"\r\n%x\r\n" % (len(BODY) - 5)
            + BODY[5:]
            + b"\r\n0\r\nX-T: 1\r\n\r\n",
            True,
        ),
    ],
    ids=[
        "keep-alive",
        "close",
        "http-1.0",
        "http-1.0-keep-alive",
        "until-close",
        "bare-lf",
        "chunked",
    ],
)
def test_http_reads_every_framing_and_keeps_only_what_can_be_kept(
    answer: bytes, reusable: bool
) -> None:
    connections: list[int] = []

    def handle(conn: socket.socket) -> None:
        connections.append(1)
        while read_request(conn):
            # Headers and body in two sends, as many servers write them.
            conn.sendall(answer[: answer.index(b"{")])
            time.sleep(0.01)
            conn.sendall(answer[answer.index(b"{") :])
            if not reusable:
                return

    with raw_server(handle) as url:
        transport = HttpTransport(url)
        answers = [transport.send(WireRequest("GET", headers=[("Host", "x")]), 5) for _ in range(3)]
        pooled = list(transport._idle)
        if reusable:
            sock = pooled[0]
            # Both options the module explains: no Nagle on requests, no delayed ACKs.
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        transport.close()
    assert [a.body for a in answers] == [BODY] * 3
    assert all(a.status == 200 and a.request_id == "r" for a in answers)
    assert len(connections) == (1 if reusable else 3)
    assert len(pooled) == (1 if reusable else 0)


def test_http_refuses_to_send_what_http_cannot_carry() -> None:
    transport = HttpTransport("http://127.0.0.1:1")
    for request in (
        WireRequest("GET", headers=[("Host", "x"), ("X-A", "1\r\nX-B: 2")]),
        WireRequest("G T", headers=[("Host", "x")]),
        WireRequest("GET", "/a b", headers=[("Host", "x")]),
    ):
        with pytest.raises(ValueError, match=r"cannot be sent|not a token|space"):
            transport.send(request, 1)


def _self_signed(tmp_path: Any) -> tuple[str, str]:
    """A certificate for ``localhost`` and its key, as PEM files."""
    pytest.importorskip("cryptography")
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def test_https_checks_the_url_host_and_keeps_the_connection(tmp_path: Any) -> None:
    import ssl

    cert_file, key_file = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    names: list[str | None] = []
    server_context.sni_callback = lambda sock, name, context: names.append(name)

    def handle(conn: socket.socket) -> None:
        with server_context.wrap_socket(conn, server_side=True) as tls:
            while read_request(tls):
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)

    with raw_server(handle) as url:
        port = url.rsplit(":", 1)[1]
        untrusting = HttpTransport(f"https://localhost:{port}", connect_to=f"127.0.0.1:{port}")
        with pytest.raises(TransportError) as refused:
            untrusting.send(WireRequest("GET", headers=[("Host", "localhost")]), 5)
        transport = HttpTransport(f"https://localhost:{port}", connect_to=f"127.0.0.1:{port}")
        transport._tls = ssl.create_default_context(cafile=cert_file)
        answers = [
            transport.send(WireRequest("GET", headers=[("Host", "localhost")]), 5) for _ in range(3)
        ]
        transport.close()
    assert refused.value.kind == "unreachable" and "TLS handshake failed" in refused.value.detail
    assert [a.body for a in answers] == [BODY] * 3
    assert names == ["localhost", "localhost"]  # the URL's host, not the connect-to address


@pytest.mark.parametrize("quickack", [True, False])
def test_http_without_quickack_stops_reusing_connections_that_stall(
    quickack: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where TCP_QUICKACK is missing, answers split by a pause on kept-alive connections
    (the sign of a delayed-ACK stall) make the transport open a fresh connection each time;
    where it is there, nothing stalls on the client's side and connections are kept."""
    monkeypatch.setattr("tcbatch_contract.transport.http._QUICKACK", quickack)
    connections: list[int] = []
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY)

    def split(conn: socket.socket) -> None:
        connections.append(1)
        while read_request(conn):
            conn.sendall(head)
            time.sleep(0.06)  # longer than the stall threshold, whatever the load
            conn.sendall(BODY)

    with raw_server(split) as url:
        transport = HttpTransport(url)
        for _ in range(5):
            assert transport.send(WireRequest("GET", headers=[("Host", "x")]), 5).body == BODY
        transport.close()
    # Without: exchange 1 fresh, 2 and 3 reused and split (then closed), 4 and 5 fresh.
    assert len(connections) == (1 if quickack else 3)

"""Hostile targets end an exchange with a TransportError, in bounded time and memory.

Each test plays one misbehaviour from a real socket server on 127.0.0.1 (one connection,
bounded: every behaviour stops by itself once the test is over) and checks the error's
kind and reason, that the exchange ended within its deadline (plus generous slack for a
loaded machine) and, where a target sends without end, that the transport stopped reading
at its limit.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from support.loopback import raw_server, read_request

from tcbatch_contract.transport import HttpTransport, TransportError, WireRequest
from tcbatch_contract.transport._http1 import MAX_BODY

DEADLINE = 1.0
SLACK = 2.0  # a loaded two-core machine may be slow to notice; a hang would take far longer
REQUEST = WireRequest("POST", headers=[("Host", "x"), ("Content-Type", "application/json")])
HEAD_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


@contextlib.contextmanager
def hostile(behaviour: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """Serve ``behaviour(conn, over)``; ``over`` is set when the test is done with it."""
    over = threading.Event()
    with raw_server(lambda conn: behaviour(conn, over)) as url:
        try:
            yield url
        finally:
            over.set()


def exchange(url: str, deadline: float = DEADLINE) -> tuple[TransportError, float]:
    """The error the transport raises for one request to ``url``, and the time it took."""
    transport = HttpTransport(url)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        transport.send(REQUEST, deadline)
    elapsed = time.monotonic() - started
    transport.close()
    return caught.value, elapsed


def drip(conn: socket.socket, over: threading.Event, data: bytes, pause: float) -> None:
    for byte in data:
        if over.wait(pause):
            return
        conn.sendall(bytes([byte]))


def test_a_body_that_never_ends_stops_at_the_size_limit() -> None:
    sent = [0]

    def endless(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        conn.sendall(HEAD_OK + b"Connection: close\r\n\r\n")
        block = b"x" * (1 << 16)
        while not over.is_set():
            conn.sendall(block)
            sent[0] += len(block)

    tracemalloc.start()
    try:
        with hostile(endless) as url:
            error, elapsed = exchange(url, deadline=10.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.kind == "oversize"
    assert f"past {MAX_BODY} bytes" in error.detail
    assert elapsed < 10.0
    assert peak < 3 * MAX_BODY  # what it read is kept once, plus the copy it would return
    assert sent[0] >= MAX_BODY  # it did read up to the limit before giving up


def test_an_announced_body_over_the_limit_is_not_read() -> None:
    sent = [0]

    def huge(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        conn.sendall(HEAD_OK + b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1))
        block = b"x" * (1 << 16)
        while not over.is_set():
            conn.sendall(block)
            sent[0] += len(block)

    with hostile(huge) as url:
        error, elapsed = exchange(url)
    assert error.kind == "oversize"
    assert f"announces a {MAX_BODY + 1}-byte body" in error.detail
    assert sent[0] < MAX_BODY // 2  # it stopped at the header, not after reading the body
    assert elapsed < DEADLINE + SLACK


def test_an_endless_chunked_body_stops_at_the_size_limit() -> None:
    def endless(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        conn.sendall(HEAD_OK + b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
        while not over.is_set():
            conn.sendall(chunk)

    with hostile(endless) as url:
        error, _ = exchange(url, deadline=10.0)
    assert error.kind == "oversize" and "chunked answer body" in error.detail


def test_a_dripping_body_meets_the_deadline_although_every_read_succeeds() -> None:
    def dripping(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        conn.sendall(HEAD_OK + b"Content-Length: 1000\r\n\r\n")
        drip(conn, over, b"x" * 1000, 0.05)

    with hostile(dripping) as url:
        error, elapsed = exchange(url)
    assert error.kind == "timeout"
    assert f"the answer was still incomplete after {DEADLINE:g} s" in error.detail
    assert elapsed < DEADLINE + SLACK


def test_dripping_headers_meet_the_deadline() -> None:
    def dripping(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        drip(conn, over, HEAD_OK + b"X-Slow: " + b"y" * 1000, 0.05)

    with hostile(dripping) as url:
        error, elapsed = exchange(url)
    assert error.kind == "timeout" and "still incomplete" in error.detail
    assert elapsed < DEADLINE + SLACK


def test_a_reset_in_the_middle_of_an_answer_is_dropped() -> None:
    def reset(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        conn.sendall(HEAD_OK + b"Content-Length: 1000\r\n\r\n" + b"x" * 10)
        time.sleep(0.05)  # let the bytes go before the reset
        # A zero linger time makes close() send RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with hostile(reset) as url:
        error, elapsed = exchange(url)
    assert error.kind == "dropped"
    assert "in the middle of the answer" in error.detail and "reset" in error.detail
    assert elapsed < DEADLINE + SLACK


def test_a_body_cut_short_is_dropped() -> None:
    def short(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        conn.sendall(HEAD_OK + b"Content-Length: 1000\r\n\r\n" + b"x" * 10)

    with hostile(short) as url:
        error, _ = exchange(url)
    assert error.kind == "dropped"
    assert error.detail == "the connection ended 10 bytes into a 1000-byte body"


@pytest.mark.parametrize(
    "status_line",
    [b"HTTP/1.1 OK\r\n", b"HTTP/2 200 OK\r\n", b"HTTP/1.1 20 OK\r\n", b"HTTP/1.1200 OK\r\n"],
)
def test_a_malformed_status_line_is_malformed(status_line: bytes) -> None:
    def answer(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        conn.sendall(status_line + b"Content-Length: 0\r\n\r\n")
        over.wait(5)

    with hostile(answer) as url:
        error, elapsed = exchange(url)
    assert error.kind == "malformed"
    assert error.detail == f"malformed status line {status_line.decode().strip()!r}"
    assert elapsed < DEADLINE  # it did not wait for more


def test_endless_header_lines_stop_at_the_header_limit() -> None:
    def endless(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        conn.sendall(HEAD_OK)
        while not over.is_set():
            conn.sendall(b"X-More: 1\r\n" * 100)

    with hostile(endless) as url:
        error, elapsed = exchange(url)
    assert error.kind == "oversize"
    assert error.detail == "the answer's header section has more than 256 lines"
    assert elapsed < DEADLINE + SLACK


def test_a_header_line_without_end_stops_at_the_header_limit() -> None:
    def endless(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        conn.sendall(HEAD_OK + b"X-Long: ")
        while not over.is_set():
            conn.sendall(b"y" * 4096)

    with hostile(endless) as url:
        error, elapsed = exchange(url)
    assert error.kind == "oversize"
    assert error.detail == f"the answer's header section is longer than {256 << 10} bytes"
    assert elapsed < DEADLINE + SLACK


def test_a_non_http_banner_is_malformed_at_once() -> None:
    def ssh(conn: socket.socket, over: threading.Event) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")  # as an SSH server greets, then waits
        over.wait(5)

    with hostile(ssh) as url:
        error, elapsed = exchange(url)
    assert error.kind == "malformed"
    assert error.detail == "the target does not speak HTTP: it sent 'SSH-2.0-OpenSSH_9.6'"
    assert elapsed < DEADLINE  # it did not wait for the deadline


def test_a_target_that_accepts_and_never_answers_times_out() -> None:
    def silent(conn: socket.socket, over: threading.Event) -> None:
        read_request(conn)
        over.wait(5)

    with hostile(silent) as url:
        error, elapsed = exchange(url)
    assert error.kind == "timeout" and not error.not_taken  # it took the request: no excuse
    assert error.detail == f"no answer within {DEADLINE:g} s"
    assert elapsed + 0.05 >= DEADLINE and elapsed < DEADLINE + SLACK


def test_a_request_the_target_never_took_is_told_from_one_it_sat_on() -> None:
    """A server that reads nothing, its receive window shut (as a connection waiting in a
    full listen queue is): the request's last bytes stay unacknowledged, and the time-out
    says the target never took it. The silent server above took the whole request."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # inherited on accept
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    request = WireRequest("POST", headers=REQUEST.headers, body=b"x" * 12_000)
    try:
        transport = HttpTransport(url)
        with pytest.raises(TransportError) as caught:
            transport.send(request, DEADLINE)
        transport.close()
    finally:
        listener.close()
    error = caught.value
    assert error.kind == "timeout" and error.not_taken, error
    assert "the target never took the request" in error.detail, error.detail


def test_a_request_never_taken_is_given_up_early_not_at_the_deadline() -> None:
    """The same untaken request with a long time limit: the transport looks again every
    few seconds whether the target's TCP acknowledged it, and gives up long before."""
    from tcbatch_contract.transport._http1 import NOT_TAKEN_AFTER

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    request = WireRequest("POST", headers=REQUEST.headers, body=b"x" * 12_000)
    started = time.monotonic()
    try:
        transport = HttpTransport(url)
        with pytest.raises(TransportError) as caught:
            transport.send(request, 30.0)
        transport.close()
    finally:
        listener.close()
    elapsed = time.monotonic() - started
    assert caught.value.not_taken, caught.value
    assert NOT_TAKEN_AFTER <= elapsed < 2 * NOT_TAKEN_AFTER + SLACK

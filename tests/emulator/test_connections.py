"""Idle and slow connections do not starve the others: with 150 idle connections and 50
half-sent requests held open, a normal client is still answered, and so are the half-sent
requests once they are finished."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

from support.emulator_wire import parse_http, send, serving, tc3, valid, wire_bytes

from tcbatch_contract.emulator import Emulator
from tcbatch_contract.emulator.server import connection_limit

IDLE, HALF_SENT = 150, 50
#: A bound so that a starved client fails the test instead of hanging it (not a timing check).
PATIENCE = 20.0


@contextlib.contextmanager
def held_open(emu: Emulator, count: int) -> Iterator[list[socket.socket]]:
    host, port = emu.host.rsplit(":", 1)
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            socks.append(socket.create_connection((host, int(port)), timeout=PATIENCE))
        yield socks
    finally:
        for sock in socks:
            sock.close()


def test_the_connection_limit_is_above_waitress_default() -> None:
    assert connection_limit() >= IDLE + HALF_SENT + 32


def test_a_normal_client_is_answered_past_idle_and_half_sent_connections() -> None:
    with serving() as emu, held_open(emu, IDLE), held_open(emu, HALF_SENT) as slow:
        whole = [wire_bytes(tc3(emu.host, params=valid()), close=True) for _ in slow]
        for sock, data in zip(slow, whole, strict=True):
            sock.sendall(data[: len(data) - 10])  # headers and most of the body
        reply = send(emu, tc3(emu.host, params=valid()), timeout=PATIENCE)
        assert reply.status == 200 and reply.response["JobId"].startswith("job-")
        for sock, data in zip(slow, whole, strict=True):
            sock.sendall(data[len(data) - 10 :])
        for sock in slow:
            answer = parse_http(_read_all(sock))
            assert answer.status == 200 and answer.response["JobId"].startswith("job-")


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)

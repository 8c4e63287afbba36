"""Hostile and broken input: always a well-formed answer, never a 5xx, a hang or a drop."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.emulator_wire import (
    assert_envelope,
    code_of,
    parse_http,
    send,
    send_bytes,
    serving,
    tc3,
    v1,
    valid,
    with_env_id,
)

from tcbatch_contract.emulator import Emulator
from tcbatch_contract.wire.flatten import flatten


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"Placement": {"Zone": "ap-guangzhou-2"}, "Job": ', "truncated JSON"),
        (b"[]", "a JSON array"),
        (b"null", "JSON null"),
        (b'{"Job": "\xc3\x28"}', "invalid UTF-8"),
        (b"\x00\x01\x02", "binary"),
        (b"{" * 100_000 + b"}" * 100_000, "100,000 levels of objects"),
        (b'{"Job": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "100,000 levels of lists"),
    ],
)
def test_malformed_bodies(emu: Emulator, body: bytes, why: str) -> None:
    assert code_of(emu, tc3(emu.host, body=body)) == "InvalidParameter", why


def test_deep_nesting_of_valid_json_objects(emu: Emulator) -> None:
    depth = 100_000
    body = b'{"Job": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    assert code_of(emu, tc3(emu.host, body=body)) == "InvalidParameter"


def test_deep_flattened_name(emu: Emulator) -> None:
    pairs = [*flatten(with_env_id()).items(), ("Job." + ".".join(["a"] * 20_000), "x")]
    assert code_of(emu, v1(emu.host, pairs=pairs, method="POST")) == "UnknownParameter"


def test_lone_surrogates_are_accepted_and_echoed_escaped(emu: Emulator) -> None:
    params = valid()
    params["Job"]["JobName"] = "\ud800x\udfff"
    params["Job"]["JobDescription"] = "\U0001f600" * 200  # 200 code points: at the limit
    reply = send(emu, tc3(emu.host, params=params))
    assert_envelope(reply)
    assert reply.code is None, reply.response
    info = send(emu, tc3(emu.host, "DescribeJobSubmitInfo", {"JobId": reply.response["JobId"]}))
    assert_envelope(info)
    assert b'"\\ud800x\\udfff"' in info.body
    assert info.response["JobName"] == "\ud800x\udfff"
    assert info.response["JobDescription"] == "\U0001f600" * 200


def test_body_of_11_mb(emu: Emulator) -> None:
    body = json.dumps({**valid(), "Pad": "y" * (11 * 1000 * 1000)}).encode()
    assert code_of(emu, tc3(emu.host, body=body)) == "RequestSizeLimitExceeded"


def _paths(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replaced(params: dict, path: tuple, new: Any) -> dict:
    copy = json.loads(json.dumps(params))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


def _wrong(value: Any) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int):
        return 1.0
    if isinstance(value, str):
        return 7
    return "not a container" if isinstance(value, dict | list) else None


def test_a_wrong_type_at_every_depth(emu: Emulator) -> None:
    params = valid()
    params["Job"]["Tasks"][0]["RestartComputeNode"] = True
    seen = 0
    for path, value in _paths(params):
        if not path:
            continue
        for bad in (_wrong(value), None):
            code = code_of(emu, tc3(emu.host, params=_replaced(params, path, bad)))
            assert code == "InvalidParameter", (path, bad, code)
            seen += 1
    assert seen > 30


def test_an_unknown_member_at_every_depth(emu: Emulator) -> None:
    params = valid()
    for path, value in _paths(params):
        if isinstance(value, dict):
            changed = _replaced(params, (*path, "Foo"), "x") if path else {**params, "Foo": 1}
            assert code_of(emu, tc3(emu.host, params=changed)) == "UnknownParameter", path


def test_missing_host_header(emu: Emulator) -> None:
    raw = tc3(emu.host, params=valid()).set_header("Host", None)
    assert code_of(emu, raw) == "AuthFailure.SignatureFailure"
    raw = v1(emu.host, params=with_env_id()).set_header("Host", None)
    assert code_of(emu, raw) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("offset", [-(10**6), -301, 301, 10**6])
def test_expired_and_future_timestamps(emu: Emulator, offset: int) -> None:
    timestamp = int(time.time()) + offset
    raw = tc3(emu.host, params=valid(), timestamp=timestamp)
    assert code_of(emu, raw) == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize("text", ["1" + "0" * 30, "-" + "9" * 400, "0" * 50 + "1"])
def test_timestamps_no_clock_can_hold(emu: Emulator, text: str) -> None:
    raw = tc3(emu.host, params=valid()).set_header("X-TC-Timestamp", text)
    assert code_of(emu, raw) == "AuthFailure.SignatureExpire"


def test_body_changed_after_signing(emu: Emulator) -> None:
    raw = tc3(emu.host, params=valid())
    raw.body = raw.body.replace(b'"test"', b'"tent"')
    assert code_of(emu, raw) == "AuthFailure.SignatureFailure"


def test_garbage_instead_of_http(emu: Emulator) -> None:
    reply = parse_http(send_bytes(emu, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"))
    assert_envelope(reply)
    assert reply.code == "InvalidParameter"


def test_invalid_chunked_body(emu: Emulator) -> None:
    data = (
        f"POST / HTTP/1.1\r\nHost: {emu.host}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    ).encode()
    reply = parse_http(send_bytes(emu, data))
    assert_envelope(reply)
    assert reply.code == "InvalidParameter"


def test_chunked_body_is_read_like_any_other(emu: Emulator) -> None:
    raw = tc3(emu.host, "DescribeJob", {"JobId": "job-00000000"})
    head = "POST / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in raw.headers)
    data = (head + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    data += f"{len(raw.body):x}\r\n".encode() + raw.body + b"\r\n0\r\n\r\n"
    reply = parse_http(send_bytes(emu, data))
    assert_envelope(reply)
    assert reply.code == "ResourceNotFound.Job"


def test_a_body_shorter_than_its_content_length_is_answered_after_the_stall_limit() -> None:
    with serving() as fast:
        fast._server.stall_seconds = 1  # the contract allows 30 s; a test need not wait that long
        raw = tc3(fast.host, "DescribeJob", {"JobId": "job-00000000"})
        head = "POST / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in raw.headers)
        data = (head + f"Content-Length: {len(raw.body) + 50}\r\n\r\n").encode() + raw.body
        started = time.monotonic()
        reply = parse_http(send_bytes(fast, data, timeout=10))
        assert time.monotonic() - started < 5
        assert_envelope(reply)
        assert reply.code == "InvalidParameter"


def test_a_trickling_request_is_answered_after_the_stall_limit() -> None:
    with serving() as fast:
        fast._server.stall_seconds = 1
        host, port = fast.host.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            started = time.monotonic()
            data = b""
            for piece in (b"POST / HTTP/1.1\r\n", b"Host: x\r\n", b"X-A: 1\r\n", b"X-B: 2\r\n") * 5:
                sock.sendall(piece)  # a byte now and then: never quiet, never complete
                if select.select([sock], [], [], 0.3)[0]:
                    break
            while chunk := sock.recv(65536):
                data += chunk
        assert time.monotonic() - started < 6
        reply = parse_http(data)
        assert_envelope(reply)
        assert reply.code == "InvalidParameter"


def test_default_stall_limit_is_thirty_seconds() -> None:
    with serving() as emu:
        assert emu._server.stall_seconds == 30


def test_keep_alive_connection_serves_many_requests(emu: Emulator) -> None:
    host, port = emu.host.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        stream = sock.makefile("rb")
        for _ in range(5):
            raw = tc3(emu.host, "DescribeJob", {"JobId": "job-00000000"})
            head = "POST / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in raw.headers)
            sock.sendall((head + f"Content-Length: {len(raw.body)}\r\n\r\n").encode() + raw.body)
            status = stream.readline()
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = json.loads(stream.read(length))
            assert status.startswith(b"HTTP/1.1 200")
            assert body["Response"]["Error"]["Code"] == "ResourceNotFound.Job"

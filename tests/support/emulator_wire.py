"""Raw signed HTTP to the emulator: requests built and signed as the official SDK builds them,
returned as plain data that a test can break on purpose, and sent with ``http.client`` or a
bare socket, so that nothing between a test and the emulator tidies the request up.
``tests/emulator/test_client.py`` checks the signatures against the SDK's own."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tcbatch_contract.emulator import (
    DEFAULT_ENV_ID,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    Emulator,
    EmulatorConfig,
)
from tcbatch_contract.wire import signing
from tcbatch_contract.wire.flatten import flatten

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
    os.environ.pop(_name, None)


REGION = "ap-guangzhou"
#: A small valid SubmitJob request (the shape of the public Example 1).
VALID: dict[str, Any] = {
    "Placement": {"Zone": "ap-guangzhou-2"},
    "Job": {
        "JobName": "test",
        "Priority": 1,
        "Tasks": [
            {
                "TaskName": "hello2",
                "TaskInstanceNum": 1,
                "Application": {"DeliveryForm": "LOCAL", "Command": "echo hi"},
                "ComputeEnv": {
                    "EnvType": "MANAGED",
                    "EnvData": {"InstanceType": "S1.SMALL1", "ImageId": "img-bd78fy2t"},
                },
                "RedirectInfo": {
                    "StdoutRedirectPath": "cos://bucket-1251783334.cosgz.myqcloud.com/logs/",
                    "StderrRedirectPath": "cos://bucket-1251783334.cosgz.myqcloud.com/logs/",
                },
            }
        ],
    },
}


def valid() -> dict[str, Any]:
    """A fresh deep copy of ``VALID``, safe to change."""
    return json.loads(json.dumps(VALID))


def with_env_id() -> dict[str, Any]:
    """``VALID`` with the task running in the emulator's default compute environment."""
    params = valid()
    task = params["Job"]["Tasks"][0]
    del task["ComputeEnv"]
    task["EnvId"] = DEFAULT_ENV_ID
    return params


@dataclass
class Raw:
    """One HTTP request as bytes-to-be: break any part of it before sending."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    def set_header(self, name: str, value: str | None) -> Raw:
        """Replace (or, with None, remove) every header called ``name``."""
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        if value is not None:
            self.headers.append((name, value))
        return self


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def response(self) -> dict[str, Any]:
        return self.data.get("Response", {})

    @property
    def code(self) -> str | None:
        """The error code, or None for a success."""
        error = self.response.get("Error")
        return error["Code"] if error else None


def tc3(
    host: str,
    action: str = "SubmitJob",
    params: Mapping[str, Any] | None = None,
    *,
    body: bytes | None = None,
    method: str = "POST",
    secret_id: str = DEFAULT_SECRET_ID,
    secret_key: str = DEFAULT_SECRET_KEY,
    region: str | None = REGION,
    timestamp: int | None = None,
    content_type: str | None = None,
) -> Raw:
    """A TC3-HMAC-SHA256 request signed the way the SDK signs it.

    ``content_type=""`` signs an empty Content-Type and sends none.
    """
    timestamp = int(time.time()) if timestamp is None else timestamp
    query = ""
    if method == "GET":
        query = urlencode(flatten(dict(params or {})))
        body = b""
        content_type = content_type or "application/x-www-form-urlencoded"
    elif body is None:
        body = json.dumps(params or {}).encode("utf-8")
    if content_type is None:
        content_type = "application/json"
    authorization = signing.tc3_authorization(
        secret_id,
        secret_key,
        timestamp,
        method,
        query,
        content_type,
        host,
        signing.sha256_hex(body),
    )
    headers = [
        ("Host", host),
        ("Content-Type", content_type),
        ("X-TC-Action", action),
        ("X-TC-Version", "2017-03-12"),
        ("X-TC-Timestamp", str(timestamp)),
        ("X-TC-Language", "en-US"),
        ("Authorization", authorization),
    ]
    if region is not None:
        headers.append(("X-TC-Region", region))
    if not content_type:  # signed as empty: sent without a Content-Type
        headers = [h for h in headers if h[0] != "Content-Type"]
    return Raw(method, "/?" + query if query else "/", headers, body)


def v1(
    host: str,
    action: str = "SubmitJob",
    params: Mapping[str, Any] | None = None,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    method: str = "GET",
    secret_id: str = DEFAULT_SECRET_ID,
    secret_key: str = DEFAULT_SECRET_KEY,
    region: str | None = REGION,
    timestamp: int | None = None,
    signature_method: str = "HmacSHA256",
    common: Mapping[str, str | None] | None = None,
) -> Raw:
    """A V1 request (GET query or POST form) signed over every pair it carries.

    ``pairs`` replaces the flattened ``params`` (to send what flattening cannot make);
    ``common`` overrides common parameters (None removes one).
    """
    base = {
        "Action": action,
        "Version": "2017-03-12",
        "Timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "Nonce": str(uuid.uuid4().int % 10**9),
        "SecretId": secret_id,
        "SignatureMethod": signature_method,
    }
    if region is not None:
        base["Region"] = region
    overrides = dict(common or {})
    signature_override = overrides.pop("Signature", "")
    for name, value in overrides.items():
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    sent = list(pairs if pairs is not None else flatten(dict(params or {})).items())
    sent += list(base.items())
    string_to_sign = signing.v1_string_to_sign(method, host, "/", sent)
    signature = signing.v1_signature(secret_key, string_to_sign, signature_method)
    if signature_override != "" or "Signature" in (common or {}):
        signature = signature_override
    if signature is not None:
        sent.append(("Signature", signature))
    encoded = urlencode(sent)
    if method == "GET":
        return Raw("GET", "/?" + encoded, [("Host", host)])
    headers = [("Host", host), ("Content-Type", "application/x-www-form-urlencoded")]
    return Raw(method, "/", headers, encoded.encode("ascii"))


def _address(emu: Emulator | str) -> tuple[str, int]:
    host, port = (emu if isinstance(emu, str) else emu.host).rsplit(":", 1)
    return host, int(port)


def send(emu: Emulator | str, raw: Raw, timeout: float = 40.0) -> Reply:
    """Send ``raw`` as is (no Host or other header added) to ``emu`` (or ``host:port``)."""
    host, port = _address(emu)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(raw.method, raw.target, skip_host=True, skip_accept_encoding=True)
        for name, value in raw.headers:
            conn.putheader(name, value)
        if raw.body or raw.method == "POST":
            conn.putheader("Content-Length", str(len(raw.body)))
        conn.endheaders(raw.body or None)
        response = conn.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    data = json.loads(body) if body else {}
    return Reply(response.status, headers, body, data)


def send_bytes(emu: Emulator | str, data: bytes, timeout: float = 40.0) -> bytes:
    """Write ``data`` on a fresh connection and read until the server closes or answers."""
    with socket.create_connection(_address(emu), timeout=timeout) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if _complete(b"".join(chunks)):
                break
    return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def parse_http(data: bytes) -> Reply:
    """A raw HTTP answer as a :class:`Reply`."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(status, headers, body, json.loads(body) if body else {})


def assert_envelope(reply: Reply) -> None:
    """HTTP 200, exact Content-Type, ``{"Response": {..., "RequestId": uuid}}``, ASCII."""
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.body.isascii()
    uuid.UUID(reply.response["RequestId"])
    if reply.code is not None:
        assert reply.response["Error"]["Message"]
        assert "JobId" not in reply.response


DESCRIBE = {"JobId": "job-00000000"}


#: The answer to ``DESCRIBE``: the request passed every protocol rule.
NOT_FOUND = "ResourceNotFound.Job"


ALL_FORMS = ["tc3-post", "tc3-get", "v1-get", "v1-post"]


def build(
    emu: Emulator,
    form: str,
    action: str = "DescribeJob",
    params: Mapping[str, Any] = DESCRIBE,
    **kw: Any,
) -> Raw:
    """A signed request in ``form``: tc3-post, tc3-get, v1-get or v1-post."""
    kind, method = form.split("-")
    maker = tc3 if kind == "tc3" else v1
    return maker(emu.host, action, params, method=method.upper(), **kw)


def code_of(emu: Emulator, raw: Raw) -> str | None:
    """The error code of the answer (None for success), after checking its envelope."""
    reply = send(emu, raw)
    assert_envelope(reply)
    return reply.code


def wire_bytes(raw: Raw, close: bool = False) -> bytes:
    """``raw`` as HTTP/1.1 bytes, for a bare socket."""
    lines = [f"{raw.method} {raw.target} HTTP/1.1"] + [f"{k}: {v}" for k, v in raw.headers]
    if raw.body:
        lines.append(f"Content-Length: {len(raw.body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + raw.body


@contextlib.contextmanager
def serving(**overrides: Any) -> Iterator[Emulator]:
    """An emulator on a free loopback port, without a rate limit unless asked for."""
    overrides.setdefault("rate_limit", None)
    with Emulator(EmulatorConfig(**overrides)) as emu:
        yield emu


EXAMPLE_1 = {
    "Placement": {"Zone": "ap-guangzhou-2"},
    "Job": {
        "JobName": "test",
        "JobDescription": "test",
        "Priority": 1,
        "Tasks": [
            {
                "TaskName": "hello2",
                "TaskInstanceNum": 1,
                "Application": {
                    "DeliveryForm": "LOCAL",
                    "Command": 'python -c "fib=lambda n:1 if n<=2 else fib(n-1)+fib(n-2); '
                    'print(fib(20))"',
                },
                "ComputeEnv": {
                    "EnvType": "MANAGED",
                    "EnvData": {"InstanceType": "S1.SMALL1", "ImageId": "img-bd78fy2t"},
                },
                "RedirectInfo": {
                    "StdoutRedirectPath": "cos://dondonbatch-1251783334.cosgz.myqcloud.com/hello2/logs/",
                    "StderrRedirectPath": "cos://dondonbatch-1251783334.cosgz.myqcloud.com/hello2/logs/",
                },
            }
        ],
    },
}

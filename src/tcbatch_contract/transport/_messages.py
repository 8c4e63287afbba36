"""The request and answer as bytes on the wire, and the one interface every transport has.

A conformance harness has to send requests that no well-behaved client would build (a
header changed after signing, a body that is not JSON, a method the API refuses), so the
unit a transport moves is a raw request, not an API call. Keeping it raw also means the
same request can go over real HTTP, straight into a WSGI app, or into a recording.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol

#: unreachable: no connection; timeout: no complete answer in time; dropped: the connection
#: ended (or was reset) before the answer did; malformed: the answer is not HTTP/1.x;
#: oversize: the answer passes a size limit (headers, body).
TransportErrorKind = Literal["unreachable", "timeout", "dropped", "malformed", "oversize"]


class TransportError(Exception):
    """The target gave no usable HTTP answer: it could not be reached, took too long, hung
    up, answered with something that is not HTTP, or with more than the harness reads."""

    def __init__(self, kind: TransportErrorKind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        # A time-out on a request the target's TCP never acknowledged: it never arrived.
        self.not_taken = False


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request exactly as it is sent: ``headers`` in order, names as written."""

    method: str
    path: str = "/"
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def target(self) -> str:
        """The request target of the request line (path and query)."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), None when absent."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def with_header(self, name: str, value: str) -> WireRequest:
        """A copy where header ``name`` has exactly one value, kept in its old place."""
        lowered = name.lower()
        headers: list[tuple[str, str]] = []
        placed = False
        for key, old in self.headers:
            if key.lower() != lowered:
                headers.append((key, old))
            elif not placed:
                headers.append((key, value))
                placed = True
        if not placed:
            headers.append((name, value))
        return dataclasses.replace(self, headers=headers)

    def without_header(self, name: str) -> WireRequest:
        lowered = name.lower()
        headers = [(k, v) for k, v in self.headers if k.lower() != lowered]
        return dataclasses.replace(self, headers=headers)

    def replace(self, **changes: Any) -> WireRequest:
        return dataclasses.replace(self, **changes)

    def to_dict(self, max_body: int | None = None) -> dict[str, Any]:
        """A plain record (method, path, query, headers, body text), unmasked.

        ``max_body`` shortens a long body for display and says how long it was.
        """
        body = self.body
        text = body.decode("utf-8", errors="replace")
        if max_body is not None and len(body) > max_body:
            text = body[:max_body].decode("utf-8", errors="replace")
            text += f"… ({len(body)} bytes in all)"
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": [list(pair) for pair in self.headers],
            "body": text,
        }


@dataclass(frozen=True)
class WireResponse:
    """One HTTP answer: status, headers (lower-case names), body bytes, time taken."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float = 0.0

    @cached_property
    def _document(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def json(self) -> Any:
        """The body parsed as JSON, None when it is not JSON."""
        return self._document

    @property
    def response(self) -> dict[str, Any] | None:
        """The ``Response`` object of the body, None when the body has none."""
        document = self._document
        if isinstance(document, dict) and isinstance(document.get("Response"), dict):
            return document["Response"]
        return None

    @property
    def error(self) -> dict[str, Any] | None:
        response = self.response
        if response is not None and isinstance(response.get("Error"), dict):
            return response["Error"]
        return None

    @property
    def code(self) -> str | None:
        """``Response.Error.Code``, None for a success (or a body that is no API answer)."""
        error = self.error
        code = error.get("Code") if error else None
        return code if isinstance(code, str) else None

    @property
    def message(self) -> str | None:
        error = self.error
        message = error.get("Message") if error else None
        return message if isinstance(message, str) else None

    @property
    def request_id(self) -> str | None:
        response = self.response
        value = response.get("RequestId") if response else None
        return value if isinstance(value, str) else None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    def summary(self) -> dict[str, Any]:
        """What a failure report shows of an answer."""
        out: dict[str, Any] = {"status": self.status, "content_type": self.content_type}
        if self.response is None:
            out["body"] = self.body[:200].decode("utf-8", errors="replace")
        else:
            out["code"] = self.code
            if self.message is not None:
                out["message"] = self.message
            if "JobId" in self.response:
                out["job_id"] = self.response["JobId"]
        return out


class Transport(Protocol):
    """Moves one raw request to a target and brings back its answer.

    ``send`` raises :class:`TransportError` when there is no answer; it never waits longer
    than ``timeout`` seconds (give or take the time to notice).
    """

    def send(self, request: WireRequest, timeout: float) -> WireResponse: ...

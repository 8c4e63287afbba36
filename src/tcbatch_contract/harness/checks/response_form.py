"""The shape every API answer must have, whatever was asked (protocol.md, "Responses").

A target can give the right error code in the wrong envelope, and the official SDK then
misreads it: a ``Content-Type`` with ``; charset=utf-8`` turns an error into a silent
success, a non-200 status into a code-less ``ServerNetworkError``. So the envelope is
judged on every answer, apart from the code, and a breach is reported under its own rule
id as well as under the rule whose case produced it.

Every answer but one kind: where a check sends an input whose HTTP-level limits the
contract only assumes (``ROBUST-*``), the server in front of the API may refuse it with a
4xx of its own before the API sees it. Such a refusal is no answer of the API, so its form
is not judged either (:func:`http_refusals_not_judged`, ``contracts/README.md``
§Interpretations 34).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from ... import codes

RULE = "RESPONSE-FORM"

#: The statuses with which an HTTP server refuses a request before any application reads
#: it: malformed, too slow, no length, too large, URI too long, header fields too large.
HTTP_REFUSALS = frozenset({400, 408, 411, 413, 414, 431})
_NOT_JUDGED: ContextVar[frozenset[int]] = ContextVar(
    "http_refusals_not_judged", default=frozenset()
)

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class RequestIds:
    """RequestIds seen during one run: each must be unique per request."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def first_time(self, request_id: str) -> bool:
        with self._lock:
            if request_id in self._seen:
                return False
            self._seen.add(request_id)
            return True


def response_form_problems(
    response: Any, *, method: str = "POST", request_ids: RequestIds | None = None
) -> list[str]:
    """Every way ``response`` (a ``WireResponse``) breaks the response form; [] when none.

    A HEAD answer carries headers only (protocol.md), so only its status and
    Content-Type are judged.
    """
    problems: list[str] = []
    if response.status != 200:
        problems.append(f"HTTP status {response.status}, expected 200")
    content_type = _header(response.headers, "content-type")
    if content_type != "application/json":
        shown = "absent" if content_type is None else repr(content_type)
        problems.append(f"Content-Type {shown}, expected exactly 'application/json'")
    if method.upper() == "HEAD":
        return problems
    body = response.body or b""
    if not body.isascii():
        problems.append("body is not ASCII JSON (non-ASCII bytes; the contract escapes them)")
    document = _document(response, body)
    if document is _NOT_JSON:
        problems.append(f"body is not JSON: {_preview(body)}")
        return problems
    inner = document.get("Response") if isinstance(document, dict) else None
    if not isinstance(inner, dict):
        problems.append('body is not {"Response": {...}}')
        return problems
    request_id = inner.get("RequestId")
    if not isinstance(request_id, str) or not _UUID.fullmatch(request_id):
        problems.append(f"Response.RequestId {request_id!r} is not a UUID")
    elif request_ids is not None and not request_ids.first_time(request_id):
        problems.append(f"Response.RequestId {request_id} was already used by another answer")
    if "Error" in inner:
        problems.extend(_error_problems(inner))
    return problems


_NOT_JSON = object()


def _document(response: Any, body: bytes) -> Any:
    """The body parsed as JSON (``_NOT_JSON`` when it is not), parsed once: a
    ``WireResponse`` keeps the document it parsed for the checks that read the answer."""
    parsed = getattr(response, "json", None)
    if callable(parsed):
        document = parsed()
        if document is not None or body.strip() == b"null":
            return document
        return _NOT_JSON
    try:
        return json.loads(body.decode("utf-8", errors="strict"))
    except (UnicodeDecodeError, ValueError):
        return _NOT_JSON


def _error_problems(inner: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    error = inner["Error"]
    if not isinstance(error, dict):
        return ["Response.Error is not an object"]
    code = error.get("Code")
    if not isinstance(code, str) or not code:
        problems.append("Response.Error.Code is missing or empty")
    message = error.get("Message")
    if not isinstance(message, str) or not message.strip():
        problems.append("Response.Error.Message is missing or empty")
    if "JobId" in inner:
        problems.append("an error answer carries Response.JobId")
    return problems


def is_http_refusal(response: Any, statuses: frozenset[int] = HTTP_REFUSALS) -> bool:
    """True when ``response`` is the HTTP layer's refusal (a status of ``statuses``, no
    ``{"Response": {...}}`` body), not an answer of the API in a broken form."""
    return response.status in statuses and response.response is None


@contextlib.contextmanager
def http_refusals_not_judged(statuses: frozenset[int] = HTTP_REFUSALS) -> Iterator[None]:
    """Within the block, this thread's exchanges refused by the HTTP layer with one of
    ``statuses`` are not judged by RESPONSE-FORM (the run's observer skips them)."""
    token = _NOT_JUDGED.set(statuses)
    try:
        yield
    finally:
        _NOT_JUDGED.reset(token)


def refusal_not_judged(response: Any) -> bool:
    """Whether ``response`` is an HTTP-level refusal the current exchange does not judge."""
    statuses = _NOT_JUDGED.get()
    return bool(statuses) and is_http_refusal(response, statuses)


def is_never_expected(code: str | None) -> bool:
    """True for the InternalError family, which no input may produce."""
    return code is not None and (code in codes.NEVER_EXPECTED or code.startswith("InternalError"))


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    if isinstance(headers, dict):
        for key, value in headers.items():
            if key.lower() == name:
                return value
        return None
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _preview(body: bytes, limit: int = 80) -> str:
    text = body[:limit].decode("utf-8", errors="replace")
    return repr(text + ("…" if len(body) > limit else ""))

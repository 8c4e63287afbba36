"""Request signing: TC3-HMAC-SHA256 (signature V3) and HmacSHA1/HmacSHA256 (signature V1).

Pure functions, no clock: the caller passes the timestamp. The same functions sign a
client's requests and recompute a signature on the server side. Each signature made is
also told to the listeners of ``signatures_to`` (none unless a run writes artefacts).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime

SERVICE = "batch"
TC3_ALGORITHM = "TC3-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

#: Told every signature as it is made, so that whatever writes artefacts can mask it.
_listeners: list[Callable[[str], None]] = []


@contextlib.contextmanager
def signatures_to(listener: Callable[[str], None]) -> Iterator[None]:
    """Call ``listener`` with every signature made while inside (any thread)."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def _made(signature: str) -> str:
    for listener in tuple(_listeners):
        listener(signature)
    return signature


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def tc3_canonical_request(
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    payload_hash: str,
) -> str:
    """``headers`` are the signed headers in signed order, as ``(lower-name, value)``."""
    headers = list(headers)
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in headers)
    signed_headers = ";".join(name for name, _ in headers)
    return "\n".join((method, path, query, canonical_headers, signed_headers, payload_hash))


def tc3_signature(
    secret_key: str,
    timestamp: int,
    canonical_request: str,
    service: str = SERVICE,
    date: str | None = None,
) -> str:
    """The lower-case hex signature of a canonical request."""
    date = date or utc_date(timestamp)
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        (TC3_ALGORITHM, str(timestamp), scope, sha256_hex(canonical_request.encode("utf-8")))
    )
    key = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    key = _hmac(key, service)
    key = _hmac(key, "tc3_request")
    return _made(hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest())


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    timestamp: int,
    method: str,
    query: str,
    content_type: str,
    host: str,
    payload_hash: str,
    path: str = "/",
) -> str:
    """The ``Authorization`` header the SDK would send (signed headers ``content-type;host``)."""
    canonical = tc3_canonical_request(
        method, path, query, [("content-type", content_type), ("host", host)], payload_hash
    )
    signature = tc3_signature(secret_key, timestamp, canonical)
    date = utc_date(timestamp)
    return (
        f"{TC3_ALGORITHM} Credential={secret_id}/{date}/{SERVICE}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def v1_string_to_sign(
    method: str, host: str, path: str, params: Mapping[str, str] | Iterable[tuple[str, str]]
) -> str:
    """``GETbatch.tencentcloudapi.com/?A=1&B=2``: every parameter but Signature, sorted, raw.

    ``params`` may be (name, value) pairs, for a request that repeats a name.
    """
    items = params.items() if isinstance(params, Mapping) else params
    pairs = sorted((k, v) for k, v in items if k != "Signature")
    return f"{method}{host}{path}?" + "&".join(f"{k}={v}" for k, v in pairs)


def v1_signature(secret_key: str, string_to_sign: str, method: str = "HmacSHA1") -> str:
    digest = hashlib.sha256 if method == "HmacSHA256" else hashlib.sha1
    mac = hmac.new(secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), digest)
    return _made(base64.b64encode(mac.digest()).decode("ascii"))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

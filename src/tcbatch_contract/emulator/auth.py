"""Server-side signature checks: TC3-HMAC-SHA256 and V1 (HmacSHA1 / HmacSHA256).

The arithmetic is ``tcbatch_contract.wire.signing``, the same code a client signs with;
this module decides *what* is signed on the receiving side: the bytes as received, the
query as received, the raw Host header (tccli sends ``Host: http://127.0.0.1:PORT``).

Where clients differ the server accepts each known variant: TC3 header values raw or
trimmed and lower-cased; V1 parameter names as sent or with ``_`` replaced by ``.`` (the
official SDK signs the latter and sends the former).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import codes
from ..wire import signing
from .errors import ApiError

_TC3_PREFIX = re.compile(r"TC3-HMAC-SHA256[ \t]+(.*)", re.DOTALL)


@dataclass(frozen=True)
class Tc3Authorization:
    """A parsed ``Authorization`` header."""

    secret_id: str
    date: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Tc3Authorization:
    """Parse a TC3 ``Authorization`` header or raise ``AuthFailure.InvalidAuthorization``."""
    match = _TC3_PREFIX.fullmatch(value)
    if not match:
        raise _unparsable("it must start with `TC3-HMAC-SHA256 `")
    fields: dict[str, str] = {}
    for part in match.group(1).split(","):
        key, sep, item = part.strip().partition("=")
        if not sep:
            raise _unparsable(f"`{part.strip()[:40]}` is not a `Name=value` field")
        fields[key.strip()] = item.strip()
    for name in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(name):
            raise _unparsable(f"the `{name}` field is missing")
    scope = fields["Credential"].split("/")
    if len(scope) != 4 or not all(scope):
        raise _unparsable("`Credential` must be `<SecretId>/<date>/<service>/tc3_request`")
    signed = tuple(name.strip().lower() for name in fields["SignedHeaders"].split(";"))
    if not all(signed):
        raise _unparsable("`SignedHeaders` holds an empty header name")
    return Tc3Authorization(scope[0], scope[1], scope[2], scope[3], signed, fields["Signature"])


def tc3_verifies(
    auth: Tc3Authorization,
    *,
    secret_key: str,
    timestamp: int,
    method: str,
    path: str,
    query: str,
    header: Callable[[str], str],
    body: bytes,
) -> bool:
    """Whether ``auth`` signs this request. ``header(name)`` is a header's value or ``""``."""
    if not {"content-type", "host"} <= set(auth.signed_headers):
        return False
    if (auth.date, auth.service, auth.terminator) != (
        signing.utc_date(timestamp),
        signing.SERVICE,
        "tc3_request",
    ):
        return False
    if header("x-tc-content-sha256") == signing.UNSIGNED_PAYLOAD:
        payload_hash = signing.sha256_hex(signing.UNSIGNED_PAYLOAD.encode("ascii"))
    else:
        payload_hash = signing.sha256_hex(body)
    raw = [(name, header(name)) for name in auth.signed_headers]
    variants = [raw, [(name, value.strip().lower()) for name, value in raw]]
    for headers in variants:
        canonical = signing.tc3_canonical_request(method, path, query, headers, payload_hash)
        expected = signing.tc3_signature(secret_key, timestamp, canonical)
        if _same(expected, auth.signature):
            return True
    return False


def v1_verifies(
    *,
    secret_key: str,
    method: str,
    host: str,
    path: str,
    params: Sequence[tuple[str, str]],
    signature: str,
    signature_method: str,
) -> bool:
    """Whether ``signature`` signs these (name, value) pairs (all but ``Signature``)."""
    variants = [params, [(name.replace("_", "."), value) for name, value in params]]
    for signed in variants:
        string_to_sign = signing.v1_string_to_sign(method, host, path, signed)
        expected = signing.v1_signature(secret_key, string_to_sign, signature_method)
        if _same(expected, signature):
            return True
    return False


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "surrogatepass"))


def _unparsable(why: str) -> ApiError:
    return ApiError(
        codes.AUTH_INVALID_AUTHORIZATION,
        f"The `Authorization` header could not be parsed: {why}.",
    )

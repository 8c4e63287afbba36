"""The four request forms, built and signed as the official SDK builds them.

``tc3-post`` (JSON body), ``tc3-get`` (flattened query), ``v1-get`` and ``v1-post``
(common parameters and an HMAC signature among the parameters). Each form is built in two
steps, an unsigned request and then its signature, so that a protocol check can change
any part in between or after (drop a header, sign other headers, change the body after
signing) and still get every other byte right.

Pure: the timestamp and the nonce are arguments.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .. import API_VERSION
from ..wire import signing
from ..wire.flatten import flatten, is_flattenable
from ._messages import WireRequest
from .credential import Credential

FORMS = ("tc3-post", "tc3-get", "v1-get", "v1-post")
V1_FORMS = frozenset({"v1-get", "v1-post"})
JSON_CONTENT = "application/json"
FORM_CONTENT = "application/x-www-form-urlencoded"
SIGNED_HEADERS = ("content-type", "host")
SIGN_METHODS = ("HmacSHA256", "HmacSHA1")


def check_form(form: str) -> str:
    if form not in FORMS:
        raise ValueError(f"request form {form!r} is unknown; use one of {', '.join(FORMS)}")
    return form


def form_method(form: str) -> str:
    return "GET" if check_form(form).endswith("-get") else "POST"


def json_body(params: Mapping[str, Any]) -> bytes:
    """The body the SDK sends: ``json.dumps`` defaults (``", "``, ``": "``, ASCII escapes)."""
    return json.dumps(params).encode("ascii")


def flat_query(params: Mapping[str, Any]) -> str:
    """The flattened, url-encoded parameters as the SDK's ``urlencode`` writes them."""
    if params and not is_flattenable(params):
        raise ValueError(
            "these parameters cannot be flattened (null, a float, an empty list or object): "
            "send them as tc3-post"
        )
    return urlencode(flatten(params))


# ---- TC3-HMAC-SHA256 -------------------------------------------------------------


def tc3_headers(
    action: str | None,
    *,
    host: str,
    content_type: str | None,
    timestamp: int | str | None,
    region: str | None,
    version: str | None = API_VERSION,
    token: str | None = None,
) -> list[tuple[str, str]]:
    """The headers of a TC3 request, before ``Authorization``; a None value is left out."""
    headers = [
        ("Host", host),
        ("Content-Type", content_type),
        ("X-TC-Action", action),
        ("X-TC-Version", version),
        ("X-TC-Timestamp", None if timestamp is None else str(timestamp)),
        ("X-TC-Region", region),
        ("X-TC-Token", token),
    ]
    return [(name, value) for name, value in headers if value is not None]


def tc3_unsigned(
    form: str,
    action: str | None,
    params: Mapping[str, Any],
    *,
    host: str,
    timestamp: int | str | None,
    region: str | None,
    version: str | None = API_VERSION,
    token: str | None = None,
) -> WireRequest:
    """A ``tc3-post`` or ``tc3-get`` request without its ``Authorization`` header."""
    if form == "tc3-post":
        body, query, content_type = json_body(params), "", JSON_CONTENT
    elif form == "tc3-get":
        body, query, content_type = b"", flat_query(params), FORM_CONTENT
    else:
        raise ValueError(f"{form!r} is not a TC3 form; use tc3-post or tc3-get")
    headers = tc3_headers(
        action,
        host=host,
        content_type=content_type,
        timestamp=timestamp,
        region=region,
        version=version,
        token=token,
    )
    return WireRequest(form_method(form), "/", query, headers, body)


def tc3_sign(
    request: WireRequest,
    credential: Credential,
    *,
    timestamp: int | str | None = None,
    signed_headers: Sequence[str] = SIGNED_HEADERS,
    service: str = signing.SERVICE,
    date: str | None = None,
    lower_values: bool = False,
    secret_id: str | None = None,
) -> WireRequest:
    """``request`` with the ``Authorization`` header a TC3 client computes for it.

    The canonical request is made of the request as it stands: method, path, query, the
    listed headers' values (raw, or trimmed and lower-cased with ``lower_values``) and the
    body hash (of ``UNSIGNED-PAYLOAD`` when the request says so). ``timestamp`` (the text
    of the string to sign) defaults to the ``X-TC-Timestamp`` header; ``date`` and
    ``service`` override the scope (``date`` is required when the timestamp is no integer).
    """
    if timestamp is None:
        timestamp = request.header("X-TC-Timestamp") or "0"
    if date is None:
        try:
            date = signing.utc_date(int(timestamp))
        except ValueError:
            raise ValueError(f"timestamp {timestamp!r} is no integer: give date=") from None
    canonical_headers = []
    for name in signed_headers:
        value = request.header(name) or ""
        canonical_headers.append((name.lower(), value.strip().lower() if lower_values else value))
    if request.header("X-TC-Content-SHA256") == signing.UNSIGNED_PAYLOAD:
        payload_hash = signing.sha256_hex(signing.UNSIGNED_PAYLOAD.encode())
    else:
        payload_hash = signing.sha256_hex(request.body)
    canonical = signing.tc3_canonical_request(
        request.method, request.path, request.query, canonical_headers, payload_hash
    )
    # The string to sign carries the timestamp as sent, integer or not.
    signature = signing.tc3_signature(
        credential.secret_key, timestamp, canonical, service=service, date=date
    )  # type: ignore[arg-type]
    names = ";".join(name for name, _ in canonical_headers)
    authorization = (
        f"{signing.TC3_ALGORITHM} Credential={secret_id or credential.secret_id}/{date}/"
        f"{service}/tc3_request, SignedHeaders={names}, Signature={signature}"
    )
    return request.with_header("Authorization", authorization)


# ---- Signature V1 ------------------------------------------------------------------


def v1_params(
    action: str | None,
    params: Mapping[str, Any],
    *,
    credential: Credential,
    region: str | None,
    timestamp: int | str | None,
    nonce: int | str | None,
    sign_method: str | None = "HmacSHA256",
    version: str | None = API_VERSION,
) -> list[tuple[str, str]]:
    """The flattened parameters followed by the common ones (Signature not yet)."""
    if params and not is_flattenable(params):
        raise ValueError("these parameters cannot be flattened: send them as tc3-post")
    pairs = list(flatten(params).items()) if params else []
    common = [
        ("Action", action),
        ("Version", version),
        ("Region", region),
        ("Timestamp", timestamp),
        ("Nonce", nonce),
        ("SecretId", credential.secret_id),
        ("SignatureMethod", sign_method),
        ("Token", credential.token),
    ]
    pairs.extend((name, str(value)) for name, value in common if value is not None)
    return pairs


def v1_string_to_sign(
    method: str,
    host: str,
    pairs: Iterable[tuple[str, str]],
    *,
    path: str = "/",
    underscore_as_dot: bool = True,
) -> str:
    """What the SDK signs: ``_`` in names read as ``.`` (its quirk) unless told otherwise."""
    named = {
        (name.replace("_", ".") if underscore_as_dot else name): value for name, value in pairs
    }
    return signing.v1_string_to_sign(method, host, path, named)


def v1_sign(
    method: str,
    host: str,
    pairs: Sequence[tuple[str, str]],
    secret_key: str,
    *,
    sign_method: str | None = None,
    underscore_as_dot: bool = True,
) -> list[tuple[str, str]]:
    """``pairs`` with the ``Signature`` the SDK computes appended (any old one dropped)."""
    pairs = [(k, v) for k, v in pairs if k != "Signature"]
    if sign_method is None:
        sign_method = dict(pairs).get("SignatureMethod", "HmacSHA1")
    text = v1_string_to_sign(method, host, pairs, underscore_as_dot=underscore_as_dot)
    return [*pairs, ("Signature", signing.v1_signature(secret_key, text, sign_method))]


def v1_request(
    method: str,
    pairs: Sequence[tuple[str, str]],
    *,
    host: str,
    content_type: str | None = FORM_CONTENT,
    encoded: str | None = None,
    in_query: bool | None = None,
) -> WireRequest:
    """A V1 request carrying ``pairs`` in the query or the form body.

    ``in_query`` defaults to True for GET (and HEAD), False for every other method.
    """
    encoded = urlencode(list(pairs)) if encoded is None else encoded
    headers = [("Host", host)]
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    if in_query is None:
        in_query = method.upper() in ("GET", "HEAD")
    if in_query:
        return WireRequest(method, "/", encoded, headers, b"")
    return WireRequest(method, "/", "", headers, encoded.encode("utf-8"))


# ---- Reading a request back ----------------------------------------------------------


def request_key(request: WireRequest) -> tuple[str, str]:
    """``(SecretId, Action)`` of a request, as a target counts it for its rate limit."""
    authorization = request.header("Authorization")
    if authorization or request.header("X-TC-Action") is not None:
        secret_id = ""
        if authorization and "Credential=" in authorization:
            secret_id = authorization.split("Credential=", 1)[1].split("/", 1)[0]
        return secret_id, request.header("X-TC-Action") or ""
    params = dict(parse_qsl(request.query, keep_blank_values=True))
    if request.body:
        params.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return params.get("SecretId", ""), params.get("Action", "")

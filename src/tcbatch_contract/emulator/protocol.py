"""The protocol rules P1-P11, as named steps over one exchange.

Each step is ``step(exchange, app)``: it reads what it needs from the exchange, records what
it learns on it, and raises ``ApiError`` to refuse. ``STEPS`` maps a name to its step and
``ORDER`` is the sequence the app runs; the app copies ``STEPS`` when it is built and looks
each step up at request time, so one step can be swapped on its own.

The order follows what each step needs, not the rule numbers: the size limits (P10) come
right after the method, since a body has to be read before anything in it can be judged;
a V1 request's parameters are decoded (``P11.v1``) before P2, since its Action lives there.
Everything that passes P1-P8 counts toward the rate limit (P9), whatever happens next: a TC3
body is parsed (P11) only after P9.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import API_VERSION, codes
from ..typetable import ACTIONS
from . import auth
from .errors import ApiError, invalid, malformed, missing, too_large
from .params import parse_form, parse_json_object, unflatten

if TYPE_CHECKING:
    from .app import EmulatorApp

MIB = 1024 * 1024
TC3_BODY_LIMIT = 10 * MIB
V1_BODY_LIMIT = 1 * MIB
QUERY_LIMIT = 32 * 1024
PATH_LIMIT = 8 * 1024
HEADER_COUNT_LIMIT = 100
HEADER_FIELD_LIMIT = 16 * 1024
HEADER_TOTAL_LIMIT = 64 * 1024
CLOCK_SKEW_SECONDS = 300

V1_COMMON = frozenset({
    "Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod",
    "Token", "Language", "RequestClient", "Signature",
})  # fmt: skip
_TC3_HEADERS = {
    "Action": "x-tc-action",
    "Version": "x-tc-version",
    "Timestamp": "x-tc-timestamp",
    "Region": "x-tc-region",
}
_INTEGER = re.compile(r"-?[0-9]+")


@dataclass
class Incoming:
    """One request on its way through the steps."""

    environ: dict[str, Any]
    method: str
    form: str  # "TC3" or "V1"
    path: str
    query: str
    common: dict[str, str]
    body: bytes = b""
    signed_pairs: list[tuple[str, str]] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    authorization: auth.Tc3Authorization | None = None
    secret_id: str = ""
    timestamp: int = 0
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Incoming:
        uri = environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        if "://" in uri.split("?", 1)[0]:  # absolute form: http://host/path?query
            uri = "/" + uri.split("://", 1)[1].partition("/")[2]
        path = uri.split("?", 1)[0] or "/"
        query = environ.get("QUERY_STRING", "")
        exchange = cls(environ, environ.get("REQUEST_METHOD", "GET"), "V1", path, query, {})
        tc3 = {name: exchange.header(header) for name, header in _TC3_HEADERS.items()}
        if any(tc3.values()) or exchange.header("authorization"):
            exchange.form = "TC3"
            exchange.common = {name: value for name, value in tc3.items() if value}
        return exchange

    def header(self, name: str) -> str:
        """A request header by lower-case name; ``""`` when absent."""
        if name in ("content-type", "content-length"):
            key = name.upper().replace("-", "_")
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        return self.environ.get(key, "")

    @property
    def action(self) -> str:
        return self.common.get("Action", "")

    @property
    def region(self) -> str:
        return self.common.get("Region", "")

    def query_bytes(self) -> bytes:
        return self.query.encode("latin-1", "replace")


Step = Callable[[Incoming, "EmulatorApp"], None]


def p1_method(ex: Incoming, app: EmulatorApp) -> None:
    if ex.method not in ("GET", "POST"):
        raise ApiError(
            codes.UNSUPPORTED_PROTOCOL,
            f"The HTTP method `{ex.method[:20]}` is not supported; use GET or POST.",
        )


def p10_size(ex: Incoming, app: EmulatorApp) -> None:
    if len(ex.query) > QUERY_LIMIT:
        raise too_large(f"the query string is {len(ex.query)} bytes; at most {QUERY_LIMIT}")
    if len(ex.path) > PATH_LIMIT:
        raise too_large(f"the request path is {len(ex.path)} bytes; at most {PATH_LIMIT}")
    fields = [(k, v) for k, v in ex.environ.items() if k.startswith("HTTP_")]
    fields += [(k, ex.environ[k]) for k in ("CONTENT_TYPE", "CONTENT_LENGTH") if k in ex.environ]
    sizes = [len(k) + 2 + len(str(v)) for k, v in fields]
    if len(fields) > HEADER_COUNT_LIMIT:
        raise too_large(f"{len(fields)} header fields; at most {HEADER_COUNT_LIMIT}")
    if sizes and max(sizes) > HEADER_FIELD_LIMIT:
        raise too_large(f"a header field is over {HEADER_FIELD_LIMIT} bytes")
    if sum(sizes) > HEADER_TOTAL_LIMIT:
        raise too_large(f"the headers are over {HEADER_TOTAL_LIMIT} bytes")
    limit = V1_BODY_LIMIT if ex.form == "V1" and ex.method == "POST" else TC3_BODY_LIMIT
    ex.body = _read_body(ex.environ, limit)


def _read_body(environ: dict[str, Any], limit: int) -> bytes:
    """At most ``limit`` bytes of body; never more than the stream is known to hold."""
    text = environ.get("CONTENT_LENGTH") or ""
    length = int(text) if text.isascii() and text.isdigit() else None
    if length is not None and length > limit:
        raise too_large(f"the body is {length} bytes; at most {limit}")
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if environ.get("wsgi.input_terminated"):
        body = stream.read(limit + 1)
    else:
        body = stream.read(length) if length else b""
    if len(body) > limit:
        raise too_large(f"the body is over {limit} bytes")
    if length is not None and len(body) < length:
        raise malformed("the body is shorter than its Content-Length")
    return body


def p11_v1_form(ex: Incoming, app: EmulatorApp) -> None:
    """A V1 request's parameters, decoded before anything reads its Action."""
    if ex.form != "V1":
        return
    if ex.method == "POST":
        media = ex.header("content-type").split(";", 1)[0].strip().lower()
        if media != "application/x-www-form-urlencoded":
            raise malformed(
                "a request signed with SignatureMethod (V1) must be sent as GET or as "
                "POST with Content-Type application/x-www-form-urlencoded"
            )
        pairs = parse_form(ex.body)
    else:
        pairs = parse_form(ex.query_bytes())
    seen: set[str] = set()
    for name, value in pairs:
        if name in V1_COMMON:
            if name in seen:
                raise invalid(name, "it is given more than once")
            seen.add(name)
            if value:
                ex.common[name] = value
        else:
            ex.pairs.append((name, value))
    ex.signed_pairs = [(name, value) for name, value in pairs if name != "Signature"]


def p2_action(ex: Incoming, app: EmulatorApp) -> None:
    if not ex.action:
        raise missing("X-TC-Action" if ex.form == "TC3" else "Action")
    if ex.action not in ACTIONS:
        raise ApiError(
            codes.INVALID_ACTION,
            f"The action `{ex.action[:60]}` is not served; use one of {', '.join(ACTIONS)}.",
        )


def p3_version(ex: Incoming, app: EmulatorApp) -> None:
    version = ex.common.get("Version")
    if not version:
        raise missing("X-TC-Version" if ex.form == "TC3" else "Version")
    if version != API_VERSION:
        raise ApiError(
            codes.NO_SUCH_VERSION,
            f"The API version `{version[:40]}` does not exist; use {API_VERSION}.",
        )


def p4_credentials_present(ex: Incoming, app: EmulatorApp) -> None:
    if ex.form == "TC3":
        value = ex.header("authorization")
        if not value:
            raise ApiError(
                codes.AUTH_INVALID_AUTHORIZATION, "The `Authorization` header is missing."
            )
        ex.authorization = auth.parse_authorization(value)
        ex.secret_id = ex.authorization.secret_id
        return
    for name in ("SecretId", "Signature"):
        if name not in ex.common:
            raise ApiError(
                codes.AUTH_INVALID_AUTHORIZATION,
                f"The request is not signed: the parameter `{name}` is missing.",
            )
    ex.secret_id = ex.common["SecretId"]


def p4b_timestamp_and_nonce(ex: Incoming, app: EmulatorApp) -> None:
    name = "X-TC-Timestamp" if ex.form == "TC3" else "Timestamp"
    text = ex.common.get("Timestamp")
    if not text:
        raise missing(name)
    if not _INTEGER.fullmatch(text):
        raise invalid(name, "a timestamp is an integer number of seconds")
    # A timestamp of more digits than any clock needs is far away either way (P5).
    ex.timestamp = int(text) if len(text) <= 20 else (-1 if text[0] == "-" else 1) * 10**20
    if ex.form == "V1" and "Nonce" not in ex.common:
        raise missing("Nonce")


def p5_clock_skew(ex: Incoming, app: EmulatorApp) -> None:
    if abs(ex.timestamp - app.clock()) > CLOCK_SKEW_SECONDS:
        raise ApiError(
            codes.AUTH_SIGNATURE_EXPIRE,
            "The signature expired: the timestamp is more than 5 minutes away from the "
            "server time; sign again with the current time.",
        )


def p6_secret_id_known(ex: Incoming, app: EmulatorApp) -> None:
    if ex.secret_id not in app.config.credentials:
        raise ApiError(
            codes.AUTH_SECRET_ID_NOT_FOUND,
            "The SecretId is not found; check that the key exists and is enabled.",
        )


def p7_signature(ex: Incoming, app: EmulatorApp) -> None:
    key = app.config.credentials[ex.secret_id]
    host = ex.header("host")
    if ex.form == "TC3" and ex.authorization is not None:
        ok = auth.tc3_verifies(
            ex.authorization,
            secret_key=key,
            timestamp=ex.timestamp,
            method=ex.method,
            path=ex.path,
            query=ex.query_bytes().decode("utf-8", "replace") if ex.method == "GET" else "",
            header=ex.header,
            body=ex.body,
        )
    else:
        ok = auth.v1_verifies(
            secret_key=key,
            method=ex.method,
            host=host,
            path=ex.path,
            params=ex.signed_pairs,
            signature=ex.common.get("Signature", ""),
            signature_method=ex.common.get("SignatureMethod", "HmacSHA1"),
        )
    if not ok:
        raise ApiError(
            codes.AUTH_SIGNATURE_FAILURE,
            "The provided credentials could not be validated. "
            "Please check your signature is correct.",
        )


def p8_region(ex: Incoming, app: EmulatorApp) -> None:
    if not ex.region:
        raise missing("X-TC-Region" if ex.form == "TC3" else "Region")
    if ex.region not in app.config.regions:
        raise ApiError(
            codes.UNSUPPORTED_REGION,
            f"The Region `{ex.region[:40]}` is not supported; use one of "
            f"{', '.join(app.config.regions)}.",
        )


def p9_rate_limit(ex: Incoming, app: EmulatorApp) -> None:
    if not app.limiter.admit((ex.secret_id, ex.action)):
        raise ApiError(
            codes.REQUEST_LIMIT_EXCEEDED,
            f"Your requests of `{ex.action}` exceed the frequency limit "
            f"`{app.limiter.limit}` for a second. Please reduce the frequency of calls.",
        )


def injected_failures(ex: Incoming, app: EmulatorApp) -> None:
    app.injector.check(ex.action)


def p11_parameters(ex: Incoming, app: EmulatorApp) -> None:
    """The request's parameters as one JSON-shaped object."""
    type_name = ACTIONS[ex.action]
    if ex.form == "V1":
        ex.params = unflatten(ex.pairs, type_name)
    elif ex.method == "GET":
        ex.params = unflatten(parse_form(ex.query_bytes()), type_name)
    else:
        content_type = ex.header("content-type")
        if content_type != "application/json":
            raise malformed(
                f"the Content-Type `{content_type[:60]}` is not allowed; a TC3 POST is sent "
                "as exactly `application/json`"
            )
        ex.params = parse_json_object(ex.body)


STEPS: dict[str, Step] = {
    "P1": p1_method,
    "P10": p10_size,
    "P11.v1": p11_v1_form,
    "P2": p2_action,
    "P3": p3_version,
    "P4": p4_credentials_present,
    "P4b": p4b_timestamp_and_nonce,
    "P5": p5_clock_skew,
    "P6": p6_secret_id_known,
    "P7": p7_signature,
    "P8": p8_region,
    "P9": p9_rate_limit,
    "injection": injected_failures,
    "P11": p11_parameters,
}
ORDER: tuple[str, ...] = tuple(STEPS)

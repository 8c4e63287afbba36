"""The match key: what makes two requests "the same request" for a recording.

A replayed run signs afresh, at another time, with other credentials, and draws fresh
random tokens and unknown ids, so no byte-for-byte comparison can work. The key keeps what
the harness decided to send and drops what the clock, the random source and the secrets
decided:

* the action, the method, the path, the request form, and the parameters: the JSON body
  parsed and written back canonically (sorted keys), or the flattened pairs of a query or
  form body in the order sent; a body that is no JSON object is kept as text;
* credentials by their role (``main``, ``denied``, ``other``), never their value;
* signatures by what they are (``valid``, ``invalid``, ``empty``, ``unverifiable``),
  recomputed with the run's own keys, and the Authorization header by its shape (fields
  present, scope date relative to the timestamp, service, signed headers);
* timestamps by their distance from the clock at sending, in classes that keep the
  contract's 300 s boundary apart (``now``, ``+near``, ``-over``, ``+far``, a word...);
* values drawn at random by the harness by their shape: an unknown ``job-xxxxxxxx`` or
  ``env-xxxxxxxx`` (not issued by the target, not a known compute environment), the
  random tail of a ClientToken, Nonce values, over-long padding strings.

So a protocol case is told apart by what it changed on the wire (a signature that does
not verify, a timestamp 301 s ahead, a header dropped), without trusting the case's
label. Requests whose keys are equal are answered in the order they were recorded, and
the key also names the check that sent the request (``rule``), so checks running side by
side cannot take each other's answers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from ..profile import is_env_id
from ..transport import Credential, WireRequest
from ..transport.forms import v1_string_to_sign
from ..wire import signing

#: Headers whose value is turned into a descriptor instead of kept.
_TC3_HEADERS = ("x-tc-action", "x-tc-version", "x-tc-timestamp", "x-tc-region")
_V1_COMMON = frozenset(
    {"Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod",
     "Signature", "Token", "Language", "RequestClient"}
)  # fmt: skip
_LONG = 1024  # strings longer than this are padding: kept by their first characters only
_DIGEST_OVER = 256  # parameters whose canonical text is longer are kept as a digest
_JOB_ID = re.compile(r"job-[a-z0-9]{8}")
_HARNESS_TOKEN = re.compile(r"tcbc-[0-9a-f]{32}")
_RANDOM_TAIL = re.compile(r"[0-9a-f]{16}")
_INTEGER = re.compile(r"(-?\d+)(\.\d+)?")
_NEAR, _OVER, _FAR = 60, 300, 3600


@dataclass
class KeyContext:
    """What the key needs to know about the run: credentials, issued ids, the clock."""

    credentials: Mapping[str, Credential]  # role -> credential ("main", "denied")
    known_env_ids: frozenset[str] = frozenset()
    issued_job_ids: set[str] = field(default_factory=set)

    def role(self, secret_id: str | None) -> str:
        if secret_id is None:
            return "absent"
        if secret_id == "":
            return "empty"
        for role, credential in self.credentials.items():
            if credential.secret_id == secret_id:
                return role
        return "other"

    def key_of(self, secret_id: str | None) -> str | None:
        for credential in self.credentials.values():
            if credential.secret_id == secret_id:
                return credential.secret_key
        return None

    def token_role(self, token: str) -> str:
        for role, credential in self.credentials.items():
            if credential.token and credential.token == token:
                return f"<{role} token>"
        return "<token>" if token else ""


def match_key(request: WireRequest, context: KeyContext, now: float, rule: str = "") -> str:
    """The canonical, secret-free key of ``request`` sent at ``now`` (compact JSON)."""
    tc3 = request.header("Authorization") is not None or any(
        request.header(name) is not None for name in _TC3_HEADERS
    )
    headers: list[list[str]] = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == "authorization":
            continue
        if lowered == "x-tc-timestamp":
            value = _stamp(value, now)
        elif lowered == "x-tc-token":
            value = context.token_role(value)
        headers.append([lowered, value])
    pairs = _pairs(request)
    key: dict[str, Any] = {
        "rule": rule,
        "method": request.method,
        "path": request.path,
        "form": "tc3" if tc3 else "v1",
        "action": request.header("X-TC-Action") if tc3 else _first(pairs, "Action"),
        "headers": headers,
    }
    if tc3:
        key["authorization"] = _authorization(request, context)
    if request.query:
        key["query"] = _normal_pairs(_parse(request.query), context, request, now)
    if request.body or request.method.upper() in ("POST", "PUT", "PATCH"):
        key["body"] = _body(request, context, now)
    return json.dumps(key, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def note_issued(context: KeyContext, body: bytes) -> None:
    """Remember the JobId an answer issued, so that later requests naming it keep it."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return
    response = document.get("Response") if isinstance(document, dict) else None
    job_id = response.get("JobId") if isinstance(response, dict) else None
    if isinstance(job_id, str) and "Error" not in response:
        context.issued_job_ids.add(job_id)


# ---- parameters -------------------------------------------------------------------------


def _body(request: WireRequest, context: KeyContext, now: float) -> Any:
    content_type = (request.header("Content-Type") or "").lower()
    if "x-www-form-urlencoded" in content_type and not _json_like(request.body):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            return {"raw": _raw(request.body, context)}
        return {"pairs": _normal_pairs(_parse(text), context, request, now)}
    try:
        document = json.loads(request.body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):  # hostile bodies: as bytes
        return {"raw": _raw(request.body, context)}
    if not isinstance(document, dict):
        return {"raw": _raw(request.body, context)}
    try:
        return {"json": _digest_if_long(_normal_value(document, None, context))}
    except RecursionError:
        return {"raw": _raw(request.body, context)}


def _json_like(body: bytes) -> bool:
    return body.lstrip()[:1] in (b"{", b"[")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True)


def _first(pairs: list[tuple[str, str]], name: str) -> str | None:
    for key, value in pairs:
        if key == name:
            return value
    return None


def _pairs(request: WireRequest) -> list[tuple[str, str]]:
    pairs = _parse(request.query) if request.query else []
    content_type = (request.header("Content-Type") or "").lower()
    if request.body and "x-www-form-urlencoded" in content_type:
        pairs += _parse(request.body.decode("utf-8", errors="replace"))
    return pairs


def _normal_pairs(
    pairs: list[tuple[str, str]], context: KeyContext, request: WireRequest, now: float
) -> Any:
    """V1 common parameters in clear (by role, verdict, class), the others canonical."""
    common: list[list[str]] = []
    params: list[list[str]] = []
    for name, value in pairs:
        if name == "SecretId":
            value = context.role(value)
        elif name == "Signature":
            value = _v1_signature(request, context) if value else ""
        elif name == "Timestamp":
            value = _stamp(value, now)
        elif name == "Nonce":
            value = "<nonce>" if value else ""
        elif name == "Token":
            value = context.token_role(value)
        elif name not in _V1_COMMON:
            params.append([name, _normal_scalar(name.rsplit(".", 1)[-1], value, context)])
            continue
        common.append([name, value])
    return {"common": common, "params": _digest_if_long(params)}


def _normal_value(value: Any, name: str | None, context: KeyContext) -> Any:
    if isinstance(value, dict):
        return {k: _normal_value(v, k, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal_value(item, name, context) for item in value]
    if isinstance(value, str):
        return _normal_scalar(name or "", value, context)
    return value


def _normal_scalar(name: str, value: str, context: KeyContext) -> str:
    lowered = name.lower()
    if lowered in ("secretid", "secretkey", "token", "signature", "authorization"):
        return "***"
    if lowered == "jobid":  # an unknown id, also inside other characters, is a class
        value = _JOB_ID.sub(
            lambda m: m[0] if m[0] in context.issued_job_ids else "job-<unknown>", value
        )
    if lowered == "envid" and is_env_id(value) and value not in context.known_env_ids:
        return "env-<unknown>"
    if lowered == "clienttoken":
        if _HARNESS_TOKEN.fullmatch(value):
            return "tcbc-<random>"
        if len(value) >= 16 and _RANDOM_TAIL.fullmatch(value[-16:]):
            return value[:-16] + "<random>"
    if len(value) > _LONG:
        return value[:16] + "<long>"
    return value


def _raw(body: bytes, context: KeyContext) -> str:
    text = body.decode("latin-1")
    text = _JOB_ID.sub(lambda m: m[0] if m[0] in context.issued_job_ids else "job-<unknown>", text)
    text = _HARNESS_TOKEN.sub("tcbc-<random>", text)
    return text if len(text) <= _DIGEST_OVER else _digest(text)


def _digest_if_long(value: Any) -> Any:
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return value if len(text) <= _DIGEST_OVER else _digest(text)


def _digest(text: str) -> str:
    data = text.encode("utf-8", errors="surrogatepass")
    return f"<{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:32]}>"


# ---- time -------------------------------------------------------------------------------


def _stamp(text: str, now: float) -> str:
    """A timestamp by its distance from ``now``: a class, never the value."""
    if text == "":
        return ""
    match = _INTEGER.fullmatch(text)
    if match is None:
        return f"word {text}" if len(text) <= 16 else "<not a number>"
    delta = int(match[1]) - round(now)  # whole seconds: a 64-bit overflow stays an int
    size = abs(delta)
    if size <= _NEAR:
        where = "now"
    else:
        sign = "+" if delta > 0 else "-"
        where = sign + ("near" if size <= _OVER else "over" if size <= _FAR else "far")
    return f"fraction {where}" if match[2] else where


# ---- signatures -------------------------------------------------------------------------


def _authorization(request: WireRequest, context: KeyContext) -> Any:
    value = request.header("Authorization")
    if value is None:
        return "absent"
    if value.strip() == "":
        return "empty"
    algorithm, _, rest = value.partition(" ")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, item = part.strip().partition("=")
        if sep:
            fields[name] = item
    out: dict[str, Any] = {
        "algorithm": algorithm if algorithm == signing.TC3_ALGORITHM else "<other>",
        "fields": list(fields),
    }
    scope = fields.get("Credential", "").split("/")
    if "Credential" in fields:
        out["credential"] = [context.role(scope[0]), *_scope_shape(scope[1:], request)]
    if "SignedHeaders" in fields:
        out["signed_headers"] = fields["SignedHeaders"]
    if "Signature" in fields:
        out["signature"] = _tc3_verdict(request, context, fields, scope)
    return out


def _scope_shape(parts: list[str], request: WireRequest) -> list[str]:
    if not parts:
        return []
    stamp = request.header("X-TC-Timestamp") or ""
    expected = None
    if _INTEGER.fullmatch(stamp) and "." not in stamp:
        try:
            expected = signing.utc_date(int(stamp))
        except (OverflowError, OSError, ValueError):
            expected = None
    date = parts[0]
    shape = "date of the timestamp" if date == expected else "another date" if date else ""
    return [shape, *parts[1:]]


def _tc3_verdict(
    request: WireRequest, context: KeyContext, fields: Mapping[str, str], scope: list[str]
) -> str:
    signature = fields.get("Signature", "")
    if not signature:
        return "empty"
    secret_key = context.key_of(scope[0]) if scope else None
    if secret_key is None or len(scope) < 3:
        return "unverifiable"
    names = [n for n in fields.get("SignedHeaders", "").split(";") if n]
    if request.header("X-TC-Content-SHA256") == signing.UNSIGNED_PAYLOAD:
        payload = signing.sha256_hex(signing.UNSIGNED_PAYLOAD.encode())
    else:
        payload = signing.sha256_hex(request.body)
    stamp = request.header("X-TC-Timestamp") or ""
    for lower in (False, True):
        headers = []
        for name in names:
            value = request.header(name) or ""
            headers.append((name.lower(), value.strip().lower() if lower else value))
        canonical = signing.tc3_canonical_request(
            request.method, request.path, request.query, headers, payload
        )
        computed = signing.tc3_signature(
            secret_key,
            stamp,  # type: ignore[arg-type]  # the text as sent goes into the string to sign
            canonical,
            service=scope[2],
            date=scope[1],
        )
        if computed == signature:
            return "valid"
    return "invalid"


def _v1_signature(request: WireRequest, context: KeyContext) -> str:
    pairs = _pairs(request)
    secret_key = context.key_of(_first(pairs, "SecretId"))
    if secret_key is None:
        return "unverifiable"
    sent = _first(pairs, "Signature")
    method = "HmacSHA256" if _first(pairs, "SignatureMethod") == "HmacSHA256" else "HmacSHA1"
    host = request.header("Host") or ""
    unsigned = [(k, v) for k, v in pairs if k != "Signature"]
    for dots in (True, False):
        text = v1_string_to_sign(request.method, host, unsigned, underscore_as_dot=dots)
        if signing.v1_signature(secret_key, text, method) == sent:
            return "valid"
    return "invalid"


def key_fields(key: str) -> dict[str, Any]:
    """A key read back as a dict (for messages that say how two keys differ)."""
    value = json.loads(key)
    return value if isinstance(value, dict) else {"key": value}


def differences(wanted: str, recorded: str) -> list[str]:
    """Where two keys differ, one line per top-level field, down to the first differing value."""
    a, b = key_fields(wanted), key_fields(recorded)
    out = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            path, sent, kept = _first_difference(a.get(name), b.get(name), name)
            out.append(f"{path}: sent {_brief(sent)}, recorded {_brief(kept)}")
    return out


def _first_difference(a: Any, b: Any, path: str) -> tuple[str, Any, Any]:
    if isinstance(a, dict) and isinstance(b, dict):
        for name in list(a) + [n for n in b if n not in a]:
            if a.get(name) != b.get(name):
                return _first_difference(a.get(name), b.get(name), f"{path}.{name}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{index}]")
    return path, a, b


def _brief(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def roles_of(credentials: Iterable[tuple[str, Credential | None]]) -> dict[str, Credential]:
    """``{"main": ..., "denied": ...}`` without the absent ones."""
    return {role: credential for role, credential in credentials if credential is not None}

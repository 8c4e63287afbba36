"""Keep credentials out of everything the harness writes.

Reports and JUnit files end up in CI artefacts and bug trackers, so masking happens in
two layers: structural (a member or header whose name says it carries a credential is
replaced wherever it appears: payloads, wire headers, query strings, form bodies) and
textual (the run's own secret values, and anything shaped like a signature, are scrubbed
from the final text, whatever path they took to get there).

Password members of the SubmitJob payload (``Docker.Password``,
``LoginSettings.Password``) are generated test values that rules judge (B27), not
credentials, and are kept so that a reproduction still reproduces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

MASK = "***"
SECRET_NAMES = frozenset(
    {"secretid", "secretkey", "signature", "authorization", "token", "x-tc-token"}
)

_TC3_AUTH = re.compile(
    r"(?P<algo>TC3-HMAC-SHA256)\s+Credential=[^/,\s]*(?P<scope>/[^,\s]*)?"
    r"(?P<mid>.*?)Signature=[^,\s]*",
    re.DOTALL,
)
_SIGNATURE_HEX = re.compile(r"(Signature=)[0-9a-fA-F]{16,}")
_SIGNATURE_PARAM = re.compile(r"((?:^|[?&])Signature=)[^&\s]+")


def is_secret_name(name: str) -> bool:
    return name.lower() in SECRET_NAMES


def mask_params(value: Any) -> Any:
    """A copy of a JSON payload with credential-named string members masked."""
    if isinstance(value, dict):
        return {
            key: MASK
            if isinstance(key, str) and is_secret_name(key) and isinstance(item, str)
            else mask_params(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_params(item) for item in value]
    return value


def mask_authorization(value: str) -> str:
    """``TC3-HMAC-SHA256 Credential=***/date/batch/tc3_request, ..., Signature=***``."""
    masked = _TC3_AUTH.sub(
        lambda m: f"{m['algo']} Credential={MASK}{m['scope'] or ''}{m['mid']}Signature={MASK}",
        value,
    )
    return masked if masked != value else MASK


def mask_headers(headers: Iterable[tuple[str, str]] | dict[str, str]) -> list[tuple[str, str]]:
    pairs = headers.items() if isinstance(headers, dict) else headers
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        lowered = name.lower()
        if lowered == "authorization":
            out.append((name, mask_authorization(value)))
        elif is_secret_name(lowered):
            out.append((name, MASK))
        else:
            out.append((name, value))
    return out


def mask_query(query: str) -> str:
    """A url-encoded parameter string with SecretId/Signature/Token values masked."""
    if not query:
        return query
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False)
    except ValueError:
        return _SIGNATURE_PARAM.sub(lambda m: m.group(1) + MASK, query)
    if not any(is_secret_name(name) for name, _ in pairs):
        return query
    return urlencode([(n, MASK if is_secret_name(n) else v) for n, v in pairs], safe="*")


def mask_wire(wire: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of a wire record (method, path, query, headers, body) safe to write."""
    if wire is None:
        return None
    out = dict(wire)
    if "headers" in out and out["headers"] is not None:
        out["headers"] = mask_headers(out["headers"])
    if isinstance(out.get("query"), str):
        out["query"] = mask_query(out["query"])
    body = out.get("body")
    content_type = _content_type(out.get("headers") or [])
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str) and "x-www-form-urlencoded" in content_type:
        body = mask_query(body)
    if body is not None:
        out["body"] = body
    return out


class Scrubber:
    """Removes the run's own secret values (and signature-shaped strings) from text."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        # Longest first, so that a secret containing another is removed whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _SIGNATURE_HEX.sub(lambda m: m.group(1) + MASK, text)


def _content_type(headers: Iterable[tuple[str, str]] | dict[str, str]) -> str:
    pairs = headers.items() if isinstance(headers, dict) else headers
    for name, value in pairs:
        if name.lower() == "content-type":
            return value.lower()
    return ""

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

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO
from urllib.parse import parse_qsl, unquote, urlencode

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
    """Removes the run's secrets and signatures from text, in every encoding they travel in.

    The run's few long-lived secrets (SecretId, SecretKey, denied credential, token) go
    into one compiled pattern that also matches them URL-encoded (``%2B``, ``%2F``,
    ``%3D`` in either case, once or twice), form-decoded (``+`` read as a space) or
    JSON-escaped (``\\/``). Signatures are many (one per request) and are only learned
    (:meth:`learn`, a set insertion, called as each one is made); the text is then cut
    into the runs of characters a signature can be written with, each run decoded and
    looked up in the learned set. Scrubbing cost grows with the text, not with the number
    of requests, so it is done where text is written.
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        # Longest first, so that a secret containing another is removed whole.
        fixed = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._fixed = re.compile("|".join(_encodings(s) for s in fixed)) if fixed else None
        self._signatures: set[str] = set()
        self._spaced: set[str] = set()
        self._lengths: frozenset[int] = frozenset()
        self._lock = threading.Lock()

    def learn(self, signature: str) -> None:
        """Remember a signature the run made (hex: compared in lower case)."""
        value = signature.lower() if _HEX.fullmatch(signature) else signature
        if len(value) >= _SHORTEST and value not in self._signatures:
            if "+" in value:  # a form decoder shows it with spaces: mask that form too
                self._spaced.add(value.replace("+", " "))
            with self._lock:
                self._signatures.add(value)
                self._lengths = self._lengths | {len(value)}

    @contextlib.contextmanager
    def listening(self) -> Iterator[Scrubber]:
        """Learn every signature made (by any signer of this process) while inside."""
        from ...wire import signing

        with signing.signatures_to(self.learn):
            yield self

    def __call__(self, text: str) -> str:
        if self._fixed is not None:
            text = self._fixed.sub(MASK, text)
        if self._signatures:
            text = _RUN.sub(self._masked_run, text)
        for spaced in tuple(self._spaced):
            if spaced in text:
                text = text.replace(spaced, MASK)
        text = _SIGNATURE_HEX.sub(lambda m: m.group(1) + MASK, text)
        return _SIGNATURE_B64.sub(lambda m: m.group(1) + MASK, text)

    def leaks(self, text: str) -> bool:
        """Whether ``text`` still holds a secret, a learned signature or a signature shape."""
        return self(text) != text

    def _masked_run(self, match: re.Match[str]) -> str:
        run = match.group(0)
        decoded = _decoded(run)
        for candidate in {decoded, decoded.lower()}:
            for length in self._lengths:
                for start in range(len(candidate) - length + 1):
                    if candidate[start : start + length] in self._signatures:
                        return MASK
        return run


class ScrubbedStream:
    """A text stream that scrubs what is written to it (a run's stdout and stderr)."""

    def __init__(self, stream: TextIO, scrub: Callable[[str], str]) -> None:
        self.stream = stream
        self.scrub = scrub

    def write(self, text: str) -> int:
        self.stream.write(self.scrub(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


_SHORTEST = 16
_HEX = re.compile(r"[0-9a-fA-F]+")
#: A run of characters a signature may be written with: base64 and hex, and their URL-
#: and JSON-escaped forms.
_RUN = re.compile(r"[A-Za-z0-9+/=%\\]{16,}")
_SIGNATURE_B64 = re.compile(
    r"(Signature(?:=|%3[Dd]|%253[Dd]))(?:[A-Za-z0-9+/]|%(?:25)?(?:2[BbFf]|3[Dd]))+=*"
)


def _decoded(run: str) -> str:
    text = run.replace("\\/", "/")
    for _ in range(2):
        text = unquote(text)
    return text


def _encodings(secret: str) -> str:
    """A pattern for ``secret`` as sent and as URL-, form- or JSON-escaped."""
    parts = []
    for char in secret:
        if char.isalnum() and char.isascii():
            parts.append(re.escape(char))
            continue
        alternatives = [re.escape(char)]
        for byte in char.encode("utf-8"):
            alternatives.append(f"%(?:25)?{byte >> 4:X}[{byte & 15:X}{byte & 15:x}]")
        if char == "+":
            alternatives.append(" ")
        if char == " ":
            alternatives.append(r"\+")
        if char == "/":
            alternatives.append(r"\\/")
        parts.append("(?:" + "|".join(alternatives) + ")")
    return "".join(parts)


def _content_type(headers: Iterable[tuple[str, str]] | dict[str, str]) -> str:
    pairs = headers.items() if isinstance(headers, dict) else headers
    for name, value in pairs:
        if name.lower() == "content-type":
            return value.lower()
    return ""

"""An API key pair, kept out of every repr, log line and report."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credential:
    """``secret_id``/``secret_key`` (and an optional temporary-credential ``token``)."""

    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        shown = self.secret_id[:4] + "***" if len(self.secret_id) > 8 else "***"
        token = ", token=***" if self.token else ""
        return f"Credential(secret_id={shown!r}, secret_key=***{token})"

    __str__ = __repr__

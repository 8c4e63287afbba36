"""The labelled request a strategy produces: what to send and what the answer must be.

A case carries its own verdict (the rule it breaks and that rule's code, or none for a
valid request) so that a harness, a test or a JSON-lines file can judge an answer without
asking anything else; the strategies never consult the oracle to label a case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACTION = "SubmitJob"


@dataclass(frozen=True)
class Case:
    """One SubmitJob request with the single rule it breaks (``"valid"`` for none)."""

    rule: str
    code: str | None
    field: str | None
    params: dict[str, Any]
    region: str
    action: str = ACTION
    note: str = ""

    @property
    def expected(self) -> dict[str, Any]:
        if self.code is None:
            return {"outcome": "success"}
        return {"outcome": "error", "codes": [self.code]}

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "expected": self.expected,
            "action": self.action,
            "region": self.region,
            "params": self.params,
            "field": self.field,
            "note": self.note,
        }


@dataclass(frozen=True)
class MultiFaultCase:
    """A request breaking several rules at once: any of their codes conforms."""

    rules: tuple[str, ...]
    codes: tuple[str, ...]
    fields: tuple[str, ...]
    params: dict[str, Any]
    region: str
    action: str = ACTION
    note: str = ""
    rule: str = field(default="multi", init=False)

    @property
    def code_set(self) -> list[str]:
        return sorted(set(self.codes))

    @property
    def expected(self) -> dict[str, Any]:
        return {"outcome": "error", "codes": self.code_set}

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "rules": list(self.rules),
            "expected": self.expected,
            "action": self.action,
            "region": self.region,
            "params": self.params,
            "fields": list(self.fields),
            "note": self.note,
        }

"""The oracle's value types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..profile import DEFAULT_REGION, TargetProfile


@dataclass(frozen=True, slots=True)
class Breach:
    """Where a request breaks a rule, and why: all that a rule function says.

    The rule id and its code are not the function's to say: the table in ``_table``
    gives them, and ``evaluate`` joins the two into a :class:`Violation`. An
    ``alternative`` breach is one that only another legitimate reading of the spec sees
    (see :class:`Violation`).
    """

    path: str
    message: str
    alternative: bool = False


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: its catalogue id, its error code (both from the rule table), where,
    and why (from the rule function's :class:`Breach`).

    An ``alternative`` violation is one that only another legitimate reading of the spec
    sees: a target answering its code conforms, but it is not part of the contract's own
    answer (``Outcome.codes``), so a request with one stays out of single-fault labels.
    """

    rule: str
    code: str
    path: str
    message: str
    alternative: bool = False


@dataclass(frozen=True)
class Context:
    """What the oracle needs to know beyond the request itself."""

    region: str = DEFAULT_REGION
    known_env_ids: frozenset[str] = frozenset()
    jobs_held: int = 0
    job_quota: int | None = None
    credential_denied: bool = False
    existing_job_ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_profile(cls, profile: TargetProfile, **overrides: Any) -> Context:
        values: dict[str, Any] = {
            "region": profile.region,
            "known_env_ids": frozenset(profile.known_env_ids),
            "job_quota": profile.job_quota,
        }
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class Outcome:
    """Success, or the violations of every rule the request breaks."""

    violations: tuple[Violation, ...] = ()

    @property
    def success(self) -> bool:
        return not self.codes

    @property
    def codes(self) -> list[str]:
        return sorted({v.code for v in self.violations if not v.alternative})

    @property
    def rules(self) -> list[str]:
        return sorted({v.rule for v in self.violations if not v.alternative}, key=_rule_order)

    @property
    def accepted_codes(self) -> list[str]:
        """Every code a conformant target may answer: ``codes`` and those of alternatives."""
        return sorted({v.code for v in self.violations}) if self.codes else []

    @property
    def ambiguous(self) -> bool:
        """Whether another reading of the spec would answer otherwise."""
        return self.accepted_codes != self.codes

    def accepts(self, code: str | None) -> bool:
        """Whether a target answering ``code`` (None for success) conforms."""
        if self.success:
            return code is None
        return code in self.accepted_codes

    def to_dict(self) -> dict[str, Any]:
        if self.success:
            return {"outcome": "success"}
        return {"outcome": "error", "codes": self.codes, "rules": self.rules}


_FAMILY_ORDER = {"S": 0, "B": 1, "P": 2, "A": 3}


def _rule_order(rule: str) -> tuple[int, int, str]:
    """Catalogue order: schema rules, business rules, protocol rules, other actions."""
    digits = "".join(ch for ch in rule[1:] if ch.isdigit())
    return _FAMILY_ORDER.get(rule[:1], 9), int(digits or 0), rule

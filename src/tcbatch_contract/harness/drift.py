"""Contract drift: where the live service answers otherwise than a rule the contract assumed.

Every rule of the catalogue states its basis: ``documented`` (public material says so),
``assumed`` (the public material is silent and the contract decided), or ``mixed`` (a
documented part and an assumed part, the basis text says which). When the answers come
from the live service, the service is the reference the contract tries to describe: a
failure of a rule whose basis is assumed says more about the contract than about the
service, so it is set apart as drift to review (rule, the recorded answer, the contract's
answer) instead of being counted as a failure. A documented rule that fails stays a
failure. Against anything else (the emulator, an implementation on loopback) nothing is
drift: a failure is a failure.

Reading made here: a ``mixed`` rule is drift too, since its failing case may be in the
assumed part; the report shows the basis so that the reviewer can tell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .model import Failure, RunReport, Status

DRIFT_BASES = frozenset({"assumed", "mixed"})
DRIFT_REASON = "contract drift to review: basis "


@dataclass(frozen=True)
class DriftItem:
    rule: str
    basis: str
    recorded: str  # what the service answered
    contract: str  # what the contract says it should have answered
    summary: str


def apply(report: RunReport, rules: Iterable[Any]) -> list[DriftItem]:
    """Turn failing assumed (and mixed) rules into ``drift``; the items to review."""
    by_id = {rule.id: rule for rule in rules}
    items: list[DriftItem] = []
    for result in report.results:
        rule = by_id.get(result.rule)
        if result.status is not Status.FAIL or rule is None:
            continue
        if rule.basis.kind not in DRIFT_BASES:
            continue
        result.status = Status.DRIFT
        basis = f"{rule.basis.kind}: {rule.basis.text}"
        note = f" ({rule.basis.note})" if rule.basis.note else ""
        result.reason = f"{DRIFT_REASON}{basis}{note}"
        items.extend(drift_items(result.rule, basis, result.failures))
    return items


def drift_items(rule: str, basis: str, failures: Iterable[Failure]) -> list[DriftItem]:
    return [
        DriftItem(rule, basis, recorded(f.actual), contract(f.expected), f.summary)
        for f in failures
    ]


def items_of(report: RunReport, rules: Iterable[Any]) -> list[DriftItem]:
    """The drift items of a report already passed through :func:`apply`."""
    by_id = {rule.id: rule for rule in rules}
    out: list[DriftItem] = []
    for result in report.results:
        if result.status is Status.DRIFT:
            rule = by_id.get(result.rule)
            basis = f"{rule.basis.kind}: {rule.basis.text}" if rule is not None else "?"
            out.extend(drift_items(result.rule, basis, result.failures))
    return out


def recorded(actual: dict[str, Any]) -> str:
    """An answer as one short line: its code, success, or what came instead."""
    if "transport_error" in actual:
        return f"no answer ({actual['transport_error']})"
    code = actual.get("code")
    if code:
        return str(code)
    if actual.get("status") not in (None, 200):
        return f"HTTP {actual.get('status')}"
    if "job_id" in actual or actual.get("status") == 200:
        return "success"
    return ", ".join(f"{k}={v}" for k, v in actual.items()) or "?"


def contract(expected: dict[str, Any]) -> str:
    codes = expected.get("codes")
    if isinstance(codes, list) and codes:
        return " or ".join(map(str, codes))
    if expected.get("outcome"):
        return str(expected["outcome"])
    return ", ".join(f"{k}={v}" for k, v in expected.items()) or "?"

"""Expectations files: rules an implementation declares it knowingly does not meet.

An implementation under test may lack a feature on purpose (no rate limit yet, a looser
TaskName). Rather than read the same failures on every run, it lists those rules, by
their stable ids, each with a reason and optionally an expiry date, in a small YAML file
(the idea of ceph/s3-tests' markers and of schemathesis' baselines)::

    format: 1
    implementation: my-batch          # optional, shown in the reports
    expectations:
      - rule: P9
        reason: no rate limiting yet
      - rule: B4
        reason: TaskName accepts dots (issue 12)
        expires: 2025-06-30           # after this day the rule is judged normally again

``run --expectations FILE`` then reports a declared rule that fails as ``unsupported``
(not a failure of the run) and a declared rule that passes as ``unexpected-pass`` (the
declaration is stale: remove it). An expired declaration is ignored and said so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import RunReport, Status

FORMAT = 1
_ENTRY_KEYS = {"rule", "reason", "expires"}
_TOP_KEYS = {"format", "implementation", "expectations"}


class ExpectationsError(ValueError):
    """The expectations file is malformed; the message names the entry and what to fix."""


@dataclass(frozen=True)
class Expectation:
    rule: str
    reason: str
    expires: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        return self.expires is None or today <= self.expires


@dataclass(frozen=True)
class Expectations:
    path: str
    implementation: str | None
    entries: tuple[Expectation, ...]

    def active(self, today: dt.date) -> dict[str, Expectation]:
        return {e.rule: e for e in self.entries if e.active(today)}

    def expired(self, today: dt.date) -> list[Expectation]:
        return [e for e in self.entries if not e.active(today)]


def load(path: str | Path, known_rules: Iterable[str]) -> Expectations:
    """Read and check an expectations file against the rule ids the harness knows."""
    import yaml

    where = str(path)
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExpectationsError(f"cannot read {where}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ExpectationsError(f"{where} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise ExpectationsError(f"{where} is not YAML: {_yaml_problem(exc)}") from None
    return parse(document, known_rules, where)


def _yaml_problem(exc: Exception) -> str:
    """PyYAML's complaint in one line, placed in the file (its own text names no file)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return problem
    return f"{problem} at line {mark.line + 1} column {mark.column + 1}"


def parse(document: Any, known_rules: Iterable[str], where: str = "expectations") -> Expectations:
    """Check a parsed expectations document (see the module docstring for its shape)."""
    if not isinstance(document, dict):
        raise ExpectationsError(f"{where}: expected a mapping with format: 1 and expectations:")
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        raise ExpectationsError(
            f"{where}: unknown key(s) {', '.join(map(str, unknown))}; "
            f"allowed: {', '.join(sorted(_TOP_KEYS))}"
        )
    if document.get("format") != FORMAT:
        raise ExpectationsError(f"{where}: format must be {FORMAT}, got {document.get('format')!r}")
    entries = document.get("expectations")
    if not isinstance(entries, list):
        raise ExpectationsError(f"{where}: 'expectations' must be a list of entries")
    lookup = {rule.upper(): rule for rule in known_rules}
    seen: set[str] = set()
    out = []
    for index, entry in enumerate(entries):
        place = f"{where}: expectations[{index}]"
        if not isinstance(entry, dict):
            raise ExpectationsError(f"{place}: each entry is a mapping with rule and reason")
        extra = sorted(set(map(str, entry)) - _ENTRY_KEYS)
        if extra:
            raise ExpectationsError(
                f"{place}: unknown key(s) {', '.join(extra)}; allowed: rule, reason, expires"
            )
        raw_rule = entry.get("rule")
        rule = lookup.get(str(raw_rule).upper()) if isinstance(raw_rule, str) else None
        if rule is None:
            raise ExpectationsError(
                f"{place}: rule {raw_rule!r} is not a rule id; valid ids: {', '.join(lookup.values())}"
            )
        if rule in seen:
            raise ExpectationsError(f"{place}: rule {rule} is declared twice; keep one entry")
        seen.add(rule)
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ExpectationsError(f"{place} ({rule}): give a non-empty reason")
        out.append(Expectation(rule, reason.strip(), _date(entry.get("expires"), place, rule)))
    implementation = document.get("implementation")
    if implementation is not None and not isinstance(implementation, str):
        raise ExpectationsError(f"{where}: 'implementation' must be a string")
    return Expectations(where, implementation, tuple(out))


def _date(value: Any, place: str, rule: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ExpectationsError(f"{place} ({rule}): expires {value!r} is not a date like 2025-06-30")


def apply(report: RunReport, expectations: Expectations, today: dt.date | None = None) -> None:
    """Re-label declared rules: failing ones ``unsupported``, passing ones ``unexpected-pass``."""
    today = today or dt.date.today()
    active = expectations.active(today)
    for result in report.results:
        entry = active.get(result.rule)
        if entry is None:
            continue
        until = f" (until {entry.expires.isoformat()})" if entry.expires else ""
        if result.status is Status.FAIL:
            result.status = Status.UNSUPPORTED
            result.reason = f"declared unsupported{until}: {entry.reason}"
        elif result.status is Status.PASS:
            result.status = Status.UNEXPECTED_PASS
            result.reason = (
                f"passed, though declared unsupported{until} ({entry.reason}): "
                f"remove the declaration from {expectations.path}"
            )
        else:
            result.reason = "; ".join(
                filter(None, [result.reason, f"declared unsupported: {entry.reason}"])
            )
    for entry in expectations.expired(today):
        assert entry.expires is not None
        report.notes.append(
            f"the expectation for {entry.rule} in {expectations.path} expired on "
            f"{entry.expires.isoformat()}: the rule was judged normally"
        )

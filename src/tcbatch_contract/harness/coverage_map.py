"""The run's contract-coverage map, and ``--min-coverage``: a run that asked too little fails.

:class:`CoverageMap` joins what the run's checks tallied (:class:`.coverage.Tally`) with
what the contract defines: the catalogue's rules, each rule's fields (the strategies'
field table), the enumerations and limits of the oracle's tables, the four request forms
and the job transitions. Each of the six dimensions gets a percentage.

``--min-coverage`` takes either one percentage (every dimension must reach it) or
``DIM=PCT`` pairs separated by commas (``boundaries=80,enums=100``; the others are not
judged). A run below it ends with exit status 1 and its own status, ``insufficient
coverage``, printed and reported apart from rule failures: the rules that ran may all
have passed; the run simply did not look at enough of the contract to say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .coverage import DIMENSIONS, FORMS, TRANSITIONS, Tally, boundaries, enumerations

STATUS_BELOW = "insufficient-coverage"


class MinimumError(ValueError):
    """A ``--min-coverage`` value that cannot be read; the message says what to give."""


def parse_minimum(text: str) -> dict[str, float]:
    """``"90"`` -> every dimension at 90; ``"boundaries=80,enums=100"`` -> those two."""
    text = text.strip()
    if not text:
        raise MinimumError("give a percentage (90) or DIM=PCT pairs (boundaries=80,enums=100)")
    if "=" not in text:
        return dict.fromkeys(DIMENSIONS, _percent(text))
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip().lower()
        if not sep or name not in DIMENSIONS:
            raise MinimumError(
                f"{part.strip()!r} is not DIM=PCT; DIM is one of {', '.join(DIMENSIONS)}"
            )
        out[name] = _percent(value)
    return out


def _percent(text: str) -> float:
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise MinimumError(f"{text.strip()!r} is not a percentage (0 to 100)") from None
    if not 0 <= value <= 100:
        raise MinimumError(f"{text.strip()!r} is not a percentage (0 to 100)")
    return value


@dataclass
class Dimension:
    name: str
    covered: int
    total: int
    missing: list[str] = field(default_factory=list)  # what was not exercised, named

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0


@dataclass
class CoverageMap:
    """What a run exercised, against what the contract defines."""

    tally: Tally
    rules: list[str]  # the catalogue's rule ids, in order
    rule_fields: dict[str, tuple[str, ...]]  # rule -> the fields the contract gives it
    minimum: dict[str, float] = field(default_factory=dict)

    # ---- the six dimensions --------------------------------------------------------

    def dimensions(self) -> list[Dimension]:
        tally = self.tally
        rules = [r for r in self.rules if r in tally.rule_fields]
        wanted = [(r, f) for r, fields in self.rule_fields.items() for f in fields]
        got = [(r, f) for r, f in wanted if f in tally.rule_fields.get(r, ())]
        enums = enumerations()
        values = [(k, v) for k in sorted(enums) for v in sorted(enums[k])]
        points = [(i, p) for i, b in enumerate(boundaries()) for p in b.points]
        return [
            Dimension("rules", len(rules), len(self.rules),
                      [r for r in self.rules if r not in tally.rule_fields]),
            Dimension("fields", len(got), len(wanted),
                      [f"{r} {f}" for r, f in wanted if (r, f) not in set(got)]),
            Dimension("enums", sum(v in tally.enum_values for v in values), len(values),
                      [f"{k}={v}" for k, v in values if (k, v) not in tally.enum_values]),
            Dimension("forms", len(tally.forms & set(FORMS)), len(FORMS),
                      [f for f in FORMS if f not in tally.forms]),
            Dimension("boundaries", sum(p in tally.boundary_points for p in points), len(points),
                      [f"{boundaries()[i].name} = {p}" for i, p in points
                       if (i, p) not in tally.boundary_points]),
            Dimension("transitions", sum(t in tally.transitions for t in TRANSITIONS),
                      len(TRANSITIONS),
                      [f"{s} -> {a}" for s, a in TRANSITIONS if (s, a) not in tally.transitions]),
        ]  # fmt: skip

    def shortfall(self) -> list[str]:
        """One line per dimension below its minimum (empty: the minimum is met)."""
        out = []
        for dim in self.dimensions():
            wanted = self.minimum.get(dim.name)
            if wanted is not None and dim.percent + 1e-9 < wanted:
                out.append(f"{dim.name} {dim.percent:.0f}% < {wanted:g}%")
        return out

    @property
    def status(self) -> str:
        """``met``, ``insufficient-coverage``, or ``not-asked`` (no ``--min-coverage``)."""
        if not self.minimum:
            return "not-asked"
        return STATUS_BELOW if self.shortfall() else "met"

    # ---- views ------------------------------------------------------------------------

    def summary_line(self) -> str:
        parts = ", ".join(f"{d.name} {d.percent:.0f}%" for d in self.dimensions())
        line = f"coverage: {parts} ({self.tally.requests} answered requests)"
        below = self.shortfall()
        if below:
            line += "; INSUFFICIENT COVERAGE: " + ", ".join(below)
        return line

    def table_rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = [
            ("dimension", "covered", "of", "%", "minimum", "not exercised")
        ]
        for dim in self.dimensions():
            wanted = self.minimum.get(dim.name)
            missing = ", ".join(dim.missing[:8]) + (" ..." if len(dim.missing) > 8 else "")
            rows.append((dim.name, str(dim.covered), str(dim.total), f"{dim.percent:.0f}",
                         "" if wanted is None else f"{wanted:g}", missing))  # fmt: skip
        return rows

    def rule_rows(self) -> list[tuple[str, ...]]:
        """One row per rule: whether exercised, and the fields it was broken in."""
        rows: list[tuple[str, ...]] = [("rule", "exercised", "fields covered", "fields")]
        for rule in self.rules:
            fields = self.tally.rule_fields.get(rule)
            table = self.rule_fields.get(rule, ())
            got = sorted(fields or ())
            count = f"{sum(f in (fields or ()) for f in table)}/{len(table)}" if table else ""
            shown = ", ".join(got[:6]) + (" ..." if len(got) > 6 else "")
            rows.append((rule, "yes" if fields is not None else "no", count, shown))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The map as plain data (a result file's ``coverage``)."""
        tally = self.tally
        return {
            "status": self.status,
            "minimum": dict(self.minimum),
            "shortfall": self.shortfall(),
            "answered_requests": tally.requests,
            "dimensions": {
                d.name: {
                    "covered": d.covered,
                    "total": d.total,
                    "percent": round(d.percent, 1),
                    "missing": d.missing,
                }
                for d in self.dimensions()
            },
            "rules": {
                rule: sorted(tally.rule_fields[rule])
                for rule in self.rules + sorted(set(tally.rule_fields) - set(self.rules))
                if rule in tally.rule_fields
            },
            "enums": sorted(f"{k}={v}" for k, v in tally.enum_values),
            "forms": sorted(tally.forms),
            "boundaries": sorted(f"{boundaries()[i].name} = {p}" for i, p in tally.boundary_points),
            "transitions": {
                f"{s} -> {a}": sorted(answers)
                for (s, a), answers in sorted(tally.transitions.items())
            },
            "tally": tally.to_dict(),  # what ``merge`` unites over the shards of a run
        }


def build(tallies: list[Tally | None], minimum: dict[str, float] | None = None) -> CoverageMap:
    """The run's map from its checks' tallies (None entries: checks that tallied nothing)."""
    from .. import catalogue
    from ..strategies import rule_fields, single_fault_rules

    total = Tally()
    for tally in tallies:
        total.merge(tally)
    fields = {rule: tuple(rule_fields(rule)) for rule in single_fault_rules()}
    rules = [r.id for r in catalogue.rules()]
    return CoverageMap(total, rules, fields, dict(minimum or {}))


def coverage_blocks(coverage: CoverageMap, block: Any) -> list[Any]:
    """The report's "Contract coverage" section (``block``: the report's Block type)."""
    intro = (
        "What the answered requests of this run exercised, against what the contract "
        "defines: rules broken (by the oracle's reading of what was sent), each rule's "
        "fields, enumeration values, request forms, limits at limit - 1, limit and "
        "limit + 1, and (job state, action) transitions."
    )
    out = [block("h2", "Contract coverage"), block("p", intro)]
    if coverage.status == STATUS_BELOW:
        out.append(block("p", "INSUFFICIENT COVERAGE (exit status 1): "
                              + ", ".join(coverage.shortfall())))  # fmt: skip
    out.append(block("table", rows=tuple(coverage.table_rows())))
    out.append(block("h3", "Rules and fields"))
    out.append(block("table", rows=tuple(coverage.rule_rows())))
    return out

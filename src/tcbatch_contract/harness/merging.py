"""Shard results back into one run: the checks that make a merge safe, then the merge.

Shards can only be merged when they are parts of one run: the same format, tool and
strategy versions, target, seed, examples, form, rule selection and profile, each shard
1..N present once. Anything else is refused with what differs, because a merged verdict
over parts of different runs would judge nothing in particular.

The merge itself is the runner's: a rule reported by several shards (a split check's
slices, or a rule with two checks dealt to two shards) is combined as the runner combines
a rule's checks; RESPONSE-FORM re-judges the answers of every shard; the exit status is
the one a single run would have had.
"""

from __future__ import annotations

from typing import Any

from .checks.response_form import RULE as RESPONSE_FORM
from .model import RuleResult, RunReport, Status
from .result import report_of, rule_results

#: What must be equal in every shard's result for the shards to be one run.
_SAME = ("tool_version", "strategy_version", "target", "settings", "profile")


class MergeError(ValueError):
    """Results that are not the shards of one run: what differs."""


def check_shards(documents: list[tuple[str, dict[str, Any]]]) -> None:
    """Refuse results that are not exactly the shards 1..N of one run."""
    name0, first = documents[0]
    for name, document in documents[1:]:
        for key in _SAME:
            if _comparable(key, document[key]) != _comparable(key, first[key]):
                raise MergeError(
                    f"{name}: its {key} differs from {name0}'s "
                    f"({_short(document[key])} vs {_short(first[key])}); merge the shards of one run"
                )
    shards = [(name, document["shard"]) for name, document in documents]
    if len(documents) == 1 and shards[0][1] is None:
        return
    unsharded = [name for name, shard in shards if shard is None]
    if unsharded:
        raise MergeError(f"{unsharded[0]}: a whole run, not a shard; merge shards 1..N of one run")
    counts = {shard["count"] for _, shard in shards}
    if len(counts) > 1:
        raise MergeError(f"the files split the run differently (N = {sorted(counts)})")
    count = counts.pop()
    seen: dict[int, str] = {}
    for name, shard in shards:
        if shard["index"] in seen:
            raise MergeError(
                f"{name}: shard {shard['index']}/{count} given twice (also {seen[shard['index']]})"
            )
        seen[shard["index"]] = name
    missing = [str(i) for i in range(1, count + 1) if i not in seen]
    if missing:
        raise MergeError(f"shard(s) {', '.join(f'{m}/{count}' for m in missing)} missing")


def merge_documents(documents: list[tuple[str, dict[str, Any]]]) -> tuple[RunReport, int]:
    """The one report of the shards (in shard order) and the exit status of that run."""
    from .runner import _merge, _rank

    check_shards(documents)
    ordered = sorted(documents, key=lambda item: (item[1]["shard"] or {}).get("index", 1))
    parts: list[RuleResult] = []
    forms: list[RuleResult] = []
    notes: list[str] = []
    for name, document in ordered:
        for result in rule_results(document):
            (forms if result.rule == RESPONSE_FORM else parts).append(result)
        shard = document["shard"]
        label = f"shard {shard['index']}/{shard['count']}" if shard else name
        notes += [f"{label}: {note}" for note in document["notes"]]
    merged = _merge(parts)
    if forms:
        merged.append(_response_form(forms))
    first = ordered[0][1]
    rule_order = [r.id for r in _catalogue()]
    merged.sort(key=lambda r: _rank(r.rule, rule_order))
    report = report_of(first, merged)
    report.seconds = max(document["seconds"] for _, document in ordered)  # side by side
    report.started = min(document["started"] for _, document in ordered)
    report.notes = notes
    codes = [document["exit_code"] for _, document in ordered]
    interrupted = 130 in codes
    coverages = [document.get("coverage") or {} for _, document in ordered]
    if all("tally" in coverage for coverage in coverages):
        # One map over the shards: what any of them exercised, judged on the minimum asked.
        from .coverage import Tally
        from .coverage_map import build

        tallies = [Tally.from_dict(coverage["tally"]) for coverage in coverages]
        report.coverage = build(tallies, coverages[0].get("minimum"))
        exit_code = 130 if interrupted else report.exit_code
    else:
        exit_code = (
            130 if interrupted else max(report.exit_code, *(c for c in codes if c in (0, 1)))
        )
    return report, exit_code


def _response_form(forms: list[RuleResult]) -> RuleResult:
    """RESPONSE-FORM over the answers of every shard."""
    cases = sum(r.cases for r in forms)
    failures = [f for r in forms for f in r.failures][:20]
    if any(r.status is Status.FAIL for r in forms):
        status = Status.FAIL
    elif cases:
        status = Status.PASS
    else:
        status = Status.SKIP
    return RuleResult(
        RESPONSE_FORM,
        status,
        cases=cases,
        requests=sum(r.requests for r in forms),
        failures=failures,
        reason="" if cases else "no answers were seen",
    )


def _catalogue() -> list[Any]:
    from .runner import catalogue_rules

    return catalogue_rules()


def _comparable(key: str, value: Any) -> Any:
    """``value`` as compared between shards: the embedded emulator makes fresh compute
    environment ids for each run, so only whether there are some counts."""
    if key == "profile":
        return {**value, "known_env_ids": bool(value["known_env_ids"])}
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

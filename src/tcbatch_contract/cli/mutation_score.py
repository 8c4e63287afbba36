"""``tcbatch-contract mutation-score``: how many seeded bugs does the default run catch?

Each mutant of ``tcbatch_contract.emulator.mutants`` is one realistic implementation bug.
For each, the default suite (the checks of ``tcbatch-contract run``, with the same target
configuration) runs in-process against an embedded emulator carrying that bug, and stops
at the first rule that fails: the mutant is *caught* by that rule, after so many requests.
The same suite also runs against the unmutated emulator, in full; it must not fail at all,
or every catch is suspect.

Checks run one at a time, quickest first (the fixed protocol and state cases, the valid
jobs, the generated rules in catalogue order, then the rate limit and the fuzzing), so
that a run stops early; a mutated run first sweeps them all with 5 cases per generated
rule, then runs the generated ones again with the full budget. Two request counts are reported per mutant: those of the rule
that caught it, up to its first failure (the harness's ``requests_to_first_failure``), and
those of the whole run up to that point. Mutants run in parallel worker processes, one per
core by default.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import config
from ._common import UsageError, check_output_file, plain_help

DEFAULT_TIMEOUT = 10.0
#: Cases per generated rule of a scoring run: fewer than ``run``'s, for a quicker score.
SCORE_MAX_EXAMPLES = 25
#: Cases per generated rule in a mutated run's first, quick pass over every check.
SWEEP_EXAMPLES = 5


@dataclass
class MutantResult:
    """What one run (against a mutant, or the unmutated emulator: ``mutant=None``) found."""

    mutant: str | None
    family: str = ""
    description: str = ""
    caught: bool = False
    rule: str | None = None  # the rule that failed first
    requests_to_catch: int | None = None  # requests of that rule up to its first failure
    run_requests_to_catch: int | None = None  # requests of the whole run up to then
    requests: int = 0  # requests the run sent in all
    seconds: float = 0.0
    summary: str = ""  # the first failure, one line
    failures: list[str] = field(default_factory=list)  # unmutated run: every failing rule
    errors: list[str] = field(default_factory=list)  # rules the harness could not judge


@dataclass(frozen=True)
class ScoreSettings:
    max_examples: int = SCORE_MAX_EXAMPLES
    seed: int = 0
    timeout: float = DEFAULT_TIMEOUT
    rules: tuple[str, ...] | None = None  # only the checks of these rules (None: all)
    exclude_rules: tuple[str, ...] = ()  # none of the checks of these rules


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mutation-score",
        help="run the default suite against every seeded bug of the emulator; report catches",
        description=plain_help(__doc__.split("\n\n")[1] if __doc__ else None),
    )
    parser.add_argument(
        "--mutants", metavar="NAME,...", help="only these mutants (default: all; see emulator "
        "--list-mutants)",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="worker processes (default: the number of cores, at most 2)",
    )  # fmt: skip
    parser.add_argument(
        "--max-examples", type=int, default=ScoreSettings.max_examples, metavar="N",
        help=f"generated cases per generated rule (default {ScoreSettings.max_examples}; "
        "fewer than run's, for a quicker score)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="the runs' seed (default 0)")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
        help=f"per-request time limit (default {DEFAULT_TIMEOUT:g} s)",
    )  # fmt: skip
    parser.add_argument(
        "--rules", metavar="RULE,...",
        help="run only the checks of these rules (default: every check of run)",
    )  # fmt: skip
    parser.add_argument(
        "--exclude-rules", metavar="RULE,...",
        help="leave out the checks of these rules, e.g. STATE-MODEL, to see what the others "
        "catch without them",
    )  # fmt: skip
    parser.add_argument(
        "--no-baseline", action="store_true",
        help="skip the full run against the unmutated emulator",
    )  # fmt: skip
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="FILE", help="write the table as Markdown")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..emulator import mutants

    names = _selected(args.mutants, mutants.names())
    for item in config.table():  # the checks of ``run``'s options of the same name
        if item.name in ("workers", "max_examples", "timeout"):
            for value, problem in config.problems(item, getattr(args, item.name)):
                raise UsageError(f"--{config.file_key(item.name)} {value}: {problem}")
    for name, path in (("--json", args.json), ("--markdown", args.markdown)):
        if path:
            check_output_file(name, path)
    rules = _rule_list("--rules", args.rules)
    exclude = _rule_list("--exclude-rules", args.exclude_rules) or ()
    settings = ScoreSettings(args.max_examples, args.seed, args.timeout, rules, exclude)
    workers = args.workers or min(2, os.cpu_count() or 1)
    started = time.monotonic()
    baseline, results = score(
        names, settings, workers=workers, baseline=not args.no_baseline, progress=sys.stderr
    )
    document = to_json(baseline, results, settings, workers, time.monotonic() - started)
    text = to_markdown(document)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(text + "\n", encoding="utf-8")
    clean = baseline is None or not (baseline.failures or baseline.errors)
    return 0 if clean and all(r.caught for r in results) else 1


def _rule_list(option: str, value: str | None) -> tuple[str, ...] | None:
    """The rule ids of ``--rules``/``--exclude-rules`` (None when not given), each checked."""
    if value is None:
        return None
    from ..harness.runner import all_checks

    known = {check.rule for check in all_checks()}
    wanted = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [rule for rule in wanted if rule not in known]
    if unknown or not wanted:
        raise UsageError(
            f"{option}: no check has the rule(s) {', '.join(unknown) or '(none given)'}; "
            "see `tcbatch-contract rules`"
        )
    return wanted


def _selected(value: str | None, known: list[str]) -> list[str]:
    if not value:
        return known
    wanted = config.parse_id_list(value)
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        raise UsageError(
            f"--mutants: unknown mutant(s) {', '.join(unknown) or '(none given)'}; "
            "see `tcbatch-contract emulator --list-mutants`"
        )
    return wanted


# ---- running ----------------------------------------------------------------------------


def score(
    names: list[str],
    settings: ScoreSettings,
    *,
    workers: int = 1,
    baseline: bool = True,
    progress: Any = None,
) -> tuple[MutantResult | None, list[MutantResult]]:
    """The unmutated run (None when not asked) and one result per mutant, in ``names`` order."""
    jobs: list[str | None] = ([None] if baseline else []) + list(names)
    done: dict[str | None, MutantResult] = {}
    if workers == 1:
        for name in jobs:
            done[name] = _report(run_one(name, settings), progress)
    else:
        import concurrent.futures
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = {pool.submit(run_one, name, settings): name for name in jobs}
            for future in concurrent.futures.as_completed(futures):
                done[futures[future]] = _report(future.result(), progress)
    return done.get(None), [done[name] for name in names]


def _report(result: MutantResult, progress: Any) -> MutantResult:
    if progress is not None:
        if result.mutant is None:
            verdict = "clean" if not result.failures else f"FAILED {', '.join(result.failures)}"
            line = f"unmutated emulator: {verdict}"
        elif result.caught:
            line = f"{result.mutant}: caught by {result.rule} after {result.requests_to_catch}"
        else:
            line = f"{result.mutant}: SURVIVED"
        print(f"{line} ({result.seconds:.1f} s)", file=progress, flush=True)
    return result


def run_one(name: str | None, settings: ScoreSettings) -> MutantResult:
    """The default suite against the emulator with mutant ``name`` (None: unmutated).

    A mutated run stops at its first failing rule. It first sweeps every check with at most
    ``SWEEP_EXAMPLES`` cases per generated rule, then runs the generated checks again with
    the full budget (the same seed draws the same first cases, then more); the unmutated
    run is the default suite once, to the end.
    """
    from ..emulator import mutants
    from ..harness.runner import all_checks
    from ..harness.targets import TargetFactory

    result = MutantResult(name)
    if name is not None:
        chosen = mutants.get(name)
        result.family, result.description = chosen.family, chosen.description
    spec = target_spec(name, settings.timeout)
    targets = TargetFactory(spec)
    checks = sorted((c for c in all_checks() if _included(c.rule, settings)), key=cost_class)
    if name is None or settings.max_examples <= SWEEP_EXAMPLES:
        passes = [(settings.max_examples, checks)]
    else:
        generated = [c for c in checks if cost_class(c) in (1, 2, 4)]  # drawn cases
        passes = [(SWEEP_EXAMPLES, checks), (settings.max_examples, generated)]
    started = time.monotonic()
    for examples, selected in passes:
        for check in selected:
            _run_check(check, targets, spec, settings, examples, result)
            if result.caught:
                break
        if result.caught:
            break
    result.seconds = time.monotonic() - started
    return result


def _included(rule: str, settings: ScoreSettings) -> bool:
    if rule in settings.exclude_rules:
        return False
    return settings.rules is None or rule in settings.rules


def _run_check(
    check: Any, targets: Any, spec: Any, settings: ScoreSettings, examples: int, result: Any
) -> None:
    """One check through the harness's runner; what it found is added to ``result``."""
    from dataclasses import replace

    from ..harness.checks.response_form import RULE as RESPONSE_FORM
    from ..harness.model import Status
    from ..harness.runner import Runner, catalogue_rules
    from ..session import run_settings as settings_of

    options = config.RunOptions(max_examples=examples, seed=settings.seed, timeout=settings.timeout)
    # A catch needs the first failure, not the smallest one: no shrinking.
    run_settings = replace(settings_of(options, spec), shrink_seconds=0.0)
    runner = Runner(
        targets, run_settings, checks=[check], rules=catalogue_rules(), selected={check.rule}
    )
    report = runner.run(spec.name, None)
    own = next((r for r in report.results if r.rule == check.rule), None)
    form = next((r for r in report.results if r.rule == RESPONSE_FORM), None)
    failed = [r for r in (own, form) if r is not None and r.status is Status.FAIL]
    if own is not None and own.status is Status.ERROR:
        result.errors.append(f"{check.rule}: {own.reason}"[:300])
    if failed and result.mutant is None:
        result.failures.append(check.rule)
    elif failed:
        first = failed[0]
        result.caught, result.rule = True, check.rule
        result.requests_to_catch = first.requests_to_first_failure or first.requests
        result.run_requests_to_catch = result.requests + result.requests_to_catch
        result.summary = (first.failures[0].summary if first.failures else first.reason)[:300]
    result.requests += own.requests if own is not None else 0


def cost_class(check: Any) -> int:
    """Where a check goes in a scoring run: the quickest checks first, the slowest last.

    The fixed protocol and state cases take a fraction of a second; the valid jobs about as
    long as two generated rules; the rate-limit check waits out its windows; the fuzzing
    check draws from the OpenAPI description, the slowest generator.
    """
    from ..harness.checks.generated import FuzzCheck, SingleFaultCheck, ValidCheck

    if isinstance(check, FuzzCheck):
        return 4
    if check.rule == "P9":
        return 3
    if isinstance(check, SingleFaultCheck) or check.rule == "STATE-MODEL":
        return 2  # drawn cases: swept with few, then run again with the full budget
    if isinstance(check, ValidCheck):
        return 1
    return 0


def target_spec(mutant: str | None, timeout: float) -> Any:
    """The embedded emulator as ``tcbatch-contract run`` configures it, with the mutant on."""
    from contextlib import ExitStack

    from ..session import build_target

    # In one process, the in-process emulator opens nothing that needs closing.
    options = config.RunOptions(timeout=timeout, workers=1)
    return build_target(options, ExitStack(), mutant=mutant).spec


# ---- reporting --------------------------------------------------------------------------


def to_json(
    baseline: MutantResult | None,
    results: list[MutantResult],
    settings: ScoreSettings,
    workers: int,
    seconds: float,
) -> dict[str, Any]:
    caught = [r for r in results if r.caught]
    return {
        "tool": "tcbatch-contract mutation-score",
        "settings": {**asdict(settings), "workers": workers},
        "summary": {
            "mutants": len(results),
            "caught": len(caught),
            "survived": [r.mutant for r in results if not r.caught],
            "median_requests_to_catch": _median([r.requests_to_catch for r in caught]),
            "median_run_requests_to_catch": _median([r.run_requests_to_catch for r in caught]),
            "wall_seconds": round(seconds, 1),
            "unmutated_failures": None if baseline is None else baseline.failures,
        },
        "unmutated": None if baseline is None else asdict(baseline),
        "mutants": [asdict(r) for r in results],
    }


def _median(values: list[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def to_markdown(document: dict[str, Any]) -> str:
    """The per-mutant table and the summary lines, from :func:`to_json`'s document."""
    summary, base = document["summary"], document["unmutated"]
    lines = [
        "| mutant | family | caught | by rule | requests (rule) | requests (run) | seconds |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for r in document["mutants"]:
        lines.append(
            f"| `{r['mutant']}` | {r['family']} | {'yes' if r['caught'] else '**no**'} | "
            f"{r['rule'] or ''} | {_n(r['requests_to_catch'])} | "
            f"{_n(r['run_requests_to_catch'])} | {r['seconds']:.1f} |"
        )
    lines.append("")
    lines.append(
        f"Caught {summary['caught']} / {summary['mutants']}; median requests to catch "
        f"{_n(summary['median_requests_to_catch'])} (in the catching rule), "
        f"{_n(summary['median_run_requests_to_catch'])} (in the whole run); wall time "
        f"{summary['wall_seconds']:.0f} s with {document['settings']['workers']} worker(s)."
    )
    if summary["survived"]:
        lines.append(f"Survived: {', '.join(summary['survived'])}.")
    if base is not None:
        verdict = (
            "no failure" if not base["failures"] else f"FAILURES in {', '.join(base['failures'])}"
        )
        lines.append(
            f"Unmutated emulator: {verdict} ({base['requests']} requests, {base['seconds']:.0f} s)."
        )
        if base["errors"]:
            lines.append(f"Unmutated emulator, not judged: {'; '.join(base['errors'])}.")
    return "\n".join(lines)


def _n(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"

"""One case in each field of a rule, drawn in one pass; a failure shrunk in a run of its own.

A rule that covers many fields (S1 and S4 cover every member) leaves some untouched by
the drawn cases of a short run, and a target that gets one field wrong must not pass for
lack of a case there. Running Hypothesis's engine once per field costs an engine start
and a fresh strategy per field, for one case each. Here the cases of all the fields are
drawn one after another from the field strategies (built once) with seeded choices, each
from a seed of its own rule and field, so the same run seed draws the same cases whatever
else was drawn before. Only when a case fails does Hypothesis run, on that field alone,
to find a failure there and shrink it; if that run finds none (the failure needed that
very case), the case is reported as it was drawn.

Drawing outside the engine takes a private corner of Hypothesis (a ``ConjectureData`` and
a build context); if that corner moves, :data:`ONE_PASS` is False and each field gets a
one-case engine run instead, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from random import Random
from typing import Any

from hypothesis import strategies as st

from ..determinism import fixed_generation, kept_unwrapping
from ..driver import DriveResult, Judgement, drive, rule_seed

try:
    from hypothesis.control import BuildContext
    from hypothesis.errors import StopTest
    from hypothesis.internal.conjecture.data import ConjectureData

    ONE_PASS = True
except ImportError:  # pragma: no cover - another Hypothesis
    ONE_PASS = False

ATTEMPTS = 10  # seeds tried per field when a draw is rejected (a filter, an overrun)
_PICK = st.integers(0, 9)


def _draw_one(strategy: st.SearchStrategy[Any], seed: int) -> tuple[Any, int] | None:
    """A case and a request-form pick drawn with choices seeded by ``seed``; None if the
    strategy rejected every attempt."""
    for attempt in range(ATTEMPTS):
        data = ConjectureData(random=Random(seed + attempt))
        try:
            with BuildContext(data, wrapped_test=_no_test):
                return data.draw(strategy), data.draw(_PICK)
        except StopTest:
            continue
    return None


def _choices_of(strategy: st.SearchStrategy[Any], seed: int) -> bytes | None:
    """The choice sequence :func:`_draw_one` made for ``seed``, as a database entry: the
    same draw again (drawing is deterministic), its choices kept this time."""
    from hypothesis.database import choices_to_bytes

    for attempt in range(ATTEMPTS):
        data = ConjectureData(random=Random(seed + attempt))
        try:
            with BuildContext(data, wrapped_test=_no_test):
                data.draw(strategy), data.draw(_PICK)
        except StopTest:
            continue
        return choices_to_bytes(data.choices)
    return None


def _no_test() -> None:  # pragma: no cover - a build context's placeholder
    pass


def drawn_cases(
    rule: str,
    templates: list[str],
    strategy_for: Callable[[str], st.SearchStrategy[Any]],
    run_seed: int,
) -> Iterator[tuple[str, Any, int]]:
    """``(template, case, pick)`` for each template, in order (drawn lazily)."""
    for template in templates:
        with fixed_generation(), kept_unwrapping():
            drawn = _draw_one(strategy_for(template), rule_seed(run_seed, f"{rule}@{template}"))
        if drawn is not None:
            yield template, *drawn


def sweep(
    rule: str,
    templates: list[str],
    strategy_for: Callable[[str], st.SearchStrategy[Any]],
    judge: Callable[[Any, int], Judgement],
    *,
    run_seed: int,
    max_examples: int,
    stop: threading.Event,
    shrink_seconds: float | None,
    database: Any = None,
    key_for: Callable[[str], bytes | None] = lambda template: None,
) -> DriveResult:
    """Judge one drawn case per template until one fails; shrink that one on its field
    (saving it in ``database``, when given, under ``key_for(template)``)."""
    out = DriveResult()
    if not ONE_PASS:  # pragma: no cover - another Hypothesis
        for template in templates:
            if stop.is_set() or out.failure is not None:
                break
            out = out.merged(
                drive(
                    f"{rule}@{template}",
                    strategy_for(template),
                    judge,
                    max_examples=1,
                    run_seed=run_seed,
                    stop=stop,
                    shrink_seconds=shrink_seconds,
                ),
            )
        return out
    undrawn = set(templates)
    for template, case, pick in drawn_cases(rule, templates, strategy_for, run_seed):
        undrawn.discard(template)
        if stop.is_set():
            break
        judgement = judge(case, pick)
        if not out.tally(judgement) or judgement.failure is None:
            continue
        out.requests_to_first_failure = out.requests
        out.failure = judgement.failure
        if database is not None and key_for(template) is not None:
            # The failing draw itself, so that the next run replays it even if the
            # shrinking run below finds no failure of its own.
            seed = rule_seed(run_seed, f"{rule}@{template}")
            with fixed_generation():
                entry = _choices_of(strategy_for(template), seed)
            if entry is not None:
                database.save(key_for(template), entry)
        shrunk = drive(
            f"{rule}@{template}",
            strategy_for(template),
            judge,
            max_examples=max_examples,
            run_seed=run_seed,
            stop=stop,
            shrink_seconds=shrink_seconds,
            database=database,
            database_key=None if database is None else key_for(template),
        )
        out.cases += shrunk.cases
        out.requests += shrunk.requests
        out.harness_errors += shrunk.harness_errors
        if shrunk.failure is not None:
            out.failure = shrunk.failure
            out.note = shrunk.note
        else:
            out.note = f"the failing case in {template} is reported as drawn (not shrunk)"
        return out
    if undrawn and not stop.is_set():
        out.note = f"no case could be drawn in {', '.join(sorted(undrawn))}"
    return out

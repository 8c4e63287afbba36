"""Hypothesis, driven programmatically: draw cases, judge each against the target, shrink.

A generated check hands the driver a strategy and a function that judges one case. The
driver runs it as a Hypothesis property with the run's seed, so a run is repeatable;
when a case fails, Hypothesis shrinks it against the live target and the driver keeps
the smallest failing case it saw (Hypothesis replays that one last).

Shrinking against a slow target, or with a large payload, can take many requests and
minutes of Hypothesis's own time, so it has a budget: past it, the driver leaves Hypothesis
at once and reports the smallest failing case found so far.

The property is handed to Hypothesis's engine directly (:data:`DIRECT`), not through
``@given``. The engine chooses the same examples either way (the same seed, settings and
draws), so the cases are the same; what ``@given`` adds around each example is for a
test written by hand (the global random seeded and checked, the test's signature and
arguments rebuilt, a note of each argument), and it was about a sixth of a worker's time
against a fast server. A failure found is shrunk by the engine as before, and the
smallest one is sent once more at the end, as ``@given`` does, to show it was not a
fluke. If Hypothesis's engine moves, :data:`DIRECT` is False and the driver goes through
``@given``, as it does for an example database given without a key.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from random import Random
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, reject, seed
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from .determinism import fixed_generation, kept_unwrapping, without_span_mutation
from .model import Failure

try:
    from hypothesis._settings import local_settings
    from hypothesis.control import BuildContext
    from hypothesis.errors import StopTest
    from hypothesis.internal.conjecture.data import ConjectureData, Status
    from hypothesis.internal.conjecture.engine import ConjectureRunner
    from hypothesis.internal.escalation import InterestingOrigin

    DIRECT = {"settings", "random", "database_key"} <= set(
        inspect.signature(ConjectureRunner).parameters
    ) and "max_choices" in inspect.signature(ConjectureRunner.new_conjecture_data).parameters
    DIRECT = DIRECT and "wrapped_test" in inspect.signature(BuildContext).parameters
    DIRECT = (
        DIRECT and hasattr(Status, "INTERESTING") and callable(InterestingOrigin.from_exception)
    )
except (
    ImportError,
    AttributeError,
    TypeError,
    ValueError,
):  # pragma: no cover - another Hypothesis
    DIRECT = False

SHRINK_REQUEST_BUDGET = 150
SHRINK_SECONDS_BUDGET = 20.0
DUPLICATES_ALLOWED = 20
REPEATS_PER_EXAMPLE = 3  # drawing is cheap: look this much longer for faults not yet judged
#: A rule has run out of new faults once ``max_examples`` draws in a row (and at least this
#: many) brought only faults it had judged. A rule with few faults (an enum's wrong values)
#: otherwise spends its whole allowance of repeats: in the default run (``max_examples``
#: 60) the repeats were more draws than the judged cases, and no rule found a new fault
#: after 60 in a row. A smaller ``max_examples`` is a shorter run, and gives up sooner.
REPEATS_IN_A_ROW = DUPLICATES_ALLOWED


class Stopped(BaseException):
    """The run was interrupted: leave Hypothesis at once, without shrinking."""


class _CaseFailed(AssertionError):
    pass


class _BudgetSpent(BaseException):
    """Shrinking used its budget: leave Hypothesis with the best case so far."""


class _TimeUp(BaseException):
    """The run's time budget is spent: report the cases judged so far."""


class _Exhausted(BaseException):
    """The strategy keeps drawing faults already judged: the rule has no more to give."""


_PICK = st.integers(0, 9)
# What became of one drawn case: judged and passed (or not sent), drawn before, failed.
_PASSED, _REPEAT, _FAILED = "passed", "repeat", "failed"


@dataclass
class Judgement:
    """The verdict on one case: ``failure`` set when the target broke the contract,
    ``harness_error`` set when the harness could not judge it (nothing was counted)."""

    requests: int = 0
    failure: Failure | None = None
    harness_error: Failure | None = None
    skipped: bool = False  # not sent (e.g. no valid submissions allowed)


@dataclass
class DriveResult:
    cases: int = 0
    requests: int = 0
    skipped: int = 0
    failure: Failure | None = None  # the smallest failing case
    requests_to_first_failure: int | None = None
    harness_errors: list[Failure] = field(default_factory=list)
    note: str = ""
    digest: str = ""  # of the judged cases, in order (see :func:`case_digest`)

    def tally(self, judgement: Judgement) -> bool:
        """Count ``judgement`` in; whether it judged a case (not skipped, no harness error)."""
        if judgement.harness_error is not None:
            if len(self.harness_errors) < 20:
                self.harness_errors.append(judgement.harness_error)
            return False
        if judgement.skipped:
            self.skipped += 1
            return False
        self.cases += 1
        self.requests += judgement.requests
        return True

    def merged(self, then: DriveResult) -> DriveResult:
        """This drive and ``then``, a second drive of the same rule after it, as one."""
        failure_at = self.requests_to_first_failure
        if failure_at is None and then.requests_to_first_failure is not None:
            failure_at = self.requests + then.requests_to_first_failure
        return DriveResult(
            cases=self.cases + then.cases,
            requests=self.requests + then.requests,
            skipped=self.skipped + then.skipped,
            failure=self.failure or then.failure,
            requests_to_first_failure=failure_at,
            harness_errors=self.harness_errors + then.harness_errors,
            note="; ".join(n for n in (self.note, then.note) if n),
            digest=fold_digests(self.digest, then.digest),
        )


@dataclass
class _DriveState:
    """What one drive keeps between the cases Hypothesis hands it."""

    shrink_seconds: float | None
    judged: set[Hashable] = field(default_factory=set)  # ``distinct`` keys judged so far
    repeats: int = 0  # drawn cases skipped as already judged: bounded, drawing costs time
    in_a_row: int = 0  # of those, the ones since the last new fault
    shrink_started: float | None = None  # when the first failure was found
    shrink_requests: int = 0  # requests sent while shrinking
    index: int = 0  # cases that reached the judge (or would have, outside ``only``)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def shrinking(self) -> bool:
        return self.shrink_started is not None

    def budget_spent(self) -> bool:
        """Whether shrinking has used up its request budget or its time."""
        if self.shrink_started is None:
            return False
        return self.shrink_requests >= SHRINK_REQUEST_BUDGET or (
            self.shrink_seconds is not None
            and time.monotonic() - self.shrink_started >= self.shrink_seconds
        )


def case_digest(previous: str, case: Any, pick: int) -> str:
    """``previous`` extended by one judged case: a hash chain over canonical JSON."""
    try:
        plain = _plain(case)
        text = json.dumps([plain, pick], sort_keys=True, ensure_ascii=True, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr((case, pick))
    return hashlib.sha256(f"{previous}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()


def fold_digests(first: str, then: str) -> str:
    """The digest of two runs of cases, one after the other."""
    if not first or not then:
        return first or then
    return hashlib.sha256(f"{first}+{then}".encode()).hexdigest()


def _plain(case: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(case) and not isinstance(case, type):
        return {f.name: getattr(case, f.name) for f in dataclasses.fields(case)}
    return case


def _signature_kept(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its signature worked out once: Hypothesis asks for the test's
    signature at every example, and ``inspect.signature`` takes tens of microseconds
    where a ``__signature__`` is read at once."""
    function.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
    return function


def rule_seed(run_seed: int, rule: str) -> int:
    """A seed per rule, so that adding a rule does not change what the others draw."""
    return zlib.crc32(f"{run_seed}:{rule}".encode())


def drive(
    rule: str,
    strategy: st.SearchStrategy[Any],
    judge: Callable[[Any, int], Judgement],
    *,
    max_examples: int,
    run_seed: int,
    stop: threading.Event | None = None,
    shrink_seconds: float | None = SHRINK_SECONDS_BUDGET,
    distinct: Callable[[Any], Hashable] | None = None,
    distinct_count: int | None = None,
    deadline: float | None = None,
    database: Any = None,
    database_key: bytes | None = None,
    only: range | None = None,
) -> DriveResult:
    """Run ``judge(case, pick)`` over ``max_examples`` drawn cases; ``pick`` is 0..9.

    ``shrink_seconds`` None leaves only the request budget, so that shrinking does not
    depend on how fast the target answers (a replayed run shrinks as the recorded one did).
    With ``distinct``, a drawn case whose ``distinct(case)`` was judged before is drawn
    again instead (until a failure: shrinking replays cases on purpose), so that the
    budget is not spent on the same fault twice; ``distinct_count``, when the strategy
    makes only that many distinct keys, ends the drive once it has judged them all (the
    draws after them would all be repeats). Past ``deadline`` (``time.monotonic()``)
    no new case is drawn, and shrinking stops where it is.

    ``database`` (a Hypothesis ``ExampleDatabase``, under ``database_key``) replays the
    failures saved there before drawing anything new, and saves the ones found; None is
    the seed alone. ``only`` judges just the cases of that index range (a shard's part):
    the cases before it are drawn and left unsent, so that each part is the very slice of
    the sequence an unsharded run judges.
    """
    out = DriveResult()
    state = _DriveState(shrink_seconds)

    def examine(case: Any, pick: int) -> str:
        """Judge one drawn case: ``_PASSED``, ``_REPEAT`` (a fault judged before: not
        counted) or ``_FAILED``; the run's stops are raised."""
        if stop is not None and stop.is_set():
            raise Stopped
        if state.budget_spent():
            raise _BudgetSpent
        if deadline is not None and time.monotonic() >= deadline:
            if not state.shrinking:
                raise _TimeUp
            raise _BudgetSpent
        if distinct is not None and not state.shrinking:
            if distinct_count is not None and len(state.judged) >= distinct_count:
                raise _Exhausted
            key = distinct(case)
            if key in state.judged:
                state.repeats += 1
                state.in_a_row += 1
                if state.repeats > max(
                    DUPLICATES_ALLOWED, REPEATS_PER_EXAMPLE * max_examples
                ) or state.in_a_row >= max(REPEATS_IN_A_ROW, max_examples):
                    raise _Exhausted
                return _REPEAT
            state.judged.add(key)
            state.in_a_row = 0
        if only is not None and not state.shrinking:
            state.index += 1
            if state.index > only.stop:
                raise _Exhausted  # the rest of the sequence is another part's
            if state.index - 1 < only.start:
                return _PASSED
        judgement = judge(case, pick)
        with state.lock:
            if not out.tally(judgement):
                return _PASSED
            if not state.shrinking:
                out.digest = case_digest(out.digest, case, pick)
            else:
                state.shrink_requests += judgement.requests
            if judgement.failure is None:
                return _PASSED
            if out.requests_to_first_failure is None:
                out.requests_to_first_failure = out.requests
                state.shrink_started = time.monotonic()
            out.failure = judgement.failure
        return _FAILED

    settings = hsettings(
        max_examples=max_examples,
        database=database,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=(
            Phase.explicit,
            *((Phase.reuse,) if database is not None else ()),
            Phase.generate,
            Phase.shrink,
        ),
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
    )
    run = _Run(rule, rule_seed(run_seed, rule), strategy, examine, settings, database_key)
    # A database without a key would be keyed by the digest of ``@given``'s test.
    direct = DIRECT and (database is None or database_key is not None) and _direct_works()
    try:
        with fixed_generation(), without_span_mutation(), kept_unwrapping():
            reproduced = _run_direct(run) if direct else _run_given(run)
        if not reproduced:
            out.note = _NOT_AGAIN
    except (_Exhausted, _TimeUp):
        pass
    except _BudgetSpent:
        out.note = "shrinking stopped at its budget; the payload may not be minimal"
    except Flaky:  # Hypothesis saw a case drawn or answered differently the second time
        out.note = _NOT_AGAIN
    except Exception as exc:  # the harness's own error: the failure found still stands
        if out.failure is None:
            raise
        out.note = f"shrinking stopped at an error: {exc!r}"[:200]
    return out


_NOT_AGAIN = "the target answered the same case differently when it was sent again"


@dataclass(frozen=True)
class _Run:
    """One rule's run of ``examine`` over the examples of ``strategy``: what either way
    of running Hypothesis (:func:`_run_direct`, :func:`_run_given`) is given."""

    rule: str
    seed: int
    strategy: st.SearchStrategy[Any]
    examine: Callable[[Any, int], str]
    settings: hsettings
    database_key: bytes | None = None


def _run_direct(run: _Run) -> bool:
    """Run ``examine`` over the engine's examples of ``strategy``; whether the smallest
    failure, if any, failed again when sent once more (as ``@given`` replays it: against
    the engine's record of what each choice drew, so a case drawn differently is Flaky).

    An error of the harness itself (in the judge or a strategy) leaves at once, where
    ``@given`` would shrink it first; a strategy that never draws a valid case ends the
    drive with none judged (the rule's result says so), where ``@given`` raised
    ``Unsatisfiable``."""
    origin = InterestingOrigin.from_exception(_CaseFailed(run.rule))

    def test(data: ConjectureData) -> None:
        with BuildContext(data, wrapped_test=test):
            case, pick = data.draw(run.strategy), data.draw(_PICK)
        verdict = run.examine(case, pick)
        if verdict is _REPEAT:
            data.mark_invalid("a fault judged before")
        elif verdict is _FAILED:
            data.mark_interesting(origin)

    runner = ConjectureRunner(
        test, settings=run.settings, random=Random(run.seed), database_key=run.database_key
    )
    with local_settings(run.settings):
        runner.run()
        smallest = _smallest_failure(runner)
        if smallest is None:
            return True
        again = runner.new_conjecture_data(smallest, max_choices=len(smallest))
        try:
            test(again)
        except StopTest:
            pass
        return again.status is Status.INTERESTING


#: Where the engine keeps the failures it found and shrank, by release (renamed in 6.16x).
_FAILURES_KEPT_IN = ("interesting_examples", "interesting_test_cases")


def _smallest_failure(runner: Any) -> tuple[Any, ...] | None:
    """The choices of the one failure the engine shrank, None when it found none."""
    for name in _FAILURES_KEPT_IN:
        found = getattr(runner, name, None)
        if isinstance(found, dict):
            if not found:
                return None
            (smallest,) = found.values()
            return tuple(smallest.choices)
    raise _EngineMoved(f"no record of failures among {_FAILURES_KEPT_IN}")


class _EngineMoved(Exception):
    """The engine is not the one the direct run was written for."""


@functools.cache
def _direct_works() -> bool:
    """Whether running the engine directly works with this Hypothesis: a small property
    (a number over 10 fails) must shrink to 11 and fail again when replayed, and a
    passing one must end with no failure. Checked once per process, before any rule
    relies on it; otherwise the driver goes through ``@given``."""
    from hypothesis import strategies as st

    failed: list[int] = []
    passed: list[int] = []

    def over_ten(case: Any, pick: int) -> str:
        if case > 10:
            failed.append(case)
            return _FAILED
        return _PASSED

    def never(case: Any, pick: int) -> str:
        passed.append(case)
        return _PASSED

    settings = hsettings(
        max_examples=30, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            failing = _run_direct(_Run("self-check", 1, st.integers(0, 100), over_ten, settings))
            passing = _run_direct(_Run("self-check", 1, st.integers(0, 10), never, settings))
    except Exception:
        return False
    return failing is True and failed[-1:] == [11] and passing is True and bool(passed)


def _run_given(run: _Run) -> bool:
    """The same run through ``@given``; whether the smallest failure failed again (one
    that did not is Hypothesis's Flaky, which the caller notes)."""

    @run.settings
    @seed(run.seed)
    @given(case=run.strategy, pick=_PICK)
    @_signature_kept
    def property_(case: Any, pick: int) -> None:
        verdict = run.examine(case, pick)
        if verdict is _REPEAT:
            reject()
        if verdict is _FAILED:
            raise _CaseFailed(run.rule)

    if run.database_key is not None or run.settings.database is None:
        # Without a database the key is never used: spare Hypothesis a digest of the test's
        # source (``inspect.getsource`` and a tokenizer) at every drive.
        property_._hypothesis_internal_database_key = run.database_key  # type: ignore[attr-defined]
    try:
        property_()
    except _CaseFailed:
        pass
    return True

"""Where and when a run's checks run: worker processes, and rounds under a time budget.

This is the runner's scheduling, kept apart from what it schedules. A round runs the
checks it is given, in worker processes when the run has them (``harness.workers``),
else here one after the other, and returns their results in plan order whatever order
they finished in, so that merging them gives the same report for any number of workers.
A timed run (``max_seconds``) runs the checks that draw cases again, round after round,
each round from a seed derived from the run's seed and the round's number, while the
budget lasts; once it is spent no check starts, and a check cut short before its first
case is not reported as a harness error.
"""

from __future__ import annotations

import dataclasses
import threading
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from ..transport import TransportError
from .model import Check, RuleResult, RunSettings, Status
from .targets import Observer, TargetFactory


class Scheduling:
    """The scheduling half of ``runner.Runner`` (which provides the attributes used here)."""

    targets: TargetFactory
    settings: RunSettings
    rules: dict[str, Any]
    checks: list[Check]
    workers: int
    progress: Any
    rounds: int
    stop: Any
    _observers: list[Observer]
    _portable: set[int]
    on_twins: set[str]  # rules a worker ran on a twin of the target (``_twinned``)

    def run_one(self, check: Check) -> RuleResult:  # pragma: no cover - Runner's
        raise NotImplementedError

    def on_twin(
        self,
        transport: Any,
        *,
        checks: list[Check] | None = None,
        unpaced: bool = False,
        progress: Any = None,
    ) -> Any:
        """A runner like this one over ``transport``, a twin of the target (an emulator of
        the same configuration over a store of its own, ``recipe.isolated``): the checks
        that need its state to themselves run there. It shares this run's stop (one Ctrl-C
        stops both) and its RequestIds; ``unpaced`` as ``TargetFactory`` takes it."""
        from .runner import Runner

        spec = dataclasses.replace(self.targets.spec, transport=transport, recipe=None)
        targets = TargetFactory(spec, self.targets.request_ids, unpaced=unpaced)
        rules = list(self.rules.values())
        runner = Runner(
            targets, self.settings, checks=checks or self.checks, rules=rules, progress=progress
        )
        runner.stop = self.stop
        return runner

    def _gone(self, error: TransportError) -> None:  # pragma: no cover - Runner's
        raise NotImplementedError

    def _pool(self, checks: list[Check]) -> Any:
        """Worker processes for ``checks`` (None: they run here, one after the other)."""
        recipe = self.targets.spec.recipe
        if self.workers < 2 or recipe is None or len(checks) < 2:
            return None
        from .workers import WorkerPool, check_key, portable_keys

        keys = portable_keys()
        self._portable = {id(c) for c in checks if check_key(c) in keys}
        count = min(self.workers, len(self._portable))
        if count < 2:
            return None
        share = count if recipe.shares_pace else 1
        return WorkerPool(self.targets.spec, count, share=share)

    def _run_round(self, checks: list[Check], settings: RunSettings, pool: Any) -> list[RuleResult]:
        """``checks`` with ``settings``, in worker processes if there are; in plan order."""
        self.settings = settings
        done: dict[int, RuleResult] = {}

        def finished(check: Check, outcome: Any) -> None:
            result = self._absorb(check, outcome)
            if result is not None:
                done[id(check)] = result

        if pool is not None:
            # The longest checks first, so that no worker is left alone with one at the end
            # of a round; results are still gathered in plan order.
            remote = _longest_first(c for c in checks if id(c) in self._portable)
            pool.run(
                ((c, settings) for c in remote),
                started=lambda item: self._started(item[0]),
                finished=lambda item, outcome: finished(item[0], outcome),
                until=settings.time_up,
            )
        for check in checks:  # all of them, or those only this process can build
            if id(check) in done or (pool is not None and id(check) in self._portable):
                continue
            if self.stop.is_set() or settings.time_up():
                break
            done[id(check)] = self.run_one(check)
        out = []
        for check in checks:
            result = done.get(id(check))
            if result is not None and not _cut_short(result, settings):
                out.append(result)
            elif self.rounds == 0 and not self.stop.is_set():
                out.append(self._unreached(check))
        return out

    def _twinned(self, exclusive: list[Check], pool: Any) -> list[Check]:
        """The exclusive checks that keep a core busy (``busy_alone``: the state machine),
        to run in a worker, each on a twin of the target of its own (``recipe.isolated``).
        In the parent's thread beside the workers they would take a third of two cores,
        and make the checks there (P9, on the clock) wait for them."""
        isolated = getattr(self.targets.spec.recipe, "isolated", None)
        if pool is None or isolated is None:
            return []
        from .workers import check_key, portable_keys

        keys = portable_keys()
        twinned = [c for c in exclusive if getattr(c, "busy_alone", False) and check_key(c) in keys]
        self._portable |= {id(c) for c in twinned}
        pool.twins |= {check_key(c) for c in twinned}
        return twinned

    def _beside(self, exclusive: list[Check], pool: Any) -> Beside | None:
        """The exclusive checks, started in a thread on a target of their own while the
        workers run the others; None when the target has no such twin (they run after)."""
        isolated = getattr(self.targets.spec.recipe, "isolated", None)
        if pool is None or isolated is None or not exclusive:
            return None
        beside = Beside(self, exclusive, isolated())
        beside.start()
        return beside

    def _unreached(self, check: Check) -> RuleResult:
        from . import runner

        reason = "the time budget (--max-time) was spent before this rule could be checked"
        return RuleResult(
            check.rule, Status.SKIP, code=runner._code(self.rules.get(check.rule)), reason=reason
        )

    def _more_rounds(
        self, checks: list[Check], results: list[RuleResult], pool: Any
    ) -> list[RuleResult]:
        """Further rounds of the checks that draw cases, while the time budget lasts."""
        base = self.settings
        if base.deadline is None:
            return []
        settled = {r.rule for r in results if r.status is not Status.PASS}
        drawing = [c for c in checks if _draws(c)]
        if pool is not None and all(id(c) in self._portable for c in drawing):
            return self._streamed_rounds(drawing, results, settled, pool)
        out: list[RuleResult] = []
        while not base.time_up() and not self.stop.is_set():
            again = [c for c in drawing if c.rule not in settled]
            if not again:
                break
            seed = round_seed(base.seed, self.rounds)
            found = self._run_round(again, dataclasses.replace(base, seed=seed), pool)
            self.rounds += 1
            settled |= {r.rule for r in found if r.status is not Status.PASS}
            out += found
            self._round_done(self.rounds, results + out)
        self.settings = base
        return out

    def _streamed_rounds(
        self, checks: list[Check], earlier: list[RuleResult], settled: set[str], pool: Any
    ) -> list[RuleResult]:
        """Rounds 1, 2, ... in the workers with no wait between them.

        Waiting for a round's last check would leave the other workers idle while it ends
        (with three checks on two workers, a third of the time); instead a worker that
        falls free takes the next round's first check at once. Each check of round ``n``
        still draws from that round's seed, the results are merged in (round, plan) order,
        and a rule's rounds after the first one it failed in are left out (one may have
        been under way already), so the report does not depend on which worker finished
        first; only how far the last rounds got depends on the time budget, as with rounds
        one by one. ``self.rounds`` counts the rounds, in order, all of whose checks ran.
        """
        base = self.settings
        order = {id(c): i for i, c in enumerate(checks)}
        longest = _longest_first(checks)
        found: list[tuple[int, int, RuleResult]] = []
        failed_in: dict[str, int] = {}  # rule -> the first round it failed in
        left: dict[int, int] = {}  # round -> its checks not yet finished (or skipped)
        whole: dict[int, bool] = {}  # round -> no check of it was cut short
        seeded: dict[int, tuple[int, RunSettings]] = {}  # id(settings) -> (round, settings)
        first = self.rounds

        def stopped() -> bool:
            return base.time_up() or self.stop.is_set()

        def kept() -> list[RuleResult]:
            return [r for n, _, r in found if n <= failed_in.get(r.rule, n)]

        def one_less(number: int) -> None:
            left[number] -= 1
            # rounds are counted in order: a later one may end before an earlier one
            while not left.get(self.rounds, 1) and whole[self.rounds]:
                self.rounds += 1
                self._round_done(self.rounds, earlier + kept())

        def items() -> Iterator[tuple[Check, RunSettings]]:
            number = first
            while not stopped():
                again = [c for c in longest if c.rule not in settled]
                if not again:
                    return
                settings = dataclasses.replace(base, seed=round_seed(base.seed, number))
                seeded[id(settings)] = (number, settings)
                left[number], whole[number] = len(again), True
                for check in again:
                    if check.rule in settled:  # it failed in an earlier round meanwhile
                        one_less(number)
                        continue
                    yield check, settings
                number += 1

        def finished(item: tuple[Check, RunSettings], outcome: Any) -> None:
            check, settings = item
            number = seeded[id(settings)][0]
            result = self._absorb(check, outcome)
            if result is None or _cut_short(result, settings):
                whole[number] = False
            else:
                found.append((number, order[id(check)], result))
                if result.status is not Status.PASS:
                    settled.add(result.rule)
                    failed_in[result.rule] = min(number, failed_in.get(result.rule, number))
            one_less(number)

        pool.run(items(), started=lambda item: None, finished=finished, until=stopped)
        self.settings = base
        found.sort(key=lambda f: f[:2])
        return kept()

    def _round_done(self, rounds: int, results: list[RuleResult]) -> None:
        if self.progress is not None and hasattr(self.progress, "note"):
            cases = sum(r.cases for r in results)
            self.progress.note(f"round {rounds} done: {cases} cases so far")

    def _started(self, check: Check) -> None:
        if self.progress is not None and self.rounds == 0:
            self.progress.started(check.rule)

    def _absorb(self, check: Check, outcome: Any) -> RuleResult | None:
        """Take in what a worker reported for ``check``."""
        from . import runner
        from .workers import reused_id_breach

        self.targets.created_jobs.update(outcome.created_jobs)
        if outcome.gone is not None:  # the target went away under a worker: stop the run
            self._gone(TransportError("unreachable", outcome.gone))
        observer = Observer(check.rule, None)
        observer.answers, observer.breach_count = outcome.answers, outcome.breach_count
        observer.breaches = list(outcome.breaches)
        reused = [i for i in outcome.request_ids if not self.targets.request_ids.first_time(i)]
        for request_id in reused:  # another process saw it first
            observer.breach_count += 1
            observer.breaches.append(reused_id_breach(check.rule, request_id))
        self._observers.append(observer)
        if outcome.twin:
            self.on_twins.add(check.rule)
        result = outcome.result
        if result is None:
            return None
        if reused:
            runner._add_breaches(result, observer.breaches[-len(reused) :])
        if self.progress is not None and self.rounds == 0:
            self.progress.finished(result)
        return result


class Beside:
    """The exclusive checks, one after the other in a thread of the parent, on a target of
    their own: an emulator built from the run's recipe over a store of its own, so that
    none of them sees the jobs, quota or rate-limit window of the checks in the workers,
    nor they its. The parent's own work is waiting for the workers, so the checks here
    (mostly paced or timed, little drawing) use the time they would have taken after.
    """

    def __init__(self, parent: Any, checks: list[Check], transport: Any) -> None:
        self.runner = parent.on_twin(transport, checks=checks, progress=parent.progress)
        self.runner._observers = parent._observers  # one RESPONSE-FORM judgement
        self.checks = checks
        self.results: list[RuleResult] = []
        self.notes: list[str] = []
        self._thread = threading.Thread(target=self._run, name="exclusive-checks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        runner = self.runner
        try:
            for check in self.checks:
                if runner.stop.is_set():
                    break
                if runner.settings.time_up():
                    self.results.append(runner._unreached(check))
                else:
                    self.results.append(runner.run_one(check))
        except BaseException:  # stopped: the jobs created so far are still deleted
            pass
        finally:
            self.notes = runner.cleanup()

    def join(self) -> tuple[list[RuleResult], list[str], TransportError | None]:
        """(results in plan order, cleanup remarks, why the target went away if it did)."""
        self._thread.join()
        return self.results, self.notes, self.runner.gone


def worker_count(targets: TargetFactory, wanted: int) -> int:
    """How many checks may run at once against ``targets``, ``wanted`` at most.

    Job-creating checks each hold at most one job at a time: fewer of them than the job
    quota never meet it. Processes that share one rate limit (a target over HTTP) each get
    an equal part of it, at least one request per second. A target that is not loopback
    gets one process: its allowance of valid (billable) submissions is counted in one place.
    """
    if not targets.spec.is_loopback:
        # Billable: one allowance of valid submissions, and at most 7 requests/s anyway.
        return 1
    count = max(1, wanted)
    quota = targets.spec.profile.job_quota
    if quota:
        count = min(count, max(1, quota - 1))
    recipe = targets.spec.recipe
    if targets.limiter is not None and getattr(recipe, "shares_pace", True):
        count = min(count, targets.limiter.limit)
    return count


def round_seed(seed: int, number: int) -> int:
    """The seed of round ``number`` of a timed run (round 0 draws from the run's seed)."""
    return seed if number == 0 else zlib.crc32(f"{seed}/round {number}".encode())


def _cut_short(result: RuleResult, settings: RunSettings) -> bool:
    """Whether the time budget ran out before ``result``'s check judged a single case."""
    return (
        settings.time_up()
        and result.cases == 0
        and result.status is Status.ERROR
        and not result.harness_errors
    )


def _longest_first(checks: Iterable[Check]) -> list[Check]:
    return sorted(checks, key=lambda c: getattr(c, "weight", 1), reverse=True)


def _draws(check: Check) -> bool:
    """Whether ``check`` draws new cases from its seed (another round sends others)."""
    return callable(getattr(check, "strategy", None))

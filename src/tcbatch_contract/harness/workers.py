"""Worker processes: one run's checks spread over the machine's cores.

Drawing cases is most of a run's CPU, and Hypothesis draws in Python: threads share one
interpreter lock and cannot draw side by side, processes can. Each worker process rebuilds
the target from a *recipe* (the in-process emulator over the run's SQLite file, so that
every process sees the same jobs, quota and idempotency tokens; or the URL the run talks
to) and runs whole checks, one at a time, as the parent hands them out. A check draws from
its own seed (``driver.rule_seed``), so what it sends does not depend on which process
runs it, nor on how many there are.

The parent gathers what a run needs whole: each check's ``RuleResult``, what the response
form judge saw (answers, breaches, and the RequestIds, so that a RequestId reused across
processes is still caught), whether the target pushed back, and the jobs a check created
and did not delete (the parent deletes them at the end, also after Ctrl-C). Progress is
printed by the parent only. Workers ignore SIGINT: the parent asks them to stop through an
event and waits for the jobs they hold. The pool slots a check drew travel back with its
outcome, and the parent passes every slot it knows with each check it hands out
(``strategies.pools``), so that a slot is drawn about once per run, not once per process.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import catalogue
from ..strategies.pools import fresh_slots, known_slots, learn_slots
from .checks.response_form import RULE as RESPONSE_FORM
from .model import Check, Failure, RuleResult, RunSettings

#: Seconds the parent waits for the checks still running once it asked the workers to stop.
STOP_GRACE_SECONDS = 15.0


def usable_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def start_method() -> str:
    """How worker processes start: ``fork`` where that is safe, else ``spawn``.

    A spawned worker imports the package, Hypothesis and the emulator afresh (about a
    second of CPU each, and the run waits for it); a forked one starts with everything the
    parent loaded, its pool slots included. Forking is safe only in a process that runs
    no other thread (one could hold a lock the child then waits on forever), and only on
    Linux (macOS's system libraries do not survive a fork). So the in-process transport's
    idle threads are ended first, and any other thread, say a server the run started or a
    test runner's, means ``spawn``.
    """
    if sys.platform != "linux":
        return "spawn"
    from ..transport.wsgi import retire_idle_lanes

    retire_idle_lanes()
    return "fork" if threading.active_count() == 1 else "spawn"


@dataclass(frozen=True)
class EmulatorRecipe:
    """The embedded emulator, rebuilt in a worker over the same SQLite file.

    The workers' emulators admit every request (``unlimited``), and their checks are not
    paced: the rate limit is the state of one rule, P9, which the parent checks alone on a
    twin that keeps the limit (:meth:`isolated`). Paced to the embedded limit instead, the
    checks with the most requests (S4, VALID, the state machine) spent most of their time
    waiting for a window to clear, while a core stood idle.
    """

    config: Any  # EmulatorConfig, with db_path set
    host: str
    mutant: str | None = None
    shares_pace = False
    unlimited = True  # see above: the workers' checks are not paced

    def build(self) -> Any:
        return self._transport(dataclasses.replace(self.config, rate_limit=None))

    def isolated(self, *, limited: bool = True) -> Any:
        """Another emulator of this configuration over a store of its own (in memory);
        ``limited`` False: one that admits every request.

        Jobs, quota, idempotency tokens and rate-limit windows are an emulator's state: the
        checks that need that state to themselves (the runner's exclusive checks) run on
        this one while the workers use theirs, and see none of their requests.
        """
        rate_limit = self.config.rate_limit if limited else None
        return self._transport(
            dataclasses.replace(self.config, db_path=None, rate_limit=rate_limit)
        )

    def _transport(self, config: Any) -> Any:
        from ..emulator import make_app, mutants
        from ..transport import WsgiTransport

        app = make_app(config)
        if self.mutant is not None:
            mutants.apply(app, self.mutant)
        return WsgiTransport(app, host=self.host)


@dataclass(frozen=True)
class HttpRecipe:
    """A target reached over HTTP: one limit for the whole run, shared between processes."""

    base_url: str
    connect_to: str | None = None
    shares_pace = True

    def build(self) -> Any:
        from ..transport import HttpTransport

        return HttpTransport(self.base_url, connect_to=self.connect_to)


@dataclass
class Outcome:
    """What a worker sends back for one check."""

    key: str
    result: RuleResult | None  # None: the check was stopped before it could report
    answers: int = 0
    breaches: list[Failure] = field(default_factory=list)
    breach_count: int = 0
    request_ids: list[str] = field(default_factory=list)  # first seen in this worker
    pushed_back: int = 0
    created_jobs: list[str] = field(default_factory=list)  # created and still not deleted
    gone: str | None = None  # why the target could no longer be reached, if it could not
    slots: dict[Any, Any] = field(default_factory=dict)  # pool slots drawn by this worker
    twin: bool = False  # run on a twin of the target of its own


def check_key(check: Check) -> str:
    """A name for a check that the same check has in every process."""
    return f"{type(check).__module__}.{type(check).__qualname__}:{check.rule}"


def portable_keys() -> set[str]:
    """The keys of the checks a worker can build (``runner.all_checks``), each unique."""
    from .runner import all_checks

    keys = [check_key(c) for c in all_checks()]
    return {k for k in keys if keys.count(k) == 1}


# ---- the worker side --------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start(spec: Any, share: int, stop: Any, loaded: Any) -> None:
    """Worker initialiser: the target, the checks, a runner, and a watcher for ``stop``;
    ``loaded`` is the catalogue as the parent loaded it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the command's SIGTERM handler (which raises
    # KeyboardInterrupt, for the parent to clean up): the pool's terminate() must end it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    catalogue.adopt(loaded)
    from .runner import Runner, all_checks, catalogue_rules
    from .targets import TargetFactory

    spec = dataclasses.replace(spec, transport=spec.recipe.build())
    unpaced = getattr(spec.recipe, "unlimited", False)
    targets = TargetFactory(spec, share=share, unpaced=unpaced)
    checks = {check_key(c): c for c in all_checks()}
    runner = Runner(targets, RunSettings(), checks=list(checks.values()), rules=catalogue_rules())
    _worker.update(targets=targets, checks=checks, runner=runner, reported=set())

    def watch() -> None:
        stop.wait()
        runner.signal_stop()

    threading.Thread(target=watch, name="stop-watch", daemon=True).start()


def _twin() -> tuple[Any, Any]:
    """(runner, targets) over a twin of this worker's target, for one exclusive check."""
    recipe = _worker["targets"].spec.recipe
    unlimited = getattr(recipe, "unlimited", False)
    twin = recipe.isolated(limited=not unlimited)
    runner = _worker["runner"].on_twin(twin, unpaced=unlimited)
    return runner, runner.targets


def _run(key: str, settings: RunSettings, slots: dict[Any, Any], twin: bool = False) -> Outcome:
    """Run one check in this worker (on a twin of the target of its own with ``twin``),
    knowing the pool ``slots`` other processes drew; what the parent needs of it."""
    learn_slots(slots)
    runner, targets = _worker["runner"], _worker["targets"]
    check = _worker["checks"][key]
    result: RuleResult | None = None
    try:
        if twin:
            runner, targets = _twin()
        runner.settings = settings
        result = runner.run_one(check)
    except BaseException:  # stopped (Stopped, KeyboardInterrupt): report the jobs it holds
        result = None
    observer = runner.observer_of(check)
    reported: set[str] = _worker["reported"]
    fresh = [i for i in dict.fromkeys(observer.seen_ids if observer else ()) if i not in reported]
    reported.update(fresh)
    # A twin's jobs go with its store, which nothing else reads: none is left to delete.
    left = () if twin else targets.created_jobs
    outcome = Outcome(key, result, request_ids=fresh, created_jobs=sorted(left))
    outcome.slots = fresh_slots()
    outcome.twin = twin
    if runner.gone is not None:
        outcome.gone = runner.gone.detail
    if observer is not None:
        outcome.answers = observer.answers
        outcome.breaches = list(observer.breaches)
        outcome.breach_count = observer.breach_count
        outcome.pushed_back = observer.pushed_back
    return outcome


# ---- the parent side --------------------------------------------------------------------


class WorkerPool:
    """N worker processes for one run; hands out checks, at most one per process."""

    def __init__(self, spec: Any, workers: int, *, share: int) -> None:
        context = multiprocessing.get_context(start_method())
        self.stop = context.Event()
        self.limit = workers  # checks in flight; 1 once the target pushed back
        self.pushed_back = False
        portable = dataclasses.replace(spec, transport=None)
        self._pool = concurrent.futures.ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_start,
            initargs=(portable, share, self.stop, catalogue.load()),
        )
        self._in_flight: dict[concurrent.futures.Future[Outcome], Any] = {}
        self.twins: set[str] = set()  # keys of the checks run on a twin of the target
        # Start every worker now (imports, the target, the checks), so that a time budget
        # counts drawing, not start-up.
        concurrent.futures.wait([self._pool.submit(os.getpid) for _ in range(workers)])

    def run(
        self,
        items: Iterable[tuple[Check, RunSettings]],
        *,
        started: Callable[[tuple[Check, RunSettings]], None],
        finished: Callable[[tuple[Check, RunSettings], Outcome], None],
        until: Callable[[], bool] = lambda: False,
    ) -> None:
        """Run each (check, settings) of ``items`` in the workers; ``finished`` is called in
        the parent as each ends. ``items`` is read only as workers fall free, so a generator
        can decide the next check from the results so far. Once ``until()`` is true, no
        further check is started."""
        pending = iter(items)
        in_flight: dict[concurrent.futures.Future[Outcome], tuple[Check, RunSettings]] = {}
        self._in_flight = in_flight
        while True:
            while len(in_flight) < self.limit and not until() and not self.stop.is_set():
                item = next(pending, None)
                if item is None:
                    break
                started(item)
                check, settings = item
                # every slot drawn so far, here or in a worker: drawing one takes ~100 times
                # longer than passing it on
                key = check_key(check)
                future = self._pool.submit(_run, key, settings, known_slots(), key in self.twins)
                in_flight[future] = item
            if not in_flight:
                break
            done, _ = concurrent.futures.wait(
                in_flight, timeout=0.25, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                item = in_flight.pop(future)
                outcome = future.result()
                learn_slots(outcome.slots)
                if outcome.pushed_back and not self.pushed_back:
                    self.pushed_back, self.limit = True, 1  # never N times a pushed-back rate
                finished(item, outcome)

    def interrupt(self, finished: Callable[[Check, Outcome], None]) -> None:
        """Ask the workers to stop; gather what the running checks left (jobs above all)."""
        self.stop.set()
        done, _ = concurrent.futures.wait(self._in_flight, timeout=STOP_GRACE_SECONDS)
        for future in done:
            check, _ = self._in_flight.pop(future)
            try:
                finished(check, future.result())
            except Exception:  # a broken worker: its jobs are still in the shared store
                continue

    def close(self) -> None:
        """End the workers; any still busy after an interrupt's grace time are killed."""
        self.stop.set()
        if self._in_flight:
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=not self._in_flight, cancel_futures=True)


def reused_id_breach(rule: str, request_id: str) -> Failure:
    """A RequestId one process saw that another had seen before."""
    return Failure(
        rule=rule,
        summary=f"response form ({RESPONSE_FORM}): Response.RequestId {request_id} was already "
        "used by another answer",
        expected={"response_form": "a RequestId unique to each answer"},
        actual={"request_id": request_id},
        action="?",
    )

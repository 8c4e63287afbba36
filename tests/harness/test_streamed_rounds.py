"""Timed rounds streamed through the workers, finishing in an order chosen to be awkward.

The worker pool here is scripted: it hands out the scheduler's items two at a time, as two
workers would, and finishes them in the order the test sets, so that a later round ends
before an earlier one and a rule fails while its next round has already run. What is
checked is the scheduler's own bookkeeping: which results it keeps, in what order, and
how it counts rounds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.harness.model import RuleResult, RunSettings, Status
from tcbatch_contract.harness.runner import Runner
from tcbatch_contract.harness.scheduling import round_seed
from tcbatch_contract.harness.targets import TargetFactory, TargetSetup
from tcbatch_contract.harness.workers import Outcome
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.transport import Credential, WsgiTransport

SEED = 7


@dataclasses.dataclass(eq=False)
class Drawing:
    """A check that draws cases (the scheduler runs such checks again each round)."""

    rule: str
    weight: int = 1

    def strategy(self, target: Any) -> None:  # pragma: no cover - never called here
        return None


class ScriptedPool:
    """Two checks in flight at once; ``slow`` ones finish only when nothing else is left."""

    def __init__(self, items_wanted: int, slow: Callable[[str, int], bool], fails: set) -> None:
        self.items_wanted = items_wanted
        self.slow = slow
        self.fails = fails  # (rule, round) pairs that fail
        self.ran: list[tuple[str, int]] = []  # in the order they finished

    def run(self, items: Iterable[Any], *, started: Any, finished: Any, until: Any) -> None:
        pending = iter(items)
        flight: list[Any] = []
        pulled = 0
        while True:
            while len(flight) < 2 and pulled < self.items_wanted and not until():
                item = next(pending, None)
                if item is None:
                    break
                pulled += 1
                started(item)
                flight.append(item)
            if not flight:
                return
            quick = [i for i in flight if not self.slow(i[0].rule, _round(i[1]))]
            item = (quick or flight)[-1]  # the newest quick one; a slow one last of all
            flight.remove(item)
            rule, number = item[0].rule, _round(item[1])
            self.ran.append((rule, number))
            status = Status.FAIL if (rule, number) in self.fails else Status.PASS
            result = RuleResult(rule, status, cases=1, requests=1, digest=f"{rule}/{number}")
            finished(item, Outcome(key=rule, result=result))


def _round(settings: RunSettings) -> int:
    return next(n for n in range(100) if round_seed(SEED, n) == settings.seed)


def _runner(tmp_path: Path, checks: list[Drawing]) -> Runner:
    config = EmulatorConfig(db_path=str(tmp_path / "jobs.sqlite3"))
    transport = WsgiTransport(make_app(config))
    spec = TargetSetup(
        "t",
        TargetProfile(),
        transport,
        transport.host,
        Credential(config.secret_id, config.secret_key),
    )
    runner = Runner(
        TargetFactory(spec),
        RunSettings(seed=SEED, deadline=float("inf")),
        checks=list(checks),
        rules=[],
    )
    runner._portable = {id(c) for c in checks}
    runner.rounds = 1  # round 0 was the ordinary run
    return runner


def test_a_rule_failing_late_keeps_no_round_after_the_one_it_failed_in(tmp_path: Path) -> None:
    a, b = Drawing("A"), Drawing("B")
    runner = _runner(tmp_path, [a, b])
    # B's round 2 is slow: while it runs, the other worker goes on with rounds 3, 4, 5,
    # B's included; then B's round 2 fails.
    pool = ScriptedPool(10, slow=lambda rule, n: (rule, n) == ("B", 2), fails={("B", 2)})
    kept = runner._streamed_rounds([a, b], [], set(), pool)
    assert pool.ran[-1] == ("B", 2)
    assert ("B", 3) in pool.ran  # it ran before B's failure was known...
    digests = [r.digest for r in kept]
    assert "B/3" not in digests  # ...and is not part of the report
    assert [d for d in digests if d.startswith("B")] == ["B/1", "B/2"]
    # (round, plan) order, whatever order they finished in
    assert digests == sorted(digests, key=lambda d: (int(d.split("/")[1]), d.split("/")[0]))
    assert runner.rounds == 1 + 5  # rounds 1-5 all ran, counted only once round 2 ended


def test_rounds_are_counted_in_order_and_only_when_every_check_of_them_ran(
    tmp_path: Path,
) -> None:
    a, b, c = Drawing("A", weight=3), Drawing("B"), Drawing("C")
    counted: list[tuple[int, int]] = []  # (rounds counted, checks finished by then)
    runner = _runner(tmp_path, [a, b, c])
    pool = ScriptedPool(9, slow=lambda rule, n: (rule, n) == ("A", 1), fails=set())
    runner._round_done = lambda rounds, results: counted.append((rounds, len(pool.ran)))  # type: ignore
    # A's round 1 holds its worker to the end: rounds 2 and 3 end first
    kept = runner._streamed_rounds([a, b, c], [], set(), pool)
    assert pool.ran[-1] == ("A", 1)
    assert counted == [(2, 9), (3, 9), (4, 9)]  # all in order, once A's round 1 ended
    assert [r.digest for r in kept] == [f"{rule}/{n}" for n in (1, 2, 3) for rule in "ABC"]

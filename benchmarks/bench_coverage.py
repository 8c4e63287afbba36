"""What the contract-coverage tally costs a run: the same run with and without it.

Every answered request of a run is read back (its JSON body, or its flattened query or
form) and judged once more by the oracle to learn which rules and fields it exercised.
This runs the same selection of checks against the embedded emulator, in one process,
alternately with the tally and without it, and prints the times and their ratio. It
prints numbers and never fails::

    python benchmarks/bench_coverage.py [--rules S4,S6,B1,VALID,FUZZ] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from tcbatch_contract.cli.mutation_score import target_spec
from tcbatch_contract.harness.model import RunSettings
from tcbatch_contract.harness.runner import Runner, all_checks, catalogue_rules
from tcbatch_contract.harness.targets import Observer, TargetFactory


class Untallied(TargetFactory):
    """The run's targets, with observers that keep no coverage tally."""

    def observer(self, rule: str) -> Observer:
        return Observer(rule, self.request_ids)


def once(tally: bool, rules: set[str], examples: int) -> tuple[float, int]:
    spec = target_spec(None, 35.0)
    targets = TargetFactory(spec) if tally else Untallied(spec)
    runner = Runner(
        targets, RunSettings(max_examples=examples), checks=all_checks(),
        rules=catalogue_rules(), selected=rules, workers=1,
    )  # fmt: skip
    started = time.perf_counter()
    report = runner.run("emulator", None)
    return time.perf_counter() - started, report.requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", default="S4,S6,B1,B20,VALID,FUZZ")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-examples", type=int, default=20)
    args = parser.parse_args()
    rules = set(args.rules.split(","))
    times: dict[bool, list[float]] = {True: [], False: []}
    requests = 0
    for _ in range(args.rounds):
        for tally in (False, True):  # alternately, so that load on the machine hits both
            seconds, requests = once(tally, rules, args.max_examples)
            times[tally].append(seconds)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    print(f"rules {args.rules}, {requests} requests a run, median of {args.rounds} rounds")
    print(f"without the tally: {off:.2f} s   with it: {on:.2f} s   ratio {on / off:.2f}")


if __name__ == "__main__":
    main()

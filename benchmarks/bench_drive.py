"""Examples drawn per case judged, with Hypothesis's span mutator on and off (printed only).

    python benchmarks/bench_drive.py [--max-examples 60] [--seeds 3] [--out FILE]

A generated rule's drive sends each distinct fault once (``driver.drive`` with the check's
``distinct``); every example Hypothesis draws beyond those is drawn for nothing. This
drives each single-fault rule of each family with a judge that sends nothing, once with
the mutator (as Hypothesis runs by default) and once without (as a harness run drives),
alternating per rule and seed in one process, and counts the examples drawn, the cases
judged and the CPU seconds of both.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench_generate import publish
from tcbatch_contract.strategies import single_fault

from tcbatch_contract.harness import determinism
from tcbatch_contract.harness.checks.generated import SingleFaultCheck
from tcbatch_contract.harness.driver import Judgement, drive
from tcbatch_contract.profile import TargetProfile

FAMILIES: dict[str, list[str]] = {
    "schema (S1-S6)": [f"S{i}" for i in range(1, 7)],
    "names and graph (B1-B6, B23-B25)": ["B1", "B2", "B3", "B4", "B5", "B6", "B23", "B24", "B25"],
    "environments (B7-B15, B27, B28)": [f"B{i}" for i in range(7, 16)] + ["B27", "B28"],
    "values (B16-B22, B26, B29)": [f"B{i}" for i in range(16, 23)] + ["B26", "B29"],
}
PROFILE = TargetProfile(known_env_ids=("env-abcd1234",))


def one_drive(rule: str, seed: int, max_examples: int, mutator: bool) -> tuple[int, int, float]:
    """(examples drawn, cases judged, CPU seconds) of one drive of ``rule``."""
    drawn = 0

    def distinct(case: object) -> object:
        nonlocal drawn
        drawn += 1
        return SingleFaultCheck.distinct(case)

    determinism.MUTATOR_OFF = not mutator  # the switch the drive turns the mutator off with
    started = time.process_time()
    result = drive(
        rule,
        single_fault(rule, PROFILE),
        lambda case, pick: Judgement(requests=1),
        max_examples=max_examples,
        run_seed=seed,
        distinct=distinct,
    )
    return drawn, result.cases, time.process_time() - started


def family_rows(family: str, rules: list[str], args: argparse.Namespace) -> list[str]:
    """The two table rows of one family: every rule and seed driven with the mutator on,
    then off."""
    totals = {True: [0, 0, 0.0], False: [0, 0, 0.0]}
    for rule in rules:
        for seed in range(args.seeds):
            for mutator in (True, False):
                for slot, value in enumerate(one_drive(rule, seed, args.max_examples, mutator)):
                    totals[mutator][slot] += value
    rows = []
    for mutator, label in ((True, "mutator on"), (False, "mutator off (a run)")):
        drawn, judged, cpu = totals[mutator]
        rows.append(
            f"| {family} | {label} | {drawn} | {judged} | {drawn / judged:.2f} "
            f"| {1000 * cpu / judged:.1f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=3, help="drives per rule and side")
    parser.add_argument("--out", type=Path, help="write the table here (Markdown)")
    args = parser.parse_args()
    available = determinism.MUTATOR_OFF
    if not available:
        raise SystemExit("this Hypothesis has no span mutator the driver can turn off")
    lines = [
        "| family | side | examples drawn | cases judged | drawn per case | CPU ms per case |",
        "|---|---|---:|---:|---:|---:|",
    ]
    try:
        for family, rules in FAMILIES.items():
            lines += family_rows(family, rules, args)
            print(f"{family} done", file=sys.stderr)
    finally:
        determinism.MUTATOR_OFF = available
    publish(
        lines,
        args.out,
        "Examples drawn per case judged, with the span mutator on and off",
        f"`python benchmarks/bench_drive.py --max-examples {args.max_examples} "
        f"--seeds {args.seeds}`: every single-fault rule, seeds 0-{args.seeds - 1}, "
        "a judge that sends nothing; both sides in one process, alternating.",
    )


if __name__ == "__main__":
    main()

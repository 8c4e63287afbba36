"""How fast the strategies make cases, per rule family (printed, never asserted).

    python benchmarks/bench_generate.py [--count N] [--seed S]

Generation goes through the same seeded path as ``tcbatch-contract generate``, so the
numbers are what a vector file or a harness run pays per case.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from tcbatch_contract.strategies import multi_fault, single_fault, valid_cases
from tcbatch_contract.strategies._internal.seeded import generate

from tcbatch_contract.profile import TargetProfile

PROFILE = TargetProfile(known_env_ids=("env-abcd1234",))
FAMILIES: dict[str, list[str]] = {
    "schema (S1-S6)": [f"S{i}" for i in range(1, 7)],
    "names and graph (B1-B6, B23-B25)": ["B1", "B2", "B3", "B4", "B5", "B6", "B23", "B24", "B25"],
    "environments (B7-B15, B27, B28)": [f"B{i}" for i in range(7, 16)] + ["B27", "B28"],
    "values (B16-B22, B26, B29)": [f"B{i}" for i in range(16, 23)] + ["B26", "B29"],
}


def measure(name: str, make: Callable[[], st.SearchStrategy[Any]], count: int, seed: int) -> None:
    strategy = make()
    started = time.perf_counter()
    cases = generate(strategy, count, seed)
    elapsed = time.perf_counter() - started
    print(f"{name:40s} {len(cases):6d} cases {elapsed:7.2f} s {len(cases) / elapsed:8.1f} cases/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="cases per rule (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    measure("valid", lambda: valid_cases(PROFILE), args.count, args.seed)
    for family, rules in FAMILIES.items():
        measure(
            family,
            lambda rules=rules: st.one_of([single_fault(r, PROFILE) for r in rules]),
            args.count * len(rules),
            args.seed,
        )
    measure("multi-fault", lambda: multi_fault(PROFILE), args.count, args.seed)


if __name__ == "__main__":
    main()

"""The filler: the valid members around a fault, made from one drawn seed.

What a filled case must keep: the oracle agrees with its label (as for every strategy),
the same seed draws the same cases whatever else the process drew before, and a run whose
EnvIds are made afresh draws the same cases but for those ids.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import strategies as st
from tcbatch_contract.strategies import generate, single_fault, valid_cases
from tcbatch_contract.strategies._internal.filler import Filler

from tcbatch_contract.oracle import Context, evaluate
from tcbatch_contract.profile import TargetProfile


def _text(cases: list) -> str:
    return json.dumps([c.params for c in cases], sort_keys=True, default=repr)


@pytest.mark.parametrize("rule", ["B8", "S4", "B19"])
def test_filled_cases_carry_labels_the_oracle_agrees_with(rule: str) -> None:
    profile = TargetProfile(known_env_ids=("env-abcd1234",))
    cases = generate(single_fault(rule, profile), 30, seed_value=3)
    assert len(cases) == 30
    for case in cases:
        outcome = evaluate(case.action, case.params, Context.from_profile(profile))
        assert outcome.codes == [case.code], (case.field, outcome.to_dict())


def test_filled_valid_jobs_are_valid_and_dense() -> None:
    profile = TargetProfile(known_env_ids=("env-abcd1234",))
    cases = generate(valid_cases(profile), 40, seed_value=5)
    sizes = []
    for case in cases:
        outcome = evaluate("SubmitJob", case.params, Context.from_profile(profile))
        assert outcome.success, outcome.to_dict()
        sizes.append(len(json.dumps(case.params, default=repr)))
    # the dense variant fills most optional members of four tasks: some jobs are large
    assert max(sizes) > 2000, sizes


def test_a_fresh_env_id_changes_nothing_but_itself() -> None:
    first = TargetProfile(known_env_ids=("env-aaaa1111",))
    second = TargetProfile(known_env_ids=("env-bbbb2222",))
    drawn_first = _text(generate(single_fault("B9", first), 25, seed_value=1))
    drawn_second = _text(generate(single_fault("B9", second), 25, seed_value=1))
    assert "env-aaaa1111" in drawn_first
    assert drawn_first.replace("env-aaaa1111", "env-bbbb2222") == drawn_second


def test_the_same_seed_draws_the_same_cases_after_other_draws() -> None:
    profile = TargetProfile(known_env_ids=("env-abcd1234",))
    before = _text(generate(single_fault("B21", profile), 20, seed_value=7))
    generate(single_fault("S3", profile), 40, seed_value=8)  # fills other pools' slots
    assert _text(generate(single_fault("B21", profile), 20, seed_value=7)) == before


def test_a_filler_refuses_a_strategy_it_has_no_pool_for() -> None:
    with pytest.raises(LookupError, match="unregistered"):
        Filler(0)(st.integers(0, 3).map(str))


def test_the_shipped_slots_are_the_ones_the_strategies_draw_now() -> None:
    """``pools.json.gz`` holds every slot of the default profile's pools as a fresh draw
    makes it: a change to a pooled strategy without writing the file again fails here
    (``python -m tcbatch_contract.strategies._internal.shipped``)."""
    from tcbatch_contract.strategies._internal.shipped import drawn_afresh, read

    kept = read()
    assert len(kept) > 2000
    afresh = drawn_afresh()  # this process's pools: other tests may have registered more
    assert kept.keys() <= afresh.keys()
    assert {k: repr(v) for k, v in kept.items()} == {k: repr(afresh[k]) for k in kept}


DRAWN_HERE = """
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.strategies import generate, multi_fault, single_fault, valid_cases
from tcbatch_contract.strategies.pools import fresh_slots

for profile in (TargetProfile(known_env_ids=("env-fresh123",)), TargetProfile()):
    for strategy in (valid_cases(profile), multi_fault(profile), single_fault("B7", profile)):
        generate(strategy, 30)
print(sorted({repr(name[1]) for name, _ in fresh_slots()}))
"""


def test_a_process_draws_only_the_slots_of_the_runs_own_pools() -> None:
    """With the shipped slots, a process that draws cases for a profile like the default
    run's, or a URL's without known EnvIds, draws no slot of its own but those of the
    EnvId pool (the run's own values)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", DRAWN_HERE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr([repr(("Task", "EnvId"))])


def test_a_missing_or_foreign_pool_file_ships_nothing(tmp_path) -> None:
    import gzip

    from tcbatch_contract.strategies._internal.shipped import read

    assert read(tmp_path / "absent.json.gz") == {}
    garbled = tmp_path / "garbled.json.gz"
    garbled.write_bytes(b"not gzip")
    assert read(garbled) == {}
    truncated = tmp_path / "truncated.json.gz"
    whole = gzip.compress(json.dumps({"format": 1, "slots": [[["x"], 0, 1]]}).encode())
    truncated.write_bytes(whole[: len(whole) // 2])
    assert read(truncated) == {}
    shapeless = tmp_path / "shapeless.json.gz"
    shapeless.write_bytes(gzip.compress(b'{"format": 1, "rows": []}'))
    assert read(shapeless) == {}
    other = tmp_path / "other.json.gz"
    with gzip.open(other, "wt", encoding="ascii") as stream:
        json.dump({"format": 99, "slots": [[["x"], 0, 1]]}, stream)
    assert read(other) == {}

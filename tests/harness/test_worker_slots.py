"""The filler's pool slots travel between a run's processes instead of being drawn in each.

A slot holds the same value wherever it is drawn; that is what makes handing it on sound,
and the first test checks it across a process boundary (in a Region whose pools are not
shipped with the package, so that both processes draw them). The second runs checks in two
spawned workers and looks at the slots each check reports as drawn by its worker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tcbatch_contract.strategies import generate, single_fault, valid_submit_job
from tcbatch_contract.strategies.pools import fresh_slots, known_slots, learn_slots

from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.harness.model import RunSettings
from tcbatch_contract.harness.runner import all_checks
from tcbatch_contract.harness.targets import TargetSetup
from tcbatch_contract.harness.workers import EmulatorRecipe, Outcome, WorkerPool
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.transport import Credential, WsgiTransport

HOST = "127.0.0.1:9000"
SECRET_ID = "AKIDslotsTEST000000000000000000000"
SECRET_KEY = "slotsTESTkey00000000000000000"

DRAW_ELSEWHERE = """
import json, sys
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.strategies import generate, single_fault, valid_submit_job
from tcbatch_contract.strategies.pools import known_slots
profile = TargetProfile(region="ap-shanghai", known_env_ids=("env-slots001",))
generate(single_fault("B19", profile), 8, 5)
generate(valid_submit_job(profile), 8, 5)
print(json.dumps({repr(k): repr(v) for k, v in known_slots().items()}))
"""


def test_a_slot_drawn_in_another_process_is_the_one_drawn_here() -> None:
    profile = TargetProfile(region="ap-shanghai", known_env_ids=("env-slots001",))
    generate(single_fault("B19", profile), 8, 5)
    generate(valid_submit_job(profile), 8, 5)
    here = {repr(k): repr(v) for k, v in known_slots().items()}
    done = subprocess.run(
        [sys.executable, "-c", DRAW_ELSEWHERE], capture_output=True, text=True, check=True
    )
    there = json.loads(done.stdout.splitlines()[-1])
    shared = here.keys() & there.keys()
    assert len(shared) > 100
    assert {k: here[k] for k in shared} == {k: there[k] for k in shared}


def test_learnt_slots_are_held_and_drawing_known_slots_hands_nothing_on() -> None:
    profile = TargetProfile(region="ap-chengdu", known_env_ids=("env-slots002",))
    fresh_slots()  # forget what this process drew so far
    generate(single_fault("B21", profile), 4, 1)
    assert fresh_slots()  # a Region whose slots are not shipped: drawn here
    learn_slots({("a pool nobody draws", 0): "learnt"})
    assert known_slots()[("a pool nobody draws", 0)] == "learnt"
    generate(single_fault("B21", profile), 4, 1)  # the same cases: every slot known already
    assert fresh_slots() == {}


def _setup(folder: Path) -> TargetSetup:
    cfg = EmulatorConfig(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        known_env_ids=("env-slots001",),
        rate_limit=500,
        db_path=str(folder / "jobs.sqlite3"),
    )
    return TargetSetup(
        "test",
        # a Region whose slots are not shipped: the workers draw them and hand them on
        TargetProfile(
            region="ap-nanjing", known_env_ids=cfg.known_env_ids, rate_limit=cfg.rate_limit
        ),
        WsgiTransport(make_app(cfg), host=HOST),
        HOST,
        Credential(SECRET_ID, SECRET_KEY),
        recipe=EmulatorRecipe(cfg, HOST, None),
    )


def test_a_check_run_again_in_either_worker_draws_no_slot(tmp_path: Path) -> None:
    checks = {c.rule: c for c in all_checks() if c.rule in ("B21", "B22")}
    settings = RunSettings(max_examples=6, seed=3, shrink_seconds=None)
    outcomes: list[tuple[str, Outcome]] = []

    def finished(item: Any, outcome: Outcome) -> None:
        outcomes.append((item[0].rule, outcome))

    fresh_slots()
    pool = WorkerPool(_setup(tmp_path), 2, share=1)
    try:
        # first alone, so that its slots are known before the next ones are handed out
        pool.run([(checks["B21"], settings)], started=lambda item: None, finished=finished)
        drawn_first = outcomes[0][1].slots
        assert drawn_first
        assert drawn_first.items() <= known_slots().items()  # the parent learnt them
        # then again, twice at once: in both workers, whichever ran it first
        again = [(checks["B21"], settings)] * 2
        pool.run(again, started=lambda item: None, finished=finished)
    finally:
        pool.close()
    assert [rule for rule, _ in outcomes] == ["B21", "B21", "B21"]
    assert [o.slots for _, o in outcomes[1:]] == [{}, {}]
    assert len({o.result.digest for _, o in outcomes}) == 1

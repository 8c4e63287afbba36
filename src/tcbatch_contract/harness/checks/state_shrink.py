"""Cutting a failing STATE-MODEL sequence down: steps dropped one at a time, sent again.

Hypothesis shrinks the choices it drew, which for a state machine over a remote target is
slow (each attempt replays a whole run) and stops at the first shape it cannot cut. The
recorded sequence itself is cheaper to cut: drop one step, send the rest in a fresh run of
the machine (fresh ClientTokens, the JobIds of this run), and keep the shorter sequence
when it still fails. What is left is 1-minimal: no single step can go.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state_model import AccountMachine, _Context


def send_again(machine_class: type[AccountMachine], steps: list[dict[str, Any]]) -> bool:
    """Send a recorded sequence again in a fresh run, judged afresh; whether it failed.

    JobIds are those of this run (a step naming a job whose SubmitJob is not in the
    sequence names an unknown JobId), ClientTokens this run's own.
    """
    machine = machine_class()
    model = machine.model
    made: dict[str, str] = {}  # the recorded jN -> the JobId it has in this run
    try:
        for step in steps:
            params, form, where = step["params"], step["form"], step["region"]
            second = step["credential"] == "second"
            if step["action"] == "SubmitJob":
                shown = copy.deepcopy(params)
                body = copy.deepcopy(params)
                slot = _token_slot(params.get("ClientToken"))
                if slot is not None:
                    body["ClientToken"] = (model.token(slot) or ("", ""))[0]
                if second:
                    machine.send_second_submit(body, shown, form, where)
                    continue
                job_id = machine.send_submit(body, shown, slot, form, where, read_back=False)
                if job_id and step.get("binds"):
                    made[step["binds"]] = job_id
            else:
                recorded = str(params.get("JobId"))
                job_id = made.get(recorded.removeprefix("<job ").removesuffix(">"))
                job_id = job_id or (recorded if not recorded.startswith("<") else model.unknown_id)
                ref = next((f"<job {j.ref}>" for j in model.jobs.values() if j.job_id == job_id),
                           job_id)  # fmt: skip
                machine.on_job_id(step["action"], job_id, ref, form, where, second=second)
            machine.a_token_names_one_job()
            machine.live_jobs_within_the_quota()
            machine.a_deleted_job_stays_gone()
        return False
    except AssertionError:
        return True
    finally:
        machine.teardown()


def _token_slot(value: Any) -> int | None:
    if isinstance(value, str) and value.startswith("<token "):
        return int(value[7:-1])
    return None


def minimize(machine_class: type[AccountMachine], ctx: _Context) -> bool:
    """Drop steps of the failing sequence one at a time while it still fails (each replay
    records a shorter failure in ``ctx``), within the shrinking budget; whether every step
    was tried (the sequence is then 1-minimal: no single step can go)."""
    from .state_model import Stop

    ctx.shrink_started, ctx.shrink_requests = time.monotonic(), 0
    ctx.minimizing = True
    index = 0
    while ctx.failure is not None and index < len(ctx.failure.steps or []):
        steps = list(ctx.failure.steps or [])
        shorter = steps[:index] + steps[index + 1 :]
        before = ctx.failure_steps
        try:
            send_again(machine_class, shorter)
        except Stop:
            return False
        if ctx.failure_steps >= before:
            index += 1
    return True

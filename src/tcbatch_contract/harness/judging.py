"""Judging one generated case: what to send, what was wrong, what to keep.

The generated checks share these steps whatever their rule: the oracle's context for a
Region, the request form and the params as sent, a failure or harness-error record with
the payload masked, and the deletion of a job an answer created.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ..oracle import Context, Outcome, evaluate
from .exchange import Exchange, delete_job, plan
from .model import Failure, RunSettings, Target
from .report.masking import mask_params


def field_template(field: str | None) -> str:
    """``Job.Tasks.3.TaskName`` as the rule's field template ``Job.Tasks.*.TaskName``."""
    return re.sub(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)", "*", field or "")


def context(target: Target, region: str) -> Context:
    return Context.from_profile(target.profile, region=region)


def planned(
    action: str,
    params: dict[str, Any],
    rule: str,
    pick: int,
    settings: RunSettings,
    outcome: Outcome,
    target: Target,
    region: str,
) -> tuple[str, dict[str, Any], Outcome]:
    """The form and params to send (a flattened form only when its verdict is the same),
    and the oracle's outcome of the params sent: ``outcome`` itself, the outcome of
    ``params``, unless a flattened form sends other params."""
    form, sent = plan(params, rule, pick, settings.form)
    if sent is not params:
        again = evaluate(action, sent, context(target, region))
        if again.codes != outcome.codes:
            return "tc3-post", params, outcome
        return form, sent, again
    return form, sent, outcome


def failure_of(
    rule: str, exchange: Exchange, problems: list[str], expected: dict[str, Any], field: str | None
) -> Failure:
    summary = problems[0] + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
    actual = exchange.actual()
    if len(problems) > 1:
        actual["problems"] = problems
    return Failure(
        rule=rule,
        summary=summary,
        expected=expected,
        actual=actual,
        action=exchange.action,
        params=mask_params(exchange.params),
        form=exchange.form,
        field=field,
        region=exchange.region,
    )


def harness_error(rule: str, case: Any, summary: str, region: str) -> Failure:
    return Failure(
        rule=rule,
        summary=summary,
        expected={"label": getattr(case, "expected", None)},
        actual={},
        action=getattr(case, "action", "SubmitJob"),
        params=mask_params(getattr(case, "params", case)),
        field=getattr(case, "field", None),
        region=region,
    )


def release(target: Target, exchange: Exchange) -> list[str]:
    """Delete a job that an answer created (and record it until it is gone)."""
    job_id = exchange.job_id if exchange.code is None else None
    if not job_id:
        return []
    target.created_jobs.add(job_id)
    return [f"cleanup: {p}" for p in delete_job(target, job_id)]


def diamond_ladder(region: str, diamonds: int = 33) -> Any:
    """A valid job of ``3 * diamonds + 1`` tasks whose dependences chain diamonds: as many
    paths as 2**diamonds, so that a target walking every path never answers."""
    from ..strategies import Case

    names = [f"t{i}" for i in range(3 * diamonds + 1)]
    env = {"EnvData": {"InstanceType": "S1.SMALL1"}}
    app = {"DeliveryForm": "LOCAL", "Command": "echo"}
    tasks = [{"TaskName": n, "Application": app, "ComputeEnv": env} for n in names]
    edges = [(names[i], names[i + j]) for i in range(0, 3 * diamonds, 3) for j in (1, 2)]
    edges += [(names[i + j], names[i + 3]) for i in range(0, 3 * diamonds, 3) for j in (1, 2)]
    deps = [{"StartTask": a, "EndTask": b} for a, b in edges]
    params = {"Placement": {"Zone": f"{region}-1"}, "Job": {"Tasks": tasks, "Dependences": deps}}
    return Case("valid", None, None, params, region, note="a ladder of diamonds")


def with_fresh_token(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with a ClientToken no earlier request used (when it has one).

    A valid request whose token was seen before gets the first request's JobId back, even
    from a job deleted since (§7), so a token drawn twice would read back the wrong job.
    The drawn characters are kept and a random tail added, within the 64 allowed.
    """
    token = params.get("ClientToken")
    if not isinstance(token, str):
        return params
    return {**params, "ClientToken": token[:48] + uuid.uuid4().hex[:16]}


def expected_codes(outcome: Outcome) -> list[str] | None:
    return None if outcome.success else outcome.accepted_codes


def label_codes(case: Any) -> set[str] | None:
    expected = getattr(case, "expected", None)
    if not isinstance(expected, dict):
        return None
    if expected.get("outcome") == "success":
        return set()
    codes = expected.get("codes")
    return set(codes) if isinstance(codes, list) else None

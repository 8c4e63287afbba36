"""Fixed cases judged before the generated ones: the rule catalogue's vectors.

The rule catalogue carries, for every rule, hand-picked vectors: the near misses an
implementer gets wrong (a password of one character class, ``env-ABCD1234``, a directory
path without its ``/``, ``true`` for an integer) and the boundaries that are just valid (a
60-character name, a diamond, a repeated edge). Twenty-five random cases of a rule reach
some of them by chance; the vectors reach all of them every run. A vector is sent only
where it holds for the target: it needs no target state, its Region is served, and the
oracle, given the target's profile, agrees with its expectation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ...oracle import Context, evaluate
from ...profile import TargetProfile
from ..driver import DriveResult, Judgement


def catalogue_cases(rule: str, profile: TargetProfile) -> list[Any]:
    """The vectors of ``rule`` (``"valid"``: every valid SubmitJob vector) as cases."""
    from ... import catalogue
    from ...strategies import Case

    cases = []
    for vector in catalogue.vectors(protocol=False):
        if vector.context or vector.needs or vector.region not in profile.regions:
            continue
        if rule == "valid":
            if not (vector.expect.success and vector.action == "SubmitJob"):
                continue
            code = None
        elif vector.rule != rule or vector.expect.success:
            continue
        else:
            code = vector.expect.codes[0]
        params = vector.params
        outcome = evaluate(
            vector.action, params, Context.from_profile(profile, region=vector.region)
        )
        if outcome.codes != ([] if code is None else [code]):
            continue
        case_rule = "valid" if code is None else rule
        cases.append(Case(case_rule, code, None, params, vector.region, vector.action, vector.id))
    return cases


def judge_fixed(
    cases: list[Any], judge: Callable[[Any], Judgement], stop: threading.Event
) -> DriveResult:
    """Each case judged once, in order, counted as a drive's cases are."""
    out = DriveResult()
    for case in cases:
        if stop.is_set():
            break
        judgement = judge(case)
        if judgement.harness_error is not None:
            out.harness_errors.append(judgement.harness_error)
        elif judgement.skipped:
            out.skipped += 1
        else:
            out.cases += 1
            out.requests += judgement.requests
            if judgement.failure is not None and out.failure is None:
                out.failure = judgement.failure
                out.requests_to_first_failure = out.requests
    return out

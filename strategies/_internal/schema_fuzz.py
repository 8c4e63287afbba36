"""SubmitJob bodies generated from ``openapi.yaml`` by schemathesis.

The strategies of this package know the contract; schemathesis knows only the OpenAPI
description, which makes it a useful second opinion: its positive mode explores shapes the
description allows (and the business rules may still refuse), its negative mode breaks the
schema in ways no hand-written fault does. Its bodies carry no label: the harness judges
each by the oracle's set of codes, and a body that is not a JSON object (negative mode makes
some) is left out, since that is a protocol matter (P11).

Building the strategy runs schemathesis's one-time Hypothesis setup, which patches a few
Hypothesis internals process-wide (its example printer and buffer size); call this where
that is acceptable, e.g. in the harness or in a test process of its own.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from hypothesis import strategies as st

from tcbatch_contract._resources import openapi
from tcbatch_contract.profile import TargetProfile

MODES = ("positive", "negative")


@cache
def _operation() -> Any:
    import schemathesis

    schema = schemathesis.openapi.from_dict(openapi())
    try:
        return schema.find_operation_by_id("SubmitJob")
    except LookupError as exc:  # pragma: no cover - openapi.yaml is checked by its own tests
        raise LookupError("openapi.yaml has no operation with operationId SubmitJob") from exc


def _in_region(body: dict[str, Any], region: str) -> dict[str, Any]:
    """``body`` with its zones (``Placement.Zone``, ``EnvData.Zones``) in ``region``."""
    zone = f"{region}-1"
    placement = body.get("Placement")
    if isinstance(placement, dict) and isinstance(placement.get("Zone"), str):
        placement["Zone"] = zone
    job = body.get("Job")
    tasks = job.get("Tasks") if isinstance(job, dict) else None
    for task in tasks if isinstance(tasks, list) else ():
        env = task.get("ComputeEnv") if isinstance(task, dict) else None
        data = env.get("EnvData") if isinstance(env, dict) else None
        zones = data.get("Zones") if isinstance(data, dict) else None
        if isinstance(zones, list):
            data["Zones"] = [zone if isinstance(z, str) else z for z in zones]
    return body


def schema_fuzz(
    profile: TargetProfile | None = None, mode: str = "positive"
) -> st.SearchStrategy[dict[str, Any]]:
    """Raw SubmitJob params from the OpenAPI description (``mode``: positive or negative).

    In positive mode the zones are moved into the profile's Region, so that the bodies get
    past B26 and reach the other rules.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    from schemathesis import GenerationMode

    profile = profile or TargetProfile()
    cases = _operation().as_strategy(GenerationMode(mode))
    bodies = cases.map(lambda case: case.body).filter(lambda body: isinstance(body, dict))
    if mode == "positive":
        return bodies.map(lambda body: _in_region(copy.deepcopy(body), profile.region))
    return bodies.map(copy.deepcopy)

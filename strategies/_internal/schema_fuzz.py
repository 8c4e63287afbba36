"""SubmitJob bodies generated from ``openapi.yaml`` alone (see ``schema_bodies``).

The strategies of this package know the contract; these bodies know only the OpenAPI
description, which makes them a useful second opinion: positive mode explores shapes the
description allows (and the business rules may still refuse), negative mode breaks the
schema in ways no hand-written fault does. They carry no label: the harness judges each
by the oracle's set of codes.

They were schemathesis's once; its bodies cost 0.2-0.6 s of CPU each (its strategy is
rebuilt per draw), a FUZZ check's whole time. The project's own compile the description
once and cost a few milliseconds; schemathesis stays the independent anchor of
``benchmarks/schemathesis_anchor.py``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tcbatch_contract.profile import TargetProfile

from .schema_bodies import body_strategy

MODES = ("positive", "negative")


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
    profile = profile or TargetProfile()
    bodies = body_strategy(mode)
    if mode == "positive":
        return bodies.map(lambda body: _in_region(body, profile.region))
    return bodies

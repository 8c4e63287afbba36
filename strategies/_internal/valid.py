"""Valid SubmitJob requests for a target profile.

A valid request is assembled from the type table (``tree``), the task graph (``dag``) and
the constrained values (``values``); a density drawn once per request decides how many
optional members appear, so that both sparse requests (which shrink well) and requests with
most of the 36 types present are common. ``request(profile, force)`` is the building block
of every single-fault strategy: it returns a valid request that holds the members of
``force``, ready for one of them to be broken.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from tcbatch_contract.profile import TargetProfile

from . import values as v
from .case import Case
from .dag import RICH_TASKS, build_job
from .examples import examples_for
from .filler import AVAILABLE, Filler, pooled
from .tree import BARE, Ctx, Force, build_object, include

DENSITIES = (3, 2, 4)

_DENSITY = st.sampled_from(DENSITIES)
_DENSE = st.sampled_from((0, 1))
_TOKEN = pooled(v.client_token(), ("client token",))
# a filled request is bare (required members only) one time in seven, and that is what
# it shrinks towards; otherwise as dense as a drawn one
_FILL_DENSITY = st.sampled_from((BARE, *DENSITIES, *DENSITIES))
_FILL_DENSE = st.sampled_from((BARE, 0, 1, 0, 1, 0, 1))
_FILL_SEED = st.integers(0, 2**32 - 1)


def request(
    profile: TargetProfile,
    force: Force | None = None,
    *,
    min_tasks: int = 1,
    densities: st.SearchStrategy[int] = _DENSITY,
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid SubmitJob request holding at least the members named by ``force``."""
    return st.composite(
        lambda draw: build_request(draw, profile, force, min_tasks=min_tasks, densities=densities)
    )()


def build_request(
    draw: st.DrawFn,
    profile: TargetProfile,
    force: Force | None = None,
    *,
    min_tasks: int = 1,
    densities: st.SearchStrategy[int] = _DENSITY,
    rich: int = RICH_TASKS,
    fill: st.DrawFn | None = None,
) -> dict[str, Any]:
    """What :func:`request` draws, drawn inside another draw (no strategy built).

    ``rich``: how many tasks get a full drawn body (see ``dag.build_job``). ``fill``:
    what draws the members (default ``draw``; see :func:`filled_request`).
    """
    force = force or {}
    ctx = Ctx(profile, draw(densities))
    member = fill or draw
    params: dict[str, Any] = {
        "Placement": build_object(member, "Placement", ctx, force.get("Placement")),
        "Job": build_job(draw, ctx, force.get("Job"), min_tasks=min_tasks, rich=rich, fill=fill),
    }
    if "ClientToken" in force or include(member, ctx):
        params["ClientToken"] = member(_TOKEN)
    return params


def filled_request(
    draw: st.DrawFn,
    profile: TargetProfile,
    force: Force | None = None,
    *,
    min_tasks: int = 1,
    rich: int = 1,
    densities: st.SearchStrategy[int] = _FILL_DENSITY,
) -> dict[str, Any]:
    """A valid request around a fault: one seed, the density, the graph and the forced
    members' places drawn; the members made from that seed (``filler``), ``rich`` tasks
    with a full body (one by default: the fault is the point of such a request).

    A few dozen choices instead of ~150, and a shrinker that still reaches the bare
    request (required members only) and the smallest graph.
    """
    if not AVAILABLE:  # pragma: no cover - another Hypothesis
        return build_request(draw, profile, force, min_tasks=min_tasks, rich=rich)
    fill = Filler(draw(_FILL_SEED))
    return build_request(
        draw, profile, force, min_tasks=min_tasks, densities=densities, rich=rich, fill=fill
    )


def _filled(profile: TargetProfile, densities: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    return st.composite(
        lambda draw: filled_request(draw, profile, rich=RICH_TASKS, densities=densities)
    )()


def valid_submit_job(profile: TargetProfile | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Params of a SubmitJob request that the contract accepts for ``profile``.

    The documented examples of the profile's Region are among them.
    """
    profile = profile or TargetProfile()
    documented = examples_for(profile.region)
    # Dense requests (every optional member present, or most) put each member of the tree
    # through a read-back within a few cases, where sparse ones would take hundreds. The
    # members come from a filler (see ``filled_request``): the values are the member
    # strategies' own, at a tenth of the cost of drawing each through Hypothesis.
    if AVAILABLE:
        generated = _filled(profile, _FILL_DENSITY) | _filled(profile, _FILL_DENSE)
    else:  # pragma: no cover - another Hypothesis
        generated = request(profile) | request(profile, densities=_DENSE)
    if not documented:
        return generated
    return generated | st.sampled_from(documented).map(copy.deepcopy)


def valid_cases(profile: TargetProfile | None = None) -> st.SearchStrategy[Case]:
    """Valid requests as cases (rule ``"valid"``, no code)."""
    profile = profile or TargetProfile()
    return valid_submit_job(profile).map(
        lambda params: Case("valid", None, None, params, profile.region, note="valid")
    )

"""Single faults of the naming and graph rules: B1-B6 and the notification rules B23-B25.

Renaming a task is the delicate part: a dependence that named the old name would then name
no task (B5). A renamed task either takes its dependences along (they now name the new,
faulty name, which still names a task) or loses them; a task that becomes a duplicate
loses its dependences. A cycle (B6) is laid over named tasks only, so it never names a
missing task, and may sit beside the valid diamonds, fans and repeated edges of the base
graph, or make up a part of the graph that has no root.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise
from typing import Any

from hypothesis import strategies as st

from tcbatch_contract import codes
from tcbatch_contract.profile import TargetProfile

from . import values as v
from .bad import (
    bad_task_name,
    bad_topic_name,
    missing_task_name,
    overlong,
    overlong_task_name,
    overlong_topic_name,
)
from .choice import BOOL, ints, sample
from .dag import drop_edges_touching, task_names, unique_name
from .locate import get_at
from .registry import Injected, at, fault, pick
from .tree import Ctx, build_object

TASK_NAME = ("Job", "Tasks", "*", "TaskName")
DEPENDENCES = ("Job", "Dependences")
_TASK_NAME = v.task_name()


def _rename(draw: st.DrawFn, params: dict[str, Any], index: int, new: str) -> None:
    task = params["Job"]["Tasks"][index]
    old = task.get("TaskName")
    if old is not None and draw(BOOL):
        for dep in params["Job"].get("Dependences", []):
            for end in ("StartTask", "EndTask"):
                if dep[end] == old:
                    dep[end] = new
    elif old is not None:
        drop_edges_touching(params, old)
    task["TaskName"] = new


@fault("B1", codes.JOB_NAME_TOO_LONG, ("Job.JobName",))
def b1(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, ("Job", "JobName"))
    params["Job"]["JobName"] = name = draw(overlong(60))
    return Injected(params, loc, f"{len(name)} code points")


@fault("B2", codes.JOB_DESCRIPTION_TOO_LONG, ("Job.JobDescription",))
def b2(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, ("Job", "JobDescription"))
    params["Job"]["JobDescription"] = text = draw(overlong(200))
    return Injected(params, loc, f"{len(text)} code points")


@fault("B3", codes.TASK_NAME_TOO_LONG, (".".join(TASK_NAME),))
def b3(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, TASK_NAME)
    name = draw(overlong_task_name())
    _rename(draw, params, loc[2], name)
    return Injected(params, loc, f"{len(name)} code points")


@fault("B4", codes.TASK_NAME, (".".join(TASK_NAME),))
def b4(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    if draw(BOOL):
        params, loc = at(draw, profile, TASK_NAME)
        _rename(draw, params, loc[2], draw(bad_task_name()))
        return Injected(params, loc, "bad characters" if get_at(params, loc) else "empty")
    params, loc = at(draw, profile, TASK_NAME, min_tasks=2)
    tasks = params["Job"]["Tasks"]
    other = sample(draw, [i for i in range(len(tasks)) if i != loc[2]])
    if "TaskName" in tasks[other]:
        drop_edges_touching(params, tasks[other]["TaskName"])
    tasks[other]["TaskName"] = tasks[loc[2]]["TaskName"]
    return Injected(params, ("Job", "Tasks", other, "TaskName"), "duplicate")


@fault(
    "B5", codes.DEPENDENCE_NOT_FOUND, ("Job.Dependences.*.StartTask", "Job.Dependences.*.EndTask")
)
def b5(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, _ = at(draw, profile, ("Job", "Tasks"))
    names = task_names(params)
    deps = params["Job"].setdefault("Dependences", [])
    missing = missing_task_name(draw, names)
    variant = draw(_B5_VARIANT)
    end = pick(draw, ["StartTask", "EndTask"], only, lambda e: f"Job.Dependences.*.{e}")
    other = "EndTask" if end == "StartTask" else "StartTask"
    if variant == "change" and deps:
        index = draw(ints(0, len(deps) - 1))
        deps[index][end] = missing
        return Injected(params, ("Job", "Dependences", index, end), "changed to a missing name")
    if variant == "one end" and names:
        dep = {end: missing, other: sample(draw, names)}
        note = "missing name beside a known one"
    elif variant == "self":
        dep, note = {end: missing, other: missing}, "self on missing"
    else:
        dep, note = {end: missing, other: missing_task_name(draw, names)}, "both missing"
    index = draw(ints(0, len(deps)))
    deps.insert(index, {"StartTask": dep["StartTask"], "EndTask": dep["EndTask"]})
    return Injected(params, ("Job", "Dependences", index, end), note)


_B5_VARIANT = st.sampled_from(["change", "one end", "self", "both ends"])
_CYCLE_LENGTH = st.one_of(st.integers(1, 4), st.integers(1, 12), st.integers(13, 60))


@cache
def _ring(tasks: int, length: int) -> st.SearchStrategy[list[int]]:
    """``length`` distinct task indices below ``tasks``: the tasks of a cycle, in order."""
    return st.lists(st.integers(0, tasks - 1), min_size=length, max_size=length, unique=True)


@fault(
    "B6", codes.DEPENDENCE_UNFEASIBLE, ("Job.Dependences.*.StartTask", "Job.Dependences.*.EndTask")
)
def b6(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    length = draw(_CYCLE_LENGTH)
    params, _ = at(draw, profile, ("Job", "Tasks"), min_tasks=length)
    tasks = params["Job"]["Tasks"]
    members = draw(_ring(len(tasks), length))
    used = set(task_names(params))
    for index in members:
        if "TaskName" not in tasks[index]:
            tasks[index] = {"TaskName": unique_name(draw(_TASK_NAME), used, index), **tasks[index]}
    ring = [tasks[i]["TaskName"] for i in members]
    deps = params["Job"].setdefault("Dependences", [])
    end = pick(draw, ["StartTask", "EndTask"], only, lambda e: f"Job.Dependences.*.{e}")
    closing = {"StartTask": ring[-1], "EndTask": ring[0]}
    for start, stop in pairwise(ring):
        deps.insert(draw(ints(0, len(deps))), {"StartTask": start, "EndTask": stop})
    index = draw(ints(0, len(deps)))
    deps.insert(index, closing)
    note = "self-loop" if length == 1 else f"cycle of {length}"
    return Injected(params, ("Job", "Dependences", index, end), note)


TOPIC = ("Job", "Notifications", "*", "TopicName")
EVENT_CONFIG = ("Job", "Notifications", "*", "EventConfigs", "*")


@fault("B23", codes.NOTIFICATION_TOPIC_NAME_TOO_LONG, (".".join(TOPIC),))
def b23(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, TOPIC)
    name = draw(overlong_topic_name())
    get_at(params, loc[:-1])["TopicName"] = name
    return Injected(params, loc, f"{len(name)} code points")


@fault("B24", codes.NOTIFICATION_TOPIC_NAME, (".".join(TOPIC),))
def b24(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, TOPIC)
    name = draw(bad_topic_name())
    get_at(params, loc[:-1])["TopicName"] = name
    return Injected(params, loc, "empty" if not name else "bad characters")


@fault(
    "B25",
    codes.NOTIFICATION_EVENT_NAME_DUPLICATE,
    (".".join(EVENT_CONFIG) + ".EventName",),
    faults=len(v.ENUMS[("EventConfig", "EventName")]),  # each event name, repeated
)
def b25(draw: st.DrawFn, profile: TargetProfile, only: str | None) -> Injected:
    params, loc = at(draw, profile, EVENT_CONFIG)
    configs = get_at(params, loc[:-1])
    name = configs[loc[-1]]["EventName"]
    others = [i for i in range(len(configs)) if i != loc[-1]]
    if others and draw(BOOL):
        index = sample(draw, others)
        configs[index]["EventName"] = name
        note = "changed to a repeated name"
    else:
        extra = build_object(draw, "EventConfig", Ctx(profile), skip=frozenset({"EventName"}))
        index = draw(ints(0, len(configs)))
        configs.insert(index, {"EventName": name, **extra})
        note = "added a repeated name"
    return Injected(params, (*loc[:-1], index, "EventName"), note)

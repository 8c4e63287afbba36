"""The task graph of a job: how many tasks, their names, and acyclic dependences.

Built so that Hypothesis shrinks a failing 200-task job towards the smallest graph that
still fails. The first tasks' names are a drawn list, so the shrinker deletes a task
together with its draws; further tasks (named ``t<i>``, a rare draw opens the range up to
300) are a drawn count that shrinks on its own. Random edges are index pairs drawn as a
list, and the named shapes (chain, diamond, fan-out, fan-in, forest) are drawn lists of
parts that shrink part by part, so a failing 199-edge chain shrinks to the edges that
matter. Edges point from an earlier to a later task in a drawn rank order (the list order
rotated and maybe reversed), which makes every graph acyclic without a check; a repeated
identical edge is sometimes added because the contract says it is not a cycle.

Only the first few tasks (``rich`` of them, and the task a force tree is about) get a full
drawn body; the rest get a compact one. That keeps a 300-task job inside Hypothesis's
per-example budget and generation fast; a single-fault request, whose point is the one
member it breaks, asks for one rich task only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from random import Random
from typing import Any

from hypothesis import strategies as st

from . import values as v
from .choice import choice, ints
from .filler import made, own
from .tree import Ctx, Force, build_object, include

RICH_TASKS = 4
MAX_TASKS = 300
SHAPES = ("none", "random", "chain", "diamond", "fan_out", "fan_in", "forest")

_SIZE_CLASS = st.integers(0, 39).map(lambda n: 2 if n == 39 else 1 if n >= 36 else 0)
_UNNAMED = v.coin(6)


def _made_task_name(r: Random) -> str:
    """A TaskName as ``v.task_name()`` draws it: 1-12 characters (short ones more often),
    or exactly 60, a short unit repeated. Made, not pooled: a duplicate name (B4) copies
    one of these, so a pool as varied as a drawn name needs thousands of slots, and each
    slot is a Hypothesis draw of its own in every process (about half a millisecond)."""
    if r.random() < 0.5:
        return "".join(r.choices(v.TASK_NAME_CHARS, k=min(r.randint(1, 12), r.randint(1, 12))))
    return v.repeat_to("".join(r.choices(v.TASK_NAME_CHARS, k=r.randint(1, 6))), 60)


_TASK_NAME = made(v.task_name(), _made_task_name)
_NAME_LIST = st.lists(
    st.tuples(_UNNAMED, _TASK_NAME).map(lambda t: None if t[0] else t[1]), max_size=6
)
_NAMED_LIST = st.lists(_TASK_NAME, max_size=6)
# with a filler: how many first tasks (drawn); whether each has a name, and which (filled)
_FIRST_TASKS = ints(0, 6)
_UNNAMED_FILLED = made(own(_UNNAMED), lambda r: r.randrange(6) == 5)
# drawn, or filled around a fault
_SHAPE = made(own(st.sampled_from(SHAPES)), lambda r: r.choice(SHAPES))
_REPEAT = made(own(v.coin(5)), lambda r: r.randrange(5) == 4)
_FLIP = made(own(st.booleans()), lambda r: r.random() < 0.5)


@dataclass(frozen=True)
class Graph:
    names: list[str | None]  # per task; None: the task has no TaskName
    edges: list[tuple[str, str]]  # (StartTask, EndTask)
    shape: str


def unique_name(name: str, used: set[str], index: int) -> str:
    """``name``, or a variant of it that no other task of the job has (60 at most)."""
    candidate, n = name, index
    while candidate in used:
        suffix = f"-{n}"
        candidate = name[: 60 - len(suffix)] + suffix
        n += MAX_TASKS
    used.add(candidate)
    return candidate


def task_graph(*, min_tasks: int = 1, need_edges: bool = False) -> st.SearchStrategy[Graph]:
    """Task names and an acyclic set of dependences between named tasks."""
    return st.composite(lambda draw: draw_graph(draw, min_tasks=min_tasks, need_edges=need_edges))()


def draw_graph(
    draw: st.DrawFn,
    *,
    min_tasks: int = 1,
    need_edges: bool = False,
    fill: st.DrawFn | None = None,
) -> Graph:
    """What :func:`task_graph` draws, drawn inside another draw (no strategy built).

    With ``fill`` (a ``filler.Filler``), only how many tasks there are is drawn, so that
    a failing case still shrinks to the smallest job; which tasks have a name, the
    names, the rank order and the shape come from the filler, like the rest of the valid
    job around a fault.
    """
    low = max(min_tasks, 2 if need_edges else 1)
    # the first tasks' names are a drawn list (the shrinker deletes a task with its
    # draws); more tasks, named t<i>, are a drawn count that costs nothing per task
    if fill is None:
        drawn = draw(_NAMED_LIST if need_edges else _NAME_LIST)
    else:
        drawn = [
            None if not need_edges and fill(_UNNAMED_FILLED) else fill(_TASK_NAME)
            for _ in range(draw(_FIRST_TASKS))
        ]
    size = draw(_SIZE_CLASS)  # 0: small (most), 1: up to 40 tasks, 2: up to 300 (rare)
    extra = draw(ints(0, (0, 40, MAX_TASKS)[size] - len(drawn))) if size else 0
    extra = max(extra, low - len(drawn))
    used: set[str] = set()
    names: list[str | None] = [
        None if name is None else unique_name(name, used, i) for i, name in enumerate(drawn)
    ]
    names += [unique_name(f"t{i}", used, i) for i in range(len(drawn), len(drawn) + extra)]
    named = [n for n in names if n is not None]
    # a rank order that is not the list order: rotated and maybe reversed (two draws
    # whatever the size, so the task count can shrink on its own)
    pick = fill or draw
    turn = pick(ints(0, max(0, len(named) - 1)))
    order = named[turn:] + named[:turn]
    if pick(_FLIP):
        order.reverse()
    shape = pick(_SHAPE)
    edges = _shape_edges(pick, shape, order)
    if need_edges and not edges:
        edges = [(order[0], order[1])]
    if edges and pick(_REPEAT):
        edges.append(choice(pick, edges))
    return Graph(names, edges, shape)


def _shape_edges(draw: st.DrawFn, shape: str, order: list[str]) -> list[tuple[str, str]]:
    """Edges of ``shape`` over tasks in rank ``order``, built from drawn segments.

    Every shape is a drawn list of small parts (a chain segment, a fan, a diamond, a
    subtree), so the shrinker can drop a part or shorten it: a failing 199-edge chain
    shrinks to the few edges that matter.
    """
    n = len(order)
    if n < 2 or shape == "none":
        return []
    if shape == "random":
        pairs = draw(_random_pairs(n))
        return [(order[min(a, b)], order[max(a, b)]) for a, b in pairs if a != b]
    parts = draw(_parts(n))
    edges: list[tuple[str, str]] = []
    for start, size in parts:
        span = order[start : start + size + 1]
        if shape == "chain":
            edges += list(pairwise(span))
        elif shape == "fan_out":
            edges += [(span[0], other) for other in span[1:]]
        elif shape == "fan_in":
            edges += [(other, span[-1]) for other in span[:-1]]
        elif shape == "diamond" and len(span) >= 4:
            a, b, c, d = span[:4]
            edges += [(a, b), (a, c), (b, d), (c, d)]
        elif shape == "forest":
            edges += [(span[(k - 1) // 2], span[k]) for k in range(1, len(span))]
    return edges


@cache
def _random_pairs(n: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    high = min(3 * n, 40)
    drawn = st.lists(st.tuples(ints(0, n - 1), ints(0, n - 1)), max_size=high)
    # a filler's lists are short more often than not, as Hypothesis's are
    return made(
        drawn,
        lambda r: [
            (r.randrange(n), r.randrange(n))
            for _ in range(min(r.randint(0, high), r.randint(0, high)))
        ],
    )


@cache
def _parts(n: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    drawn = st.lists(st.tuples(ints(0, n - 1), ints(1, n - 1)), min_size=1, max_size=3)
    return made(
        drawn, lambda r: [(r.randrange(n), r.randint(1, n - 1)) for _ in range(r.randint(1, 3))]
    )


def _plain_task(index: int, env: dict[str, Any]) -> dict[str, Any]:
    return {"Application": {"DeliveryForm": "LOCAL", "Command": f"echo {index}"}, **env}


def build_job(
    draw: st.DrawFn,
    ctx: Ctx,
    force: Force | None = None,
    min_tasks: int = 1,
    rich: int = RICH_TASKS,
    fill: st.DrawFn | None = None,
) -> dict:
    """A valid ``Job``; ``force["Tasks"]`` applies to one task at a drawn index.

    The first ``rich`` tasks and the forced one get a full drawn body (with ``rich`` 1 and
    a forced task, that task alone). ``fill`` (default ``draw``) draws the task bodies,
    the names, the graph's shape and the members of ``Job``; how many tasks there are,
    which one is forced and the other tasks' compute environment are drawn (B7's faults
    copy that environment: drawn, it varies from case to case as Hypothesis explores).
    """
    force = force or {}
    graph = draw_graph(draw, min_tasks=min_tasks, need_edges="Dependences" in force, fill=fill)
    fill = fill or draw
    count = len(graph.names)
    task_force = force.get("Tasks")
    forced_at = draw(ints(0, count - 1)) if task_force is not None else -1
    env: dict[str, Any]
    if ctx.known_env_ids and draw(_FLIP):
        env = {"EnvId": choice(draw, ctx.known_env_ids)}
    else:
        env = {"ComputeEnv": {"EnvData": {"InstanceType": "S1.SMALL1"}}}
    names = list(graph.names)
    if task_force is not None and "TaskName" in task_force and names[forced_at] is None:
        names[forced_at] = unique_name(fill(_TASK_NAME), {n for n in names if n}, forced_at)
    tasks = []
    for i, name in enumerate(names):
        if i == forced_at or (i < rich and (forced_at < 0 or rich > 1)):
            body = build_object(fill, "Task", ctx, task_force if i == forced_at else None)
        else:
            body = _plain_task(i, env)
        tasks.append(body if name is None else {"TaskName": name, **body})
    result: dict[str, Any] = {"Tasks": tasks}
    if graph.edges:
        result["Dependences"] = [{"StartTask": a, "EndTask": b} for a, b in graph.edges]
    elif include(fill, ctx):
        result["Dependences"] = []
    rest = {k: f for k, f in force.items() if k not in ("Tasks", "Dependences")}
    result.update(build_object(fill, "Job", ctx, rest, skip=frozenset({"Tasks", "Dependences"})))
    return result


def task_names(params: dict[str, Any]) -> list[str]:
    """The TaskNames of a request's tasks, in order (tasks without a name left out)."""
    tasks = params.get("Job", {}).get("Tasks", [])
    return [t["TaskName"] for t in tasks if isinstance(t, dict) and "TaskName" in t]


def drop_edges_touching(params: dict[str, Any], name: str) -> None:
    """Remove the dependences that mention ``name`` (keeps the graph valid)."""
    job_ = params.get("Job", {})
    if "Dependences" in job_:
        job_["Dependences"] = [
            d for d in job_["Dependences"] if name not in (d.get("StartTask"), d.get("EndTask"))
        ]

"""Mutants of the dependence-cycle check (B6): cycles missed, valid graphs refused, and a
check whose cost is exponential in the number of diamonds in the graph.

Each replaces ``app.checks["B6"]`` with a cycle finder written the way a hurried
implementer might: self-loops filtered out with the other "degenerate" edges, only
two-task cycles looked for, a global visited set taken for the current path, a repeated
edge taken for a back edge, every path walked from every task.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ... import codes
from ..validate._model import Finding, Subject
from ..validate.job import _dependences, _task_names
from . import mutant

if TYPE_CHECKING:
    from ..app import EmulatorApp

#: Steps the exponential check takes before it stands for a hung request.
PATH_STEP_CAP = 50_000
#: How late that request is answered: past the contract's 35 s, and past any harness limit.
LATE_SECONDS = 40.0


def _edges(subject: Subject) -> list[tuple[str, str]]:
    """Every dependence between known tasks, repeats kept, in request order."""
    names = _task_names(subject)
    return [(a, b) for _, a, b in _dependences(subject) if a in names and b in names]


def _successors(edges: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for start, end in edges:
        out.setdefault(start, []).append(end)
        out.setdefault(end, [])
    return out


def _has_cycle(edges: list[tuple[str, str]]) -> bool:
    """Kahn's algorithm: True when some task can never become ready."""
    successors = {k: set(v) for k, v in _successors(edges).items()}
    indegree = dict.fromkeys(successors, 0)
    for after in successors.values():
        for name in after:
            indegree[name] += 1
    ready = [name for name, count in indegree.items() if count == 0]
    removed = 0
    while ready:
        name = ready.pop()
        removed += 1
        for after in successors[name]:
            indegree[after] -= 1
            if indegree[after] == 0:
                ready.append(after)
    return removed < len(indegree)


def _finding() -> Finding:
    return Finding(
        "B6",
        codes.DEPENDENCE_UNFEASIBLE,
        "Job.Dependences",
        "`Job.Dependences` has a cycle: the job could never start.",
    )


def _b6(finds_cycle: Callable[[list[tuple[str, str]]], bool]) -> Callable[[EmulatorApp], None]:
    def apply(app: EmulatorApp) -> None:
        def check(subject: Subject) -> Iterator[Finding]:
            if finds_cycle(_edges(subject)):
                yield _finding()

        app.checks["B6"] = check

    return apply


mutant(
    "b6-self-loop-missed",
    "cycle",
    "edges with StartTask == EndTask are dropped as degenerate before the cycle search",
)(_b6(lambda edges: _has_cycle([(a, b) for a, b in edges if a != b])))

mutant(
    "b6-two-task-cycles-only",
    "cycle",
    "only a dependence and its reverse (or a self-loop) count as a cycle; longer ones pass",
)(_b6(lambda edges: any((b, a) in set(edges) for a, b in edges)))

mutant(
    "b6-repeated-edge-is-cycle",
    "cycle",
    "the same dependence given twice is taken for a cycle",
)(_b6(lambda edges: len(edges) != len(set(edges)) or _has_cycle(edges)))


def _visited_is_cycle(edges: list[tuple[str, str]]) -> bool:
    """Depth-first search with one visited set for the whole graph: a task reached a
    second time, by any route, counts as a cycle (a diamond does)."""
    successors = {k: list(dict.fromkeys(v)) for k, v in _successors(edges).items()}
    visited: set[str] = set()
    stack: list[str] = []
    for root in successors:
        if root in visited:
            continue
        stack.append(root)
        while stack:
            name = stack.pop()
            if name in visited:
                return True
            visited.add(name)
            stack.extend(successors[name])
    return False


mutant(
    "b6-diamond-is-cycle",
    "cycle",
    "a task reached twice by different routes (a diamond) is taken for a cycle",
)(_b6(_visited_is_cycle))


class _TooManySteps(Exception):
    pass


def _path_walk_finds_cycle(edges: list[tuple[str, str]]) -> bool:
    """Every path from every task, each checked for a return to a task already on it:
    right answers, exponential time. Raises ``_TooManySteps`` past the cap."""
    successors = {k: list(dict.fromkeys(v)) for k, v in _successors(edges).items()}
    steps = 0
    for root in successors:
        paths: list[tuple[str, frozenset[str]]] = [(root, frozenset((root,)))]
        while paths:
            name, on_path = paths.pop()
            for after in successors[name]:
                steps += 1
                if steps > PATH_STEP_CAP:
                    raise _TooManySteps
                if after in on_path:
                    return True
                paths.append((after, on_path | {after}))
    return False


@mutant(
    "b6-exponential-paths",
    "robustness",
    f"the cycle check walks every path (exponential in diamonds); past {PATH_STEP_CAP} steps "
    f"the answer comes {LATE_SECONDS:.0f} s late",
)
def _exponential(app: EmulatorApp) -> None:
    def check(subject: Subject) -> Iterator[Finding]:
        edges = _edges(subject)
        try:
            cycle = _path_walk_finds_cycle(edges)
        except _TooManySteps:
            time.sleep(LATE_SECONDS)  # the hang, bounded
            cycle = _has_cycle(edges)
        if cycle:
            yield _finding()

    app.checks["B6"] = check

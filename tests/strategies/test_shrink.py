"""Failures shrink to something a person can read: the smallest graph, the shortest name."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import HealthCheck, Phase, find, settings
from tcbatch_contract.strategies import single_fault
from tcbatch_contract.strategies._internal.bad import (
    overlong,
    overlong_task_name,
    overlong_topic_name,
)
from tcbatch_contract.strategies._internal.dag import Graph, task_graph

SHRINK = settings(
    database=None,
    max_examples=3000,
    phases=[Phase.generate, Phase.shrink],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)


def longest_path(graph: Graph) -> int:
    after: dict[str, set[str]] = {}
    for start, end in graph.edges:
        after.setdefault(start, set()).add(end)

    @functools.cache
    def depth(node: str) -> int:
        return max((1 + depth(n) for n in after.get(node, ())), default=0)

    return max((depth(n) for n in after), default=0)


def test_a_failure_in_a_200_task_graph_shrinks_to_the_edges_that_matter() -> None:
    """Say a target fails on any job holding a path of 3 dependences; found in 200 tasks."""
    graph = find(task_graph(min_tasks=200), lambda g: longest_path(g) >= 3, settings=SHRINK)
    assert len(graph.names) == 200
    assert len(graph.edges) == 3
    assert longest_path(graph) == 3


def test_the_task_count_shrinks_to_the_smallest_that_still_fails() -> None:
    """Say a target fails on jobs of 30+ tasks holding a path of 3 dependences."""
    graph = find(
        task_graph(), lambda g: len(g.names) >= 30 and longest_path(g) >= 3, settings=SHRINK
    )
    assert len(graph.names) == 30
    assert len(graph.edges) == 3


def test_a_repeated_edge_shrinks_to_one_edge_twice() -> None:
    graph = find(task_graph(), lambda g: len(set(g.edges)) < len(g.edges), settings=SHRINK)
    assert len(graph.names) == 2
    assert graph.edges == [graph.edges[0]] * 2


def _job_name(case: Any) -> str:
    return case.params["Job"]["JobName"]


def test_an_overlong_name_shrinks_to_the_limit_plus_one() -> None:
    case = find(
        single_fault("B1"),
        lambda c: any(ord(ch) > 0xFFFF for ch in _job_name(c)),
        settings=SHRINK,
    )
    assert len(_job_name(case)) == 61
    assert len(case.params["Job"]["Tasks"]) == 1


def test_overlong_values_shrink_to_one_past_their_limit() -> None:
    assert len(find(overlong_topic_name(), lambda s: True, settings=SHRINK)) == 65
    assert len(find(overlong_task_name(), lambda s: True, settings=SHRINK)) == 61
    assert len(find(overlong(200), lambda s: not s.isascii(), settings=SHRINK)) == 201

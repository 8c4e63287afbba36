"""Valid requests are valid (the oracle accepts every one) and cover the whole request tree."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, find, given, settings
from hypothesis import strategies as st
from tcbatch_contract.strategies import Case, documented_examples, valid_cases, valid_submit_job
from tcbatch_contract.strategies._internal import values as v
from tcbatch_contract.strategies._internal.dag import SHAPES, task_graph
from tcbatch_contract.strategies._internal.locate import force_for, locations, slots
from tcbatch_contract.strategies._internal.valid import request

from tcbatch_contract.oracle import Context, evaluate
from tcbatch_contract.profile import TargetProfile

SLOW_OK = [HealthCheck.too_slow]
PLAIN = TargetProfile()
WITH_ENVS = TargetProfile(region="na-ashburn", known_env_ids=("env-abcd1234", "env-0000zz99"))
FIRST = documented_examples()[0]


def accepted(params: dict[str, Any], profile: TargetProfile) -> None:
    outcome = evaluate("SubmitJob", params, Context.from_profile(profile))
    assert outcome.success, outcome.to_dict()


@settings(max_examples=150, deadline=None, suppress_health_check=SLOW_OK)
@given(valid_submit_job(PLAIN))
@example(FIRST.params)
def test_valid_requests_are_accepted(params: dict[str, Any]) -> None:
    accepted(params, PLAIN)


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW_OK)
@given(valid_cases(WITH_ENVS))
def test_valid_cases_with_known_envs_in_another_region(case: Case) -> None:
    assert (case.rule, case.code, case.region) == ("valid", None, "na-ashburn")
    assert case.expected == {"outcome": "success"}
    accepted(case.params, WITH_ENVS)
    for task in case.params["Job"]["Tasks"]:
        assert task.get("EnvId", "env-abcd1234") in WITH_ENVS.known_env_ids


def test_documented_examples_are_valid_in_their_region() -> None:
    examples = documented_examples()
    assert [(c.region, c.params["Placement"]["Zone"]) for c in examples] == [
        ("ap-guangzhou", "ap-guangzhou-2"),
        ("ap-beijing", "ap-beijing-2"),
    ]
    assert examples[1].params["Job"]["Dependences"] == [
        {"StartTask": "pre_task", "EndTask": "post_task"}
    ]
    for case in examples:
        assert case.to_json()["expected"] == {"outcome": "success"}
        accepted(case.params, TargetProfile(region=case.region))
    examples[0].params["Job"]["JobName"] = "changed"
    assert documented_examples()[0].params["Job"]["JobName"] == "test"


SLOTS = [s for s in slots()]


@pytest.mark.parametrize("slot", SLOTS, ids=[s.dotted for s in SLOTS])
def test_every_member_of_every_type_appears_in_valid_requests(slot: Any) -> None:
    """Each of the members of the 36 types, optional or not, in a request the oracle accepts."""
    profile = WITH_ENVS if slot.member.name == "EnvId" else PLAIN

    @settings(max_examples=2, deadline=None, suppress_health_check=SLOW_OK)
    @given(request(profile, force_for(slot.template)))
    def check(params: dict[str, Any]) -> None:
        assert locations(params, slot.template)
        accepted(params, profile)

    check()


def test_the_slots_are_the_36_types() -> None:
    owners = {s.owner for s in SLOTS} | {s.member.elem for s in SLOTS if s.member.holds_objects}
    assert len(owners) == 36


#: ``find`` that stops at the first hit (no shrinking, no search for further examples).
FIND = settings(
    database=None,
    max_examples=3000,
    phases=[Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=SLOW_OK,
)


@pytest.mark.parametrize(
    ("what", "predicate"),
    [
        ("60 JobName", lambda p: _job(p, "JobName", lambda n: len(n) == 60)),
        ("200 JobDescription", lambda p: _job(p, "JobDescription", lambda d: len(d) == 200)),
        ("60 TaskName", lambda p: any(len(t.get("TaskName", "")) == 60 for t in _tasks(p))),
        ("repeated edge", lambda p: _repeated_edge(p)),
        ("unnamed task", lambda p: any("TaskName" not in t for t in _tasks(p))),
        (
            "PACKAGE",
            lambda p: any(t["Application"]["DeliveryForm"] == "PACKAGE" for t in _tasks(p)),
        ),
    ],
)
def test_valid_requests_reach_the_edges(what: str, predicate: Any) -> None:
    params = find(valid_submit_job(PLAIN), predicate, settings=FIND)
    accepted(params, PLAIN)


def test_valid_requests_mix_envid_and_compute_env_tasks() -> None:
    params = find(
        valid_submit_job(WITH_ENVS),
        lambda p: {"EnvId" in t for t in _tasks(p)} == {True, False},
        settings=FIND,
    )
    accepted(params, WITH_ENVS)


def test_large_jobs_are_drawn_now_and_then() -> None:
    graph = find(task_graph(), lambda g: len(g.names) >= 150, settings=FIND)
    assert len(graph.names) <= 300


@settings(max_examples=3, deadline=None, suppress_health_check=SLOW_OK)
@given(request(PLAIN, min_tasks=150))
def test_large_jobs_are_valid(params: dict[str, Any]) -> None:
    assert len(_tasks(params)) >= 150
    accepted(params, PLAIN)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_graph_shape_is_generated(shape: str) -> None:
    graph = find(
        task_graph(),
        lambda g: g.shape == shape and len(g.names) >= 5 and (shape == "none" or g.edges),
        settings=FIND,
    )
    assert graph.shape == shape
    if shape == "diamond":
        after: dict[str, set[str]] = {}
        for start, end in graph.edges:
            after.setdefault(start, set()).add(end)
        assert any(
            len(after.get(b, set()) & after.get(c, set())) for b in after for c in after if b != c
        )


@pytest.mark.parametrize(
    ("strategy", "pattern"),
    [
        (v.limited_text(60), r"[\U00010000-\U0010ffff]{60}"),
        (v.limited_text(60), r"[\u0080-\uffff]{60}"),
        (v.limited_text(60), r"[A-Za-z]{60}"),
        (v.limited_text(200), r"[\U00010000-\U0010ffff]{200}"),
        (v.remote_path(directory=True), r"cos://\S+/"),
        (v.remote_path(directory=True), r"cfs://\S+/"),
        (v.remote_path(directory=True), r"nfs://\S+/"),
        (v.remote_path(directory=False), r"cos://[^/]+/\S*[^/]"),
        (v.remote_path(directory=False), r"nfs://[^/\s]*[\x00-\x08\x7f-\x9f][^/\s]*/\S*"),
        (v.local_path(), r"/.+"),
        (v.local_path(), r"[A-Za-z]:\\.*"),
        (v.local_path(), r"/.*[\u3000\u00a0 ].*"),
        (v.zone("ap-guangzhou"), r"ap-guangzhou-[1-9][0-9]"),
        (v.client_token(), r"[!-~]{64}"),
        (v.password(), r".{16}"),
        (v.max_price(), r"[0-9]+\.[0-9]+"),
    ],
)
def test_value_strategies_reach_every_allowed_form(strategy: Any, pattern: str) -> None:
    found = find(strategy, lambda s: re.fullmatch(pattern, s, re.DOTALL) is not None, settings=FIND)
    assert re.fullmatch(pattern, found, re.DOTALL)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_value_strategies_stay_inside_their_rules(data: st.DataObject) -> None:
    from tcbatch_contract.strategies._internal.bad import local_ok, password_ok, remote_ok

    assert remote_ok(data.draw(v.remote_path(directory=True)), directory=True)
    assert remote_ok(data.draw(v.remote_path(directory=False)), directory=False)
    assert local_ok(data.draw(v.local_path()))
    assert password_ok(data.draw(v.password()))
    assert len(data.draw(v.limited_text(60))) <= 60
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,63}", data.draw(v.topic_name()))


def _tasks(params: dict[str, Any]) -> list[dict[str, Any]]:
    return params["Job"]["Tasks"]


def _job(params: dict[str, Any], member: str, test: Any) -> bool:
    return member in params["Job"] and test(params["Job"][member])


def _edges(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["StartTask"], d["EndTask"]) for d in params["Job"].get("Dependences", [])]


def _repeated_edge(params: dict[str, Any]) -> bool:
    edges = _edges(params)
    return len(edges) != len(set(edges))

"""The contract-coverage map: computed from what a real run sent and got answered."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from tcbatch_contract.cli import main
from tcbatch_contract.cli.mutation_score import target_spec
from tcbatch_contract.harness.coverage import DIMENSIONS, Tally, boundaries
from tcbatch_contract.harness.coverage_map import MinimumError, parse_minimum
from tcbatch_contract.harness.model import RunReport, RunSettings
from tcbatch_contract.harness.runner import Runner, all_checks, catalogue_rules
from tcbatch_contract.harness.targets import TargetFactory
from tcbatch_contract.transport.forms import tc3_sign


class Keeping:
    """A transport that passes every request on to the real one and keeps the exchange."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.host = inner.host
        self.exchanges: list[tuple[Any, Any]] = []
        self.profile: Any = None  # the run's, set by ``run``

    def send(self, request: Any, timeout: float) -> Any:
        response = self.inner.send(request, timeout)
        self.exchanges.append((request, response))
        return response


def run(rules: str, form: str = "mixed", workers: int = 1) -> tuple[RunReport, Keeping]:
    spec = target_spec(None, 35.0)
    kept = Keeping(spec.transport)
    spec = dataclasses.replace(spec, transport=kept)
    if workers > 1:
        from tcbatch_contract.harness.workers import EmulatorRecipe

        spec = dataclasses.replace(spec, transport=spec.transport.inner, recipe=None)
        spec = dataclasses.replace(spec, recipe=EmulatorRecipe(_config_of(spec), spec.host))
    kept.profile = spec.profile
    settings = RunSettings(max_examples=6, form=form)
    runner = Runner(
        TargetFactory(spec), settings, checks=all_checks(), rules=catalogue_rules(),
        selected=set(rules.split(",")), workers=workers,
    )  # fmt: skip
    assert runner.workers == workers  # worker processes, when asked, really run the checks
    return runner.run("emulator", None), kept


def _config_of(spec: Any) -> Any:
    from tcbatch_contract.emulator import EmulatorConfig

    profile = spec.profile
    return EmulatorConfig(
        secret_id=spec.credential.secret_id, secret_key=spec.credential.secret_key,
        regions=profile.regions, known_env_ids=profile.known_env_ids,
        job_quota=profile.job_quota, rate_limit=profile.rate_limit,
        denied_secret_id=profile.denied_secret_id, denied_secret_key=profile.denied_secret_key,
        more_keys=tuple((c.secret_id, c.secret_key) for c in spec.more_credentials),
    )  # fmt: skip


def test_boundaries_enums_and_forms_are_exactly_what_went_out() -> None:
    report, kept = run("B1,B2,B15,S6", form="tc3-post")
    coverage = report.coverage.to_dict()
    assert coverage["answered_requests"] == len(kept.exchanges) > 0
    bodies = [
        json.loads(r.body) for r, _ in kept.exchanges if r.header("X-TC-Action") == "SubmitJob"
    ]
    jobs = [b["Job"] for b in bodies if isinstance(b.get("Job"), dict)]
    sent: set[str] = set()
    for bound in boundaries():
        if bound.field not in ("Job.JobName", "Job.Tags"):
            continue
        for job in jobs:
            value = job.get(bound.field.removeprefix("Job."))
            size = len(value) if isinstance(value, (str, list)) else None
            if size in bound.points:
                sent.add(f"{bound.name} = {size}")
    reported = {b for b in coverage["boundaries"] if "Job.JobName (" in b or "Job.Tags (" in b}
    assert reported == sent and sent
    assert any(line.endswith("= 61") and "JobName" in line for line in sent)  # B1's limit + 1
    valid = {"PRE_TASK_SUCCEED", "PRE_TASK_AT_LEAST_PARTLY_SUCCEED", "PRE_TASK_FINISHED"}
    depend_on = {j.get("TaskExecutionDependOn") for j in jobs} & valid
    listed = {
        e.split("=", 1)[1] for e in coverage["enums"] if e.startswith("Job.TaskExecutionDependOn=")
    }
    assert listed == depend_on
    assert coverage["forms"] == ["tc3-post"]
    assert coverage["rules"]["B1"] == ["Job.JobName"] and coverage["rules"]["B2"] == [
        "Job.JobDescription"
    ]
    assert set(coverage["rules"]["B15"]) <= {
        "Job.Tags",
        "Job.Tasks.*.ComputeEnv.EnvData.InstanceTypes",
    }


def test_the_checks_own_verdicts_tally_as_the_oracle_reads_the_wire() -> None:
    """A check hands the tally the oracle's outcome for the params it sends; the rules and
    fields it tallies are those the oracle gives for the bytes that went out."""
    report, kept = run("B1,B4,B19,S6", form="tc3-post")
    again = Tally()
    for request, response in kept.exchanges:
        action = request.header("X-TC-Action")
        again.note("B1", "tc3-post", action, request, response, kept.profile)
    rules = report.coverage.to_dict()["rules"]
    for rule in ("B1", "B4", "B19", "S6"):
        assert rules[rule] == sorted(again.rule_fields[rule]), rule


def test_flattened_forms_are_read_back_as_the_target_reads_them() -> None:
    """The same seed draws the same cases; sent as V1 POST where they can be, the map of
    rules, enumerations and boundaries is the one of the same cases sent as JSON."""
    as_json, _ = run("B1,B3,S6", form="tc3-post")
    as_v1, kept = run("B1,B3,S6", form="v1-post")
    assert any(r.header("X-TC-Action") is None for r, _ in kept.exchanges)  # V1 went out
    one, other = as_json.coverage.to_dict(), as_v1.coverage.to_dict()
    assert "v1-post" in other["forms"] and "v1-post" not in one["forms"]
    for key in ("rules", "enums", "boundaries"):
        assert one[key] == other[key], key


def test_job_transitions_come_from_the_answers_of_the_lifecycle_scenario() -> None:
    report, _ = run("STATE-LIFECYCLE,STATE-IDEMPOTENCY")
    transitions = report.coverage.to_dict()["transitions"]
    assert transitions["new -> SubmitJob"] == ["success"]
    assert "success" in transitions["terminated -> TerminateJob"]  # twice is fine (§6)
    assert "success" in transitions["submitted -> DeleteJob"]  # a running job may be deleted
    assert "ResourceNotFound.Job" in transitions["deleted -> DescribeJob"]
    assert "InvalidParameter.JobIdMalformed" in transitions["unknown -> DescribeJob"]
    assert "success" in transitions["deleted -> SubmitJob"]  # the token of a deleted job


@pytest.mark.slow
def test_worker_processes_bring_their_tallies_back() -> None:
    alone, _ = run("B1,B2,S6", workers=1)
    shared, _ = run("B1,B2,S6", workers=2)
    assert shared.coverage.to_dict() == alone.coverage.to_dict()


def test_parse_minimum() -> None:
    assert parse_minimum("90") == dict.fromkeys(DIMENSIONS, 90.0)
    assert parse_minimum("boundaries=80, enums=100%") == {"boundaries": 80.0, "enums": 100.0}
    for bad in ("", "101", "x", "foo=3", "forms", "forms=-1"):
        with pytest.raises(MinimumError):
            parse_minimum(bad)


def test_min_coverage_fails_a_passing_run_with_a_status_of_its_own(tmp_path: Path, capsys) -> None:
    report = tmp_path / "r.md"
    argv = ["run", "--rules", "B1", "--max-examples", "3", "--workers", "1", "--form", "tc3-post"]
    assert main([*argv, "--min-coverage", "forms=50,rules=1", "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert "CONFORMANT but INSUFFICIENT COVERAGE" in out and "0 fail" in out
    assert "INSUFFICIENT COVERAGE: forms 25% < 50%" in out  # rules (1 of 49) was reached
    text = report.read_text()
    assert "## Contract coverage" in text and "| forms | 1 | 4 | 25 | 50 |" in text
    assert main([*argv, "--min-coverage", "forms=25"]) == 0
    assert "INSUFFICIENT" not in capsys.readouterr().out


def test_a_bad_min_coverage_is_exit_2_naming_it(capsys) -> None:
    assert main(["run", "--min-coverage", "speed=3"]) == 2
    err = capsys.readouterr().err
    assert "--min-coverage" in err and "boundaries" in err and len(err.strip().splitlines()) == 1


ENV_DATA = "Job.Tasks.*.ComputeEnv.EnvData"


@pytest.mark.parametrize(
    ("env_data", "rule", "covered"),
    [
        ({"InstanceType": "S1.SMALL1", "InstanceTypes": ["S1.SMALL1"]}, "B12",
         {f"{ENV_DATA}.InstanceType", f"{ENV_DATA}.InstanceTypes"}),
        ({}, "B11", {ENV_DATA, f"{ENV_DATA}.InstanceType", f"{ENV_DATA}.InstanceTypes",
                     f"{ENV_DATA}.InstanceTypeOptions"}),
        ({"InstanceTypes": ["S1.SMALL1", "S2.SMALL1", "S1.SMALL1"]}, "B14", {f"{ENV_DATA}.InstanceTypes"}),
    ],
)  # fmt: skip
def test_a_fault_covers_the_fields_of_the_table_it_lies_in(
    env_data: dict, rule: str, covered: set[str]
) -> None:
    from tcbatch_contract.harness.coverage import fields_of
    from tcbatch_contract.oracle import Context, evaluate

    task = {
        "Application": {"DeliveryForm": "LOCAL", "Command": "x"},
        "ComputeEnv": {"EnvData": env_data},
    }
    params = {"Placement": {"Zone": "ap-guangzhou-1"}, "Job": {"Tasks": [task]}}
    (violation,) = evaluate("SubmitJob", params, Context()).violations  # single-fault
    assert violation.rule == rule
    assert fields_of(rule, violation.path, params) == covered


def test_hostile_bodies_are_tallied_by_their_form_and_never_crash_the_check() -> None:
    spec = target_spec(None, 35.0)
    targets = TargetFactory(spec)
    observer = targets.observer("FUZZ")
    client = targets.target(observer).client
    signed = client.build("SubmitJob", {"Placement": {"Zone": "ap-guangzhou-1"}})
    bodies = [
        b'{"Job":' * 50_000 + b"1" + b"}" * 50_000,  # deeper than json.loads goes
        b'{"Job":' * 900 + b"1" + b"}" * 900,
        b'{"Job": "' + b"x" * 3_000_000 + b'"}',
        b"\xff\xfe",
        b"[1, 2]",
    ]
    for body in bodies:
        assert client.send(signed.replace(body=body)).code is not None  # answered, refused
    tally = observer.coverage
    assert tally.requests == len(bodies) and tally.forms == {"tc3-post"}
    # refused unread (the body changed after signing): no rule, field or value exercised
    assert tally.rule_fields == {} and not tally.enum_values and not tally.boundary_points
    for body in bodies[:2]:  # signed as sent: read, judged, and still no crash
        resigned = tc3_sign(signed.replace(body=body), spec.credential)
        assert client.send(resigned).code is not None
    assert tally.requests == len(bodies) + 2
    assert "S1" in tally.rule_fields  # the 900-deep job lacks Placement; so S1 was exercised


def _whole_tree_walk(value: Any, template: str, tally: Tally) -> None:
    """Every member of the tree visited and its template looked up: the reading the
    pruned walk must agree with."""
    from tcbatch_contract.harness.coverage import _bounds_of, _measure, enumerations

    for index, bound in _bounds_of().get(template, ()):
        measured = _measure(bound.kind, value)
        if measured is not None and measured in bound.points:
            tally.boundary_points.add((index, measured))
    values = enumerations().get(template)
    if values is not None and isinstance(value, str) and value in values:
        tally.enum_values.add((template, value))
    if isinstance(value, dict):
        for name, item in value.items():
            _whole_tree_walk(item, f"{template}.{name}" if template else str(name), tally)
    elif isinstance(value, list):
        for item in value:
            _whole_tree_walk(item, f"{template}.*", tally)


def test_the_walk_of_a_request_tallies_what_a_walk_of_every_member_does() -> None:
    from tcbatch_contract.strategies import generate, multi_fault, single_fault, valid_cases

    from tcbatch_contract.harness.coverage import _walk
    from tcbatch_contract.profile import TargetProfile

    profile = TargetProfile(known_env_ids=("env-walk0001",))
    trees: list[Any] = [case.params for case in generate(valid_cases(profile), 20, 3)]
    trees += [case.params for case in generate(multi_fault(profile), 20, 3)]
    for rule in ("B1", "B6", "B12", "B15", "S1", "S3", "S4", "B26"):
        trees += [case.params for case in generate(single_fault(rule, profile), 15, 5)]
    trees += [  # member names holding dots reach a field's template another way
        {"Job.JobName": "x" * 60, "Job": {"Tasks.*.TaskName": "y" * 60, "Priority": 100}},
        {"Job": {"Tasks": [{"ComputeEnv.EnvType": "MANAGED", "TaskName": "t"}] * 2}},
    ]
    tallied = 0
    for tree in trees:
        pruned, whole = Tally(), Tally()
        _walk(tree, "", pruned)
        _whole_tree_walk(tree, "", whole)
        assert (pruned.boundary_points, pruned.enum_values) == (
            whole.boundary_points,
            whole.enum_values,
        ), tree
        tallied += bool(whole.boundary_points or whole.enum_values)
    assert tallied > len(trees) // 2  # the trees reached limits and enumerations

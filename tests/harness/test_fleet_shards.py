"""Sharded runs: shards 1/3, 2/3, 3/3 of a run, merged, are the unsharded run.

Every run here is ``tcbatch-contract run`` against the embedded emulator, in-process, with
real signatures; the result files are validated against the schema the package ships.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tcbatch_contract.cli import main
from tcbatch_contract.harness.result import schema
from tcbatch_contract.harness.shard import Shard, case_range, owners, parse_shard

#: Small rules dealt whole, the two split ones, a check that runs alone.
RULES = "S3,B6,B19,B20,P7,P11,VALID,FUZZ,B30,STATE-LIFECYCLE"
RUN = ["run", "--rules", RULES, "--max-examples", "4", "--seed", "3", "--workers", "1"]


def rule_table(document: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {r["rule"]: (r["status"], r["cases"]) for r in document["results"]}


def load(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text("utf-8"))
    jsonschema.Draft202012Validator(schema()).validate(document)
    return document


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The unsharded run and its three shards, each with its result file."""
    folder = tmp_path_factory.mktemp("shards")
    paths = {"all": folder / "all.json"}
    assert main([*RUN, "--result", str(paths["all"])]) == 0
    for k in (1, 2, 3):
        paths[str(k)] = folder / f"s{k}.json"
        assert main([*RUN, "--shard", f"{k}/3", "--result", str(paths[str(k)])]) == 0
    return paths


def test_three_shards_merged_are_the_unsharded_run(runs, tmp_path, capsys) -> None:
    merged = tmp_path / "merged.json"
    junit, report = tmp_path / "merged.xml", tmp_path / "merged.html"
    files = [str(runs[k]) for k in ("3", "1", "2")]  # any order
    argv = ["merge", *files, "--result", str(merged), "--junit-xml", str(junit)]
    assert main([*argv, "--report", str(report)]) == 0
    whole, one = load(runs["all"]), load(merged)
    assert rule_table(one) == rule_table(whole)
    assert one["totals"]["cases"] == whole["totals"]["cases"] > 0
    assert one["totals"]["requests"] == whole["totals"]["requests"]
    assert one["settings"]["seed"] == whole["settings"]["seed"] == 3
    assert one["shard"] is None and one["exit_code"] == 0
    assert junit.read_text("utf-8").count("<testcase") == len(whole["results"])
    assert "CONFORMANT" in capsys.readouterr().out
    # Each shard did part of the work: the split rules' cases are shared out, the small
    # rules each ran in one shard only.
    parts = [load(runs[k]) for k in ("1", "2", "3")]
    for rule in ("VALID", "FUZZ"):
        cases = [rule_table(p)[rule][1] for p in parts]
        assert sum(cases) == rule_table(whole)[rule][1] and all(c > 0 for c in cases)
    for rule in ("S3", "B6", "B19", "P7", "B30"):
        assert sum(rule in rule_table(p) for p in parts) == 1


def test_a_failing_shard_fails_the_merged_run(runs, tmp_path, capsys) -> None:
    document = load(runs["2"])
    broken = next(r for r in document["results"] if r["status"] == "pass")
    broken["status"] = "fail"
    document["exit_code"] = 1
    edited = tmp_path / "s2.json"
    edited.write_text(json.dumps(document), "utf-8")
    assert main(["merge", str(runs["1"]), str(edited), str(runs["3"])]) == 1
    rows = [line.split()[:2] for line in capsys.readouterr().out.splitlines()]
    assert [broken["rule"], "FAIL"] in rows


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"settings": {"seed": 4}}, "its settings differs"),
        ({"strategy_version": "0000"}, "its strategy_version differs"),
        ({"shard": {"index": 1, "count": 3}}, "shard 1/3 given twice"),
        ({"shard": {"index": 2, "count": 4}}, "split the run differently"),
        ({"format": "tcbatch-contract/result-v9"}, "this version reads"),
        ({"results": "none"}, "does not match the result schema at results"),
    ],
)
def test_results_of_different_runs_are_refused_in_one_line(
    runs, tmp_path, capsys, change: dict[str, Any], fragment: str
) -> None:
    document = load(runs["2"])
    for key, value in change.items():
        document[key] = {**document[key], **value} if key == "settings" else value
    edited = tmp_path / "s2.json"
    edited.write_text(json.dumps(document), "utf-8")
    assert main(["merge", str(runs["1"]), str(edited), str(runs["3"])]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_a_missing_shard_is_refused(runs, capsys) -> None:
    assert main(["merge", str(runs["1"]), str(runs["3"])]) == 2
    assert "shard(s) 2/3 missing" in capsys.readouterr().err


def test_a_whole_run_merges_alone_but_not_with_shards(runs, capsys) -> None:
    assert main(["merge", str(runs["all"])]) == 0
    assert main(["merge", str(runs["all"]), str(runs["1"])]) == 2
    assert "a whole run, not a shard" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0/3", "4/3", "x", "3", "1/0", "-1/2"])
def test_a_bad_shard_is_exit_2_naming_the_option(value: str, capsys) -> None:
    assert main(["run", f"--shard={value}"]) == 2
    err = capsys.readouterr().err
    assert f"--shard {value!r}" in err and len(err.strip().splitlines()) == 1


def test_an_unwritable_result_is_refused_before_the_run(tmp_path, capsys) -> None:
    assert main(["run", "--result", str(tmp_path / "no" / "such" / "r.json")]) == 2
    assert "--result" in capsys.readouterr().err


def test_the_deal_is_the_same_whatever_the_shard_and_covers_every_check() -> None:
    from tcbatch_contract.harness.runner import all_checks
    from tcbatch_contract.harness.workers import check_key

    checks, again = all_checks(), all_checks()  # as two runners build them
    deal = owners(checks, 3)
    other = owners(again, 3)
    assert [deal.get(id(c)) for c in checks] == [other.get(id(c)) for c in again]
    assert [check_key(c) for c in checks] == [check_key(c) for c in again]
    split = [c for c in checks if id(c) not in deal]
    assert {c.rule for c in split} == {"VALID", "FUZZ"}
    assert set(deal.values()) == {1, 2, 3}
    assert parse_shard("2/3") == Shard(2, 3) and parse_shard(None) is None


def test_case_ranges_tile_the_sequence() -> None:
    from tcbatch_contract.harness.checks.generated import FuzzCheck
    from tcbatch_contract.harness.model import RunSettings

    check = FuzzCheck()
    parts = [case_range(check, RunSettings(max_examples=10, shard=Shard(k, 3))) for k in (1, 2, 3)]
    assert [p.cases.start for p in parts] == [0, 3, 6]
    assert parts[0].cases.stop == 3 and parts[1].cases.stop == 6
    assert parts[2].cases.stop > 10**9  # the last part runs to the end
    assert [p.first for p in parts] == [True, False, False]
    assert [p.last for p in parts] == [False, False, True]
    assert case_range(check, RunSettings(max_examples=10)) is None


def test_the_merged_coverage_is_what_the_whole_run_exercised(runs, tmp_path) -> None:
    """Each shard's result carries its raw tally; merge unites them into the one map
    that the unsharded run with the same seed drew."""
    merged = tmp_path / "merged.json"
    argv = ["merge", str(runs["1"]), str(runs["2"]), str(runs["3"]), "--result", str(merged)]
    assert main(argv) == 0
    got, whole = load(merged)["coverage"], load(runs["all"])["coverage"]
    jsonschema.Draft202012Validator(schema()).validate(load(merged))
    parts = [load(runs[k])["coverage"] for k in "123"]
    for key in ("rules", "enums", "forms", "boundaries"):
        assert got[key] == whole[key], key
        assert all(set(part[key]) <= set(got[key]) for part in parts), key
    assert {k: v for k, v in got["dimensions"].items() if k != "transitions"} == {
        k: v for k, v in whole["dimensions"].items() if k != "transitions"
    }

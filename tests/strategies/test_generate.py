"""``tcbatch-contract generate``: labelled JSON lines, the same for the same seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tcbatch_contract.strategies import single_fault_rules

from tcbatch_contract.cli import main
from tcbatch_contract.oracle import Context, evaluate


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["generate", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def judged(line: dict[str, Any], known: tuple[str, ...] = ()) -> dict[str, Any]:
    context = Context(region=line["region"], known_env_ids=frozenset(known))
    return evaluate(line["action"], line["params"], context).to_dict()


def test_same_seed_same_lines_and_another_seed_other_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = run(capsys, "--rule", "B19", "--count", "12", "--seed", "7")
    again = run(capsys, "--rule", "B19", "--count", "12", "--seed", "7")
    other = run(capsys, "--rule", "B19", "--count", "12", "--seed", "8")
    assert first[0] == again[0] == other[0] == 0
    assert len(first[1]) == 12
    assert first[1] == again[1]
    assert first[1] != other[1]


def test_same_seed_whatever_local_modules_are_loaded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = run(capsys, "--rule", "B24", "--count", "10", "--seed", "2")
    words = ", ".join(repr("q" * (i % 50) + str(i)) for i in range(1, 200))
    (tmp_path / "tcbatch_generate_constants.py").write_text(f"W = [{words}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("tcbatch_generate_constants")
    assert run(capsys, "--rule", "B24", "--count", "10", "--seed", "2") == before


@pytest.mark.parametrize("rule", ["S1", "S4", "B6", "B12", "B26", "B29"])
def test_lines_carry_the_label_the_oracle_agrees_with(
    capsys: pytest.CaptureFixture[str], rule: str
) -> None:
    code, lines, _ = run(capsys, "--rule", rule, "--count", "5", "--region", "eu-frankfurt")
    assert code == 0 and len(lines) == 5
    for line in lines:
        assert set(line) == {"rule", "expected", "action", "region", "params", "field", "note"}
        assert (line["rule"], line["action"], line["region"]) == (rule, "SubmitJob", "eu-frankfurt")
        verdict = judged(line)
        assert verdict["codes"] == line["expected"]["codes"]
        assert rule in verdict["rules"]


def test_valid_lines_use_the_known_env_ids(capsys: pytest.CaptureFixture[str]) -> None:
    known = ("env-abcd1234",)
    code, lines, _ = run(capsys, "--valid", "--count", "20", "--known-env-id", known[0])
    assert code == 0 and len(lines) == 20
    for line in lines:
        assert line["expected"] == {"outcome": "success"}
        assert judged(line, known) == {"outcome": "success"}


def test_multi_lines_list_every_acceptable_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "--multi", "--count", "5", "--seed", "3")
    assert code == 0 and len(lines) == 5
    for line in lines:
        assert judged(line)["codes"] == line["expected"]["codes"]


def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "b1.jsonl"
    code, lines, _ = run(capsys, "--rule", "B1", "--count", "3", "--output", str(target))
    assert code == 0 and lines == []
    written = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["rule"] for line in written] == ["B1"] * 3
    assert target.read_text(encoding="utf-8").isascii()


def test_unknown_rule_is_one_line_listing_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = run(capsys, "--rule", "B30")
    assert code == 2 and lines == []
    assert len(err.strip().splitlines()) == 1
    assert "B30" in err and ", ".join(single_fault_rules()) in err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--valid", "--known-env-id", "env_238swek2"], "--known-env-id"),
        (["--valid", "--count", "0"], "--count"),
        (["--valid", "--region", "Guangzhou!"], "--region"),
    ],
)
def test_bad_parameters_are_named(
    capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert named in err and "Traceback" not in err

"""The ``rules`` and ``expect`` sub-commands, through the real command-line entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tcbatch_contract import catalogue
from tcbatch_contract.cli import main
from tcbatch_contract.oracle import Context, evaluate
from tcbatch_contract.typetable import ACTIONS

EXAMPLE = catalogue.documented_examples()[0]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, payload: Any, name: str = "payload.json") -> str:
    path = tmp_path / name
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), "utf-8")
    return str(path)


# --- rules -------------------------------------------------------------------------------


def test_rules_table_lists_every_rule_aligned(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rules")
    assert code == 0 and err == ""
    lines = out.splitlines()
    every = [*catalogue.rules(), *catalogue.load().action_rules]
    assert lines[0].split() == ["ID", "LEVEL", "CODE", "BASIS"]
    assert [line.split()[0] for line in lines[1:]] == [r.id for r in every]
    level_column = lines[0].index("LEVEL")
    code_column = lines[0].index("CODE")
    for line, r in zip(lines[1:], every, strict=True):
        assert line[level_column:].startswith(r.level)
        assert line[code_column:].startswith(" | ".join(r.codes))
        assert line.endswith(r.basis.text)


def test_rules_json_is_a_list_with_codes_and_basis(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "--format", "json")
    assert code == 0
    entries = json.loads(out)
    assert isinstance(entries, list)
    by_id = {e["id"]: e for e in entries}
    assert by_id["P2"]["codes"] == ["MissingParameter", "InvalidAction"]
    assert by_id["S5"]["basis"] == "mixed"
    assert by_id["B30"]["needs"] == ["job_quota"]
    assert len(out.splitlines()) == 1


def test_rules_refuses_an_unknown_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["rules", "--format", "xml"])
    assert exc.value.code == 2
    assert "--format" in capsys.readouterr().err


# --- expect ------------------------------------------------------------------------------


def test_expect_prints_success_for_a_documented_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "expect", write(tmp_path, EXAMPLE.params))
    assert (code, out, err) == (0, '{"outcome": "success"}\n', "")


@pytest.mark.parametrize("rule_id", ["S2", "B1", "B26", "B20"])
def test_expect_prints_the_oracle_outcome(
    rule_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vector = next(v for v in catalogue.rule(rule_id).vectors if not v.expect.success)
    code, out, _ = run(capsys, "expect", write(tmp_path, vector.params), "--region", vector.region)
    assert code == 0
    assert out.count("\n") == 1
    shown = json.loads(out)
    assert shown == evaluate("SubmitJob", vector.params, Context(region=vector.region)).to_dict()
    assert shown["codes"] == list(vector.expect.codes)


def test_expect_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    payload = {**EXAMPLE.params, "Job": {**EXAMPLE.params["Job"], "Tasks": []}}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(payload)))
    code, out, _ = run(capsys, "expect", "-")
    assert code == 0
    assert json.loads(out) == {"outcome": "error", "codes": ["MissingParameter"], "rules": ["S2"]}


def test_expect_region_changes_the_zone_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, EXAMPLE.params)  # zone ap-guangzhou-2
    _, out, _ = run(capsys, "expect", path, "--region", "ap-beijing")
    assert json.loads(out)["rules"] == ["B26"]


def test_expect_target_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env_vector = next(v for v in catalogue.rule("B9").vectors if v.expect.success)
    path = write(tmp_path, env_vector.params)
    (known,) = env_vector.context["known_env_ids"]
    _, out, _ = run(capsys, "expect", path)
    assert json.loads(out)["rules"] == ["B9"]
    _, out, _ = run(
        capsys, "expect", path, "--known-env-id", "env-00000000", "--known-env-id", known
    )
    assert json.loads(out) == {"outcome": "success"}
    example = write(tmp_path, EXAMPLE.params, "example.json")
    _, out, _ = run(capsys, "expect", example, "--jobs-held", "5", "--job-quota", "5")
    assert json.loads(out)["rules"] == ["B30"]
    _, out, _ = run(capsys, "expect", example, "--jobs-held", "4", "--job-quota", "5")
    assert json.loads(out) == {"outcome": "success"}
    _, out, _ = run(capsys, "expect", example, "--denied")
    assert json.loads(out)["rules"] == ["B31"]


def test_expect_other_actions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"JobId": "job-ABC"})
    _, out, _ = run(capsys, "expect", path, "--action", "DescribeJob")
    assert json.loads(out) == {
        "outcome": "error",
        "codes": ["InvalidParameter.JobIdMalformed"],
        "rules": ["A1"],
    }


@pytest.mark.parametrize(
    "content,message",
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "not an object"),
        ('"text"', "not an object"),
    ],
)
def test_expect_refuses_bad_payloads(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "expect", write(tmp_path, content))
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_expect_refuses_an_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "expect", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err and err.count("\n") == 1


def test_expect_refuses_an_unknown_action_naming_the_served_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "expect", write(tmp_path, {}), "--action", "CreateComputeEnv")
    assert code == 2 and "--action" in err
    assert all(action in err for action in ACTIONS)


@pytest.mark.parametrize(
    "options,message",
    [
        (["--jobs-held", "3"], "--job-quota"),
        (["--job-quota", "-1"], "--job-quota must be 0 or more"),
        (["--region", ""], "--region"),
    ],
)
def test_expect_refuses_bad_options(
    options: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "expect", write(tmp_path, EXAMPLE.params), *options)
    assert code == 2 and out == "" and message in err

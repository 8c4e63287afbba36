"""``tcbatch-contract diff``: two real targets, the same requests, the differences judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.loopback import answering_wrongly, serve

from tcbatch_contract.cli import main
from tcbatch_contract.cli.mutation_score import target_spec
from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.harness.diff import Differ
from tcbatch_contract.harness.judging import field_template
from tcbatch_contract.harness.model import RunSettings
from tcbatch_contract.harness.targets import TargetFactory, TargetSetup
from tcbatch_contract.oracle import Context, evaluate
from tcbatch_contract.transport import Credential, WsgiTransport

SECRET_ID = "AKIDdiffTEST000000000000000000000"
SECRET_KEY = "diffTESTsecretKey3333333333333"
ZONE = {"Zone": "ap-guangzhou-1"}
ENV = {"EnvData": {"InstanceType": "S1.SMALL1"}}


def diff(argv: list[str], tmp_path: Path, capsys) -> tuple[int, dict, str]:
    out = tmp_path / "diff.json"
    code = main(["diff", *argv, "--json", str(out)])
    printed = capsys.readouterr().out
    return code, json.loads(out.read_text()) if out.exists() else {}, printed


def test_the_emulator_against_itself_differs_nowhere(tmp_path: Path, capsys) -> None:
    argv = ["--target", "emulator", "--target", "emulator", "--max-examples", "6"]
    code, found, printed = diff([*argv, "--rules", "S5,B1,B15,VALID,FUZZ"], tmp_path, capsys)
    assert code == 0, printed
    assert found["differences"] == []
    assert found["cases"] >= 5 * 6  # every rule drew cases, and both sides answered alike
    assert "ALIKE" in printed


def test_a_mutant_differs_exactly_on_the_rule_it_breaks_and_the_oracle_sides_with_the_original(
    tmp_path: Path, capsys
) -> None:
    rules = "S4,S5,S6,B1,B16"
    argv = ["--target", "emulator", "--target", "emulator:s5-answers-s4", "--max-examples", "8"]
    code, found, printed = diff([*argv, "--rules", rules, "--no-shrink"], tmp_path, capsys)
    assert code == 1, printed
    differences = found["differences"]
    assert {d["rule"] for d in differences} == {"S5"}
    for d in differences:
        assert d["answers"] == ["InvalidParameterValue.Negative", "InvalidParameter"]
        assert d["verdict"] == "B is wrong"
        assert d["expected"]["codes"] == ["InvalidParameterValue.Negative"]
        # the request shown breaks S5 at that field, by the oracle's own reading of it
        found = evaluate("SubmitJob", d["params"], Context()).violations
        assert any(v.rule == "S5" and field_template(v.path) == d["field"] for v in found)
    assert "== S5" in printed and "B IS WRONG" in printed


def test_the_sides_swapped_the_blame_moves(tmp_path: Path, capsys) -> None:
    argv = ["--target", "emulator:s5-answers-s4", "--target", "emulator", "--max-examples", "4"]
    code, found, _ = diff([*argv, "--rules", "S5", "--no-shrink"], tmp_path, capsys)
    assert code == 1
    assert {d["verdict"] for d in found["differences"]} == {"A is wrong"}


@pytest.mark.slow
def test_shrinking_keeps_each_difference_and_never_shows_a_larger_request(
    tmp_path: Path, capsys
) -> None:
    argv = ["--target", "emulator", "--target", "emulator:s5-answers-s4", "--rules", "S5"]
    argv += ["--max-examples", "3"]
    _, drawn, _ = diff([*argv, "--no-shrink"], tmp_path, capsys)
    _, shrunk, _ = diff(argv, tmp_path, capsys)

    def sizes(found: dict) -> dict:
        return {d["field"]: len(json.dumps(d["params"])) for d in found["differences"]}

    assert sizes(shrunk).keys() == sizes(drawn).keys() and sizes(drawn)
    assert all(sizes(shrunk)[f] <= size for f, size in sizes(drawn).items())
    for d in shrunk["differences"]:  # still the same difference, on the same field
        assert d["answers"] == ["InvalidParameterValue.Negative", "InvalidParameter"]


def test_a_read_back_difference_is_found_and_blamed_on_the_side_that_drops_tags(
    tmp_path: Path, capsys
) -> None:
    argv = ["--target", "emulator", "--target", "emulator:describe-drops-tags"]
    code, found, printed = diff(
        [*argv, "--rules", "VALID", "--max-examples", "10"], tmp_path, capsys
    )
    assert code == 1, printed
    (difference,) = found["differences"]
    assert difference["answers"] == ["success", "success"]
    assert difference["verdict"] == "B is wrong"
    assert difference["detail"] and all(
        line.startswith("B DescribeJob") for line in difference["detail"]
    )
    assert any("Tags" in line for line in difference["detail"])
    assert difference["params"]["Job"]["Tags"]  # the smallest job that shows it still has tags


def test_inputs_the_contract_leaves_open_are_shown_as_open() -> None:
    """A second implementation answering MissingParameter where the emulator answers
    InvalidParameter: open where another reading allows it, wrong everywhere else."""
    spec = target_spec(None, 35.0)
    config = EmulatorConfig(
        secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None,
        known_env_ids=spec.profile.known_env_ids,
    )  # fmt: skip
    app = answering_wrongly(make_app(config), {b'"InvalidParameter"': b'"MissingParameter"'})
    transport = WsgiTransport(app, host="127.0.0.1:9000")
    other = TargetSetup(
        "other", spec.profile, transport, transport.host, Credential(SECRET_ID, SECRET_KEY)
    )
    differ = Differ(
        TargetFactory(spec).target(), TargetFactory(other).target(), RunSettings(form="tc3-post")
    )
    commands_not_a_list = {
        "Application": {"DeliveryForm": "LOCAL", "Commands": "echo"},
        "ComputeEnv": ENV,
    }
    differ.judge("S4", {"Placement": ZONE, "Job": {"Tasks": [commands_not_a_list]}}, 0)
    task = {"Application": {"DeliveryForm": "LOCAL", "Command": "echo"}, "ComputeEnv": ENV}
    differ.judge("S4", {"Placement": ZONE, "Job": {"JobName": 5, "Tasks": [task]}}, 0)
    verdicts = {d.verdict: d for d in differ.groups.values()}
    assert set(verdicts) == {"open", "B is wrong"}
    open_one = verdicts["open"]
    assert open_one.answers == ("InvalidParameter", "MissingParameter")
    assert open_one.expected["also_accepted"] == ["MissingParameter"]
    assert open_one.params["Job"]["Tasks"][0]["Application"]["Commands"] == "echo"
    assert verdicts["B is wrong"].params["Job"]["JobName"] == 5


def test_without_an_allowance_no_valid_job_goes_out() -> None:
    """What a live target gets by default: single-fault cases, never a billable job."""
    a, b = (TargetFactory(target_spec(m, 35.0)).target() for m in (None, "describe-drops-tags"))
    report = Differ(a, b, RunSettings(max_examples=4, allow_billable=0)).run(
        ("a", "b"), ["VALID", "B1"]
    )
    assert report.differences == []  # the read-back bug needs a valid job to show
    assert report.cases >= 4 and "--allow-billable" in report.notes[0]
    assert a.allowance.used == 0


def test_a_url_target_with_its_credential(tmp_path: Path, capsys) -> None:
    config = EmulatorConfig(
        secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None, known_env_ids=("env-diff0001",)
    )
    with serve(make_app(config)) as url:
        argv = ["--target", "emulator", "--target", url, "--secret-id", SECRET_ID]
        argv += ["--secret-key", SECRET_KEY, "--known-env-id", "env-diff0001"]
        code, found, printed = diff(
            [*argv, "--rules", "B9,B3", "--max-examples", "4"], tmp_path, capsys
        )
    assert code == 0, printed
    assert found["differences"] == [] and found["cases"] >= 8
    assert SECRET_KEY not in printed and SECRET_KEY not in (tmp_path / "diff.json").read_text()


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--target", "emulator"], "--target"),
        (["--target", "emulator", "--target", "emulator:no-such-bug"], "no-such-bug"),
        (["--target", "emulator", "--target", "emulator", "--rules", "B99"], "--rules"),
        (["--target", "emulator", "--target", "emulator", "--max-examples", "0"], "--max-examples"),
        (["--target", "emulator", "--target", "emulator+http"], "--target"),
        (
            ["--target", "emulator", "--target", "http://127.0.0.1:1", "--secret-id", "x"],
            "--secret-key",
        ),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(argv: list[str], named: str, capsys) -> None:
    assert main(["diff", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert named in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_an_unreachable_target_is_exit_2(capsys) -> None:
    argv = ["--target", "emulator", "--target", "http://127.0.0.1:1"]
    assert main(["diff", *argv, "--secret-id", SECRET_ID, "--secret-key", SECRET_KEY]) == 2
    assert "unreachable" in capsys.readouterr().err

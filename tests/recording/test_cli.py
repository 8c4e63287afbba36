"""``run --record DIR`` and ``run --target replay:DIR`` end to end, and contract drift.

The recorded targets are real: the emulator in-process, and the emulator served over
HTTP behind a small WSGI wrapper that answers some rules wrongly. The replays run with
every socket connection refused, so they are offline for certain.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support.loopback import answering_wrongly, serve

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import EmulatorConfig, make_app

SECRET_ID = "AKIDrecordCLI000000000000000000000001"
SECRET_KEY = "recordCLIsecretKey00000000000001"
FAST = "S3,B1,P2,P7,B30,STATE-IDEMPOTENCY"


pytestmark = pytest.mark.usefixtures("no_proxy_or_env_credentials")


def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a replay opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def table(out: str) -> dict[str, str]:
    return dict(re.findall(r"^(\S+)\s+(PASS|FAIL|SKIP|ERROR|DRIFT|UNSUPPORTED)\b", out, re.M))


def test_a_recorded_run_replays_offline_with_the_same_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "run"
    argv = ["run", "--rules", FAST, "--max-examples", "3", "--seed", "7", "--record"]
    assert main([*argv, str(cassette)]) == 0
    recorded = table(capsys.readouterr().out)
    assert set(recorded) == {*FAST.split(","), "RESPONSE-FORM"}
    record = json.loads((cassette / "run.json").read_text())
    assert record["source"] == "emulator" and "not the real service" in record["label"]
    assert record["settings"]["seed"] == 7 and record["verdicts"]["P7"] == "pass"

    offline(monkeypatch)
    assert main(["run", "--target", f"replay:{cassette}"]) == 0
    out = capsys.readouterr().out
    assert table(out) == recorded
    assert "verdict changed" not in out


def test_a_replay_that_sends_unrecorded_requests_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "run"
    assert main(["run", "--rules", "S3,P2", "--max-examples", "3", "--record", str(cassette)]) == 0
    capsys.readouterr()
    offline(monkeypatch)
    # The same recording, claimed to have been made with another seed: other S3 requests.
    record = json.loads((cassette / "run.json").read_text())
    record["settings"]["seed"] = 12345
    (cassette / "run.json").write_text(json.dumps(record))
    assert main(["run", "--target", f"replay:{cassette}"]) == 2
    err = capsys.readouterr().err
    assert f"the replay of replay:{cassette} stopped" in err
    assert "no recording of this SubmitJob from check S3" in err
    assert "the nearest recorded one differs in body" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_replay_refuses_options_that_contradict_the_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "run"
    assert main(["run", "--rules", "P2", "--record", str(cassette)]) == 0
    capsys.readouterr()
    for extra, named in ((["--seed", "3"], "--seed 3"), (["--rules", "P3"], "--rules P3"),
                         (["--job-quota", "3"], "--job-quota")):  # fmt: skip
        assert main(["run", "--target", f"replay:{cassette}", *extra]) == 2
        err = capsys.readouterr().err
        assert named in err and "record" in err
    assert main(["run", "--target", f"replay:{tmp_path / 'none'}"]) == 2
    assert "holds no recorded run" in capsys.readouterr().err


def test_a_removed_interaction_is_noticed_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "run"
    assert main(["run", "--rules", "P2", "--record", str(cassette)]) == 0
    document = yaml.safe_load((cassette / "cassette.yaml").read_text())
    document["interactions"].pop(3)
    (cassette / "cassette.yaml").write_text(yaml.safe_dump(document))
    capsys.readouterr()
    assert main(["run", "--target", f"replay:{cassette}"]) == 2
    assert "edited or half written" in capsys.readouterr().err


@pytest.fixture
def broken_loopback() -> Iterator[str]:
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None)
    app = answering_wrongly(make_app(config), {b'"UnsupportedProtocol"': b'"InvalidParameter"'})
    with serve(app) as url:
        yield url


def test_a_broken_target_replays_as_broken(
    broken_loopback: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cassette, report = tmp_path / "run", tmp_path / "replayed.md"
    argv = ["run", "--target", broken_loopback, "--secret-id", SECRET_ID,
            "--secret-key", SECRET_KEY, "--rules", "P1,P2"]  # fmt: skip
    assert main([*argv, "--record", str(cassette)]) == 1
    assert table(capsys.readouterr().out) == {"P1": "FAIL", "P2": "PASS", "RESPONSE-FORM": "PASS"}
    offline(monkeypatch)
    assert main(["run", "--target", f"replay:{cassette}", "--report", str(report)]) == 1
    assert table(capsys.readouterr().out)["P1"] == "FAIL"
    text = report.read_text()
    assert "## Failures" in text and "expected UnsupportedProtocol, got InvalidParameter" in text
    assert SECRET_ID not in text and SECRET_KEY not in text


@pytest.fixture
def live_stand_in() -> Iterator[str]:
    """The emulator standing for the live service (``--live``), answering an assumed rule
    (P4b) and a documented one (P6) otherwise than the contract."""
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None)
    wrong = {b'"MissingParameter"': b'"InvalidParameter"',
             b'"AuthFailure.SecretIdNotFound"': b'"AuthFailure.SignatureFailure"'}  # fmt: skip
    with serve(answering_wrongly(make_app(config), wrong)) as url:
        yield url


def test_a_live_recording_lists_assumed_rules_as_drift_apart_from_failures(
    live_stand_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cassette, report, junit = tmp_path / "live", tmp_path / "drift.md", tmp_path / "j.xml"
    argv = ["run", "--target", live_stand_in, "--secret-id", SECRET_ID,
            "--secret-key", SECRET_KEY, "--rules", "P4b,P6,P5", "--live"]  # fmt: skip
    assert main([*argv, "--record", str(cassette)]) == 1  # P6 fails: documented
    live = table(capsys.readouterr().out)
    assert live == {"P4b": "DRIFT", "P5": "PASS", "P6": "FAIL", "RESPONSE-FORM": "PASS"}
    assert json.loads((cassette / "run.json").read_text())["source"] == "live"

    offline(monkeypatch)
    replay = ["run", "--target", f"replay:{cassette}", "--report", str(report)]
    assert main([*replay, "--junit-xml", str(junit)]) == 1
    assert table(capsys.readouterr().out) == live
    text = report.read_text()
    drift = text.split("## Contract drift to review")[1].split("\n## ")[0]
    failures = text.split("## Failures")[1].split("\n## ")[0]
    assert "| P4b | InvalidParameter | MissingParameter |" in drift
    assert "| assumed: assumed (" in drift and "P6" not in drift
    assert "### P6" in failures and "P4b" not in failures
    assert 'type="drift"' in junit.read_text()


def test_hostile_bodies_are_recorded_and_replayed_as_bytes(tmp_path: Path, capsys) -> None:
    """Bodies nested 100,000 levels deep and numbers past 64 bits cannot be walked as
    JSON: the recording keys and masks them as the bytes they are, and replays them."""
    rules = "ROBUST-NESTING,ROBUST-NUMBERS"
    recorded = main(["run", "--rules", rules, "--record", str(tmp_path / "rec")])
    first = table(capsys.readouterr().out)
    assert recorded == 0 and first["ROBUST-NESTING"] == first["ROBUST-NUMBERS"] == "PASS", first
    assert main(["run", "--target", f"replay:{tmp_path / 'rec'}"]) == 0
    again = table(capsys.readouterr().out)
    assert again["ROBUST-NESTING"] == again["ROBUST-NUMBERS"] == "PASS", again

"""The pytest plugin: the suite under pytest-xdist, its options, its fixtures.

Every pytest run here is a separate process (the plugin loads through its entry point, as
in any project that installs the package).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tcbatch_contract.cli import main

SECRET_ID = "AKIDpluginTEST00000000000000000000001"
SECRET_KEY = "pluginTESTsecretKey0000000000001"


def pytest_run(cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.pop("TENCENTCLOUD_SECRET_ID", None)
    env.pop("TENCENTCLOUD_SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(cwd), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def outcomes(output: str) -> dict[str, str]:
    """test id -> outcome, from ``-rA``-style summary lines."""
    found = re.findall(r"^(PASSED|FAILED|SKIPPED|XFAIL|XPASS|ERROR) \S*test_rule\[([^\]]+)\]",
                       output, re.M)  # fmt: skip
    return {rule: outcome for outcome, rule in found}


def test_the_suite_runs_under_xdist_one_test_per_rule(tmp_path: Path) -> None:
    result = pytest_run(tmp_path, "--pyargs", "tcbatch_contract.suite", "-n", "2", "-rA",
                        "--tcbatch-rules", "S3,P2,P7,STATE-LIFECYCLE",
                        "--tcbatch-max-examples", "3")  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert outcomes(result.stdout) == {rule: "PASSED" for rule in
        ("S3", "P2", "P7", "STATE-LIFECYCLE", "RESPONSE-FORM")}  # fmt: skip
    assert "2 workers" in result.stdout and "5 passed" in result.stdout


def test_options_are_checked_like_the_command_line(tmp_path: Path) -> None:
    result = pytest_run(tmp_path, "--pyargs", "tcbatch_contract.suite", "--tcbatch-rules", "B99")
    assert result.returncode == 4
    assert "unknown rule id(s) B99" in result.stderr and "valid ids: S1" in result.stderr
    result = pytest_run(tmp_path, "--pyargs", "tcbatch_contract.suite",
                        "--tcbatch-target", "http://127.0.0.1:9")  # fmt: skip
    assert result.returncode == 4 and "--tcbatch-secret-id" in result.stderr


def test_a_url_target_fails_its_broken_rule_and_honours_expectations(
    without_method_check: str, tmp_path: Path
) -> None:
    common = ["--pyargs", "tcbatch_contract.suite", "-rA", "--tcbatch-target", without_method_check,
              "--tcbatch-secret-id", SECRET_ID, "--tcbatch-secret-key", SECRET_KEY,
              "--tcbatch-rules", "P1,P2,P3", f"--junitxml={tmp_path / 'junit.xml'}"]  # fmt: skip
    result = pytest_run(tmp_path, *common)
    assert result.returncode == 1
    assert outcomes(result.stdout) == {"P1": "FAILED", "P2": "PASSED", "P3": "PASSED",
                                       "RESPONSE-FORM": "PASSED"}  # fmt: skip
    assert "expected UnsupportedProtocol, got InvalidParameter" in result.stdout
    junit = (tmp_path / "junit.xml").read_text()
    assert "UnsupportedProtocol" in junit
    for text in (result.stdout, result.stderr, junit):
        assert SECRET_ID not in text and SECRET_KEY not in text

    declared = tmp_path / "expectations.yaml"
    declared.write_text("format: 1\nexpectations:\n  - {rule: P1, reason: every method served}\n"
                        "  - {rule: P2, reason: thought broken}\n")  # fmt: skip
    result = pytest_run(tmp_path, *common, "--tcbatch-expectations", str(declared))
    assert result.returncode == 0, result.stdout[-2000:]
    assert outcomes(result.stdout) == {"P1": "XFAIL", "P2": "XPASS", "P3": "PASSED",
                                       "RESPONSE-FORM": "PASSED"}  # fmt: skip
    assert "declared unsupported: every method served" in result.stdout


def test_a_recorded_run_replays_under_xdist(tmp_path: Path, capsys) -> None:
    cassette = tmp_path / "recorded"
    assert main(["run", "--rules", "S3,P2,B30", "--max-examples", "3",
                 "--record", str(cassette)]) == 0  # fmt: skip
    capsys.readouterr()
    result = pytest_run(tmp_path, "--pyargs", "tcbatch_contract.suite", "-n", "2", "-rA",
                        "--tcbatch-target", f"replay:{cassette}")  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(outcomes(result.stdout).values()) == {"PASSED"}
    assert len(outcomes(result.stdout)) == 4


FIXTURE_TESTS = """
JOBS = []
JOB = {"Placement": {"Zone": "ap-guangzhou-1"},
       "Job": {"Tasks": [{"Application": {"DeliveryForm": "LOCAL", "Command": "true"},
                          "EnvId": "env-emu00001"}]}}


def test_a_job_is_created(tcbatch_emulator, tcbatch_client):
    assert tcbatch_emulator.endpoint.startswith("http://127.0.0.1:")
    submitted = tcbatch_client.call("SubmitJob", JOB)
    assert submitted.success and submitted.job_id
    assert tcbatch_client.call("DescribeJob", {"JobId": submitted.job_id}).success
    JOBS.append((tcbatch_emulator.endpoint, submitted.job_id))


def test_the_next_test_gets_the_same_emulator_reset(tcbatch_emulator, tcbatch_client):
    endpoint, job_id = JOBS[0]
    assert tcbatch_emulator.endpoint == endpoint
    gone = tcbatch_client.call("DescribeJob", {"JobId": job_id}, form="v1-get")
    assert gone.code == "ResourceNotFound.Job"
"""


def test_the_fixtures_give_a_running_emulator_reset_between_tests(tmp_path: Path) -> None:
    (tmp_path / "test_fixtures.py").write_text(FIXTURE_TESTS)
    result = pytest_run(tmp_path, "-q", "test_fixtures.py")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout


def test_the_plugin_module_imports_nothing_heavy() -> None:
    code = ("import sys, tcbatch_contract.plugin; "
            "heavy = [m for m in ('tcbatch_contract.emulator', 'tcbatch_contract.harness', "
            "'hypothesis', 'vcr', 'waitress') if m in sys.modules]; print(heavy)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

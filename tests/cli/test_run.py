"""``tcbatch-contract run`` end to end: exit codes, filters, skips, reports without secrets."""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

import pytest
from support.loopback import answering_wrongly, serve

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import Emulator, EmulatorConfig, make_app

SECRET_ID = "AKIDcliRunTEST1111111111111111111"
SECRET_KEY = "cliRunTESTsecretKey22222222222"


pytestmark = pytest.mark.usefixtures("no_proxy_or_env_credentials")


def broken(app: Callable) -> Callable:
    """The emulator, but two codes come back as plain InvalidParameter."""
    plain = b'"InvalidParameter"'
    return answering_wrongly(
        app, {b'"InvalidParameter.JobNameTooLong"': plain, b'"UnsupportedProtocol"': plain}
    )


@pytest.fixture
def broken_url() -> Iterator[str]:
    cfg = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None)
    with serve(broken(make_app(cfg))) as url:
        yield url


def test_a_broken_url_target_fails_the_right_rules_and_reports_leak_nothing(
    broken_url: str, tmp_path, capsys
) -> None:
    junit, report, html = tmp_path / "junit.xml", tmp_path / "report.md", tmp_path / "r.html"
    argv = [
        "run",
        "--target",
        broken_url,
        "--secret-id",
        SECRET_ID,
        "--secret-key",
        SECRET_KEY,
        "--rules",
        "B1,B2,P1",
        "--max-examples",
        "10",
        "--junit-xml",
        str(junit),
        "--report",
    ]
    assert main([*argv, str(report)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^B1\s+FAIL", out, re.M) and re.search(r"^B2\s+PASS", out, re.M)
    assert re.search(r"^P1\s+FAIL", out, re.M)
    assert main([*argv, str(html)]) == 1
    capsys.readouterr()

    cases = ET.parse(junit).getroot().find("testsuite").findall("testcase")
    assert [c.get("name") for c in cases] == ["B1", "B2", "P1", "RESPONSE-FORM"]
    assert cases[0].find("failure") is not None and cases[1].find("failure") is None

    for path in (report, html, junit):
        text = path.read_text(encoding="utf-8")
        assert SECRET_ID not in text and SECRET_KEY not in text
        assert not re.search(r"[0-9a-f]{64}", text), f"a signature-like hex string in {path.name}"
        assert not re.search(r"Signature=(?!\*\*\*)[A-Za-z0-9+/%]", text)
    text = report.read_text(encoding="utf-8")
    assert '"JobName": "' + "0" * 61 + '"' in text or "'JobName': '" in text
    assert "CommonClient" in text and "curl" in text and "Authorization: ***" in text


def test_an_unreachable_url_is_exit_2_with_one_line(capsys) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = main(
        [
            "run",
            "--target",
            f"http://127.0.0.1:{port}",
            "--secret-id",
            "a",
            "--secret-key",
            "b",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "unreachable" in err and "Traceback" not in err


def test_a_url_without_credentials_is_exit_2_naming_the_options(capsys) -> None:
    assert main(["run", "--target", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "--secret-id" in err and "TENCENTCLOUD_SECRET_ID" in err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--rules", "B1,B99"], "B99"),
        (["--report", "out.txt"], ".md or .html"),
        (["--max-examples", "0"], "--max-examples"),
        (["--known-env-id", "env_1"], "--known-env-id"),
        (["--target", "ftp://x"], "--target"),
        (["--denied-secret-id", "x"], "--denied-secret-key"),
    ],
)
def test_bad_usage_is_exit_2(argv: list[str], fragment: str, capsys) -> None:
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_bad_rule_ids_list_the_valid_ones(capsys) -> None:
    main(["run", "--rules", "NOPE"])
    err = capsys.readouterr().err
    for rule in ("S1", "B31", "P4b", "P11", "VALID", "FUZZ", "RESPONSE-FORM"):
        assert rule in err


def test_rules_filter_runs_only_those_rules(capsys) -> None:
    assert main(["run", "--rules", "b1,S3", "--max-examples", "5"]) == 0
    out = capsys.readouterr().out
    rows = [
        line.split()[0]
        for line in out.splitlines()
        if re.match(r"^[A-Z][A-Z0-9-]*\s+(PASS|FAIL|SKIP|ERROR)\b", line)
    ]
    assert rows == ["S3", "B1", "RESPONSE-FORM"]


def test_a_url_target_skips_what_its_profile_lacks(capsys) -> None:
    cfg = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    with Emulator(cfg, host="127.0.0.1", port=0) as emulator:
        code = main(
            [
                "run",
                "--target",
                emulator.endpoint,
                "--secret-id",
                SECRET_ID,
                "--secret-key",
                SECRET_KEY,
                "--rules",
                "B9,B30,B31,P9",
            ]
        )
    out = capsys.readouterr().out
    assert code == 0
    for rule, option in (
        ("B9", "--known-env-id"),
        ("B30", "--job-quota"),
        ("B31", "--denied-secret-id"),
        ("P9", "--rate-limit"),
    ):
        line = next(line for line in out.splitlines() if line.startswith(rule + " "))
        assert "SKIP" in line and option in line


def test_the_default_run_over_every_rule_passes(tmp_path, capsys) -> None:
    junit = tmp_path / "junit.xml"
    code = main(
        [
            "run",
            "--max-examples",
            "5",
            "--junit-xml",
            str(junit),
            "--report",
            str(tmp_path / "r.md"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "CONFORMANT" in out and "NOT CONFORMANT" not in out
    names = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase")]
    assert len(names) == len(set(names))
    for rule in ("S1", "S6", "B1", "B31", "P1", "P4b", "P11", "VALID", "FUZZ", "RESPONSE-FORM"):
        assert rule in names
    # Every rule passes; only a check that needs a socket of its own (connections held
    # open) is skipped against the in-process emulator, and says so.
    statuses = {
        c.get("name"): [
            (e.tag, e.get("message") or e.text or "") for e in c if e.tag != "system-out"
        ]
        for c in ET.parse(junit).getroot().iter("testcase")
    }
    unexpected = {
        name: tags
        for name, tags in statuses.items()
        if tags and not (len(tags) == 1 and tags[0][0] == "skipped" and "socket" in tags[0][1])
    }
    assert unexpected == {}


def test_the_emulator_over_http_is_a_target_too(capsys) -> None:
    code = main(["run", "--target", "emulator+http", "--rules", "B19,P7", "--max-examples", "5"])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"^B19\s+PASS", out, re.M) and re.search(r"^P7\s+PASS", out, re.M)


@pytest.mark.parametrize("form", ["tc3-post", "v1-get"])
def test_the_sdk_reproduction_reproduces(broken_url: str, form: str, monkeypatch, capsys) -> None:
    from tcbatch_contract.harness.report.reproduction import sdk_snippet

    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
    params = {
        "Placement": {"Zone": "ap-guangzhou-1"},
        "Job": {
            "JobName": "é" * 61,
            "Tasks": [
                {"Application": {"DeliveryForm": "LOCAL", "Command": "x"}, "EnvId": "env-emu00001"}
            ],
        },
    }
    snippet = sdk_snippet(
        "SubmitJob", params, region="ap-guangzhou", endpoint=broken_url, form=form
    )
    assert SECRET_ID not in snippet and SECRET_KEY not in snippet
    exec(compile(snippet, "reproduction", "exec"), {})
    out = capsys.readouterr().out  # the broken target's code, as the report says
    assert out.startswith("InvalidParameter ") and "Job.JobName" in out

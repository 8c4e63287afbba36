"""Expectations files: declared-unsupported rules, unexpected passes, expiry, bad files."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tcbatch_contract.cli import main
from tcbatch_contract.harness import expectations
from tcbatch_contract.harness.model import RuleResult, RunReport, RunSettings, Status
from tcbatch_contract.profile import TargetProfile

KNOWN = ["B1", "B4", "P1", "P2", "P4b", "VALID", "RESPONSE-FORM"]
SECRET_ID = "AKIDexpectTEST000000000000000000001"
SECRET_KEY = "expectTESTsecretKey0000000000001"


def parsed(entries: list, **top) -> expectations.Expectations:
    return expectations.parse({"format": 1, "expectations": entries, **top}, KNOWN, "e.yaml")


def report(*results: tuple[str, Status]) -> RunReport:
    return RunReport(
        target="t",
        profile=TargetProfile(),
        settings=RunSettings(),
        results=[RuleResult(rule, status, reason="") for rule, status in results],
    )


def test_a_good_file_is_read_with_its_ids_reasons_and_dates() -> None:
    loaded = parsed(
        [
            {"rule": "p4b", "reason": " no timestamp checks yet "},
            {"rule": "B4", "reason": "dots allowed", "expires": dt.date(2030, 1, 1)},
            {"rule": "VALID", "reason": "read-back not done", "expires": "2020-01-01"},
        ],
        implementation="my-batch",
    )
    assert (loaded.entries[0].rule, loaded.entries[0].reason) == ("P4b", "no timestamp checks yet")
    today = dt.date(2025, 6, 1)
    assert set(loaded.active(today)) == {"P4b", "B4"}
    assert [e.rule for e in loaded.expired(today)] == ["VALID"]
    assert loaded.implementation == "my-batch"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [{"rule": "B99", "reason": "x"}],
            r"expectations\[0\]: rule 'B99' is not a rule id; valid",
        ),
        ([{"rule": "B1"}], r"expectations\[0\] \(B1\): give a non-empty reason"),
        ([{"rule": "B1", "reason": "x", "expires": "soon"}], r"expires 'soon' is not a date"),
        ([{"rule": "B1", "reason": "x"}, {"rule": "b1", "reason": "y"}], "declared twice"),
        ([{"rule": "B1", "reason": "x", "until": "2025-01-01"}], "unknown key.*until"),
        ("B1", "must be a list"),
    ],
)
def test_a_bad_file_is_refused_naming_the_entry(entries, message: str) -> None:
    with pytest.raises(expectations.ExpectationsError, match=message):
        parsed(entries)


def test_format_and_shape_are_checked() -> None:
    with pytest.raises(expectations.ExpectationsError, match="format must be 1"):
        expectations.parse({"expectations": []}, KNOWN)
    with pytest.raises(expectations.ExpectationsError, match="unknown key"):
        expectations.parse({"format": 1, "expectations": [], "rules": []}, KNOWN)


def test_declared_rules_are_relabelled_and_expired_ones_judged_normally() -> None:
    declared = parsed(
        [
            {"rule": "B1", "reason": "long names accepted"},
            {"rule": "B4", "reason": "dots accepted"},
            {"rule": "P1", "reason": "no method check", "expires": "2020-01-01"},
            {"rule": "P2", "reason": "not wired"},
        ]
    )
    run = report(("B1", Status.FAIL), ("B4", Status.PASS), ("P1", Status.FAIL),
                 ("P2", Status.SKIP), ("VALID", Status.FAIL))  # fmt: skip
    expectations.apply(run, declared, today=dt.date(2025, 1, 1))
    status = {r.rule: r.status for r in run.results}
    assert status == {"B1": Status.UNSUPPORTED, "B4": Status.UNEXPECTED_PASS,
                      "P1": Status.FAIL, "P2": Status.SKIP, "VALID": Status.FAIL}  # fmt: skip
    reasons = {r.rule: r.reason for r in run.results}
    assert reasons["B1"] == "declared unsupported: long names accepted"
    assert reasons["B4"].startswith("passed, though declared unsupported (dots accepted)")
    assert reasons["B4"].endswith("remove the declaration from e.yaml")
    assert "declared unsupported: not wired" in reasons["P2"]
    assert any("P1" in note and "expired on 2020-01-01" in note for note in run.notes)
    assert run.exit_code == 1  # P1 and VALID still fail


def test_run_reports_declared_rules_as_unsupported_and_stale_ones_as_unexpected_passes(
    without_method_check: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declared = tmp_path / "expectations.yaml"
    declared.write_text(
        "format: 1\nimplementation: no-method-check\nexpectations:\n"
        "  - rule: P1\n    reason: every method is served\n"
        "  - rule: P2\n    reason: thought broken\n    expires: 2999-01-01\n"
    )
    junit, doc = tmp_path / "j.xml", tmp_path / "r.md"
    argv = ["run", "--target", without_method_check, "--secret-id", SECRET_ID,
            "--secret-key", SECRET_KEY, "--rules", "P1,P2,P3"]  # fmt: skip
    code = main([*argv, "--expectations", str(declared), "--junit-xml", str(junit),
                 "--report", str(doc)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(
        r"^P1\s+UNSUPPORTED\s.*declared unsupported: every method is served", out, re.M
    )
    assert re.search(r"^P2\s+UNEXPECTED-PASS\s.*passed, though declared unsupported", out, re.M)
    assert re.search(r"^P3\s+PASS", out, re.M)
    assert "1 unsupported, 1 unexpected-pass" in out
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["P1"].find("skipped").get("type") == "unsupported"
    assert cases["P1"].find("failure") is None and cases["P2"].find("skipped") is None
    text = doc.read_text()
    assert "## Declared unsupported (expectations file)" in text and "## Failures" not in text

    # Without the file, the same target fails P1.
    assert main(argv) == 1
    assert re.search(r"^P1\s+FAIL", capsys.readouterr().out, re.M)


def test_an_expired_declaration_no_longer_hides_a_failure(
    without_method_check: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declared = tmp_path / "expectations.yaml"
    declared.write_text(
        "format: 1\nexpectations:\n"
        "  - {rule: P1, reason: every method is served, expires: 2001-01-01}\n"
    )
    argv = ["run", "--target", without_method_check, "--secret-id", SECRET_ID,
            "--secret-key", SECRET_KEY, "--rules", "P1", "--expectations", str(declared)]  # fmt: skip
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert re.search(r"^P1\s+FAIL", out, re.M) and "expired on 2001-01-01" in out


def test_a_bad_expectations_file_is_a_usage_error(tmp_path: Path, capsys) -> None:
    declared = tmp_path / "e.yaml"
    declared.write_text("format: 1\nexpectations:\n  - rule: Q7\n    reason: x\n")
    assert main(["run", "--rules", "P2", "--expectations", str(declared)]) == 2
    err = capsys.readouterr().err
    assert "expectations[0]: rule 'Q7' is not a rule id" in err and "Traceback" not in err
    assert main(["run", "--rules", "P2", "--expectations", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err

"""Reports: JUnit XML, Markdown and HTML, reproductions, and no credential in any of them."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET

import pytest

from tcbatch_contract.harness.model import Failure, RuleResult, RunReport, RunSettings, Status
from tcbatch_contract.harness.report.document import (
    render_html,
    render_markdown,
    report_blocks,
    write_report,
)
from tcbatch_contract.harness.report.junit import junit_xml
from tcbatch_contract.harness.report.masking import (
    Scrubber,
    mask_authorization,
    mask_params,
    mask_query,
)
from tcbatch_contract.harness.report.reproduction import curl_line, sdk_snippet
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.transport import Client, Credential, WireRequest

SECRET_ID = "AKIDreportTESTsecretID0123456789"
SECRET_KEY = "reportTESTsecretKEYabcdefghij"


class _NoTransport:
    host = "127.0.0.1:9000"

    def send(self, request, timeout):  # pragma: no cover - never called: only build() is used
        raise AssertionError("not sent")


def signed(form: str) -> WireRequest:
    client = Client(_NoTransport(), Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", form=form)
    return client.build("DescribeJob", {"JobId": "job-00000000"}, timestamp=1_700_000_000, nonce=7)


def sample_report() -> RunReport:
    payload = {
        "Placement": {"Zone": "ap-guangzhou-2"},
        "Job": {
            "JobName": "x" * 61,
            "Tasks": [
                {
                    "Application": {"DeliveryForm": "LOCAL", "Command": "echo"},
                    "EnvId": "env-abcd1234",
                    "Authentications": [
                        {"Scene": "COS", "SecretId": SECRET_ID, "SecretKey": SECRET_KEY}
                    ],
                }
            ],
        },
    }
    body_failure = Failure(
        rule="B1",
        summary="expected InvalidParameter.JobNameTooLong, got InvalidParameter",
        expected={"outcome": "error", "codes": ["InvalidParameter.JobNameTooLong"]},
        actual={"status": 200, "code": "InvalidParameter"},
        params=payload,
        form="v1-get",
        field="Job.JobName",
        region="ap-beijing",
    )
    v1 = signed("v1-get")
    tc3 = signed("tc3-post")
    wire_failures = [
        Failure(
            rule="P7",
            summary="expected AuthFailure.SignatureFailure, got success",
            expected={"outcome": "error", "codes": ["AuthFailure.SignatureFailure"]},
            actual={"status": 200, "code": None},
            wire=request.to_dict(),
            form=form,
        )
        for request, form in ((tc3, "tc3-post"), (v1, "v1-get"))
    ]
    results = [
        RuleResult(
            "B1",
            Status.FAIL,
            code="InvalidParameter.JobNameTooLong",
            cases=3,
            requests=9,
            failures=[body_failure],
            requests_to_first_failure=2,
        ),
        RuleResult("B2", Status.PASS, cases=25, requests=25),
        RuleResult("B9", Status.SKIP, reason="the target profile lacks known_env_ids"),
        RuleResult("P7", Status.FAIL, cases=4, requests=4, failures=wire_failures),
        RuleResult(
            "FUZZ",
            Status.ERROR,
            reason="labels disagree",
            harness_errors=[
                Failure(
                    rule="FUZZ",
                    summary="oracle says success",
                    expected={},
                    actual={},
                    params={"Job": {}},
                )
            ],
        ),
    ]
    return RunReport(
        target="http://127.0.0.1:8123",
        profile=TargetProfile(denied_secret_id="AKIDdenied", denied_secret_key="deniedKEY123"),
        settings=RunSettings(max_examples=25, seed=3),
        results=results,
        seconds=2.5,
        started="2024-05-01T10:00:00Z",
        endpoint="http://127.0.0.1:8123",
    )


def _no_secrets(text: str) -> None:
    for secret in (SECRET_ID, SECRET_KEY, "deniedKEY123"):
        assert secret not in text
    for request in (signed("tc3-post"), signed("v1-get")):
        signature = request.header("Authorization") or request.query
        for part in signature.replace(",", " ").replace("&", " ").split():
            if part.startswith("Signature="):
                value = part.split("=", 1)[1]
                assert value not in text, "a signature reached the report"


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_document_reports_hold_failures_and_no_secret(tmp_path, suffix: str) -> None:
    report = sample_report()
    path = tmp_path / f"report{suffix}"
    write_report(report, path, Scrubber([SECRET_ID, SECRET_KEY, "deniedKEY123"]))
    text = path.read_text(encoding="utf-8")
    _no_secrets(text)
    assert "NOT CONFORMANT" in text
    assert "InvalidParameter.JobNameTooLong" in text
    assert "CommonClient" in text and "TENCENTCLOUD_SECRET_ID" in text
    assert "curl" in text and "Credential=***" in text
    assert "ap-beijing" in text  # the failing case's own Region reaches the reproduction
    if suffix == ".html":
        assert text.startswith("<!DOCTYPE html>") and "<script" not in text


def test_unscrubbed_rendering_is_still_masked_structurally() -> None:
    text = render_markdown(report_blocks(sample_report())) + render_html(
        report_blocks(sample_report())
    )
    _no_secrets(text)


def test_junit_has_one_testcase_per_rule() -> None:
    report = sample_report()
    root = ET.fromstring(junit_xml(report, Scrubber([SECRET_ID, SECRET_KEY])))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["B1", "B2", "B9", "P7", "FUZZ"]
    assert (
        suite.get("failures") == "2" and suite.get("skipped") == "1" and suite.get("errors") == "1"
    )
    b1 = cases[0].find("failure")
    assert b1.get("message") == "expected InvalidParameter.JobNameTooLong, got InvalidParameter"
    assert cases[2].find("skipped").get("message").startswith("the target profile lacks")
    assert cases[1].find("failure") is None and cases[1].find("skipped") is None
    _no_secrets(junit_xml(report))


def test_sdk_snippet_is_python_and_reads_credentials_from_the_environment() -> None:
    snippet = sdk_snippet(
        "SubmitJob",
        {"Job": {"JobName": "a'''b"}},
        region="ap-beijing",
        endpoint="http://127.0.0.1:9000",
        form="v1-post",
    )
    ast.parse(snippet)
    assert "signMethod='HmacSHA256'" in snippet
    assert "endpoint='127.0.0.1:9000'" in snippet and "'ap-beijing'" in snippet
    assert 'os.environ["TENCENTCLOUD_SECRET_KEY"]' in snippet


def test_masking_helpers() -> None:
    auth = signed("tc3-post").header("Authorization")
    masked = mask_authorization(auth)
    assert masked.startswith("TC3-HMAC-SHA256 Credential=***/2023-11-14/batch/tc3_request")
    assert masked.endswith("Signature=***") and SECRET_ID not in masked
    query = signed("v1-get").query
    assert SECRET_ID not in mask_query(query) and "Signature=***" in mask_query(query)
    assert mask_params({"a": [{"SecretKey": "k", "Password": "p"}]}) == {
        "a": [{"SecretKey": "***", "Password": "p"}]
    }
    line = curl_line(signed("v1-get").to_dict(), "http://127.0.0.1:9000")
    assert line.startswith("# the signature is masked") and SECRET_ID not in line


def test_html_rows_are_classed_by_their_status_only_and_every_table_has_a_header() -> None:
    import re

    page = render_html(report_blocks(sample_report()))
    classes = re.findall(r'<tr class="([^"]*)">', page)
    assert classes and set(classes) <= {status.value for status in Status}
    statuses = {r.status.value for r in sample_report().results}
    assert set(classes) == statuses  # one class per rule row, from its status
    for head in re.findall(r"<thead><tr>(.*?)</tr></thead>", page):
        assert "<th></th>" not in head

"""The response form judged on every answer (protocol.md, "Responses")."""

from __future__ import annotations

import json
import uuid

import pytest

from tcbatch_contract.harness.checks.response_form import RequestIds, response_form_problems
from tcbatch_contract.transport import WireResponse


def answer(
    inner: dict, *, status: int = 200, content_type: str | None = "application/json"
) -> WireResponse:
    headers = {} if content_type is None else {"content-type": content_type}
    return WireResponse(status, headers, json.dumps({"Response": inner}).encode())


def error(code: str = "InvalidParameter", message: str = "bad `Job.Tasks`", **extra) -> dict:
    return {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4()), **extra}


def test_well_formed_answers_pass() -> None:
    ids = RequestIds()
    ok = {"JobId": "job-abcd1234", "RequestId": str(uuid.uuid4())}
    assert response_form_problems(answer(ok), request_ids=ids) == []
    assert response_form_problems(answer(error()), request_ids=ids) == []


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        (answer(error(), status=500), "HTTP status 500"),
        (answer(error(), content_type="application/json; charset=utf-8"), "Content-Type"),
        (answer(error(), content_type=None), "Content-Type absent"),
        (WireResponse(200, {"content-type": "application/json"}, b"<html>oops</html>"), "not JSON"),
        (WireResponse(200, {"content-type": "application/json"}, b'{"Error": {}}'), '{"Response"'),
        (answer({"Error": {"Code": "X", "Message": "m"}, "RequestId": "req-1"}), "not a UUID"),
        (answer({"Error": {"Code": "X", "Message": "m"}}), "not a UUID"),
        (answer(error(message="")), "Message is missing or empty"),
        (answer(error(code="")), "Code is missing or empty"),
        (answer(error(JobId="job-abcd1234")), "carries Response.JobId"),
        (
            WireResponse(
                200,
                {"content-type": "application/json"},
                json.dumps(
                    {"Response": {"RequestId": str(uuid.uuid4()), "JobName": "é"}},
                    ensure_ascii=False,
                ).encode(),
            ),
            "not ASCII",
        ),
    ],
)
def test_each_breach_is_reported(response: WireResponse, fragment: str) -> None:
    problems = response_form_problems(response)
    assert any(fragment in p for p in problems), problems


def test_a_request_id_used_twice_is_a_breach() -> None:
    ids = RequestIds()
    same = error()
    assert response_form_problems(answer(same), request_ids=ids) == []
    problems = response_form_problems(answer(same), request_ids=ids)
    assert problems == [
        f"Response.RequestId {same['RequestId']} was already used by another answer"
    ]


def test_head_answers_are_judged_on_headers_only() -> None:
    head = WireResponse(200, {"content-type": "application/json"}, b"")
    assert response_form_problems(head, method="HEAD") == []
    bad = WireResponse(405, {"content-type": "text/html"}, b"")
    assert len(response_form_problems(bad, method="HEAD")) == 2

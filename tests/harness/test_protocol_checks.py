"""The protocol checks pass against the emulator and fail, usefully, against wrong targets.

Wrong targets are real servers too: a WSGI app with one fixed answer, the emulator with
one protocol step switched off (its ``app.steps`` table), or the emulator behind a proxy
that executes what it refuses; all served on loopback.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.loopback import serve
from support.targets import CONFIG, emulator, fixed_answer, make_target, run, wire_from_environ

from tcbatch_contract import codes
from tcbatch_contract.emulator import Emulator, EmulatorConfig
from tcbatch_contract.harness.checks.protocol import protocol_checks
from tcbatch_contract.harness.model import RunSettings, Status, Target
from tcbatch_contract.transport import Credential, WsgiTransport
from tcbatch_contract.transport.forms import tc3_sign

CHECKS = {check.rule: check for check in protocol_checks()}
RULES = [rule for rule in CHECKS if rule != "P9"]


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[tuple[Target, Any]]:
    with emulator() as pair:
        yield pair


@pytest.mark.parametrize("rule", RULES)
def test_each_protocol_check_passes_against_the_emulator(rule: str, shared_emulator) -> None:
    target, _ = shared_emulator
    result = run(rule, target)
    assert result.failures == [], [f.summary for f in result.failures]
    assert result.status is Status.PASS, result.reason
    assert result.cases >= 4 and result.requests >= result.cases
    assert not target.created_jobs


@pytest.mark.parametrize("rule", RULES)
def test_a_target_with_one_fixed_answer_fails_every_check(rule: str) -> None:
    with serve(fixed_answer(codes.INVALID_PARAMETER)) as url:
        target = make_target(url)
        result = run(rule, target)
    assert result.status is Status.FAIL
    failure = result.failures[0]
    assert failure.rule == rule and failure.actual["code"] == codes.INVALID_PARAMETER
    assert "got InvalidParameter" in failure.summary
    assert failure.expected["codes"] != [codes.INVALID_PARAMETER]
    assert result.requests_to_first_failure is not None
    shown = json.dumps([f.wire for f in result.failures])
    assert CONFIG.secret_key not in shown and CONFIG.secret_id not in shown
    assert not re.search(r"Signature=[0-9a-f]{64}", shown)
    assert not re.search(r'"Signature", "[^*]', shown)


def test_masked_wire_keeps_what_a_reader_needs() -> None:
    with serve(fixed_answer(codes.INVALID_PARAMETER)) as url:
        result = run("P7", make_target(url))
    tc3 = next(f for f in result.failures if f.form == "tc3-post")
    headers = dict(tc3.wire["headers"])
    assert headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=***/")
    assert headers["Authorization"].endswith("Signature=***")
    assert headers["X-TC-Action"] in ("DescribeJob", "SubmitJob")
    v1 = next(f for f in result.failures if f.form == "v1-get")
    assert v1.wire["query"].endswith("SecretId=***&SignatureMethod=HmacSHA256&Signature=***")
    assert re.search(r"(^|&)Action=(DescribeJob|SubmitJob)&", v1.wire["query"])


def off(rule: str) -> Callable[[Any], None]:
    def switch(app: Any) -> None:
        app.steps[rule] = lambda exchange, app: None

    return switch


@pytest.mark.parametrize(
    ("step", "rule", "caught"),
    [
        ("P7", "P7", "signed with another key"),
        ("P5", "P5", "timestamp 303 s ahead"),
        ("P8", "P8", "unserved Region"),
        ("P1", "P1", "method PUT"),
    ],
)
def test_a_target_skipping_one_rule_fails_that_check_only(
    step: str, rule: str, caught: str
) -> None:
    with emulator() as (target, app):
        off(step)(app)
        broken = run(rule, target)
        neighbour = run("P6" if rule != "P6" else "P2", target)
    assert broken.status is Status.FAIL
    summaries = [f.summary for f in broken.failures]
    assert any(s.startswith(caught) for s in summaries), summaries
    assert not any("(accepted)" in s for s in summaries), summaries
    assert neighbour.status is Status.PASS, [f.summary for f in neighbour.failures]
    assert not target.created_jobs


def executes_what_it_refuses(app: Any, credential: Credential) -> Callable[..., Any]:
    """Answers like the emulator, but runs every refused TC3 SubmitJob all the same."""
    inner = WsgiTransport(app)

    def proxy(environ: dict[str, Any], start_response: Callable[..., Any]):
        request = wire_from_environ(environ)
        answer = inner.send(request, 30)
        if answer.code and request.header("X-TC-Action") == "SubmitJob":
            fixed = request
            for name, value in (("X-TC-Timestamp", str(int(time.time()))),
                                ("X-TC-Version", "2017-03-12"), ("X-TC-Region", "ap-guangzhou"),
                                ("Content-Type", "application/json")):  # fmt: skip
                fixed = fixed.with_header(name, value)
            inner.send(tc3_sign(fixed, credential), 30)
        start_response("200 OK", list(answer.headers.items()))
        return [answer.body]

    return proxy


def test_a_refused_request_that_was_executed_is_caught() -> None:
    app = Emulator(CONFIG).app
    try:
        with serve(
            executes_what_it_refuses(app, Credential(CONFIG.secret_id, CONFIG.secret_key))
        ) as url:
            target = make_target(url)
            results = {rule: run(rule, target) for rule in ("P3", "P5", "P7")}
    finally:
        app.close()
    for rule, result in results.items():
        assert result.status is Status.FAIL, rule
        executed = [f for f in result.failures if "was executed" in f.summary]
        assert executed, (rule, [f.summary for f in result.failures])
        assert executed[0].expected["outcome"] == "not executed"
        assert executed[0].actual.get("code") is None  # the code itself was right
    assert not target.created_jobs


def test_a_wrong_response_form_is_a_failure() -> None:
    def charset(environ: dict[str, Any], start_response: Callable[..., Any]):
        def start(status: str, headers: list[tuple[str, str]], *rest: Any):
            headers = [
                (k, v + "; charset=utf-8" if k.lower() == "content-type" else v) for k, v in headers
            ]
            return start_response(status, headers, *rest)

        return app(environ, start)

    app = Emulator(CONFIG).app
    try:
        with serve(charset) as url:
            result = run("P6", make_target(url))
    finally:
        app.close()
    assert result.status is Status.FAIL
    assert all("response form: Content-Type" in f.summary for f in result.failures)
    assert len(result.failures) == result.cases


def test_rate_limit_check_passes_with_a_limit_and_fails_without() -> None:
    limited = EmulatorConfig(rate_limit=3, job_quota=None)
    with emulator(limited, rate_limit=3) as (target, _):
        passed = run("P9", target)
    assert passed.status is Status.PASS, ([f.summary for f in passed.failures], passed.reason)
    assert passed.cases >= 3 + 1 + 2 + 3 + 4 + 3 and passed.failures == []
    with emulator(CONFIG, rate_limit=3) as (target, _):
        failed = run("P9", target)
    assert failed.status is Status.FAIL
    assert "all were accepted; the limit is 3" in failed.failures[0].summary
    with emulator(limited) as (target, _):
        skipped = run("P9", target)
    assert skipped.status is Status.SKIP and "rate limit" in skipped.reason


class CountsRefusals:
    """A sliding-second limit that wrongly remembers the requests it refuses."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: dict[Any, list[float]] = {}

    def admit(self, key: Any) -> bool:
        now = time.monotonic()
        recent = [t for t in self.seen.get(key, []) if t > now - 1.0]
        self.seen[key] = [*recent, now]
        return len(recent) < self.limit

    def reset(self) -> None:
        self.seen.clear()


def limit_refusals_too(app: Any) -> None:
    app.limiter = CountsRefusals(3)


def limit_before_signature(app: Any) -> None:
    steps = app.steps
    p4, p9 = steps["P4"], steps["P9"]

    def p4_then_limit(exchange: Any, app: Any) -> None:
        p4(exchange, app)
        p9(exchange, app)

    steps["P4"], steps["P9"] = p4_then_limit, lambda exchange, app: None


@pytest.mark.parametrize(
    ("breakage", "caught"),
    [
        (limit_refusals_too, "a full burst beside the refused requests"),
        (limit_before_signature, "requests failing P7"),
    ],
)
def test_rate_limit_check_catches_a_limit_that_counts_too_much(breakage, caught: str) -> None:
    with emulator(EmulatorConfig(rate_limit=3, job_quota=None), rate_limit=3) as (target, app):
        breakage(app)
        result = run("P9", target)
    assert result.status is Status.FAIL
    first = result.failures[0].summary
    assert first.startswith(caught) and "RequestLimitExceeded" in first, first


def test_an_unreachable_target_is_a_harness_error() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    result = run("P2", make_target(f"http://127.0.0.1:{port}"))
    assert result.status is Status.ERROR and "unreachable" in result.reason


def test_clock_skew_cases_follow_the_targets_clock() -> None:
    """A target an hour ahead of us: its Date header moves every P5 case with it."""
    from email.utils import formatdate
    from urllib.parse import parse_qsl

    ahead = 3600.0

    def skewed_target(environ: dict[str, Any], start_response: Callable[..., Any]):
        now = time.time() + ahead
        stamp = environ.get("HTTP_X_TC_TIMESTAMP") or dict(
            parse_qsl(environ["QUERY_STRING"] or environ["wsgi.input"].read().decode())
        ).get("Timestamp")
        expired = abs(int(stamp) - now) > 300
        code = codes.AUTH_SIGNATURE_EXPIRE if expired else codes.RESOURCE_NOT_FOUND_JOB
        body = {"Error": {"Code": code, "Message": "m"}, "RequestId": str(uuid.uuid4())}
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Date", formatdate(now, usegmt=True))],
        )
        return [json.dumps({"Response": body}).encode()]

    with serve(skewed_target) as url:
        result = run("P5", make_target(url))
    assert result.failures == [], [f.summary for f in result.failures]
    assert result.status is Status.PASS


def test_a_stop_request_ends_a_check_after_cleaning_up(shared_emulator) -> None:
    target, _ = shared_emulator
    check = next(c for c in protocol_checks() if c.rule == "P7")
    check.stop.set()
    result = check.run(target, RunSettings())
    assert result.cases == 0 and "interrupted" in result.reason
    assert not target.created_jobs

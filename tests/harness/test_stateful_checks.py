"""The stateful checks pass against the emulator, fail against targets that forget state,
skip when the profile lacks what they need, and leave no job behind."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from support.loopback import serve
from support.targets import emulator, make_target, wire_from_environ

from tcbatch_contract import codes
from tcbatch_contract.emulator import Emulator, EmulatorConfig
from tcbatch_contract.harness.checks.protocol import protocol_checks
from tcbatch_contract.harness.checks.stateful import stateful_checks
from tcbatch_contract.harness.model import RunSettings, Status
from tcbatch_contract.transport import WsgiTransport

DENIED_ID, DENIED_KEY = "AKIDtcbcDenied00000000000000000000", "tcbc-denied-key-0000000000"
ENV_ID = "env-tcbc0001"
CONFIG = EmulatorConfig(
    rate_limit=None, job_quota=4, known_env_ids=(ENV_ID,),
    denied_secret_id=DENIED_ID, denied_secret_key=DENIED_KEY,
)  # fmt: skip
PROFILE = {
    "job_quota": 4, "known_env_ids": (ENV_ID,),
    "denied_secret_id": DENIED_ID, "denied_secret_key": DENIED_KEY,
}  # fmt: skip
RULES = [check.rule for check in stateful_checks()]


def run(rule: str, target: Any, **settings: Any):
    check = next(c for c in stateful_checks() if c.rule == rule)
    return check.run(target, RunSettings(**settings))


def remaining_jobs(app: Any, job_ids: set[str]) -> list[str]:
    transport = WsgiTransport(app)
    from tcbatch_contract.transport import Client, Credential

    client = Client(transport, Credential(CONFIG.secret_id, CONFIG.secret_key), "ap-guangzhou")
    return [j for j in job_ids if client.call("DescribeJob", {"JobId": j}).code is None]


class JobIdRecorder:
    """Notes every JobId the wrapped app hands out."""

    def __init__(self, app: Any) -> None:
        self.app, self.job_ids = app, set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        body = b"".join(self.app(environ, start_response))
        job_id = (json.loads(body or b"{}").get("Response") or {}).get("JobId")
        if job_id:
            self.job_ids.add(job_id)
        return [body]


@pytest.mark.parametrize("rule", RULES)
def test_each_stateful_check_passes_and_cleans_up(rule: str) -> None:
    app = Emulator(CONFIG).app
    recorder = JobIdRecorder(app)
    try:
        with serve(recorder) as url:
            target = make_target(url, CONFIG, **PROFILE)
            result = run(rule, target)
        assert result.failures == [], [f.summary for f in result.failures]
        assert result.status is Status.PASS, result.reason
        assert result.cases >= 2
        assert not target.created_jobs
        assert remaining_jobs(app, recorder.job_ids) == []
    finally:
        app.close()
    if rule != "B31":
        assert recorder.job_ids  # the scenario did create jobs, and deleted them all


@pytest.mark.parametrize(
    ("rule", "missing"),
    [("B30", "job quota"), ("B31", "denied credential"), ("B9", "compute environment")],
)
def test_checks_needing_configuration_skip_without_it(rule: str, missing: str) -> None:
    with emulator(CONFIG) as (target, _):
        result = run(rule, target)
    assert result.status is Status.SKIP and missing in result.reason
    assert result.requests == 0


def test_checks_respect_the_allowance_of_valid_submissions() -> None:
    with emulator(CONFIG, **PROFILE) as (target, _):
        quota = run("B30", target, allow_billable=3)
        lifecycle = run("STATE-LIFECYCLE", target, allow_billable=0)
    assert quota.status is Status.SKIP and "--allow-billable" in quota.reason
    assert lifecycle.status is Status.SKIP and lifecycle.requests == 0


def forgets_client_tokens(app: Any) -> Callable[..., Any]:
    """Drops ClientToken from every request before the emulator sees it."""
    inner = WsgiTransport(app)

    def proxy(environ: dict[str, Any], start_response: Callable[..., Any]):
        request = wire_from_environ(environ)
        if request.body and request.header("Content-Type") == "application/json":
            body = json.loads(request.body)
            if isinstance(body, dict):
                body.pop("ClientToken", None)
                request = request.replace(body=json.dumps(body).encode())
        pairs = [(k, v) for k, v in parse_qsl(request.query) if k != "ClientToken"]
        request = request.replace(query=urlencode(pairs))
        answer = inner.send(request, 30)
        start_response("200 OK", list(answer.headers.items()))
        return [answer.body]

    return proxy


def test_a_target_ignoring_client_tokens_fails_idempotency() -> None:
    # The proxy changes what was signed, so the emulator it fronts must not check signatures.
    app = Emulator(CONFIG).app
    app.steps["P7"] = lambda exchange, app: None
    try:
        with serve(forgets_client_tokens(app)) as url:
            target = make_target(url, CONFIG, **PROFILE)
            result = run("STATE-IDEMPOTENCY", target)
        assert remaining_jobs(app, set(target.created_jobs)) == []
    finally:
        app.close()
    assert result.status is Status.FAIL
    summaries = [f.summary for f in result.failures]
    assert any("expected the first call's JobId" in s for s in summaries), summaries
    assert not target.created_jobs


@pytest.mark.parametrize(
    ("rule", "config", "expected"),
    [
        ("B30", EmulatorConfig(rate_limit=None, job_quota=None), "expected LimitExceeded.JobQuota"),
        (
            "B30",
            EmulatorConfig(rate_limit=None, job_quota=3),
            "expected success, got LimitExceeded",
        ),
        ("B31", EmulatorConfig(rate_limit=None), "got AuthFailure.SecretIdNotFound"),
        ("B9", EmulatorConfig(rate_limit=None), "got ResourceNotFound.ComputeEnv"),
    ],
)
def test_a_target_configured_otherwise_fails_the_check(rule: str, config, expected: str) -> None:
    with emulator(config, **PROFILE) as (target, _):
        result = run(rule, target)
    assert result.status is Status.FAIL
    assert any(expected in f.summary for f in result.failures), [f.summary for f in result.failures]
    assert not target.created_jobs


def test_lifecycle_catches_a_job_that_survives_deletion() -> None:
    with emulator(CONFIG) as (target, app):
        app.store.delete = lambda *args, **kwargs: True  # says "deleted", keeps the job
        result = run("STATE-LIFECYCLE", target)
    assert result.status is Status.FAIL
    assert any("after DeleteJob" in f.summary for f in result.failures)


def test_the_fixed_answer_target_fails_every_stateful_check() -> None:
    from support.targets import fixed_answer

    with serve(fixed_answer(codes.INTERNAL_ERROR)) as url:
        target = make_target(url, CONFIG, **PROFILE)
        for rule in RULES:
            result = run(rule, target)
            assert result.status is Status.FAIL, rule
            assert "which no input may produce" in result.failures[0].summary


def test_checks_run_in_process_through_the_runners_target_views() -> None:
    from tcbatch_contract.harness.targets import TargetFactory, TargetSetup
    from tcbatch_contract.profile import TargetProfile
    from tcbatch_contract.transport import Credential

    app = Emulator(CONFIG).app
    try:
        spec = TargetSetup(
            name="emulator",
            profile=TargetProfile(**PROFILE),
            transport=WsgiTransport(app, host="127.0.0.1:9000"),
            host="127.0.0.1:9000",
            credential=Credential(CONFIG.secret_id, CONFIG.secret_key),
            denied_credential=Credential(DENIED_ID, DENIED_KEY),
        )
        targets = TargetFactory(spec)
        for check in [c for c in protocol_checks() if c.rule in ("P7", "P10")] + stateful_checks():
            observer = targets.observer(check.rule)
            result = check.run(targets.target(observer), RunSettings())
            assert result.status is Status.PASS, (check.rule, [f.summary for f in result.failures])
            assert observer.answers >= result.cases and observer.breaches == []
        assert not targets.created_jobs
    finally:
        app.close()

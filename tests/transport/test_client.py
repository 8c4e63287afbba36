"""Client pacing and back-pressure, with an injected clock where time matters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
from support.loopback import serve

from tcbatch_contract import codes
from tcbatch_contract.transport import (
    Client,
    Credential,
    HttpTransport,
    Pacer,
    WireRequest,
    WsgiTransport,
)
from tcbatch_contract.transport.client import default_backoff
from tcbatch_contract.wire import signing

CRED = Credential("AKIDclienttest000000000000000000", "client-test-key-000000000000")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_limiter_allows_limit_per_window_then_waits() -> None:
    clock = FakeClock()
    limiter = Pacer(3, margin=0.1, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert limiter.acquire("k") == 0
        clock.now += 0.1
    # The fourth must wait until the first leaves the 1.1 s window (sent at 100.0).
    assert limiter.delay("k") == pytest.approx(100.0 + 1.1 - 100.3)
    assert limiter.acquire("k") == pytest.approx(0.8)
    assert clock.now == pytest.approx(101.1)
    # Keys are independent.
    assert limiter.delay("other") == 0
    # Any 1.1 s window holds at most 3 sends.
    for _ in range(20):
        limiter.acquire("k")
        clock.now += 0.05
    sends = sorted(limiter._sent["k"])
    assert all(b - a >= 1.1 - 1e-9 for a, b in zip(sends, sends[3:], strict=False))


def test_limiter_clear_and_record() -> None:
    clock = FakeClock()
    limiter = Pacer(2, margin=0.0, clock=clock, sleep=clock.sleep)
    limiter.record("k")
    clock.now += 0.4
    limiter.record("k")
    assert limiter.clear_in("k") == pytest.approx(1.0)
    limiter.wait_clear("k")
    assert clock.now == pytest.approx(101.4) and limiter.clear_in("k") == 0
    with pytest.raises(ValueError, match="at least 1"):
        Pacer(0)


def throttling_app(refusals: int, code: str = codes.REQUEST_LIMIT_EXCEEDED):
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]):
        seen.append(environ)
        response: dict[str, Any] = {"RequestId": f"00000000-0000-4000-8000-{len(seen):012d}"}
        if len(seen) <= refusals:
            response["Error"] = {"Code": code, "Message": "slow down"}
        else:
            response["JobId"] = "job-abcdefgh"
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"Response": response}).encode()]

    return app, seen


def test_backpressure_is_waited_out_and_each_attempt_signed_afresh() -> None:
    app, seen = throttling_app(refusals=2)
    clock = FakeClock()
    client = Client(
        WsgiTransport(app), CRED, "ap-guangzhou", clock=clock, sleep=clock.sleep,
        form="v1-get",
    )  # fmt: skip
    result = client.call("SubmitJob", {"Placement": {"Zone": "ap-guangzhou-3"}})
    assert result.success and result.job_id == "job-abcdefgh"
    assert result.requests_sent == 3
    assert clock.slept == [default_backoff(0), default_backoff(1)]
    timestamps = [dict(parse_qsl(e["QUERY_STRING"]))["Timestamp"] for e in seen]
    assert timestamps == [str(int(t)) for t in (100.0, 100.5, 101.5)]


def test_backpressure_retries_are_bounded_and_shrink_while_strained() -> None:
    app, seen = throttling_app(refusals=100, code="RequestLimitExceeded.UinLimitExceeded")
    clock = FakeClock()
    client = Client(
        WsgiTransport(app), CRED, "ap-guangzhou", clock=clock, sleep=clock.sleep,
        max_backpressure_retries=3,
    )  # fmt: skip
    first = client.call("DescribeJob", {"JobId": "job-abcdefgh"})
    assert first.code == "RequestLimitExceeded.UinLimitExceeded" and first.requests_sent == 4
    second = client.with_form("tc3-get").call("DescribeJob", {"JobId": "job-abcdefgh"})
    assert second.requests_sent == 2  # one retry only, until an answer gets through
    assert len(seen) == 6


def test_send_without_retry_and_unpaced() -> None:
    app, _ = throttling_app(refusals=100)
    clock = FakeClock()
    limiter = Pacer(1, clock=clock, sleep=clock.sleep)
    client = Client(WsgiTransport(app), CRED, "ap-guangzhou", rate_limit=limiter, sleep=clock.sleep)
    request = client.build("DescribeJob", {"JobId": "job-abcdefgh"})
    for _ in range(3):
        result = client.send(request, counted=False, retry_backpressure=False)
        assert result.requests_sent == 1 and result.code == codes.REQUEST_LIMIT_EXCEEDED
    assert clock.slept == [] and limiter.clear_in((CRED.secret_id, "DescribeJob")) == 0


def test_calls_are_paced_per_secret_id_and_action() -> None:
    app, seen = throttling_app(refusals=0)
    clock = FakeClock()
    limiter = Pacer(2, margin=0.1, clock=clock, sleep=clock.sleep)
    client = Client(WsgiTransport(app), CRED, "ap-guangzhou", rate_limit=limiter, clock=clock)
    for _ in range(3):
        client.call("DescribeJob", {"JobId": "job-abcdefgh"})
    client.call("TerminateJob", {"JobId": "job-abcdefgh"})
    assert clock.slept == [pytest.approx(1.1)]
    assert len(seen) == 4


def verifying_app(environ: dict[str, Any], start_response: Callable[..., Any]):
    """Checks a TC3 signature from the received bytes, as a target must."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    auth = environ["HTTP_AUTHORIZATION"]
    timestamp = int(environ["HTTP_X_TC_TIMESTAMP"])
    canonical = signing.tc3_canonical_request(
        environ["REQUEST_METHOD"],
        environ["PATH_INFO"],
        environ["QUERY_STRING"],
        [("content-type", environ["CONTENT_TYPE"]), ("host", environ["HTTP_HOST"])],
        signing.sha256_hex(body),
    )
    good = auth.endswith(
        "Signature=" + signing.tc3_signature(CRED.secret_key, timestamp, canonical)
    )
    response: dict[str, Any] = {"RequestId": "00000000-0000-4000-8000-000000000001"}
    if not good:
        response["Error"] = {"Code": codes.AUTH_SIGNATURE_FAILURE, "Message": "bad signature"}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"Response": response}).encode()]


@pytest.mark.parametrize("form", ["tc3-post", "tc3-get"])
def test_signed_calls_verify_over_real_http_with_a_url_shaped_host(form: str) -> None:
    with serve(verifying_app) as url:
        transport = HttpTransport(url)
        for host in (transport.host, url):  # url: the Host header tccli sends
            client = Client(transport, CRED, "ap-guangzhou", form=form, host=host)
            result = client.call("DescribeJob", {"JobId": "job-abcdefgh"})
            assert result.success, result.wire_response.body
            assert result.wire_request.header("Host") == host
        wrong = Client(transport, Credential(CRED.secret_id, "other"), "ap-guangzhou", form=form)
        assert wrong.call("DescribeJob", {"JobId": "job-abcdefgh"}).code == (
            codes.AUTH_SIGNATURE_FAILURE
        )


def test_client_settings_are_checked() -> None:
    transport = WsgiTransport(verifying_app)
    with pytest.raises(ValueError, match="request form"):
        Client(transport, CRED, "ap-guangzhou", form="soap")
    with pytest.raises(ValueError, match="sign_method"):
        Client(transport, CRED, "ap-guangzhou", sign_method="MD5")

    class Hostless:
        def send(self, request: WireRequest, timeout: float): ...

    with pytest.raises(ValueError, match="host"):
        Client(Hostless(), CRED, "ap-guangzhou")
    client = Client(transport, CRED, "ap-guangzhou")
    with pytest.raises(TypeError, match="no setting"):
        client.replace(colour="red")
    copy = client.with_credential(Credential("AKIDother", "k"))
    assert copy.credential.secret_id == "AKIDother" and client.credential is CRED
    assert copy.limiter is client.limiter and copy.transport is client.transport


@pytest.mark.parametrize("form", ["tc3-post", "tc3-get", "v1-get", "v1-post"])
@pytest.mark.parametrize("sign_method", ["HmacSHA256", "HmacSHA1"])
def test_every_form_is_understood_by_the_emulator(form: str, sign_method: str) -> None:
    from tcbatch_contract.emulator import Emulator, EmulatorConfig

    config = EmulatorConfig(rate_limit=None)
    with Emulator(config) as emu:
        client = Client(
            HttpTransport(emu.endpoint), Credential(config.secret_id, config.secret_key),
            "ap-guangzhou", form=form, sign_method=sign_method,
        )  # fmt: skip
        params = {
            "Placement": {"Zone": "ap-guangzhou-3"},
            "Job": {
                "JobName": "form test & co",
                "Priority": 3,
                "Tasks": [{
                    "TaskName": "t0",
                    "RestartComputeNode": True,
                    "Application": {"DeliveryForm": "LOCAL", "Command": "echo a=b&c"},
                    "ComputeEnv": {"EnvData": {"InstanceTypes": ["S5.SMALL1", "S5.MEDIUM2"]}},
                }],
            },
        }  # fmt: skip
        submitted = client.call("SubmitJob", params)
        assert submitted.success and submitted.job_id, submitted.wire_response.body
        info = client.call("DescribeJobSubmitInfo", {"JobId": submitted.job_id}).response
        assert info["JobName"] == "form test & co" and info["Priority"] == 3
        task = info["Tasks"][0]
        assert task["RestartComputeNode"] is True
        assert task["Application"]["Command"] == "echo a=b&c"
        assert task["ComputeEnv"]["EnvData"]["InstanceTypes"] == ["S5.SMALL1", "S5.MEDIUM2"]
        assert client.call("DeleteJob", {"JobId": submitted.job_id}).success

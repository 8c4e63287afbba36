"""The match key: equal for the same request signed again, different for what a case changed."""

from __future__ import annotations

import json

import pytest

from tcbatch_contract.recording.matching import KeyContext, match_key, note_issued
from tcbatch_contract.transport import Client, Credential, WireRequest
from tcbatch_contract.transport.raw import RequestFactory

NOW = 1_760_000_000
HOST = "127.0.0.1:9000"
MAIN = Credential("AKIDmatchMAIN00000000000000000000001", "matchMainKey000000000000001")
DENIED = Credential("AKIDmatchDENIED000000000000000000002", "matchDeniedKey0000000000002")
OTHER_MAIN = Credential("AKIDmatchREPLAY000000000000000000003", "matchReplayKey000000000003")
JOB = {
    "Placement": {"Zone": "ap-guangzhou-1"},
    "Job": {
        "JobName": "n",
        "Tasks": [
            {
                "Application": {"DeliveryForm": "LOCAL", "Command": "echo"},
                "ComputeEnv": {"EnvData": {"InstanceType": "S5.SMALL1"}},
            }
        ],
    },
}


class _Nowhere:
    host = HOST

    def send(self, request, timeout):  # pragma: no cover - the tests only build
        raise AssertionError("not sent")


def context(main: Credential = MAIN) -> KeyContext:
    return KeyContext({"main": main, "denied": DENIED}, known_env_ids=frozenset({"env-known001"}))


def build(form: str, action: str, params: dict, *, credential=MAIN, ts=NOW, nonce=7) -> WireRequest:
    client = Client(_Nowhere(), credential, "ap-guangzhou", form=form)
    return client.build(action, params, timestamp=ts, nonce=nonce)


def key(request: WireRequest, ctx: KeyContext | None = None, now: float = NOW, rule="B1") -> dict:
    return json.loads(match_key(request, ctx or context(), now, rule))


@pytest.mark.parametrize("form", ["tc3-post", "tc3-get", "v1-get", "v1-post"])
def test_the_same_request_signed_again_later_by_another_run_has_the_same_key(form: str) -> None:
    first = build(form, "SubmitJob", JOB, ts=NOW, nonce=11)
    # Another run: another credential in the same role, a minute later, another nonce.
    again = build(form, "SubmitJob", JOB, credential=OTHER_MAIN, ts=NOW + 60, nonce=99)
    assert first != again
    assert key(first) == key(again, context(OTHER_MAIN), now=NOW + 60)
    assert key(first)["action"] == "SubmitJob"


@pytest.mark.parametrize("form", ["tc3-post", "tc3-get", "v1-get", "v1-post"])
def test_a_signature_made_with_another_key_is_told_apart(form: str) -> None:
    good = build(form, "DescribeJob", {"JobId": "job-abcdefgh"})
    forged = build(form, "DescribeJob", {"JobId": "job-abcdefgh"},
                   credential=Credential(MAIN.secret_id, MAIN.secret_key + "x"))  # fmt: skip
    assert key(good) != key(forged)
    assert "valid" in json.dumps(key(good)) and "invalid" in json.dumps(key(forged))


def test_the_key_holds_no_secret_and_names_credentials_by_role() -> None:
    for credential, role in ((MAIN, "main"), (DENIED, "denied"),
                             (Credential("AKIDstranger0000000000000000000009", "strangerKey00009"), "other")):  # fmt: skip
        for form in ("tc3-post", "v1-get"):
            request = build(form, "SubmitJob", JOB, credential=credential)
            text = match_key(request, context(), NOW, "B31")
            assert credential.secret_id not in text and credential.secret_key not in text
            signature = request.header("Authorization") or dict(
                pair.split("=", 1) for pair in request.query.split("&")
            ).get("Signature")
            assert signature and signature.split("Signature=")[-1] not in text
            assert role in text


def test_timestamps_are_classed_around_the_300_second_boundary() -> None:
    factory = RequestFactory(MAIN, HOST, "ap-guangzhou", clock=lambda: NOW)
    classes = {}
    for skew in (0, 5, 290, -290, 301, -301, 86_400, -400 * 86_400):
        request = factory.tc3("tc3-post", "DescribeJob", {"JobId": "job-abcdefgh"},
                              timestamp=NOW + skew)  # fmt: skip
        classes[skew] = dict(key(request)["headers"])["x-tc-timestamp"]
    assert classes[0] == classes[5] == "now"
    assert classes[290] == "+near" and classes[-290] == "-near"
    assert classes[301] == "+over" and classes[-301] == "-over"
    assert classes[86_400] == "+far" and classes[-400 * 86_400] == "-far"
    word = factory.tc3("tc3-post", "DescribeJob", {}, timestamp="now", date="2025-01-01")
    assert dict(key(word)["headers"])["x-tc-timestamp"] == "word now"


def test_random_ids_and_tokens_are_kept_by_shape_issued_ids_by_value() -> None:
    ctx = context()
    a = key(build("tc3-post", "DescribeJob", {"JobId": "job-aaaa1111"}), ctx)
    b = key(build("tc3-post", "DescribeJob", {"JobId": "job-bbbb2222"}), ctx)
    assert a == b and a["body"]["json"]["JobId"] == "job-<unknown>"
    note_issued(ctx, b'{"Response": {"JobId": "job-bbbb2222", "RequestId": "r"}}')
    issued = key(build("tc3-post", "DescribeJob", {"JobId": "job-bbbb2222"}), ctx)
    assert issued["body"]["json"]["JobId"] == "job-bbbb2222"
    tokens = [
        key(build("tc3-post", "SubmitJob", {**JOB, "ClientToken": token}))["body"]["json"]
        for token in ("tcbc-" + "0123456789abcdef" * 2, "tcbc-" + "fedcba9876543210" * 2)
    ]
    assert tokens[0] == tokens[1]
    drawn = [
        key(build("tc3-post", "SubmitJob", {**JOB, "ClientToken": "drawn" + tail}))["body"]
        for tail in ("0123456789abcdef", "aaaaaaaaaaaaaaaa")
    ]
    assert drawn[0] == drawn[1] and "drawn<random>" in json.dumps(drawn[0])
    assert key(build("tc3-post", "SubmitJob", {**JOB, "ClientToken": "x y"}))["body"] != drawn[0]


def test_what_a_protocol_case_changes_on_the_wire_changes_the_key() -> None:
    factory = RequestFactory(MAIN, HOST, "ap-guangzhou", clock=lambda: NOW)
    params = {"JobId": "job-abcdefgh"}
    plain = key(factory.tc3("tc3-post", "DescribeJob", params))
    variants = {
        "no Authorization": factory.tc3("tc3-post", "DescribeJob", params, sign=False),
        "no Region": factory.tc3("tc3-post", "DescribeJob", params, region=None),
        "body changed after signing": factory.tc3(
            "tc3-post", "DescribeJob", params, after=lambda r: r.replace(body=b'{"JobId": "x"}')
        ),
        "another service": factory.tc3("tc3-post", "DescribeJob", params, service="cvm"),
        "another date": factory.tc3("tc3-post", "DescribeJob", params, date="2001-01-01"),
        "extra signed header": factory.tc3(
            "tc3-post",
            "DescribeJob",
            params,
            signed_headers=("content-type", "host", "x-tc-action"),
        ),
        "bad JSON": factory.tc3("tc3-post", "DescribeJob", params, body=b'{"JobId": '),
    }
    keys = {name: json.dumps(key(request), sort_keys=True) for name, request in variants.items()}
    assert json.dumps(plain, sort_keys=True) not in keys.values()
    assert len(set(keys.values())) == len(keys)
    assert '"signature": "valid"' in keys["extra signed header"]
    assert '"signature": "invalid"' in keys["body changed after signing"]


def test_v1_names_signed_with_underscores_read_as_dots_verify() -> None:
    factory = RequestFactory(MAIN, HOST, "ap-guangzhou", clock=lambda: NOW)
    pairs = [("JobId", "job-abcdefgh"), ("Tcbc_Probe", "1")]
    for dots in (True, False):
        request = factory.v1("v1-get", "DescribeJob", {}, pairs=pairs, underscore_as_dot=dots)
        assert dict(key(request)["query"]["common"])["Signature"] == "valid"


def test_the_key_names_the_check_that_sent_the_request() -> None:
    request = build("tc3-post", "DescribeJob", {"JobId": "job-abcdefgh"})
    assert key(request, rule="P2") != key(request, rule="P3")


def test_the_same_seed_draws_the_same_cases_whatever_local_modules_are_loaded(
    tmp_path, monkeypatch
) -> None:
    from tcbatch_contract.strategies import single_fault

    from tcbatch_contract.harness.determinism import PINNED
    from tcbatch_contract.harness.driver import Judgement, drive

    assert PINNED, "Hypothesis moved the corner that determinism.py pins"

    def draw() -> list[str]:
        seen: list[str] = []

        def judge(case, pick) -> Judgement:
            seen.append(json.dumps([case.params, pick], sort_keys=True, default=repr))
            return Judgement(requests=1)

        drive("B1", single_fault("B1"), judge, max_examples=15, run_seed=3)
        return seen

    before = draw()
    # A module outside site-packages full of constants Hypothesis would otherwise mix in.
    words = ", ".join(repr("x" * (i % 70) + str(i)) for i in range(1, 300))
    numbers = ", ".join(str(i * 7919) for i in range(1, 300))
    (tmp_path / "tcbatch_local_constants.py").write_text(f"W = [{words}]\nN = [{numbers}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("tcbatch_local_constants")
    assert draw() == before

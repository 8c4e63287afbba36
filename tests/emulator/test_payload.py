"""The protocol rules about what a request carries: the rate limit (P9), sizes (P10),
the body and its Content-Type (P11), and the flattened parameter form."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from support.emulator_wire import (
    DESCRIBE,
    NOT_FOUND,
    assert_envelope,
    build,
    code_of,
    parse_http,
    send_bytes,
    serving,
    tc3,
    v1,
    wire_bytes,
    with_env_id,
)

from tcbatch_contract.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from tcbatch_contract.wire import signing
from tcbatch_contract.wire.flatten import flatten

# -- P9 -----------------------------------------------------------------------------------


def test_p9_sliding_window_per_secret_id_and_action() -> None:
    with serving(rate_limit=3) as emu:
        time.sleep(0.05)
        codes = [code_of(emu, tc3(emu.host, "DescribeJob", DESCRIBE)) for _ in range(5)]
        assert codes[:3] == [NOT_FOUND] * 3
        assert codes[3:] == ["RequestLimitExceeded"] * 2
        # another action has its own window; a request refused before P9 does not count
        assert code_of(emu, tc3(emu.host, "DeleteJob", DESCRIBE)) == NOT_FOUND
        time.sleep(1.1)
        # refused requests did not extend the window: three more pass, a bad one among them
        bad = tc3(emu.host, "DescribeJob", {"JobId": "nope"})
        assert code_of(emu, bad) == "InvalidParameter.JobIdMalformed"
        assert code_of(emu, tc3(emu.host, "DescribeJob", DESCRIBE)) == NOT_FOUND
        unsigned = tc3(emu.host, "DescribeJob", DESCRIBE, secret_key="wrong")
        assert code_of(emu, unsigned) == "AuthFailure.SignatureFailure"
        assert code_of(emu, tc3(emu.host, "DescribeJob", DESCRIBE)) == NOT_FOUND
        assert code_of(emu, tc3(emu.host, "DescribeJob", DESCRIBE)) == "RequestLimitExceeded"


def test_p9_a_malformed_json_body_counts_toward_the_limit() -> None:
    with serving(rate_limit=2) as emu:
        time.sleep(0.05)
        broken = tc3(emu.host, "DescribeJob", body=b"{not json")
        assert code_of(emu, broken) == "InvalidParameter"
        assert code_of(emu, broken) == "InvalidParameter"
        assert code_of(emu, tc3(emu.host, "DescribeJob", DESCRIBE)) == "RequestLimitExceeded"


def test_p9_default_is_the_documented_seven_per_second() -> None:
    with serving(rate_limit=7) as emu:
        time.sleep(0.05)
        codes = [code_of(emu, v1(emu.host, "DescribeJob", DESCRIBE)) for _ in range(8)]
        assert codes.count("RequestLimitExceeded") == 1 and codes[-1] == "RequestLimitExceeded"


# -- P10 ----------------------------------------------------------------------------------


def test_p10_tc3_post_body_over_10_mib(emu: Emulator) -> None:
    filler = "x" * (10 * 1024 * 1024)
    raw = tc3(emu.host, "DescribeJob", {"JobId": "job-00000000", "Pad": filler})
    assert len(raw.body) > 10 * 1024 * 1024
    assert code_of(emu, raw) == "RequestSizeLimitExceeded"


def test_p10_v1_post_body_over_1_mib(emu: Emulator) -> None:
    raw = v1(emu.host, "DescribeJob", {"JobId": "job-00000000", "Pad": "x" * (1024 * 1024)},
             method="POST")  # fmt: skip
    assert code_of(emu, raw) == "RequestSizeLimitExceeded"
    smaller = v1(emu.host, "DescribeJob", {"JobId": "job-00000000", "Pad": "x" * 900_000},
                 method="POST")  # fmt: skip
    assert code_of(emu, smaller) == "UnknownParameter"  # under the limit: judged on


@pytest.mark.parametrize("form", ["tc3-get", "v1-get"])
def test_p10_query_over_32_kib(emu: Emulator, form: str) -> None:
    big = build(emu, form, params={"JobId": "job-00000000", "Pad": "x" * (33 * 1024)})
    assert code_of(emu, big) == "RequestSizeLimitExceeded"
    fits = build(emu, form, params={"JobId": "job-00000000", "Pad": "x" * (30 * 1024)})
    assert code_of(emu, fits) == "UnknownParameter"


def test_p10_long_path_and_oversized_headers(emu: Emulator) -> None:
    long_path = build(emu, "tc3-post")
    long_path.target = "/" + "a" * 9000
    assert code_of(emu, long_path) == "RequestSizeLimitExceeded"
    many = build(emu, "tc3-post")
    many.headers += [(f"X-Extra-{i}", "1") for i in range(120)]
    assert code_of(emu, many) == "RequestSizeLimitExceeded"
    large = build(emu, "tc3-post").set_header("X-Extra", "y" * (20 * 1024))
    assert code_of(emu, large) == "RequestSizeLimitExceeded"


def test_p10_headers_beyond_the_http_server_ceiling_still_get_an_api_answer(emu: Emulator) -> None:
    raw = build(emu, "tc3-post")
    raw.headers += [(f"X-Pad-{i}", "z" * 8000) for i in range(40)]
    reply = parse_http(send_bytes(emu, wire_bytes(raw)))
    assert_envelope(reply)
    assert reply.code == "RequestSizeLimitExceeded"


# -- P11 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", ""],
)
def test_p11_tc3_post_content_type_must_be_exactly_json(emu: Emulator, content_type: str) -> None:
    raw = tc3(emu.host, "DescribeJob", DESCRIBE, content_type=content_type)
    assert code_of(emu, raw) == "InvalidParameter"


def test_p11_v1_post_content_type(emu: Emulator) -> None:
    with_charset = v1(emu.host, "DescribeJob", DESCRIBE, method="POST")
    with_charset.set_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    assert code_of(emu, with_charset) == NOT_FOUND
    as_json = v1(emu.host, "DescribeJob", DESCRIBE, method="POST")
    as_json.set_header("Content-Type", "application/json")
    assert code_of(emu, as_json) == "InvalidParameter"


def test_p11_get_content_type_is_not_checked(emu: Emulator) -> None:
    raw = tc3(emu.host, "DescribeJob", DESCRIBE, method="GET", content_type="text/html")
    assert code_of(emu, raw) == NOT_FOUND


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', b"", b"\xff\xfe{}", b"\xef\xbb\xbf{}",
     b'{"JobId": NaN}', b'{"JobId": Infinity}', b'{"JobId": "\xed\xa0\x80"}'],
)  # fmt: skip
def test_p11_tc3_body_not_a_json_object(emu: Emulator, body: bytes) -> None:
    assert code_of(emu, tc3(emu.host, "DescribeJob", body=body)) == "InvalidParameter"


def test_p11_json_repeated_key_keeps_the_last(emu: Emulator) -> None:
    body = b'{"JobId": "bad id", "JobId": "job-00000000"}'
    assert code_of(emu, tc3(emu.host, "DescribeJob", body=body)) == NOT_FOUND


# -- flattening (V1 and TC3 GET) ----------------------------------------------------------


def _flat(emu: Emulator, form: str, pairs: list[tuple[str, str]]) -> str | None:
    if form == "v1-get":
        return code_of(emu, v1(emu.host, "SubmitJob", pairs=pairs))
    raw = tc3(emu.host, "SubmitJob", method="GET")
    timestamp = int(dict(raw.headers)["X-TC-Timestamp"])
    query = urlencode(pairs)
    authorization = signing.tc3_authorization(
        DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, timestamp,
        "GET", query, "application/x-www-form-urlencoded", emu.host, signing.sha256_hex(b""),
    )  # fmt: skip
    raw.target = "/?" + query
    return code_of(emu, raw.set_header("Authorization", authorization))


def _valid_pairs() -> list[tuple[str, str]]:
    return list(flatten(with_env_id()).items())


@pytest.mark.parametrize("form", ["v1-get", "tc3-get"])
def test_flattened_valid_request_succeeds_with_sdk_style_values(emu: Emulator, form: str) -> None:
    pairs = [p for p in _valid_pairs() if p[0] != "Job.Priority"]
    pairs += [
        ("Job.Priority", "007"),
        ("Job.Tasks.0.RestartComputeNode", "True"),
        ("Job.Tasks.0.MaxRetryCount", "-0"),
    ]
    assert _flat(emu, form, pairs) is None


@pytest.mark.parametrize("form", ["v1-get", "tc3-get"])
@pytest.mark.parametrize(
    "extra",
    [
        [("Job.Tasks.2.TaskName", "gap")],  # index 1 missing
        [("Job.Tasks.01.TaskName", "lead")],  # leading zero
        [("Job.JobName", "again")],  # a name given twice
        [("Job.JobName.Sub", "x")],  # leaf and parent
        [("Job.Priority", "+1")],  # not an integer
        [("Job.Tasks.0.RestartComputeNode", "yes")],  # not a boolean
    ],
)
def test_flattened_structure_errors_are_invalid_parameter(emu: Emulator, form: str, extra) -> None:
    pairs = [p for p in _valid_pairs() if p[0] != "Job.Priority" or extra[0][0] != "Job.Priority"]
    assert _flat(emu, form, pairs + extra) == "InvalidParameter"

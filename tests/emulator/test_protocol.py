"""The protocol rules P1-P8 over real HTTP, in each request form where a rule applies:
method, Action, Version, credentials, timestamp, SecretId, signature, Region."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from support.emulator_wire import (
    ALL_FORMS,
    DESCRIBE,
    NOT_FOUND,
    REGION,
    Raw,
    build,
    code_of,
    parse_http,
    send,
    send_bytes,
    serving,
    tc3,
    wire_bytes,
)

from tcbatch_contract.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from tcbatch_contract.wire import signing


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with serving(regions=("ap-guangzhou", "ap-beijing")) as emulator:
        yield emulator


# -- P1 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("form", ["tc3-post", "v1-post"])
def test_p1_other_methods_are_unsupported(emu: Emulator, form: str, method: str) -> None:
    raw = build(emu, form)
    raw.method = method
    assert code_of(emu, raw) == "UnsupportedProtocol"


def test_p1_head_gets_the_headers_of_the_p1_answer_and_no_body(emu: Emulator) -> None:
    get = build(emu, "tc3-post")
    get.method = "PUT"
    put_reply = send(emu, get)
    head = build(emu, "tc3-post")
    head.method = "HEAD"
    data = send_bytes(emu, wire_bytes(head, close=True))
    status_line, _, _ = data.partition(b"\r\n")
    reply = parse_http(data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
    assert status_line.endswith(b"200 OK")
    assert reply.headers["content-type"] == "application/json"
    assert abs(int(reply.headers["content-length"]) - len(put_reply.body)) <= 4
    assert data.split(b"\r\n\r\n", 1)[1] == b""


# -- P2, P3 -------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ALL_FORMS)
def test_p2_action_missing_or_not_served(emu: Emulator, form: str) -> None:
    assert code_of(emu, build(emu, form, action="RunJob")) == "InvalidAction"
    assert code_of(emu, build(emu, form, action="submitjob")) == "InvalidAction"
    if form.startswith("tc3"):
        raw = build(emu, form).set_header("X-TC-Action", None)
    else:
        raw = build(emu, form, common={"Action": None})
    assert code_of(emu, raw) == "MissingParameter"


@pytest.mark.parametrize("form", ALL_FORMS)
def test_p3_version_missing_or_unknown(emu: Emulator, form: str) -> None:
    if form.startswith("tc3"):
        missing = build(emu, form).set_header("X-TC-Version", None)
        other = build(emu, form).set_header("X-TC-Version", "2020-01-01")
    else:
        missing = build(emu, form, common={"Version": None})
        other = build(emu, form, common={"Version": "2020-01-01"})
    assert code_of(emu, missing) == "MissingParameter"
    assert code_of(emu, other) == "NoSuchVersion"


# -- P4, P4b ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "garbage",
        "HMAC-SHA1 Credential=x/2024-01-01/batch/tc3_request, SignedHeaders=host, Signature=ab",
        "TC3-HMAC-SHA256 SignedHeaders=content-type;host, Signature=abcd",
        "TC3-HMAC-SHA256 Credential=AKID/2024-01-01/batch, SignedHeaders=host, Signature=ab",
        "TC3-HMAC-SHA256 Credential=AKID/2024-01-01/batch/tc3_request, SignedHeaders=host",
    ],
)
def test_p4_tc3_authorization_absent_or_unparsable(emu: Emulator, authorization) -> None:
    raw = build(emu, "tc3-post").set_header("Authorization", authorization)
    assert code_of(emu, raw) == "AuthFailure.InvalidAuthorization"


@pytest.mark.parametrize("form", ["v1-get", "v1-post"])
@pytest.mark.parametrize("name", ["Signature", "SecretId"])
def test_p4_v1_unsigned(emu: Emulator, form: str, name: str) -> None:
    assert code_of(emu, build(emu, form, common={name: None})) == "AuthFailure.InvalidAuthorization"
    assert code_of(emu, build(emu, form, common={name: ""})) == "AuthFailure.InvalidAuthorization"


@pytest.mark.parametrize("form", ALL_FORMS)
def test_p4b_timestamp_missing_or_not_an_integer(emu: Emulator, form: str) -> None:
    for bad in ("abc", "+1700000000", " 1700000000x", "1.5e9"):
        if form.startswith("tc3"):
            raw = build(emu, form).set_header("X-TC-Timestamp", bad)
        else:
            raw = build(emu, form, common={"Timestamp": bad})
        assert code_of(emu, raw) == "InvalidParameter", bad
    if form.startswith("tc3"):
        raw = build(emu, form).set_header("X-TC-Timestamp", None)
    else:
        raw = build(emu, form, common={"Timestamp": None})
    assert code_of(emu, raw) == "MissingParameter"


@pytest.mark.parametrize("form", ["v1-get", "v1-post"])
def test_p4b_v1_nonce_missing(emu: Emulator, form: str) -> None:
    assert code_of(emu, build(emu, form, common={"Nonce": None})) == "MissingParameter"


# -- P5, P6, P7 ---------------------------------------------------------------------------


@pytest.mark.parametrize("form", ALL_FORMS)
def test_p5_timestamps_more_than_300_s_away_expire(emu: Emulator, form: str) -> None:
    now = int(time.time())
    assert code_of(emu, build(emu, form, timestamp=now - 400)) == "AuthFailure.SignatureExpire"
    assert code_of(emu, build(emu, form, timestamp=now + 400)) == "AuthFailure.SignatureExpire"
    assert code_of(emu, build(emu, form, timestamp=now - 290)) == NOT_FOUND
    assert code_of(emu, build(emu, form, timestamp=now + 290)) == NOT_FOUND


@pytest.mark.parametrize("form", ALL_FORMS)
def test_p6_unknown_secret_id(emu: Emulator, form: str) -> None:
    raw = build(emu, form, secret_id="AKIDnobodyKnowsThisOne000000000000")
    assert code_of(emu, raw) == "AuthFailure.SecretIdNotFound"


@pytest.mark.parametrize("form", ALL_FORMS)
def test_p7_wrong_key(emu: Emulator, form: str) -> None:
    raw = build(emu, form, secret_key="not-the-key")
    assert code_of(emu, raw) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("form", ["tc3-post", "v1-post"])
def test_p7_body_changed_after_signing(emu: Emulator, form: str) -> None:
    raw = build(emu, form)
    raw.body = raw.body.replace(b"job-00000000", b"job-00000001")
    assert code_of(emu, raw) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("form", ["tc3-get", "v1-get"])
def test_p7_query_changed_after_signing(emu: Emulator, form: str) -> None:
    raw = build(emu, form)
    raw.target = raw.target.replace("job-00000000", "job-00000001")
    assert code_of(emu, raw) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("form", ALL_FORMS)
def test_p7_host_changed_after_signing(emu: Emulator, form: str) -> None:
    raw = build(emu, form).set_header("Host", "batch.tencentcloudapi.com")
    assert code_of(emu, raw) == "AuthFailure.SignatureFailure"


def _resign(raw: Raw, **changes: str) -> Raw:
    """Rewrite the TC3 Authorization with a different date or service (signature recomputed)."""
    headers = dict(raw.headers)
    timestamp = int(headers["X-TC-Timestamp"])
    date = changes.get("date", signing.utc_date(timestamp))
    service = changes.get("service", "batch")
    canonical = signing.tc3_canonical_request(
        raw.method,
        "/",
        "",
        [("content-type", headers["Content-Type"]), ("host", headers["Host"])],
        signing.sha256_hex(raw.body),
    )
    signature = signing.tc3_signature(
        DEFAULT_SECRET_KEY, timestamp, canonical, service=service, date=date
    )
    secret_id = headers["Authorization"].split("Credential=")[1].split("/")[0]
    return raw.set_header(
        "Authorization",
        f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}",
    )


def test_p7_credential_date_or_service_wrong(emu: Emulator) -> None:
    wrong_date = _resign(build(emu, "tc3-post"), date="2001-01-01")
    wrong_service = _resign(build(emu, "tc3-post"), service="cvm")
    right = _resign(build(emu, "tc3-post"))
    assert code_of(emu, wrong_date) == "AuthFailure.SignatureFailure"
    assert code_of(emu, wrong_service) == "AuthFailure.SignatureFailure"
    assert code_of(emu, right) == NOT_FOUND


def test_p7_signed_headers_must_include_content_type_and_host(emu: Emulator) -> None:
    raw = build(emu, "tc3-post")
    headers = dict(raw.headers)
    timestamp = int(headers["X-TC-Timestamp"])
    for signed in (["content-type"], ["host"], ["content-type", "host", "x-tc-action"]):
        canonical = signing.tc3_canonical_request(
            "POST", "/", "", [(name, headers[_CASED[name]]) for name in signed],
            signing.sha256_hex(raw.body),
        )  # fmt: skip
        signature = signing.tc3_signature(_KEY, timestamp, canonical)
        raw.set_header(
            "Authorization",
            f"TC3-HMAC-SHA256 Credential={_ID}/{signing.utc_date(timestamp)}/batch/tc3_request, "
            f"SignedHeaders={';'.join(signed)}, Signature={signature}",
        )
        expected = NOT_FOUND if len(signed) == 3 else "AuthFailure.SignatureFailure"
        assert code_of(emu, raw) == expected, signed


_ID, _KEY = DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
_CASED = {"content-type": "Content-Type", "host": "Host", "x-tc-action": "X-TC-Action"}


def test_p7_signed_header_values_raw_or_trimmed_lower_case(emu: Emulator) -> None:
    # A GET's Content-Type is not checked (P11), so only the signature judges it.
    mixed = "Application/X-WWW-Form-Urlencoded"
    other = tc3(emu.host, "DescribeJob", DESCRIBE, method="GET", content_type="text/plain")
    assert code_of(emu, other.set_header("Content-Type", mixed)) == "AuthFailure.SignatureFailure"
    signed_raw = tc3(emu.host, "DescribeJob", DESCRIBE, method="GET", content_type=mixed)
    assert code_of(emu, signed_raw) == NOT_FOUND
    lowered = tc3(emu.host, "DescribeJob", DESCRIBE, method="GET", content_type=mixed.lower())
    assert code_of(emu, lowered.set_header("Content-Type", mixed)) == NOT_FOUND


def test_p7_url_shaped_host_of_tccli_is_verified_raw(emu: Emulator) -> None:
    host = f"http://{emu.host}"
    assert code_of(emu, tc3(host, "DescribeJob", DESCRIBE)) == NOT_FOUND


def test_p7_unsigned_payload_option(emu: Emulator) -> None:
    timestamp = int(time.time())
    body = b'{"JobId": "job-00000000"}'
    authorization = signing.tc3_authorization(
        DEFAULT_SECRET_ID,
        DEFAULT_SECRET_KEY,
        timestamp,
        "POST",
        "",
        "application/json",
        emu.host,
        signing.sha256_hex(b"UNSIGNED-PAYLOAD"),
    )
    raw = tc3(emu.host, "DescribeJob", body=body, timestamp=timestamp)
    raw.set_header("Authorization", authorization).set_header(
        "X-TC-Content-SHA256", "UNSIGNED-PAYLOAD"
    )
    assert code_of(emu, raw) == NOT_FOUND


def test_p7_v1_names_signed_with_underscores_as_dots(emu: Emulator) -> None:
    # The SDK signs `Foo.Bar` for a parameter sent as `Foo_Bar`: the signature holds, and the
    # unknown member is what is left to refuse.
    timestamp = str(int(time.time()))
    common = {"Action": "DescribeJob", "Version": "2017-03-12", "Region": REGION,
              "Timestamp": timestamp, "Nonce": "7", "SecretId": DEFAULT_SECRET_ID,
              "SignatureMethod": "HmacSHA1"}  # fmt: skip
    sent = [*common.items(), ("JobId", "job-00000000"), ("Foo_Bar", "1")]
    signed = [(k.replace("_", "."), v) for k, v in sent]
    text = signing.v1_string_to_sign("GET", emu.host, "/", signed)
    signature = signing.v1_signature(DEFAULT_SECRET_KEY, text, "HmacSHA1")
    from urllib.parse import urlencode

    raw = Raw("GET", "/?" + urlencode([*sent, ("Signature", signature)]), [("Host", emu.host)])
    assert code_of(emu, raw) == "UnknownParameter"


# -- P8 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ALL_FORMS)
def test_p8_region_missing_empty_or_not_served(emu: Emulator, form: str) -> None:
    assert code_of(emu, build(emu, form, region=None)) == "MissingParameter"
    assert code_of(emu, build(emu, form, region="")) == "MissingParameter"
    assert code_of(emu, build(emu, form, region="ap-shanghai")) == "UnsupportedRegion"
    assert code_of(emu, build(emu, form, region="ap-beijing")) == NOT_FOUND


def test_p8_default_regions_are_the_documented_list() -> None:
    with serving() as emu:
        for region in ("ap-guangzhou", "sa-saopaulo", "na-ashburn"):
            assert code_of(emu, tc3(emu.host, "DescribeJob", DESCRIBE, region=region)) == NOT_FOUND
        assert code_of(emu, tc3(emu.host, "DescribeJob", DESCRIBE, region="ap-mumbai")) == (
            "UnsupportedRegion"
        )


def test_form_detection_ignores_a_lone_trace_id_header(emu: Emulator) -> None:
    raw = build(emu, "v1-get")
    raw.headers.append(("X-TC-TraceId", "0b1f3b4e-0000-4000-8000-000000000000"))
    assert code_of(emu, raw) == NOT_FOUND

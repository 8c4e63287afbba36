"""The clients sign exactly as the official SDK signs, form by form.

The SDK stamps its own time and nonce, so each test lets the SDK build a request first,
reads the timestamp and nonce it chose, builds ours with the same ones, and compares.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import Credential as SdkCredential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from tcbatch_contract.transport import Client, Credential, WireRequest, WsgiTransport
from tcbatch_contract.transport.forms import (
    request_key,
    tc3_sign,
    tc3_unsigned,
    v1_request,
    v1_sign,
    v1_string_to_sign,
)
from tcbatch_contract.wire import signing
from tcbatch_contract.wire.flatten import flatten

SECRET_ID = "AKIDtestsigning0000000000000000"
SECRET_KEY = "test-signing-key-0000000000000000"
HOST = "127.0.0.1:18765"
PARAMS = {
    "Placement": {"Zone": "ap-guangzhou-3"},
    "Job": {
        "JobName": "héllo wörld & co",
        "Priority": 7,
        "Tasks": [
            {
                "TaskName": "t0",
                "RestartComputeNode": True,
                "Application": {"DeliveryForm": "LOCAL", "Command": "echo a=b&c"},
                "ComputeEnv": {"EnvData": {"InstanceTypes": ["S5.SMALL1", "S5.MEDIUM2"]}},
            }
        ],
    },
}


def sdk_request(method: str, sign_method: str, action: str, params: dict) -> RequestInternal:
    http = HttpProfile(endpoint=HOST, protocol="http", reqMethod=method)
    profile = ClientProfile(httpProfile=http, signMethod=sign_method)
    client = CommonClient(
        "batch", "2017-03-12", SdkCredential(SECRET_ID, SECRET_KEY), "ap-guangzhou", profile
    )
    request = RequestInternal(HOST, method, "/", header={})
    client._build_req_inter(action, params, request)
    return request


def our_client(form: str, sign_method: str = "HmacSHA256") -> Client:
    transport = WsgiTransport(lambda environ, start: [], host=HOST)
    return Client(
        transport, Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", form=form,
        sign_method=sign_method,
    )  # fmt: skip


@pytest.mark.parametrize(("form", "method"), [("tc3-post", "POST"), ("tc3-get", "GET")])
def test_tc3_matches_the_sdk(form: str, method: str) -> None:
    sdk = sdk_request(method, "TC3-HMAC-SHA256", "SubmitJob", PARAMS)
    timestamp = int(sdk.header["X-TC-Timestamp"])
    ours = our_client(form).build("SubmitJob", PARAMS, timestamp=timestamp)
    assert ours.header("Authorization") == sdk.header["Authorization"]
    assert ours.header("Content-Type") == sdk.header["Content-Type"]
    assert ours.header("Host") == sdk.header["Host"]
    if method == "POST":
        assert ours.body == sdk.data.encode()
        assert ours.query == ""
    else:
        assert ours.query == sdk.data
        assert ours.body == b""


@pytest.mark.parametrize("sign_method", ["HmacSHA256", "HmacSHA1"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_v1_matches_the_sdk(method: str, sign_method: str) -> None:
    sdk = sdk_request(method, sign_method, "SubmitJob", PARAMS)
    sent = parse_qsl(sdk.data, keep_blank_values=True)
    fields = dict(sent)
    # Our own build, with the SDK's timestamp and nonce, signs the same way...
    form = "v1-get" if method == "GET" else "v1-post"
    ours = our_client(form, sign_method).build(
        "SubmitJob", PARAMS, timestamp=int(fields["Timestamp"]), nonce=int(fields["Nonce"])
    )
    our_fields = dict(parse_qsl(ours.query or ours.body.decode(), keep_blank_values=True))
    for name in (
        "Action",
        "Version",
        "Region",
        "Timestamp",
        "Nonce",
        "SecretId",
        "SignatureMethod",
    ):
        assert our_fields[name] == fields[name]
    for name, value in flatten(PARAMS).items():
        assert our_fields[name] == fields[name] == value
    # ...and re-signing exactly what the SDK sent (with its RequestClient and Language)
    # gives the SDK's signature.
    unsigned = [(k, v) for k, v in sent if k != "Signature"]
    assert dict(v1_sign(method, HOST, unsigned, SECRET_KEY))["Signature"] == fields["Signature"]


def test_v1_names_with_underscores_are_signed_with_dots_like_the_sdk() -> None:
    params = {"Job_Name": "x", "Placement.Zone": "ap-guangzhou-3"}
    sdk = sdk_request("GET", "HmacSHA256", "DescribeJob", params)
    sent = parse_qsl(sdk.data, keep_blank_values=True)
    assert ("Job_Name", "x") in sent  # the SDK sends the name as given
    unsigned = [(k, v) for k, v in sent if k != "Signature"]
    signature = dict(sent)["Signature"]
    assert dict(v1_sign("GET", HOST, unsigned, SECRET_KEY))["Signature"] == signature
    raw = v1_sign("GET", HOST, unsigned, SECRET_KEY, underscore_as_dot=False)
    assert dict(raw)["Signature"] != signature
    assert "Job.Name=x" in v1_string_to_sign("GET", HOST, unsigned)
    assert "Job_Name=x" in v1_string_to_sign("GET", HOST, unsigned, underscore_as_dot=False)


def test_v1_string_to_sign_is_raw_and_byte_sorted() -> None:
    text = v1_string_to_sign(
        "GET", "h:1", [("b", "x y&z"), ("InstanceIds.2", "a"), ("InstanceIds.12", "b")]
    )
    assert text == "GETh:1/?InstanceIds.12=b&InstanceIds.2=a&b=x y&z"


def test_tc3_signature_recomputed_independently() -> None:
    timestamp = 1_700_000_000
    request = our_client("tc3-post").build(
        "DescribeJob", {"JobId": "job-abcdefgh"}, timestamp=timestamp
    )
    canonical = "\n".join(
        [
            "POST", "/", "",
            f"content-type:application/json\nhost:{HOST}\n",
            "content-type;host",
            signing.sha256_hex(b'{"JobId": "job-abcdefgh"}'),
        ]
    )  # fmt: skip
    expected = signing.tc3_signature(SECRET_KEY, timestamp, canonical)
    assert request.header("Authorization") == (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/2023-11-14/batch/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={expected}"
    )


def test_tc3_sign_options_change_the_signature_as_documented() -> None:
    cred = Credential(SECRET_ID, SECRET_KEY)
    base = tc3_unsigned(
        "tc3-post", "DescribeJob", {"JobId": "job-abcdefgh"},
        host=HOST, timestamp=1_700_000_000, region="ap-guangzhou",
    )  # fmt: skip
    plain = tc3_sign(base, cred)
    # Extra signed headers are listed and change the signature.
    extra = tc3_sign(base, cred, signed_headers=("content-type", "host", "x-tc-action"))
    assert "SignedHeaders=content-type;host;x-tc-action," in extra.header("Authorization")
    assert extra.header("Authorization") != plain.header("Authorization")
    # Unsigned payload: the body no longer matters.
    unsigned = base.with_header("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD")
    a = tc3_sign(unsigned, cred).header("Authorization")
    b = tc3_sign(unsigned.replace(body=b"{}"), cred).header("Authorization")
    assert a == b != plain.header("Authorization")
    # Trimmed, lower-cased values sign differently from raw ones when they differ.
    upper = base.with_header("Host", "LOCALHOST:1")
    assert tc3_sign(upper, cred).header("Authorization") != tc3_sign(
        upper, cred, lower_values=True
    ).header("Authorization")
    # Another date or service in the scope.
    other = tc3_sign(base, cred, date="2000-01-01", service="cvm").header("Authorization")
    assert "Credential=" + SECRET_ID + "/2000-01-01/cvm/tc3_request" in other


def test_build_is_pure_given_timestamp_and_nonce() -> None:
    client = our_client("v1-post")
    a = client.build("DescribeJob", {"JobId": "job-abcdefgh"}, timestamp=5, nonce=9)
    b = client.build("DescribeJob", {"JobId": "job-abcdefgh"}, timestamp=5, nonce=9)
    assert a == b


def test_unflattenable_params_are_refused_outside_tc3_post() -> None:
    client = our_client("tc3-get")
    with pytest.raises(ValueError, match="tc3-post"):
        client.build("SubmitJob", {"Job": {"Tasks": []}})
    request = client.build("SubmitJob", {"Job": {"Tasks": []}}, form="tc3-post")
    assert json.loads(request.body) == {"Job": {"Tasks": []}}


def test_request_key_reads_secret_id_and_action_in_every_form() -> None:
    for form in ("tc3-post", "tc3-get", "v1-get", "v1-post"):
        request = our_client(form).build("DescribeJob", {"JobId": "job-abcdefgh"})
        assert request_key(request) == (SECRET_ID, "DescribeJob"), form
    bare = v1_request("GET", [("Action", "X")], host=HOST)
    assert request_key(bare) == ("", "X")
    assert request_key(WireRequest("GET")) == ("", "")


def test_credential_repr_masks_the_key() -> None:
    cred = Credential(SECRET_ID, SECRET_KEY, token="tok-secret-value")
    shown = repr(cred) + str(cred) + repr(our_client("tc3-post"))
    assert SECRET_KEY not in shown
    assert "tok-secret-value" not in shown
    assert SECRET_ID not in shown


_COMMON = {"Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod",
           "Signature", "Token"}  # fmt: skip
_names = st.from_regex(r"[A-Z][A-Za-z0-9]{0,8}", fullmatch=True).filter(lambda n: n not in _COMMON)
_leaves = st.one_of(st.text(min_size=1, max_size=8), st.integers(), st.booleans())
_trees = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(_names, inner, min_size=1, max_size=3),
    ),
    max_leaves=12,
)


@given(st.dictionaries(_names, _trees, min_size=1, max_size=4))
@settings(max_examples=50, deadline=None)
def test_flattening_matches_the_sdk_and_survives_the_query_string(params: dict) -> None:
    sdk = CommonClient(
        "batch", "2017-03-12", SdkCredential(SECRET_ID, SECRET_KEY), "ap-guangzhou"
    )._fix_params(params)
    ours = flatten(params)
    assert ours == {name: str(value) for name, value in sdk.items()}
    client = our_client("tc3-get")
    query = client.build("DescribeJob", params, timestamp=1).query
    assert dict(parse_qsl(query, keep_blank_values=True)) == ours
    v1 = our_client("v1-post").build("DescribeJob", params, timestamp=1, nonce=2)
    sent = dict(parse_qsl(v1.body.decode(), keep_blank_values=True))
    assert {k: sent[k] for k in ours} == ours

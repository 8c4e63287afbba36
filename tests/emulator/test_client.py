"""The checks that keep the emulator tests' raw signed HTTP honest.

The protocol and robustness tests need requests that no SDK would send: a header missing,
a body changed after signing, a name given twice. The builders of ``support.emulator_wire``
sign exactly like the official SDK (checked here against the SDK's own ``Sign``
functions), so a request they build is what a correct client sends until a test breaks it.
"""

from __future__ import annotations

import pytest
from support.emulator_wire import assert_envelope, send, tc3, v1

from tcbatch_contract.emulator import DEFAULT_SECRET_KEY, Emulator
from tcbatch_contract.wire import signing

# -- the helpers' own checks --------------------------------------------------------------


def test_tc3_signature_is_the_sdk_signature() -> None:
    from tencentcloud.common.sign import Sign

    raw = tc3("127.0.0.1:1", params={"JobId": "job-abcdefgh"}, timestamp=1_700_000_000)
    canonical = signing.tc3_canonical_request(
        "POST",
        "/",
        "",
        [("content-type", "application/json"), ("host", "127.0.0.1:1")],
        signing.sha256_hex(raw.body),
    )
    string_to_sign = "\n".join(
        (
            "TC3-HMAC-SHA256",
            "1700000000",
            "2023-11-14/batch/tc3_request",
            signing.sha256_hex(canonical.encode()),
        )
    )
    expected = Sign.sign_tc3(DEFAULT_SECRET_KEY, "2023-11-14", "batch", string_to_sign)
    authorization = dict(raw.headers)["Authorization"]
    assert authorization.endswith(f"Signature={expected}")


@pytest.mark.parametrize("method", ["HmacSHA1", "HmacSHA256"])
def test_v1_signature_is_the_sdk_signature(method: str) -> None:
    from tencentcloud.common.sign import Sign

    raw = v1("h:1", "DescribeJob", {"JobId": "job-abcdefgh"}, signature_method=method)
    pairs = [tuple(p.split("=", 1)) for p in raw.target[2:].split("&")]
    from urllib.parse import unquote_plus

    sent = {unquote_plus(k): unquote_plus(v) for k, v in pairs}
    signature = sent.pop("Signature")
    string_to_sign = "GETh:1/?" + "&".join(f"{k}={sent[k]}" for k in sorted(sent))
    assert signature == Sign.sign(DEFAULT_SECRET_KEY, string_to_sign, method)


@pytest.mark.parametrize("form", ["tc3-post", "tc3-get", "v1-get", "v1-post"])
def test_a_helper_built_request_is_accepted(emu: Emulator, form: str) -> None:
    params = {"JobId": "job-00000000"}
    if form.startswith("tc3"):
        raw = tc3(emu.host, "DescribeJob", params, method=form[4:].upper())
    else:
        raw = v1(emu.host, "DescribeJob", params, method=form[3:].upper())
    reply = send(emu, raw)
    assert_envelope(reply)
    assert reply.code == "ResourceNotFound.Job"

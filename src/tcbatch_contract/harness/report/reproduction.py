"""Copy-paste reproductions of a failure, for the person who has to fix the target.

A body-level case is reproduced with the official SDK's ``CommonClient.call_json`` (it
sends raw JSON, so unknown members and wrong types reach the target as generated); a
protocol case, whose point is the wire itself, as a ``curl`` line. Credentials are read
from the environment in every snippet and never written into it; a protocol case's
signature cannot be replayed (it is masked, and its timestamp has expired), which the
snippet says.
"""

from __future__ import annotations

import pprint
import re
import shlex
from typing import Any
from urllib.parse import urlsplit

from .masking import mask_params, mask_wire

_SIGN_METHOD = {"tc3-post": None, "tc3-get": None, "v1-get": "HmacSHA256", "v1-post": "HmacSHA256"}
_REQ_METHOD = {"tc3-post": "POST", "tc3-get": "GET", "v1-get": "GET", "v1-post": "POST"}
_BODY_LIMIT = 4096


#: The official SDK's names every script imports.
_SDK_IMPORTS = (
    "from tencentcloud.common.common_client import CommonClient",
    "from tencentcloud.common.credential import Credential",
    "from tencentcloud.common.exception.tencent_cloud_sdk_exception import (",
    "    TencentCloudSDKException,",
    ")",
    "from tencentcloud.common.profile.client_profile import ClientProfile",
    "from tencentcloud.common.profile.http_profile import HttpProfile",
)


def sdk_snippet(
    action: str,
    params: dict[str, Any],
    *,
    region: str,
    endpoint: str | None,
    form: str = "tc3-post",
) -> str:
    """A Python snippet sending ``params`` with the official SDK's ``CommonClient``."""
    payload = pprint.pformat(mask_params(params), width=88, sort_dicts=False)
    http_args = []
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
        http_args += [f"endpoint={parts.netloc!r}", f"protocol={parts.scheme or 'http'!r}"]
    method = _REQ_METHOD.get(form, "POST")
    if method != "POST":
        http_args.append(f"reqMethod={method!r}")
    profile_args = ["httpProfile=HttpProfile(" + ", ".join(http_args) + ")"]
    sign_method = _SIGN_METHOD.get(form)
    if sign_method:
        profile_args.append(f"signMethod={sign_method!r}")
    lines = [
        "import os",
        *_SDK_IMPORTS,
        "",
        "cred = Credential(",
        '    os.environ["TENCENTCLOUD_SECRET_ID"],',
        '    os.environ["TENCENTCLOUD_SECRET_KEY"],',
        '    os.environ.get("TENCENTCLOUD_SESSION_TOKEN"),  # a temporary credential\'s token',
        ")",
        f"profile = ClientProfile({', '.join(profile_args)})",
        f'client = CommonClient("batch", "2017-03-12", cred, {region!r}, profile)',
        f"params = {payload}",
        "try:",
        f"    print(client.call_json({action!r}, params))",
        "except TencentCloudSDKException as exc:",
        "    print(exc.code, exc.message)",
    ]
    return "\n".join(lines)


def curl_line(wire: dict[str, Any], base_url: str | None) -> str:
    """A ``curl`` command sending a (masked) wire request again."""
    wire = mask_wire(wire) or {}
    base = (base_url or "http://127.0.0.1:9000").rstrip("/")
    url = base + (wire.get("path") or "/")
    if wire.get("query"):
        url += "?" + wire["query"]
    parts = ["curl", "-sS", "-X", str(wire.get("method", "POST")), shlex.quote(url)]
    for name, value in wire.get("headers") or []:
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = wire.get("body")
    note = ""
    if body:
        if len(body) > _BODY_LIMIT:
            note = f"\n# the body ({len(body)} bytes) is too long to show: see the report's wire record"
            parts += ["--data-binary", "@body.bin"]
        else:
            parts += ["--data-binary", shlex.quote(body)]
    signed = any(
        name.lower() == "authorization" for name, _ in wire.get("headers") or []
    ) or "Signature=" in (wire.get("query") or "") + (body or "")
    header = (
        "# the signature is masked and its timestamp has expired: re-sign before sending\n"
        if signed
        else ""
    )
    return header + " ".join(parts) + note


def sdk_sequence(steps: list[dict[str, Any]], *, endpoint: str | None) -> str:
    """A Python script sending a STATE-MODEL sequence with the official SDK, step by step.

    JobIds are taken from the answers as the sequence goes (``jobs["j1"]``); ClientTokens
    are made fresh for each run of the script, so that it reproduces on a target that saw
    the original tokens. The second credential is read from ``TCBC_SECOND_SECRET_ID`` and
    ``TCBC_SECOND_SECRET_KEY``.
    """
    parts = urlsplit((endpoint or "127.0.0.1:9000") if "://" in (endpoint or "") else
                     f"http://{endpoint or '127.0.0.1:9000'}")  # fmt: skip
    lines = [
        "import os",
        "import uuid",
        *_SDK_IMPORTS,
        "",
        "",
        "def call(action, params, region, form, second=False):",
        '    prefix = "TCBC_SECOND_" if second else "TENCENTCLOUD_"',
        '    cred = Credential(os.environ[prefix + "SECRET_ID"], os.environ[prefix + "SECRET_KEY"])',
        f"    http = HttpProfile(endpoint={parts.netloc!r}, protocol={parts.scheme or 'http'!r},",
        '                       reqMethod="GET" if form.endswith("get") else "POST")',
        '    sign = "HmacSHA256" if form.startswith("v1") else "TC3-HMAC-SHA256"',
        "    profile = ClientProfile(httpProfile=http, signMethod=sign)",
        '    client = CommonClient("batch", "2017-03-12", cred, region, profile)',
        "    try:",
        '        answer = client.call_json(action, params)["Response"]',
        "    except TencentCloudSDKException as exc:",
        '        answer = {"Error": {"Code": exc.code}}',
        '    print(action, answer.get("Error", {}).get("Code") or answer.get("JobId") or "success")',
        "    return answer",
        "",
        "",
        "run = uuid.uuid4().hex[:8]  # fresh ClientTokens for each run of this script",
        "jobs = {}",
    ]
    for number, step in enumerate(steps, 1):
        params = pprint.pformat(mask_params(step["params"]), width=80, sort_dicts=False)
        params = _TOKEN.sub(lambda m: f'f"tcbc-{{run}}-{m.group(1)}"', params)
        params = _JOB.sub(lambda m: f'jobs["{m.group(1)}"]', params)
        args = f"{step['action']!r}, {params}, {step['region']!r}, {step['form']!r}"
        if step.get("credential") == "second":
            args += ", second=True"
        lines.append("")
        lines.append(f"# {number}. the contract: {step['expected']}; the target: {step['got']}")
        call = f"call({args})"
        if step.get("binds"):
            call = f'jobs["{step["binds"]}"] = {call}.get("JobId")'
        lines.append(call)
    return "\n".join(lines)


_TOKEN = re.compile(r"'<token (\d+)>'")
_JOB = re.compile(r"'<job (j\d+)>'")

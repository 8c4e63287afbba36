"""One API call and its verdict: which request form, what came back, what is wrong with it.

The flattened forms (TC3 GET, V1) carry every value as a string, and the target coerces
it by the type table; they cannot carry ``null``, floats, or empty lists and objects. So a
case goes flattened only as what the target will read back from it: its empty lists and
objects left out, and only when every remaining value has its member's JSON type (never
for S4), member names are plain letters and digits (nothing that reads as a list index or
a V1 common parameter), strings are valid UTF-8, and the request fits the size limits.
Leaving out an empty list can change the verdict (``InstanceTypes: []`` is "given" for
B12), so the caller asks the oracle again about what is actually sent.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..typetable import SCALARS, types
from ..wire.flatten import flatten, is_flattenable
from .checks.readback import JOB_ID
from .checks.response_form import RequestIds, is_never_expected, response_form_problems
from .model import Target

FORMS = ("tc3-post", "tc3-get", "v1-get", "v1-post")
#: How a drawn number 0..9 picks a form when the run mixes forms: mostly JSON.
_MIXED = ("tc3-post",) * 6 + ("tc3-get", "tc3-get", "v1-get", "v1-post")
_V1_COMMON = frozenset(
    name.lower()
    for name in (
        "Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod",
        "Signature", "Token", "Language", "RequestClient",
    )
)  # fmt: skip
_SAFE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_GET_LIMIT = 30_000  # under the 32 KiB query limit (P10), with room for the common params
_POST_LIMIT = 900_000  # under the 1 MiB V1 body limit


@dataclass
class Exchange:
    """A sent request and what became of it."""

    action: str
    params: dict[str, Any]
    form: str
    region: str
    result: Any = None  # transport.ApiResult
    error: Exception | None = None  # transport.TransportError
    seconds: float = 0.0

    @property
    def code(self) -> str | None:
        return None if self.result is None else self.result.code

    @property
    def response(self) -> dict[str, Any] | None:
        return None if self.result is None else self.result.response

    @property
    def requests(self) -> int:
        if self.result is None:
            return 1
        return int(getattr(self.result, "requests_sent", 1) or 1)

    @property
    def job_id(self) -> str | None:
        response = self.response or {}
        job_id = response.get("JobId")
        return job_id if isinstance(job_id, str) else None

    def actual(self) -> dict[str, Any]:
        """What came back, as a report shows it."""
        if self.error is not None:
            return {"transport_error": str(self.error)}
        wire = self.result.wire_response
        out: dict[str, Any] = wire.summary() if wire is not None else {}
        out.setdefault("code", self.code)
        if wire is not None and wire.request_id:
            out["request_id"] = wire.request_id
        return out


def plan(params: Any, rule: str, pick: int, preferred: str = "mixed") -> tuple[str, Any]:
    """The request form for a case and the params to send in it.

    ``pick`` (0..9) chooses the form when forms are mixed. A flattened form carries the
    params without their empty lists and objects (it cannot carry them); the caller must
    judge what is sent, so it asks the oracle again when the params changed.
    """
    wanted = _MIXED[pick % len(_MIXED)] if preferred == "mixed" else preferred
    if wanted == "tc3-post":
        return "tc3-post", params
    variant = flattened_variant(params, rule, wanted)
    return ("tc3-post", params) if variant is None else (wanted, variant)


def flattened_variant(params: Any, rule: str, form: str) -> dict[str, Any] | None:
    """``params`` as a target reads them from ``form``; None when that changes a value."""
    if rule == "S4" or not isinstance(params, dict):
        return None
    variant = _without_empty(params)
    if not isinstance(variant, dict) or not is_flattenable(variant):
        return None
    if any(str(name).lower() in _V1_COMMON for name in variant):
        return None
    if not _survives(variant, "SubmitJobRequest"):
        return None
    flat = flatten(variant)
    if "" in flat.values():
        # `Name=` is an empty string to the contract, but a target may read an empty
        # flattened value as absent, as it must for common parameters: JSON says it plainly.
        return None
    size = len(urlencode(flat))
    return variant if size <= (_GET_LIMIT if form.endswith("get") else _POST_LIMIT) else None


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v != {} and v != []}
    if isinstance(value, list):
        return [v for v in (_without_empty(v) for v in value) if v != {} and v != []]
    return value


def _survives(value: Any, type_name: str | None) -> bool:
    """Whether flattening then coercing by the type table gives ``value`` back."""
    if isinstance(value, dict):
        members = types().get(type_name or "", {})
        for name, item in value.items():
            if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name):
                return False
            member = members.get(name)
            if member is None:
                if not _survives(item, None):
                    return False
                continue
            if member.is_list:
                if not isinstance(item, list):
                    return False
                if not all(_fits(x, member.elem) for x in item):
                    return False
            elif not _fits(item, member.elem):
                return False
        return True
    if isinstance(value, list):
        return all(_survives(item, None) for item in value)
    return _scalar_ok(value)


def _fits(value: Any, elem: str) -> bool:
    if elem not in SCALARS:
        return isinstance(value, dict) and _survives(value, elem)
    if elem == "string":
        return isinstance(value, str) and _scalar_ok(value)
    if elem == "bool":
        return isinstance(value, bool)
    return isinstance(value, int) and not isinstance(value, bool)


def _scalar_ok(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    return isinstance(value, int) and not isinstance(value, bool)


def send(
    target: Target, action: str, params: dict[str, Any], *, form: str, region: str | None = None
) -> Exchange:
    """Send one call; a transport failure is kept in the exchange, not raised."""
    from ..transport import TransportError

    region = region or target.profile.region
    exchange = Exchange(action, params, form, region)
    client = target.client_factory(form=form, region=region)
    started = time.monotonic()
    try:
        exchange.result = client.call(action, params)
    except TransportError as exc:
        exchange.error = exc
    exchange.seconds = time.monotonic() - started
    return exchange


def answer_problems(
    exchange: Exchange, expected_codes: list[str] | None, request_ids: RequestIds | None
) -> list[str]:
    """What is wrong with an answer, given the codes it may carry (None: must succeed)."""
    if exchange.error is not None:
        return [f"no answer ({exchange.error})"]
    wire = exchange.result.wire_response
    method = exchange.result.wire_request.method if exchange.result.wire_request else "POST"
    problems = [
        f"response form: {p}"
        for p in response_form_problems(wire, method=method, request_ids=request_ids)
    ]
    code = exchange.code
    if is_never_expected(code):
        problems.insert(0, f"answered {code}, which no input may produce")
    elif expected_codes is None:
        if code is not None:
            problems.insert(0, f"expected success, got {code}")
        elif exchange.action == "SubmitJob" and not (
            exchange.job_id and JOB_ID.fullmatch(exchange.job_id)
        ):
            problems.insert(
                0, f"success without a JobId of the form job-xxxxxxxx: {exchange.job_id!r}"
            )
    elif code is None:
        problems.insert(0, f"expected {' or '.join(expected_codes)}, got success")
    elif code not in expected_codes:
        problems.insert(0, f"expected {' or '.join(expected_codes)}, got {code}")
    return problems


def delete_job(target: Target, job_id: str) -> list[str]:
    """TerminateJob then DeleteJob; what went wrong, [] when the job is gone."""
    problems = []
    for action in ("TerminateJob", "DeleteJob"):
        exchange = send(target, action, {"JobId": job_id}, form="tc3-post")
        if exchange.error is not None or exchange.code is not None:
            problems.append(f"{action} {job_id}: {exchange.error or exchange.code}")
        elif action == "DeleteJob":
            target.created_jobs.discard(job_id)
    return problems

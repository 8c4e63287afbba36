"""Mutants of the protocol steps (P1-P11) and of the answer's form.

A protocol mutant replaces or wraps one entry of ``app.steps``: a signature or a timestamp
not verified, the body hashed after re-serialising it, a size limit taken from the other
signature version, refused requests counted toward the rate limit. A response mutant
changes what every answer looks like: HTTP 400 for errors, a charset in the Content-Type,
a RequestId missing or reused, a JobId of the wrong shape, non-ASCII JSON.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ... import codes
from ..errors import ApiError, missing
from ..protocol import CLOCK_SKEW_SECONDS, Incoming
from ..ratelimit import RateLimit
from . import mutant

if TYPE_CHECKING:
    from ..app import EmulatorApp

Step = Callable[[Incoming, "EmulatorApp"], None]


def _step(name: str, make: Callable[[Step], Step]) -> Callable[[EmulatorApp], None]:
    """Replace protocol step ``name`` with ``make(original_step)``."""

    def apply(app: EmulatorApp) -> None:
        app.steps[name] = make(app.steps[name])

    return apply


def _skip(original: Step) -> Step:
    return lambda ex, app: None


mutant("p7-signature-unverified", "protocol", "the signature is never verified")(_step("P7", _skip))
mutant("p5-timestamp-unchecked", "protocol", "the timestamp's distance from the clock is ignored")(
    _step("P5", _skip)
)


def _past_only(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        if app.clock() - ex.timestamp > CLOCK_SKEW_SECONDS:
            original(ex, app)

    return step


mutant("p5-past-only", "protocol", "only timestamps in the past expire; the future is accepted")(
    _step("P5", _past_only)
)


def _reserialised(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        received = ex.body
        if ex.form == "TC3" and ex.method == "POST":
            try:
                ex.body = json.dumps(json.loads(received)).encode("utf-8")
            except (ValueError, UnicodeDecodeError, RecursionError):
                pass
        try:
            original(ex, app)
        finally:
            ex.body = received

    return step


mutant(
    "p7-reserialised-body",
    "protocol",
    "the TC3 payload hash is taken over the body parsed and dumped again, not as received",
)(_step("P7", _reserialised))


def _region_present_only(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        if not ex.region:
            raise missing("X-TC-Region" if ex.form == "TC3" else "Region")

    return step


mutant("p8-region-unchecked", "protocol", "any Region is served, not only the configured ones")(
    _step("P8", _region_present_only)
)


def _version_present_only(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        if not ex.common.get("Version"):
            raise missing("X-TC-Version" if ex.form == "TC3" else "Version")

    return step


mutant("p3-version-unchecked", "protocol", "any Version is accepted")(
    _step("P3", _version_present_only)
)


def _recoded(code: str, instead: str) -> Callable[[Step], Step]:
    def make(original: Step) -> Step:
        def step(ex: Incoming, app: EmulatorApp) -> None:
            try:
                original(ex, app)
            except ApiError as error:
                if error.code == code:
                    raise ApiError(instead, error.message) from None
                raise

        return step

    return make


mutant("p6-answers-p7", "protocol", "an unknown SecretId is answered AuthFailure.SignatureFailure")(
    _step("P6", _recoded(codes.AUTH_SECRET_ID_NOT_FOUND, codes.AUTH_SIGNATURE_FAILURE))
)


def _media_type_only(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        given = ex.environ.get("CONTENT_TYPE", "")
        if given.split(";", 1)[0].strip().lower() == "application/json":
            ex.environ["CONTENT_TYPE"] = "application/json"
        original(ex, app)

    return step


mutant(
    "p11-content-type-params",
    "protocol",
    "a TC3 POST with `application/json; charset=utf-8` is accepted",
)(_step("P11", _media_type_only))


def _nonce_optional(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        if ex.form == "V1":
            ex.common.setdefault("Nonce", "0")
        original(ex, app)

    return step


mutant("p4b-nonce-optional", "protocol", "a V1 request without Nonce is accepted")(
    _step("P4b", _nonce_optional)
)


def _one_size_limit(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        form, ex.form = ex.form, "TC3"
        try:
            original(ex, app)
        finally:
            ex.form = form

    return step


mutant("p10-v1-body-10mib", "protocol", "V1 POST bodies get the 10 MiB limit of TC3, not 1 MiB")(
    _step("P10", _one_size_limit)
)


class _CountsRefused(RateLimit):
    """Remembers refused requests too, so a steady client stays locked out."""

    def admit(self, key: Any) -> bool:
        admitted = super().admit(key)
        if not admitted:
            with self._lock:
                self._seen[key].append(self._clock())
        return admitted


@mutant("p9-counts-refused", "protocol", "requests refused by the rate limit count toward it")
def _p9_counts_refused(app: EmulatorApp) -> None:
    app.limiter = _CountsRefused(app.limiter.limit, app.limiter._clock)


# ---- the answer -----------------------------------------------------------------------


def _is_error(body: bytes) -> bool:
    try:
        return "Error" in json.loads(body)["Response"]
    except (ValueError, KeyError, TypeError):
        return False


def _rewrite(change: Callable[[dict[str, Any]], None], *, ascii_only: bool = True):
    """Wrap ``app.respond`` so that ``change(response_members)`` edits every answer."""

    def apply(app: EmulatorApp) -> None:
        respond = app.respond

        def mutated(environ: dict[str, Any]) -> bytes:
            document = json.loads(respond(environ))
            change(document["Response"])
            return json.dumps(document, ensure_ascii=ascii_only).encode("utf-8")

        app.respond = mutated  # type: ignore[method-assign]

    return apply


@mutant("http-400-on-errors", "response", "error answers carry HTTP 400, not 200")
def _http_400(app: EmulatorApp) -> None:
    head = app.head

    def mutated(body: bytes) -> tuple[str, list[tuple[str, str]]]:
        status, headers = head(body)
        return ("400 Bad Request" if _is_error(body) else status), headers

    app.head = mutated  # type: ignore[method-assign]


@mutant("content-type-charset", "response", "answers say `application/json; charset=utf-8`")
def _charset(app: EmulatorApp) -> None:
    head = app.head

    def mutated(body: bytes) -> tuple[str, list[tuple[str, str]]]:
        status, headers = head(body)
        return status, [
            (k, "application/json; charset=utf-8" if k == "Content-Type" else v) for k, v in headers
        ]

    app.head = mutated  # type: ignore[method-assign]


def _drop_request_id_on_error(members: dict[str, Any]) -> None:
    if "Error" in members:
        members.pop("RequestId", None)


mutant("request-id-missing-on-errors", "response", "error answers have no RequestId")(
    _rewrite(_drop_request_id_on_error)
)


@mutant("request-id-reused", "response", "the RequestId is made once and reused for every answer")
def _request_id_reused(app: EmulatorApp) -> None:
    fixed = str(uuid.uuid4())
    _rewrite(lambda members: members.__setitem__("RequestId", fixed))(app)


def _empty_message(members: dict[str, Any]) -> None:
    if isinstance(members.get("Error"), dict):
        members["Error"]["Message"] = ""


mutant("error-message-empty", "response", "error answers carry an empty Message")(
    _rewrite(_empty_message)
)
mutant("response-not-ascii", "response", "answers are UTF-8 JSON with non-ASCII characters raw")(
    _rewrite(lambda members: None, ascii_only=False)
)


@mutant("job-id-upper-hex", "response", "JobIds are `job-` and 8 upper-case hex digits")
def _job_id_upper(app: EmulatorApp) -> None:
    def new_id() -> str:
        return "job-" + secrets.token_hex(4).upper()

    app.store._new_id = new_id  # type: ignore[method-assign]

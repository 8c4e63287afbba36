"""Hostile input sent to any target: a well-formed answer, never a 5xx, a drop or a hang.

An implementation falls over on what no client means to send: a body nested 100,000
levels deep, a byte sequence that is no UTF-8, a lone surrogate, a number no double holds,
a body cut short of its Content-Length, a chunked body, headers past every limit, idle
connections that never send a byte. The
protocol rules (P10, P11) send the inputs whose answer the contract spells out; these
checks send the rest, one rule per kind of input (``ROBUST-NESTING``, ``-ENCODING``,
``-NUMBERS``, ``-FRAMING``, ``-HEADERS``, ``-CONNECTIONS``), each case a request that is otherwise what a
correct client sends and that creates nothing (DescribeJob of an unknown id, or a
SubmitJob that breaks a rule), except one valid job carrying lone surrogates.

A case is judged on the exact code where the contract fixes one. Where it leaves a limit
open (how deep a parser goes, how many header fields a server reads, how wide a
timestamp may be) every answer the contract allows on either side of that limit conforms,
and the case names them (``also``); where the input cannot be a request of the API at all
(bytes that are not HTTP) only a 5xx or a hang fails. What is judged everywhere: an answer
within the time limit, HTTP 200 with the API's envelope, no InternalError. No answer
within a ``--timeout`` shorter than the 35 s a target may take judges nothing
(INCONCLUSIVE), as in every other check.

The contract only assumes these inputs reach the API (P10: "assumed for the HTTP-level
limits"). So a refusal by the HTTP server in front of it (a 4xx of its own, without the
API's body: 431 for many header fields, 411 or 501 for a chunked body, 400 without a
Host) judges nothing: the case is noted as not judged, RESPONSE-FORM skips that answer,
and a rule none of whose cases was judged is INCONCLUSIVE. A 5xx, a dropped connection
where an answer was due, or an API answer with a code the contract does not allow still
fail. The body cut short is sent, then the write side is shut, so that a server reading
the body sees its end at once; an answer within a few seconds is judged, and no answer
(or the connection closed) judges nothing: no run waits the 30 s a target may take.

Cases that need framing a request cannot carry (a chunked body, bytes that are not HTTP,
connections held open) go over sockets of their own and are skipped against an in-process
target. ``ROBUST-CONNECTIONS`` is a scenario, not a list of cases: ``robustness_connections``. The readings are
``contracts/README.md`` §Interpretations 34-38.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from ... import codes
from ...transport import ApiResult, TransportError, WireRequest, WireResponse
from ...transport.forms import json_body, request_key
from ...transport.http import encode
from .protocol import PASSED
from .response_form import (
    HTTP_REFUSALS,
    http_refusals_not_judged,
    is_http_refusal,
    is_never_expected,
)
from .session import ProtocolCase, ProtocolCheck, Session, minimal_job, new_token

INVALID, UNKNOWN = codes.INVALID_PARAMETER, codes.UNKNOWN_PARAMETER
TOO_BIG = codes.REQUEST_SIZE_LIMIT_EXCEEDED
EXPIRED = codes.AUTH_SIGNATURE_EXPIRE
DEPTH = 100_000
#: A request that is not HTTP at all: the first bytes of a TLS ClientHello.
NOT_HTTP = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"
SURROGATES = "\ud800x\udfff"
#: How long an answer to a body cut short (then the write side shut) is waited for.
CUT_SHORT_WAIT = 5.0
#: A chunked body may also be refused as a transfer coding not implemented (RFC 9112 §6.1).
CHUNKED_REFUSALS = HTTP_REFUSALS | {501}


@dataclass(frozen=True)
class Robust(ProtocolCase):
    """A protocol case with the answers a limit left open also allowed."""

    also: tuple[str, ...] = ()  # more codes that conform
    any_error: bool = False  # any API error conforms (the input has no single reading)
    # Bytes to send instead of ``make()``'s request (a framing no request carries); the
    # request stays what the report shows.
    raw: Callable[[WireRequest], bytes] | None = None
    not_http: bool = False  # not a request: only a 5xx or no answer in time fails
    via: socket.socket | None = None  # the connection ``raw`` goes on (None: a fresh one)
    # Over a socket: sent as it is, then the write side shut, the answer waited for
    # ``CUT_SHORT_WAIT`` s; no answer judges nothing. In process: sent as any case.
    half_close: bool = False
    refusals: frozenset[int] = HTTP_REFUSALS  # the HTTP layer's refusals: not judged


class RobustSession(Session):
    """A session whose cases may allow several answers and go over a raw socket."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._case: Robust | None = None
        self.socket_only = 0  # cases not sent: the target is reached without a socket
        self.not_judged: list[str] = []  # cases the HTTP layer refused, or left unanswered

    def run(self, case: ProtocolCase) -> ApiResult | None:
        raw = getattr(case, "raw", None)
        if raw is not None and not callable(getattr(self.client.transport, "send_bytes", None)):
            self.socket_only += 1
            return None
        self._case = case if isinstance(case, Robust) else None
        return super().run(case)

    def send(self, request: WireRequest, *, counted: bool) -> ApiResult:
        case = self._case
        if case is None:
            return super().send(request, counted=counted)
        socket_ok = callable(getattr(self.client.transport, "send_bytes", None))
        if case.raw is None and not (case.half_close and socket_ok):
            with http_refusals_not_judged(case.refusals):
                return super().send(request, counted=counted)
        if case.raw is not None:
            data, timeout = case.raw(request), self.client.timeout
        else:
            data, timeout = encode(request), min(self.client.timeout, CUT_SHORT_WAIT)
        if counted and self.client.limiter is not None:  # paced as the client paces its own
            self.client.limiter.acquire(request_key(request))
        return self._exchange(lambda: _bytes_exchange(self.client.transport, request, data,
                                                      timeout, case))  # fmt: skip

    def problems(
        self, case: ProtocolCase, request: WireRequest, response: WireResponse
    ) -> list[str]:
        if not isinstance(case, Robust):
            return super().problems(case, request, response)
        if case.not_http:
            if response.status >= 500:
                return [f"answered HTTP {response.status} to bytes that are not HTTP"]
            return []
        if is_http_refusal(response, case.refusals):
            self.not_judged.append(
                f"'{case.name}' [{case.form}]: refused by the HTTP server (HTTP "
                f"{response.status}) before the API could read it: not judged"
            )
            return []
        code = response.code
        if code in codes.BACK_PRESSURE and case.raw is not None:  # not resent: no verdict
            self.unjudged.append(f"'{case.name}' [{case.form}]: the target pushed back ({code})")
            return []
        allowed = code is not None and (code in case.also or case.any_error)
        if allowed and not is_never_expected(code):
            case = replace(case, expect=code)
        return super().problems(case, request, response)

    def unjudged_timeout(self, case: ProtocolCase, exc: TransportError) -> bool:
        """A body cut short, then the write side shut: the contract says nothing of what
        a server does at that end, so no answer (or the connection closed) judges nothing."""
        if isinstance(case, Robust) and case.half_close and exc.kind in ("timeout", "dropped"):
            socket_ok = callable(getattr(self.client.transport, "send_bytes", None))
            if socket_ok:
                self.not_judged.append(
                    f"'{case.name}' [{case.form}]: no answer within {CUT_SHORT_WAIT:g} s of "
                    f"the end of the request ({exc.kind}): not judged"
                )
                return True
        return super().unjudged_timeout(case, exc)

    def finish(self, *, release: bool = True) -> Any:
        """Cases not judged are noted; a rule none of whose cases was judged is
        INCONCLUSIVE (its verdict would rest on nothing)."""
        if self.not_judged:
            judged = self.result.cases - len(self.not_judged) - len(self.unjudged)
            (self.unjudged if judged <= 0 else self.notes).extend(self.not_judged)
        return super().finish(release=release)


def _bytes_exchange(
    transport: Any, request: WireRequest, data: bytes, timeout: float, case: Robust
) -> ApiResult:
    try:
        response = transport.send_bytes(
            data, request.method, timeout, sock=case.via, half_close=case.half_close
        )
    except TransportError as exc:
        if not (case.not_http and exc.kind in ("dropped", "malformed")):
            raise
        response = WireResponse(0, {}, b"", 0.0)  # closed without an HTTP answer: no crash
    return ApiResult(response.code, response.response, request, response, 1, response.seconds)


class RobustnessCheck(ProtocolCheck):
    """One robustness rule: its cases, sent one by one."""

    def run(self, target: Any, settings: Any) -> Any:
        session = RobustSession(self.rule, target, settings, self.stop, release_each_case=True)
        with session:
            for case in self.cases(session):
                session.run(case)
            if session.socket_only:
                session.notes.append(
                    f"{session.socket_only} case(s) need a socket (a chunked body, bytes that "
                    "are not HTTP) and were not sent to this in-process target"
                )
        return session.result


# ---- building -------------------------------------------------------------------------


def _tc3_body(s: Session, body: bytes, action: str = "DescribeJob") -> Callable[[], WireRequest]:
    return lambda: s.factory.tc3("tc3-post", action, {}, body=body)


def _describe(s: Session, extra: bytes = b"", job: bytes | None = None) -> bytes:
    """A DescribeJob body: ``{"JobId": <job>`` + ``extra`` + ``}`` (unknown id by default)."""
    job = json.dumps(s.unknown_job).encode() if job is None else job
    return b'{"JobId": ' + job + extra + b"}"


def _submit(s: Session, path: tuple[str | int, ...], raw: bytes) -> bytes:
    """A SubmitJob body (valid but for this) whose member at ``path`` is the JSON ``raw``."""
    body = minimal_job(s.region, name="tcbc-refused", token=new_token())
    node: Any = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = _MARK
    return json_body(body).replace(json.dumps(_MARK).encode(), raw)


_MARK = "tcbc-replaced"
TASK = ("Job", "Tasks", 0)


def _deep(kind: str, depth: int = DEPTH) -> bytes:
    if kind == "lists":
        return b"[" * depth + b"]" * depth
    return b'{"a": ' * depth + b"1" + b"}" * depth


def _nesting(s: Session) -> Iterator[Robust]:
    yield Robust(f"{DEPTH:,} unclosed-key objects (not JSON)", "tc3-post",
                 _tc3_body(s, b"{" * DEPTH + b"}" * DEPTH), INVALID, counted=True)  # fmt: skip
    for kind in ("lists", "objects"):
        member = _describe(s, b', "TcbcProbe": ' + _deep(kind))
        yield Robust(f"an unknown member {DEPTH:,} levels of {kind} deep", "tc3-post",
                     _tc3_body(s, member), UNKNOWN, also=(INVALID,), counted=True)  # fmt: skip
    for kind, path in (("lists", ("Job", "Tasks")), ("objects", (*TASK, "Application", "Command"))):
        deep = _submit(s, path, _deep(kind))
        yield Robust(f"SubmitJob: {path[-1]} {DEPTH:,} levels of {kind} deep", "tc3-post",
                     _tc3_body(s, deep, "SubmitJob"), INVALID, counted=True,
                     action="SubmitJob")  # fmt: skip
    for form, levels in (("v1-post", 20_000), ("tc3-get", 10_000)):
        name = "TcbcProbe" + ".a" * levels
        pairs = [("JobId", s.unknown_job), (name, "1")]
        extra = {"pairs": pairs} if form.startswith("v1") else {"query_pairs": pairs}
        yield Robust(f"a flattened name {levels:,} levels deep", form,
                     (lambda f, e: lambda: s.factory.build(f, "DescribeJob", {}, **e))(form, extra),
                     UNKNOWN, also=(INVALID,), counted=True)  # fmt: skip


def _encoding(s: Session) -> Iterator[Robust]:
    job = s.unknown_job.encode()
    for label, body in {
        "an overlong encoding (C0 AF)": _describe(s, job=b'"' + job + b'\xc0\xaf"'),
        "an encoded surrogate (ED A0 80)": _describe(s, job=b'"' + job + b'\xed\xa0\x80"'),
        "a sequence cut short (E2 82)": _describe(s, job=b'"' + job + b'\xe2\x82"'),
        "a lone continuation byte (80)": _describe(s, job=b'"\x80' + job + b'"'),
        "a five-byte sequence (F8 88 80 80 80)": _describe(s, b', "\xf8\x88\x80\x80\x80": 1'),
        "invalid UTF-8 in a member name": _describe(s, b', "Tcbc\xffProbe": 1'),
        "binary bytes": b"\x00\x01\x02\xff",
        "a raw NUL in a string": _describe(s, job=b'"' + job + b'\x00"'),
        "JSON null": b"null",
        "a JSON string": b'"tcbc"',
        "a JSON number": b"1",
    }.items():
        yield Robust(f"body: {label}", "tc3-post", _tc3_body(s, body), INVALID, counted=True)
    for label, value in (("\\ud800", "\ud800"), ("job- and reversed surrogates", "job-\udfff\ud800"),
                         ("\\udc00 then 7 letters", "\udc00abcdefg")):  # fmt: skip
        body = json_body({"JobId": value})
        yield Robust(f"JobId with a lone surrogate, {label}", "tc3-post", _tc3_body(s, body),
                     codes.JOB_ID_MALFORMED, counted=True)  # fmt: skip
    body = json_body({"JobId": s.unknown_job, "Tcbc\ud800": 1})
    yield Robust("a member named with a lone surrogate", "tc3-post", _tc3_body(s, body), UNKNOWN,
                 counted=True)  # fmt: skip
    named = json_body(minimal_job(s.region, name=SURROGATES))
    yield Robust("SubmitJob: a JobName of lone surrogates (accepted, read back)", "tc3-post",
                 _tc3_body(s, named, "SubmitJob"), None, counted=True, action="SubmitJob",
                 creates=True, after=_name_read_back)  # fmt: skip

    def percent_ff() -> WireRequest:
        request = s.factory.build("v1-get", "DescribeJob", {"JobId": s.unknown_job})
        return request.replace(query=request.query.replace(s.unknown_job, "%FF%FE" + s.unknown_job))

    yield Robust("V1 query value with percent-encoded invalid UTF-8", "v1-get", percent_ff, INVALID,
                 any_error=True, counted=True)  # fmt: skip
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        yield Robust(f"TC3 POST Content-Type {content_type}", "tc3-post",
                     (lambda c: lambda: s.describe("tc3-post", headers={"Content-Type": c}))(
                         content_type), INVALID, counted=True)  # fmt: skip


def _name_read_back(s: Session, result: ApiResult) -> list[str]:
    info = s.call("DescribeJobSubmitInfo", {"JobId": result.job_id})
    got = (info.response or {}).get("JobName")
    if info.code is None and got == SURROGATES:
        return []
    shown = info.code or f"JobName {got!r}"
    return [f"DescribeJobSubmitInfo read back {shown}, expected JobName {SURROGATES!r}"]


def _numbers(s: Session) -> Iterator[Robust]:
    for label, text in (("10^30", "1" + "0" * 30), ("-(10^400 - 1)", "-" + "9" * 400),
                        ("just past 64 bits", str(2**64 + 5)), ("50 zeros, then 1", "0" * 50 + "1")):  # fmt: skip
        yield Robust(f"X-TC-Timestamp {label}", "tc3-post",
                     (lambda t: lambda: s.describe("tc3-post", timestamp=t))(text), EXPIRED,
                     also=(INVALID,), counted=True)  # fmt: skip
        yield Robust(f"V1 Timestamp {label}", "v1-get",
                     (lambda t: lambda: s.describe("v1-get", set_params={"Timestamp": t}))(text),
                     EXPIRED, also=(INVALID,), counted=True)  # fmt: skip
    for label, number in (("1e400", b"1e400"), ("-1e-400", b"-1e-400"),
                          ("10^400", b"1" + b"0" * 400), ("5,000 digits", b"7" * 5000)):  # fmt: skip
        yield Robust(f"JobId the number {label}", "tc3-post", _tc3_body(s, _describe(s, job=number)),
                     INVALID, counted=True)  # fmt: skip
        yield Robust(f"an unknown member the number {label}", "tc3-post",
                     _tc3_body(s, _describe(s, b', "TcbcProbe": ' + number)), UNKNOWN,
                     also=(INVALID,), counted=True)  # fmt: skip
    for path, number in ((("Job", "Priority"), b"1e400"), ((*TASK, "MaxRetryCount"), b"-1e400")):
        yield Robust(f"SubmitJob: {path[-1]} {number.decode()}", "tc3-post",
                     _tc3_body(s, _submit(s, path, number), "SubmitJob"), INVALID, counted=True,
                     action="SubmitJob")  # fmt: skip


def _head(request: WireRequest, *extra: str) -> bytes:
    lines = [f"{request.method} {request.target} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in request.headers if k.lower() != "content-length"]
    return ("\r\n".join([*lines, *extra]) + "\r\n\r\n").encode("latin-1")


def _chunked(request: WireRequest) -> bytes:
    body, half = request.body, len(request.body) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:half], body[half:]))
    return _head(request, "Transfer-Encoding: chunked", "Connection: close") + chunks + b"0\r\n\r\n"


def _bad_chunk(request: WireRequest) -> bytes:
    return (
        _head(request, "Transfer-Encoding: chunked", "Connection: close") + b"zz\r\n{}\r\n0\r\n\r\n"
    )


def _framing(s: Session) -> Iterator[Robust]:
    def cut_short() -> WireRequest:
        sent = _describe(s)[:-2]  # not JSON either: no reading makes it a request
        request = s.factory.tc3("tc3-post", "DescribeJob", {}, body=sent)
        return request.with_header("Content-Length", str(len(sent) + 50))

    yield Robust("a body 50 bytes shorter than its Content-Length, then the write side shut",
                 "tc3-post", cut_short, INVALID, any_error=True, counted=True,
                 half_close=True)  # fmt: skip
    describe = _tc3_body(s, _describe(s))
    yield Robust("a chunked body (any API answer)", "tc3-post", describe, PASSED, any_error=True,
                 counted=True, raw=_chunked, refusals=CHUNKED_REFUSALS)  # fmt: skip
    yield Robust("a chunked body with a chunk size that is no number", "tc3-post", describe,
                 INVALID, any_error=True, counted=True, raw=_bad_chunk,
                 refusals=CHUNKED_REFUSALS)  # fmt: skip
    yield Robust("bytes that are not HTTP (a TLS ClientHello)", "tc3-post", describe, None,
                 raw=lambda request: NOT_HTTP, not_http=True)  # fmt: skip


def _headers(s: Session) -> Iterator[Robust]:
    def with_headers(headers: list[tuple[str, str]], path: str = "/") -> Callable[[], WireRequest]:
        def make() -> WireRequest:
            request = s.describe("tc3-post")
            return request.replace(headers=[*request.headers, *headers], path=path)

        return make

    for label, headers in (
        ("120 extra header fields", [(f"X-Tcbc-Extra-{i}", "1") for i in range(120)]),
        ("a header field of 20 KiB", [("X-Tcbc-Extra", "y" * (20 << 10))]),
        ("40 header fields of 8,000 bytes", [(f"X-Tcbc-Pad-{i}", "z" * 8000) for i in range(40)]),
    ):
        yield Robust(label, "tc3-post", with_headers(headers), PASSED, also=(TOO_BIG,),
                     counted=True)  # fmt: skip
    no_host = lambda: s.describe("tc3-post").without_header("Host")  # noqa: E731
    yield Robust("no Host header (a signed header)", "tc3-post", no_host,
                 codes.AUTH_SIGNATURE_FAILURE, any_error=True, counted=True)  # fmt: skip
    yield Robust("a request path of 9,000 bytes", "tc3-post", with_headers([], "/" + "a" * 9000),
                 TOO_BIG, any_error=True, counted=True)  # fmt: skip


_RULES: tuple[tuple[str, Callable[[Session], Iterator[ProtocolCase]], str], ...] = (
    ("ROBUST-NESTING", _nesting, "bodies and flattened names nested 10,000-100,000 levels deep"),
    ("ROBUST-ENCODING", _encoding, "invalid UTF-8, lone surrogates, odd bodies and media types"),
    ("ROBUST-NUMBERS", _numbers, "timestamps and JSON numbers no 64-bit integer or double holds"),
    ("ROBUST-FRAMING", _framing, "a body cut short, chunked bodies, bytes that are not HTTP"),
    ("ROBUST-HEADERS", _headers, "header fields and a request path past every usual limit"),
)
#: Every robustness rule: the case lists above, then the held connections' scenario.
RULES = (*(rule for rule, _, _ in _RULES), "ROBUST-CONNECTIONS")


def robustness_checks() -> list[Any]:
    """Fresh instances of every robustness check, in rule order."""
    from .robustness_connections import ConnectionsCheck

    return [*(RobustnessCheck(rule, cases, doc) for rule, cases, doc in _RULES), ConnectionsCheck()]

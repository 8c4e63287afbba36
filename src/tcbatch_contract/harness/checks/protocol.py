"""One check per protocol rule (protocol.md: P1-P11 and P4b), in both signature versions.

Protocol rules are checked before the parameters but in no stated order among
themselves, so every case breaks exactly one protocol rule and is otherwise what a
correct client sends; where a rule has two codes (missing vs unsupported) each case is
judged on its exact code. Positive cases sit beside the negative ones (a timestamp 290 s
off, a body of exactly 10 MiB, a Host header in URL form as tccli sends it): a target that
refuses too much is as wrong as one that refuses too little. A request that passes every
protocol rule asks for DescribeJob of an unknown id, so it must get ResourceNotFound.Job
and creates nothing. P9 needs timing and lives with the stateful checks.

The readings of protocol.md these checks apply (sizes at and over a limit, skews taken
from the target's clock, which Authorization is unparsable, what is not asked and why)
are Interpretations 12, 15, 24 and 31 of ``contracts/README.md``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

from ... import codes
from ...transport import ApiResult, Credential, WireRequest
from ...transport.forms import FORM_CONTENT, json_body
from ...transport.raw import fit
from ...wire.flatten import flatten
from .session import (
    Changes,
    ProtocolCase,
    ProtocolCheck,
    Session,
    minimal_job,
    new_token,
    unknown_job_id,
)

MISSING, INVALID = codes.MISSING_PARAMETER, codes.INVALID_PARAMETER
PASSED = codes.RESOURCE_NOT_FOUND_JOB  # DescribeJob of an unknown id that passed the protocol
MIB, KIB = 1 << 20, 1 << 10
EVERY, V1S = "tc3-post tc3-get v1-get v1-post", "v1-get v1-post"


def _p1(s: Session) -> Iterator[ProtocolCase]:
    for method in ("PUT", "DELETE", "PATCH"):
        change = {"method": method}
        base = "probe" if method == "PUT" else "submit"
        yield from s.variants(f"method {method}", codes.UNSUPPORTED_PROTOCOL, change, change,
                              forms="tc3-post v1-post", base=base)  # fmt: skip
    head = {"method": "HEAD"}
    yield from s.variants("method HEAD (headers only)", codes.UNSUPPORTED_PROTOCOL, head, head,
                          forms="tc3-get v1-get")  # fmt: skip


def _common(
    s: Session, header: str, param: str, other: str, code: str, **kw
) -> Iterator[ProtocolCase]:
    """No, empty and unknown values of one common parameter, as header and as parameter."""
    for label, value, expect in (("no", None, MISSING), ("empty", "", MISSING),
                                 ("unknown", other, code)):  # fmt: skip
        base = "probe" if expect == codes.NO_SUCH_VERSION else "submit"
        yield from s.variants(f"{label} {param}", expect, {"headers": {header: value}},
                              {"set_params": {param: value}}, base=base, **kw)  # fmt: skip


def _p2(s: Session) -> Iterator[ProtocolCase]:
    yield from _common(s, "X-TC-Action", "Action", "TcbcNoSuchAction", codes.INVALID_ACTION,
                       forms="tc3-post tc3-get v1-get")  # fmt: skip


def _p3(s: Session) -> Iterator[ProtocolCase]:
    yield from _common(s, "X-TC-Version", "Version", "2020-01-01", codes.NO_SUCH_VERSION,
                       forms="tc3-post v1-get v1-post")  # fmt: skip


def _without_field(name: str) -> Callable[[WireRequest], WireRequest]:
    def change(request: WireRequest) -> WireRequest:
        head, _, fields = (request.header("Authorization") or "").partition(" ")
        kept = [f for f in fields.split(", ") if not f.startswith(name + "=")]
        return request.with_header("Authorization", f"{head} {', '.join(kept)}")

    return change


def _authorization(value: str) -> Callable[[WireRequest], WireRequest]:
    return lambda request: request.with_header("Authorization", value)


def _set_pair(name: str, value: str | None) -> Callable[[list], list]:
    def change(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        kept = [(k, v) for k, v in pairs if k != name]
        return kept if value is None else [*kept, (name, value)]

    return change


def _p4(s: Session) -> Iterator[ProtocolCase]:
    bad = codes.AUTH_INVALID_AUTHORIZATION
    yield from s.variants("no Authorization", bad, {"sign": False}, forms="tc3-post tc3-get",
                          base="submit")  # fmt: skip
    for label, value in (("empty", ""), ("garbled", "garbage"), ("bare", "TC3-HMAC-SHA256")):
        yield from s.variants(f"{label} Authorization", bad, {"after": _authorization(value)})
    for field in ("Signature", "SignedHeaders", "Credential"):
        yield from s.variants(
            f"Authorization without {field}", bad, {"after": _without_field(field)}
        )
    yield from s.variants("no Signature", bad, None, {"after": _set_pair("Signature", None)},
                          forms=V1S, base="submit")  # fmt: skip
    yield from s.variants("empty Signature", bad, None, {"after": _set_pair("Signature", "")})
    yield from s.variants("no SecretId", bad, None, {"set_params": {"SecretId": None}},
                          forms=V1S)  # fmt: skip
    yield from s.variants("empty SecretId", bad, None, {"set_params": {"SecretId": ""}})


def _p4b(s: Session) -> Iterator[ProtocolCase]:
    yield from s.variants("no timestamp", MISSING, {"headers": {"X-TC-Timestamp": None}},
                          {"set_params": {"Timestamp": None}}, forms="tc3-post tc3-get v1-get",
                          base="probe")  # fmt: skip
    yield from s.variants("empty timestamp", MISSING, {"headers": {"X-TC-Timestamp": ""}},
                          {"set_params": {"Timestamp": ""}})  # fmt: skip
    yield from s.variants("no Nonce", MISSING, None, {"set_params": {"Nonce": None}},
                          forms=V1S, base="probe")  # fmt: skip
    yield from s.variants("empty Nonce", MISSING, None, {"set_params": {"Nonce": ""}})

    def stamp(text: Callable[[], str]) -> tuple[Changes, Changes]:
        return (lambda: {"timestamp": text()}), (lambda: {"set_params": {"Timestamp": text()}})

    for label, text in (("a word", lambda: "now"), ("a fraction", lambda: f"{s.factory.now()}.5")):
        yield from s.variants(f"timestamp {label}", INVALID, *stamp(text))


#: How far the skew of a case may be off before it reaches the target: up to 2 s from the
#: estimate of the target's clock (its Date header has whole seconds; under 2 s it is
#: taken as ours), and the time in flight, bounded by the time the answer took.
CLOCK_ERROR = 2.0


def _p5(s: Session) -> Iterator[ProtocolCase]:
    def skew(seconds: int) -> Callable[[], dict[str, Any]]:
        return lambda: {"timestamp": s.skewed(seconds)}

    def within(margin: float) -> Callable[[ProtocolCase], ProtocolCase]:
        return lambda case: dataclasses.replace(case, within=margin - CLOCK_ERROR)

    expired = codes.AUTH_SIGNATURE_EXPIRE
    # A timestamp ahead gets nearer the target's clock while it travels, one behind gets
    # further: only the first two need the answer quickly enough to be judged.
    for label, seconds, forms in (("303 s ahead", 303, "tc3-post tc3-get v1-get"),
                                  ("303 s behind", -303, "tc3-post v1-get v1-post")):  # fmt: skip
        cases = s.variants(f"timestamp {label}", expired, skew(seconds), skew(seconds),
                           forms=forms, base="probe")  # fmt: skip
        yield from map(within(3.0), cases) if seconds > 0 else cases
    for label, seconds in (("a day ahead", 86400), ("a year behind", -366 * 86400)):
        yield from s.variants(f"timestamp {label}", expired, skew(seconds), skew(seconds))
    for label, seconds in (("ahead", 290), ("behind", -290)):
        cases = s.variants(f"timestamp 290 s {label} (accepted)", PASSED, skew(seconds),
                           skew(seconds), counted=True)  # fmt: skip
        yield from map(within(10.0), cases) if seconds < 0 else cases


def _p6(s: Session) -> Iterator[ProtocolCase]:
    stranger = {"credential": Credential("AKIDtcbcUnknown" + new_token()[5:21], "tcbc-key")}
    yield from s.variants("unknown SecretId", codes.AUTH_SECRET_ID_NOT_FOUND, stranger, stranger,
                          forms=EVERY)  # fmt: skip


def _p7(s: Session) -> Iterator[ProtocolCase]:
    bad, host = codes.AUTH_SIGNATURE_FAILURE, s.client.host
    wrong = Credential(s.client.credential.secret_id, s.client.credential.secret_key + "x")
    yield from s.variants("signed with another key", bad, {"credential": wrong},
                          {"signing_key": wrong.secret_key}, forms=EVERY, base="probe")  # fmt: skip
    changed = json_body(minimal_job(s.region, name="tcbc-changed"))
    yield from s.variants("body changed after signing", bad,
                          {"after": lambda r: r.replace(body=changed)}, base="probe")  # fmt: skip
    requery = {"after": lambda r: r.replace(query=f"JobId={unknown_job_id()}")}
    yield from s.variants("query changed after signing", bad, requery, forms="tc3-get")
    two_days_ago = time.strftime("%Y-%m-%d", time.gmtime(s.factory.now() - 2 * 86400))
    for label, change in {
        "signed header changed after signing": {
            "headers": {"X-TC-RequestClient": "tcbatch-contract"},
            "signed_headers": ("content-type", "host", "x-tc-requestclient"),
            "after": lambda r: r.with_header("X-TC-RequestClient", "tcbatch-contract-2"),
        },
        "Content-Type signed differently from sent": {
            "headers": {"Content-Type": "application/json; charset=utf-8"},
            "after": lambda r: r.with_header("Content-Type", "application/json"),
        },
        "Host signed differently from sent": {
            "headers": {"Host": "batch.tencentcloudapi.com"},
            "after": lambda r: r.with_header("Host", host),
        },
        "credential date is not the timestamp's date": {"date": two_days_ago},
        "credential service is not batch": {"service": "cvm"},
    }.items():
        yield from s.variants(label, bad, change)
    renonce = {"after": _set_pair("Nonce", "12345")}
    yield from s.variants("V1 signature of other parameters", bad, None, renonce, forms=V1S)
    yield from s.variants(
        "V1 signed for another HTTP method", bad, None, {"signing_method": "POST"}
    )
    yield from s.variants("V1 signed with HmacSHA1, stating HmacSHA256", bad, None,
                          {"signing_algorithm": "HmacSHA1"})  # fmt: skip
    # What a correct client may do, and the target must accept.
    scheme = getattr(s.client.transport, "scheme", "http")
    extra = ("content-type", "host", "x-tc-action")
    for label, change in {
        "extra signed header": {"signed_headers": extra},
        "signed header values trimmed and lower-cased": {
            "headers": {"Host": host.upper()}, "signed_headers": extra, "lower_values": True
        },
        "UNSIGNED-PAYLOAD": {"headers": {"X-TC-Content-SHA256": "UNSIGNED-PAYLOAD"}},
        "Host in URL form, as tccli sends it": {"headers": {"Host": f"{scheme}://{host}"}},
        "empty X-TC-Token and X-TC-Language": {"headers": {"X-TC-Token": "", "X-TC-Language": ""}},
    }.items():  # fmt: skip
        yield from s.variants(f"{label} (accepted)", PASSED, change, forms="tc3-post tc3-get",
                              counted=True)  # fmt: skip
    for label, stated in (("HmacSHA1", "HmacSHA1"), ("no SignatureMethod, so HmacSHA1", None)):
        sha1 = {"sign_method": stated, "signing_algorithm": "HmacSHA1"}
        yield from s.variants(f"V1 {label} (accepted)", PASSED, None, sha1, counted=True)
    # A SubmitJob whose only fault is the unknown member: S3 alone, and nothing is created
    # (DescribeJob of an unknown id would also break A2, and either code would conform).
    member = [*flatten(minimal_job(s.region)).items(), ("Tcbc_Probe", "1")]
    for label, dots in (("with `_` read as `.`", True), ("as sent", False)):
        names = {"pairs": member, "underscore_as_dot": dots}
        yield from s.variants(f"V1 names signed {label} (accepted: UnknownParameter)",
                              codes.UNKNOWN_PARAMETER, None, names, forms=V1S, counted=True,
                              base="SubmitJob")  # fmt: skip


def _p8(s: Session) -> Iterator[ProtocolCase]:
    none, empty = {"region": None}, {"region": ""}
    yield from s.variants("no Region", MISSING, none, none, forms="tc3-post tc3-get v1-get",
                          base="submit")  # fmt: skip
    yield from s.variants("empty Region", MISSING, empty, empty, forms="tc3-post v1-get v1-post")
    served = s.target.profile.regions
    nowhere = {"region": next(r for r in ("tcbc-nowhere", "xx-nowhere-9") if r not in served)}
    yield from s.variants("unserved Region", codes.UNSUPPORTED_REGION, nowhere, nowhere,
                          base="submit")  # fmt: skip
    others = [r for r in served if r != s.region]
    if others:
        other = {"region": others[-1]}
        yield from s.variants(f"another served Region, {others[-1]} (accepted)", PASSED, other,
                              other, counted=True)  # fmt: skip


def _p10(s: Session) -> Iterator[ProtocolCase]:
    too_big, token = codes.REQUEST_SIZE_LIMIT_EXCEEDED, new_token()

    def padded(action: str, body: bytes, size: int) -> Callable[[], WireRequest]:
        body = body[:-1] + b" " * (size - len(body)) + b"}"
        return lambda: s.factory.tc3("tc3-post", action, {}, body=body)

    submit = json_body(minimal_job(s.region, name="tcbc-refused", token=token))
    describe = json_body({"JobId": s.unknown_job})
    over = padded("SubmitJob", submit, 10 * MIB + 1)
    yield ProtocolCase("V3 body of 10 MiB + 1 byte", "tc3-post", over, too_big, counted=True,
               action="SubmitJob", probe_token=token)  # fmt: skip
    yield ProtocolCase("V3 body of exactly 10 MiB (accepted)", "tc3-post",
               padded("DescribeJob", describe, 10 * MIB), PASSED, counted=True)  # fmt: skip

    def sized(form: str, size: int) -> Callable[[], WireRequest]:
        def pad(n: int) -> WireRequest:
            member = [("JobId", "job-" + "a" * n)]
            extra = {"query_pairs": member} if form == "tc3-get" else {"pairs": member}
            return s.factory.build(form, "DescribeJob", {}, **extra)

        measure = (lambda r: len(r.body)) if form == "v1-post" else (lambda r: len(r.query))
        return lambda: fit(pad, measure, size)

    for form, limit, what in (("v1-post", MIB, "V1 body"), ("tc3-get", 32 * KIB, "query"),
                              ("v1-get", 32 * KIB, "query")):  # fmt: skip
        unit = "1 MiB" if limit == MIB else "32 KiB"
        yield ProtocolCase(f"{what} of {unit} + 1 byte", form, sized(form, limit + 1), too_big,
                   counted=True)  # fmt: skip
        yield ProtocolCase(f"{what} of exactly {unit} (accepted: JobIdMalformed)", form,
                   sized(form, limit), codes.JOB_ID_MALFORMED, counted=True)  # fmt: skip


def _p11(s: Session) -> Iterator[ProtocolCase]:
    job = s.unknown_job.encode()
    for label, body in {
        "truncated JSON": b'{"JobId": "' + job + b'"',
        "a JSON array": b'[{"JobId": "' + job + b'"}]',
        "an empty body": b"",
        "invalid UTF-8": b'{"JobId": "' + job + b'\xff\xfe"}',
        "a byte-order mark": b'\xef\xbb\xbf{"JobId": "' + job + b'"}',
        "NaN": b'{"JobId": "' + job + b'", "TcbcProbe": NaN}',
        "-Infinity": b'{"JobId": "' + job + b'", "TcbcProbe": -Infinity}',
    }.items():
        yield from s.variants(f"body: {label}", INVALID, {"body": body}, counted=True)
    malformed = codes.JOB_ID_MALFORMED
    for label, values, code in (("the last one wins (accepted)", (b"job-!", job), PASSED),
                                ("the last one malformed", (job, b"job-!"), malformed)):  # fmt: skip
        twice = b'{"JobId": "%s", "JobId": "%s"}' % values
        yield from s.variants(f"JSON key given twice, {label}", code, {"body": twice}, counted=True)
    charset = {"headers": {"Content-Type": "application/json; charset=utf-8"}}
    yield from s.variants("Content-Type application/json; charset=utf-8", INVALID, charset,
                          base="probe", counted=True)  # fmt: skip
    yield from s.variants("Content-Type text/plain", INVALID,
                          {"headers": {"Content-Type": "text/plain"}}, counted=True)  # fmt: skip
    yield from s.variants("V1 POST Content-Type with ; charset=utf-8 (accepted)", PASSED, None,
                          {"content_type": FORM_CONTENT + "; charset=utf-8"}, forms="v1-post",
                          counted=True)  # fmt: skip
    yield from s.variants("GET Content-Type is not checked (accepted)", PASSED,
                          {"headers": {"Content-Type": "application/json"}}, {"content_type": None},
                          forms="tc3-get v1-get", counted=True)  # fmt: skip
    yield from _flattening(s)


def _flattening(s: Session) -> Iterator[ProtocolCase]:
    zone = f"{s.region}-1"
    base = list(flatten(minimal_job(s.region, name="tcbc-flat")).items())
    task2 = [(k.replace(".0.", ".2.", 1), v.replace("t0", "t2")) for k, v in base if ".0." in k]
    for label, pairs in {
        "a list with a gap in its indices": base + task2,
        "a list index with a leading zero": [
            (k.replace("Job.Tasks.0.", "Job.Tasks.00.", 1), v) for k, v in base
        ],
        "a name that is both a leaf and a parent": [*base, ("Placement", zone)],
        "integer +1": [*base, ("Job.Priority", "+1")],
        "integer with a leading space": [*base, ("Job.Priority", " 1")],
        "boolean yes": [*base, ("Job.Tasks.0.RestartComputeNode", "yes")],
    }.items():
        yield from s.variants(f"flattening: {label}", INVALID, {"query_pairs": pairs},
                              {"pairs": pairs}, forms="tc3-get v1-get", base="SubmitJob",
                              counted=True)  # fmt: skip
    yield from s.variants("flattening: a name given twice", INVALID,
                          {"query_pairs": [*base, ("Placement.Zone", zone)]}, forms="tc3-get",
                          base="SubmitJob", counted=True)  # fmt: skip
    for form, values, expected in (
        ("tc3-get", {"Job.Priority": "007", "Job.Tasks.0.MaxRetryCount": "-0",
                     "Job.Tasks.0.RestartComputeNode": "tRuE"}, (7, 0, True)),
        ("v1-get", {"Job.Priority": "-0", "Job.Tasks.0.MaxRetryCount": "01",
                    "Job.Tasks.0.RestartComputeNode": "FALSE"}, (0, 1, False)),
    ):  # fmt: skip
        pairs = base + list(values.items())
        change = {"query_pairs": pairs} if form == "tc3-get" else {"pairs": pairs}
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        yield ProtocolCase(f"flattening: {shown} (accepted)", form,
                   (lambda f, c: lambda: s.factory.build(f, "SubmitJob", {}, **c))(form, change),
                   None, counted=True, action="SubmitJob", creates=True,
                   after=_reads_back(*expected))  # fmt: skip


def _reads_back(priority: int, retries: int, restart: bool):
    def after(s: Session, result: ApiResult) -> list[str]:
        info = s.call("DescribeJobSubmitInfo", {"JobId": result.job_id}).response or {}
        task = (info.get("Tasks") or [{}])[0]
        got = (info.get("Priority"), task.get("MaxRetryCount"), task.get("RestartComputeNode"))
        if got == (priority, retries, restart) and type(got[2]) is bool:
            return []
        return [f"DescribeJobSubmitInfo read back (Priority, MaxRetryCount, RestartComputeNode)"
                f" = {got!r}, expected {(priority, retries, restart)!r}"]  # fmt: skip

    return after


_RULES: tuple[tuple[str, Callable[[Session], Iterator[ProtocolCase]], str], ...] = (
    ("P1", _p1, "HTTP method other than GET or POST"),
    ("P2", _p2, "missing or unknown Action"),
    ("P3", _p3, "missing or unknown Version"),
    ("P4", _p4, "missing or unparsable Authorization / Signature / SecretId"),
    ("P4b", _p4b, "missing or non-integer timestamp, missing Nonce"),
    ("P5", _p5, "timestamp more than 300 s from the target's clock"),
    ("P6", _p6, "unknown SecretId"),
    ("P7", _p7, "signature that does not verify; variants that must verify"),
    ("P8", _p8, "missing or unserved Region"),
    ("P10", _p10, "request over the size limits; exactly at them"),
    ("P11", _p11, "body that is no JSON object, wrong Content-Type, flattening"),
)


def protocol_checks() -> list[Any]:
    """Fresh instances of every protocol check, in rule order (P9 included)."""
    from .rate_limit import RateLimitCheck

    checks: list[Any] = [ProtocolCheck(rule, cases, doc) for rule, cases, doc in _RULES]
    checks.insert(9, RateLimitCheck())
    return checks

"""Every seeded bug is a real one: for each mutant, a request (valid or single-fault, as
the oracle says) or a short scenario whose answer differs between the mutant and the
correct emulator, while the correct emulator answers what the contract requires.

All in-process: the emulator app behind the WSGI transport, signed by the harness client.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tcbatch_contract import codes
from tcbatch_contract.emulator import EmulatorConfig, make_app, mutants
from tcbatch_contract.emulator.mutants._graph import PATH_STEP_CAP
from tcbatch_contract.oracle import Context, evaluate
from tcbatch_contract.transport import Client, Credential, TransportError, WsgiTransport
from tcbatch_contract.transport.raw import RequestFactory

REGION, ZONE, ENV = "ap-guangzhou", "ap-guangzhou-3", "env-mut00001"
CRED = Credential("AKIDmutantsTestOnly0000000000000000", "mutants-test-only-key")
DENIED = Credential("AKIDmutantsDenied00000000000000000", "mutants-denied-key")
QUOTA, RATE = 3, 4
UNKNOWN_JOB = "job-00000000"
COS = "cos://bucket-1250000000.cos.ap-guangzhou.myqcloud.com"


def config(rate_limit: int | None = None) -> EmulatorConfig:
    return EmulatorConfig(
        secret_id=CRED.secret_id, secret_key=CRED.secret_key, known_env_ids=(ENV,),
        job_quota=QUOTA, rate_limit=rate_limit, denied_secret_id=DENIED.secret_id,
        denied_secret_key=DENIED.secret_key,
    )  # fmt: skip


@dataclass
class Side:
    """One emulator (correct or mutated) and the ways a witness talks to it."""

    client: Client
    denied: Client
    factory: RequestFactory
    denied_factory: RequestFactory = field(init=False)

    def __post_init__(self) -> None:
        self.denied_factory = RequestFactory(DENIED, self.factory.host, REGION)

    def call(self, action: str, params: dict[str, Any], form: str = "tc3-post") -> Any:
        return self.client.call(action, params, form=form)

    def raw(self, request: Any) -> Any:
        return self.client.send(request, counted=False, retry_backpressure=False)


def side(mutant: str | None, rate_limit: int | None = None) -> Side:
    app = make_app(config(rate_limit))
    if mutant:
        mutants.apply(app, mutant)
    transport = WsgiTransport(app, host="127.0.0.1:9000")
    client = Client(transport, CRED, REGION, max_backpressure_retries=0, timeout=5.0)
    return Side(
        client, client.replace(credential=DENIED), RequestFactory(CRED, client.host, REGION)
    )


def shape(result: Any) -> tuple[Any, ...]:
    """What a client sees of one answer, with the random parts reduced to their form."""
    wire = result.wire_response
    members = wire.response or {}
    job_id = members.get("JobId")
    return (
        wire.status,
        wire.headers.get("content-type"),
        result.code,
        bool(wire.message) if result.code else None,
        _is_uuid(members.get("RequestId")),
        None if job_id is None else bool(_JOB_ID(job_id)),
        wire.body.isascii(),
    )


def _JOB_ID(text: str) -> bool:
    return (
        len(text) == 12
        and text.startswith("job-")
        and all(c in "abcdefghijklmnopqrstuvwxyz0123456789" for c in text[4:])
    )


def _is_uuid(text: Any) -> bool:
    try:
        return str(uuid.UUID(str(text))) == text
    except ValueError:
        return False


# ---- requests -------------------------------------------------------------------------


def task(name: str = "a", **members: Any) -> dict[str, Any]:
    body = {"TaskName": name, "Application": {"DeliveryForm": "LOCAL", "Command": "echo"},
            "ComputeEnv": {"EnvData": {"InstanceType": "S1.SMALL1"}}}  # fmt: skip
    body.update(members)
    return {k: v for k, v in body.items() if v is not None}


def submit(*tasks: dict[str, Any], zone: str = ZONE, top: Any = None, **job: Any) -> dict:
    params = {"Placement": {"Zone": zone}, "Job": {"Tasks": list(tasks) or [task()], **job}}
    params.update(top or {})
    return params


def env(**data: Any) -> dict[str, Any]:
    """A task whose EnvData has ``data`` (with an InstanceType unless one of the three is given)."""
    if not {"InstanceType", "InstanceTypes", "InstanceTypeOptions"} & set(data):
        data = {"InstanceType": "S1.SMALL1", **data}
    return task(ComputeEnv={"EnvData": data})


def deps(*edges: str) -> list[dict[str, str]]:
    return [{"StartTask": e[0], "EndTask": e[1]} for e in edges]


def notes(*topics: tuple[str, list[str]]) -> list[dict[str, Any]]:
    return [{"TopicName": name, "EventConfigs": [{"EventName": e, "EventVars": []} for e in events]}
            for name, events in topics]  # fmt: skip


def ladder(diamonds: int) -> dict[str, Any]:
    """A valid job whose dependences are a chain of diamonds: 2**diamonds paths end to end."""
    names = [f"t{i}" for i in range(3 * diamonds + 1)]
    edges = []
    for top in range(0, 3 * diamonds, 3):
        a, b, c, d = names[top : top + 4]
        edges += [(a, b), (a, c), (b, d), (c, d)]
    return submit(*(task(n) for n in names), Dependences=[
        {"StartTask": a, "EndTask": b} for a, b in edges])  # fmt: skip


def docker(**members: Any) -> dict[str, Any]:
    app = {"DeliveryForm": "LOCAL", "Command": "x", "Docker": {"Image": "centos:7", **members}}
    return task(Application=app)


@dataclass(frozen=True)
class Body:
    """One request judged by the oracle: valid, or breaking exactly one rule."""

    params: dict[str, Any]
    action: str = "SubmitJob"
    denied: bool = False


R = lambda rest: {"RedirectInfo": {"StdoutRedirectPath": rest}}  # noqa: E731
BODIES: dict[str, Body] = {
    "b6-self-loop-missed": Body(submit(Dependences=deps("aa"))),
    "b6-two-task-cycles-only": Body(
        submit(task("a"), task("b"), task("c"), Dependences=deps("ab", "bc", "ca"))
    ),
    "b6-repeated-edge-is-cycle": Body(submit(task("a"), task("b"), Dependences=deps("ab", "ab"))),
    "b6-diamond-is-cycle": Body(
        submit(*map(task, "abcd"), Dependences=deps("ab", "ac", "bd", "cd"))
    ),
    "b6-exponential-paths": Body(ladder(16)),
    "b1-job-name-off-by-one": Body(submit(JobName="x" * 60)),
    "b1-job-name-utf8-bytes": Body(submit(JobName="名" * 30)),
    "b2-description-utf16": Body(submit(JobDescription="\U0001f600" * 101)),
    "b3-task-name-limit-64": Body(submit(task("a" * 61))),
    "b15-eleven-allowed": Body(submit(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(11)])),
    "b16-task-retry-limit-10": Body(submit(task(MaxRetryCount=6))),
    "b17-delay-on-retry-zero": Body(submit(docker(DelayOnRetry=0))),
    "b23-topic-name-65": Body(submit(Notifications=notes(("t" * 65, ["JOB_RUNNING"])))),
    "b19-scheme-case-blind": Body(submit(task(**R("COS://bucket/logs/")))),
    "b19-scheme-prefix": Body(submit(task(**R("cosn://bucket/logs/")))),
    "b19-skips-package-path": Body(
        submit(
            task(
                Application={
                    "DeliveryForm": "PACKAGE",
                    "Command": "x",
                    "PackagePath": "http://h/pkg.tgz",
                }
            )
        )
    ),
    "b20-no-trailing-slash": Body(submit(task(**R(f"{COS}/logs")))),
    "b20-ascii-whitespace-only": Body(submit(task(**R(f"{COS}/a\u3000b/")))),
    "b21-skips-redirect-local": Body(submit(task(RedirectLocalInfo={"StdoutLocalPath": "logs/"}))),
    "b21-c0-controls-only": Body(
        submit(
            task(OutputMappings=[{"SourcePath": "/data/\x7f", "DestinationPath": f"{COS}/out/"}])
        )
    ),
    "b26-zone-leading-zero": Body(submit(zone="ap-guangzhou-02")),
    "b26-skips-env-zones": Body(submit(env(Zones=["ap-shanghai-1"]))),
    "b8-env-id-case-blind": Body(submit(task(ComputeEnv=None, EnvId="env-ABCD1234"))),
    "b10-image-id-prefix": Body(submit(env(ImageId="img-abcd1234x"))),
    "b22-price-float-parse": Body(
        submit(env(InstanceMarketOptions={"SpotOptions": {"MaxPrice": "1e3"}}))
    ),
    "b24-topic-underscore": Body(submit(Notifications=notes(("a_b", ["JOB_RUNNING"])))),
    "b27-password-one-class": Body(submit(env(LoginSettings={"Password": "abcdefghij"}))),
    "b29-token-allows-space": Body(submit(top={"ClientToken": "a b"})),
    "b4-empty-name-accepted": Body(submit(task(""))),
    "b7-both-allowed": Body(submit(task(EnvId=ENV))),
    "b11-env-type-case-blind": Body(
        submit(task(ComputeEnv={"EnvType": "managed", "EnvData": {"InstanceType": "S1.SMALL1"}}))
    ),
    "b13-empty-commands-given": Body(
        submit(task(Application={"DeliveryForm": "LOCAL", "Commands": []}))
    ),
    "b14-adjacent-only": Body(submit(env(InstanceTypes=["S1.A", "S2.B", "S1.A"]))),
    "b12-truthiness": Body(submit(env(InstanceType="S1.SMALL1", InstanceTypes=[]))),
    "b25-across-notifications": Body(
        submit(Notifications=notes(("t1", ["JOB_RUNNING"]), ("t2", ["JOB_RUNNING"])))
    ),
    "b19-answers-b20": Body(submit(task(**R("s3://bucket/logs/")))),
    "b3-answers-b4": Body(submit(task("b" * 61))),
    "s5-answers-s4": Body(submit(task(Timeout=-1))),
    "b9-answers-b8": Body(submit(task(ComputeEnv=None, EnvId="env-zzzz9999"))),
    "s3-answers-s4": Body(submit(Foo=1)),
    "s3-unknown-ignored": Body(submit(Foo=1)),
    "b18-unchecked": Body(submit(task(TaskInstanceNum=0))),
    "b31-unchecked": Body(submit(), denied=True),
    "s1-nested-unchecked": Body(submit(task(Application={"Command": "x"}))),
    "s4-bool-as-integer": Body(submit(Priority=True)),
    "s4-integral-float": Body(submit(Priority=1.0)),
    "s6-list-items-unchecked": Body(
        submit(env(InstanceTypeOptions={"CPU": 2, "Memory": 4, "InstanceCategories": ["BOGUS"]}))
    ),
    "s4-null-as-absent": Body(submit(JobDescription=None)),
    "http-400-on-errors": Body({"JobId": UNKNOWN_JOB}, "DescribeJob"),
    "content-type-charset": Body({"JobId": UNKNOWN_JOB}, "DescribeJob"),
    "request-id-missing-on-errors": Body({"JobId": UNKNOWN_JOB}, "DescribeJob"),
    "error-message-empty": Body({"JobId": UNKNOWN_JOB}, "DescribeJob"),
    "response-not-ascii": Body(submit(task("名"))),
    "crash-astral-characters": Body(submit(JobName="\U0001f600")),
    "crash-int64-overflow": Body(submit(task(Timeout=2**64))),
    "crash-empty-tasks": Body({"Placement": {"Zone": ZONE}, "Job": {"Tasks": []}}),
}


def test_every_mutant_has_one_witness() -> None:
    assert len(mutants.MUTANTS) >= 40
    assert set(BODIES) | set(SCENARIOS) | set(ROBUSTNESS_WITNESSES) == set(mutants.MUTANTS)
    assert not set(BODIES) & set(SCENARIOS)


def test_every_family_is_seeded() -> None:
    assert {m.family for m in mutants.all_mutants()} == set(mutants.FAMILIES)
    for m in mutants.all_mutants():
        assert m.description and m.name == m.name.lower()


@pytest.mark.parametrize("name", sorted(BODIES))
def test_body_witness(name: str) -> None:
    body = BODIES[name]
    context = Context(REGION, frozenset({ENV}), 0, QUOTA, credential_denied=body.denied)
    outcome = evaluate(body.action, body.params, context)
    assert len(outcome.rules) <= 1, f"witness of {name} is not single-fault: {outcome.to_dict()}"

    def answer(s: Side) -> tuple[Any, ...]:
        client = s.denied if body.denied else s.client
        client = client.replace(timeout=2.0)  # the exponential mutant answers 40 s late
        try:
            return shape(client.call(body.action, body.params))
        except TransportError as exc:
            return ("no answer", exc.kind)

    right, wrong = answer(side(None)), answer(side(name))
    expected = None if outcome.success else outcome.codes[0]
    created = True if expected is None and body.action == "SubmitJob" else None
    message = None if expected is None else True
    assert right == (200, "application/json", expected, message, True, created, True)
    assert wrong != right, f"{name} answers {body.action} exactly as the correct emulator"


def test_exponential_witness_is_past_the_cap() -> None:
    from tcbatch_contract.emulator.mutants._graph import _path_walk_finds_cycle, _TooManySteps

    params = BODIES["b6-exponential-paths"].params
    edges = [(d["StartTask"], d["EndTask"]) for d in params["Job"]["Dependences"]]
    with pytest.raises(_TooManySteps):
        _path_walk_finds_cycle(edges)
    assert not _path_walk_finds_cycle(edges[:8]), "a small graph is walked within the cap"
    assert PATH_STEP_CAP < 2**16


# ---- protocol and state: short scenarios ----------------------------------------------


def _describe(s: Side, **changes: Any) -> str | None:
    """The code of one DescribeJob of an unknown id, changed as asked (None: success)."""
    factory = changes.pop("factory", s.factory)
    form = changes.pop("form", "tc3-post")
    return s.raw(factory.build(form, "DescribeJob", {"JobId": UNKNOWN_JOB}, **changes)).code


def _job(s: Side, **job: Any) -> tuple[str, dict[str, Any]]:
    params = submit(**job)
    result = s.call("SubmitJob", params)
    assert result.job_id, result.code
    return result.job_id, params


def _token_twice(s: Side, between: Callable[[Side, str], None]) -> bool:
    """Submit with one ClientToken, do ``between``, submit again: the same JobId?"""
    token = uuid.uuid4().hex
    first = s.call("SubmitJob", submit(top={"ClientToken": token})).job_id
    between(s, first or "")
    again = s.call("SubmitJob", submit(top={"ClientToken": token}))
    return again.job_id == first


def _fill(s: Side, count: int) -> list[str]:
    return [s.call("SubmitJob", submit()).job_id or "" for _ in range(count)]


def _delete(s: Side, job_id: str) -> None:
    for action in ("TerminateJob", "DeleteJob"):
        assert s.call(action, {"JobId": job_id}).code is None


def _quota_codes(s: Side, before: Callable[[Side], None]) -> list[str | None]:
    before(s)
    return [s.call("SubmitJob", submit()).code for _ in range(QUOTA + 1)]


def _rate(s: Side) -> list[str | None]:
    """RATE requests, RATE+2 refused ones half a second later, one more past the second."""
    seen = [_describe(s) for _ in range(RATE)]
    time.sleep(0.5)
    seen += [_describe(s) for _ in range(RATE + 2)]
    time.sleep(0.6)
    return [*seen, _describe(s)]


def _read_back(action: str, member: str, **job: Any) -> Callable[[Side], bool]:
    def run(s: Side) -> bool:
        job_id, params = _job(s, **job)
        got = s.call(action, {"JobId": job_id}).response or {}
        if action == "DescribeJobSubmitInfo" and member == "Timeout":
            return got["Tasks"][0].get("Timeout") == 86400
        return got.get(member) == params["Job"][member]

    return run


def _v1_oversize(s: Side) -> str | None:
    pad = [("JobId", "job-" + "a" * (1 << 20))]
    return s.raw(s.factory.build("v1-post", "DescribeJob", {}, pairs=pad)).code


def _distinct_request_ids(s: Side) -> bool:
    ids = {s.call("DescribeJob", {"JobId": UNKNOWN_JOB}).request_id for _ in range(3)}
    return len(ids) == 3


PASSED, EXPIRED = codes.RESOURCE_NOT_FOUND_JOB, codes.AUTH_SIGNATURE_EXPIRE
FUTURE = lambda: int(time.time()) + 400  # noqa: E731
TAGS = [{"Key": "team", "Value": "batch"}]
SCENARIOS: dict[str, tuple[Callable[[Side], Any], Any]] = {
    "p7-signature-unverified": (lambda s: _describe(
        s, credential=Credential(CRED.secret_id, "wrong-key")), codes.AUTH_SIGNATURE_FAILURE),
    "p5-timestamp-unchecked": (lambda s: _describe(s, timestamp=FUTURE()), EXPIRED),
    "p5-past-only": (lambda s: _describe(s, timestamp=FUTURE()), EXPIRED),
    "p7-reserialised-body": (lambda s: _describe(
        s, body=json.dumps({"JobId": UNKNOWN_JOB}, indent=1).encode()), PASSED),
    "p8-region-unchecked": (lambda s: _describe(s, region="xx-nowhere-9"),
                            codes.UNSUPPORTED_REGION),
    "p3-version-unchecked": (lambda s: _describe(s, headers={"X-TC-Version": "2020-01-01"}),
                             codes.NO_SUCH_VERSION),
    "p6-answers-p7": (lambda s: _describe(s, credential=Credential("AKIDnobody", "k")),
                      codes.AUTH_SECRET_ID_NOT_FOUND),
    "p11-content-type-params": (lambda s: _describe(
        s, headers={"Content-Type": "application/json; charset=utf-8"}), codes.INVALID_PARAMETER),
    "p4b-nonce-optional": (lambda s: _describe(s, form="v1-get", set_params={"Nonce": None}),
                           codes.MISSING_PARAMETER),
    "p10-v1-body-10mib": (_v1_oversize, codes.REQUEST_SIZE_LIMIT_EXCEEDED),
    "p9-counts-refused": (
        _rate,
        [PASSED] * RATE + [codes.REQUEST_LIMIT_EXCEEDED] * (RATE + 2) + [PASSED],
    ),
    "request-id-reused": (_distinct_request_ids, True),
    "job-id-upper-hex": (lambda s: all(_JOB_ID(j) for j in _fill(s, QUOTA)), True),
    "idempotency-ignored": (lambda s: _token_twice(s, lambda s, j: None), True),
    "idempotency-after-quota": (lambda s: _token_twice(s, lambda s, j: _fill(s, QUOTA - 1)), True),
    "idempotency-forgets-deleted": (lambda s: _token_twice(s, _delete), True),
    "quota-off-by-one": (lambda s: _quota_codes(s, lambda s: None),
                         [None] * QUOTA + [codes.JOB_QUOTA]),
    "b30-answers-b15": (lambda s: _quota_codes(s, lambda s: None),
                        [None] * QUOTA + [codes.JOB_QUOTA]),
    "quota-counts-deleted": (lambda s: _quota_codes(s, lambda s: _delete(s, _fill(s, 1)[0])),
                             [None] * QUOTA + [codes.JOB_QUOTA]),
    "quota-skips-terminated": (lambda s: _quota_codes(s, lambda s: s.call(
        "TerminateJob", {"JobId": _fill(s, 1)[0]}))[: QUOTA], [None] * (QUOTA - 1)
        + [codes.JOB_QUOTA]),
    "describe-drops-tags": (_read_back("DescribeJob", "Tags", Tags=TAGS), True),
    "submit-info-dedups-dependences": (
        lambda s: s.call(
            "DescribeJobSubmitInfo",
            {"JobId": _job(s, Tasks=[task("a"), task("b")], Dependences=deps("ab", "ab"))[0]},
        ).response["Dependences"]
        == deps("ab", "ab"),
        True,
    ),
    "submit-info-timeout-3600": (_read_back("DescribeJobSubmitInfo", "Timeout"), True),
    "description-truncated-100": (_read_back(
        "DescribeJobSubmitInfo", "JobDescription", JobDescription="d" * 150), True),
    "terminate-twice-refused": (lambda s: [s.call("TerminateJob", {"JobId": j}).code
                                           for j in [_job(s)[0]] * 2], [None, None]),
}  # fmt: skip


# ---- between requests: orders of requests (see emulator/mutants/_between.py) -----------

OTHER = "ap-shanghai"


def _in(s: Side, region: str) -> Client:
    return s.client.replace(region=region)


def _state(s: Side, job_id: str, client: Client | None = None) -> Any:
    return ((client or s.client).call("DescribeJob", {"JobId": job_id}).response or {}).get(
        "JobState"
    )


def _token_from_other_region(s: Side) -> bool:
    token = uuid.uuid4().hex
    first = s.call("SubmitJob", submit(top={"ClientToken": token})).job_id
    again = _in(s, OTHER).call("SubmitJob", submit(zone=f"{OTHER}-1", top={"ClientToken": token}))
    return again.job_id == first


def _token_after_refusal(s: Side, refuse: Callable[[Side, str], list[str]]) -> str | None:
    """A SubmitJob with a token is refused; the same token, later valid: is its job real?"""
    token = uuid.uuid4().hex
    for job_id in refuse(s, token):
        _delete(s, job_id)
    made = s.call("SubmitJob", submit(top={"ClientToken": token})).job_id
    return s.call("DescribeJob", {"JobId": made or UNKNOWN_JOB}).code


def _refused_by_quota(s: Side, token: str) -> list[str]:
    held = _fill(s, QUOTA)
    assert s.call("SubmitJob", submit(top={"ClientToken": token})).code == codes.JOB_QUOTA
    return held


def _refused_for_body(s: Side, token: str) -> list[str]:
    refused = s.call("SubmitJob", submit(Priority=101, top={"ClientToken": token}))
    assert refused.code == codes.INVALID_PARAMETER_VALUE
    return []


def _replayed(s: Side, between: Callable[[Side, str], None], then: dict[str, Any]) -> Any:
    token = uuid.uuid4().hex
    job_id = s.call("SubmitJob", submit(Priority=5, Tags=TAGS, top={"ClientToken": token})).job_id
    between(s, job_id or "")
    s.call("SubmitJob", submit(**then, top={"ClientToken": token}))
    answer = s.call("DescribeJob", {"JobId": job_id}).response or {}
    return answer.get("Priority"), answer.get("JobState")


def _terminate(s: Side, job_id: str, client: Client | None = None) -> None:
    assert (client or s.client).call("TerminateJob", {"JobId": job_id}).code is None


def _ids_after_deletes(s: Side) -> bool:
    deleted = _fill(s, QUOTA)
    for job_id in deleted:
        _delete(s, job_id)
    return s.call("SubmitJob", submit()).job_id not in deleted


def _cached_in_other_region(s: Side) -> Any:
    job_id, _ = _job(s)
    _state(s, job_id, _in(s, OTHER))
    _terminate(s, job_id)
    return _state(s, job_id, _in(s, OTHER))


def _latest_name(s: Side) -> Any:
    first, _ = _job(s, JobName="first")
    _job(s, JobName="second")
    return s.call("DescribeJobSubmitInfo", {"JobId": first}).response["JobName"]


def _same_name(s: Side) -> Any:
    first, second = _job(s, JobName="same")[0], _job(s, JobName="same")[0]
    _terminate(s, first)
    return _state(s, second)


def _terminated_twice(s: Side) -> Any:
    job_id, _ = _job(s)
    _terminate(s, job_id)
    _terminate(s, job_id)
    return _state(s, job_id)


def _priority_after_terminate(s: Side) -> Any:
    job_id, _ = _job(s, Priority=5)
    _terminate(s, job_id)
    return s.call("DescribeJob", {"JobId": job_id}).response["Priority"]


def _terminated_from_other_region(s: Side) -> Any:
    job_id, _ = _job(s)
    _terminate(s, job_id, _in(s, OTHER))
    return _state(s, job_id)


def _after_running_delete(s: Side) -> list[str | None]:
    job_id, _ = _job(s)
    assert s.call("DeleteJob", {"JobId": job_id}).code is None
    return [s.call(a, {"JobId": job_id}).code for a in ("DescribeJobSubmitInfo", "TerminateJob")]


GONE = codes.RESOURCE_NOT_FOUND_JOB
SCENARIOS.update({
    "token-replay-after-terminate": (lambda s: _token_twice(s, _terminate), True),
    "token-per-region": (_token_from_other_region, True),
    "token-kept-after-quota-refusal": (lambda s: _token_after_refusal(s, _refused_by_quota), None),
    "token-kept-after-invalid-body": (lambda s: _token_after_refusal(s, _refused_for_body), None),
    "replay-updates-priority-tags": (lambda s: _replayed(s, lambda s, j: None, {"Priority": 9})[0],
                                     5),
    "replay-revives-terminated": (lambda s: _replayed(s, _terminate, {"Priority": 5})[1],
                                  "FAILED"),
    "quota-per-region": (lambda s: _fill(s, QUOTA) and _in(s, OTHER).call(
        "SubmitJob", submit(zone=f"{OTHER}-1")).code, codes.JOB_QUOTA),
    "quota-kept-by-running-delete": (lambda s: s.call("DeleteJob", {"JobId": _fill(s, QUOTA)[0]})
                                     .code or s.call("SubmitJob", submit()).code, None),
    "job-id-reused-after-delete": (_ids_after_deletes, True),
    "describe-region-scoped": (lambda s: _in(s, OTHER).call(
        "DescribeJob", {"JobId": _job(s)[0]}).code, None),
    "describe-cache-per-region": (_cached_in_other_region, "FAILED"),
    "submit-info-latest-job": (_latest_name, "first"),
    "zone-from-request-region": (lambda s: s.call("DescribeJob", {"JobId": _job(s)[0]})
                                 .response["Zone"], ZONE),
    "terminate-by-name": (lambda s: _same_name(s) in ("SUBMITTED", "PENDING"), True),
    "terminate-toggles": (_terminated_twice, "FAILED"),
    "terminate-resets-priority": (_priority_after_terminate, 5),
    "terminate-other-region-ignored": (_terminated_from_other_region, "FAILED"),
    "running-delete-still-found": (_after_running_delete, [GONE, GONE]),
})  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_witness(name: str) -> None:
    run, expected = SCENARIOS[name]
    limit = RATE if name == "p9-counts-refused" else None
    assert run(side(None, limit)) == expected, f"the correct emulator fails the witness of {name}"
    assert run(side(name, limit)) != expected, f"{name} passes its witness"


def test_mutants_are_independent_per_app() -> None:
    mutated = side("p7-signature-unverified")
    correct = side(None)
    wrong_key = {"credential": Credential(CRED.secret_id, "wrong-key")}
    assert _describe(mutated, **wrong_key) == PASSED
    assert _describe(correct, **wrong_key) == codes.AUTH_SIGNATURE_FAILURE


def test_unknown_mutant_names_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="b6-self-loop-missed"):
        mutants.get("no-such-mutant")


def test_emulator_command_serves_a_mutant_over_http() -> None:
    """``tcbatch-contract emulator --mutant NAME`` serves the bug on a real socket."""
    import os
    import re
    import signal
    import subprocess
    import sys

    from tcbatch_contract.emulator import DEFAULT_SECRET_ID
    from tcbatch_contract.transport import HttpTransport

    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    entry = "import sys; from tcbatch_contract.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", entry, "emulator", "--port", "0", "--rate-limit", "none",
               "--mutant", "p7-signature-unverified"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        banner = []
        for line in process.stdout or ():
            banner.append(line)
            if "on purpose" in line:
                break
        text = "".join(banner)
        assert "MUTANT    p7-signature-unverified (protocol)" in text, text
        endpoint = re.search(r"listening on (http://\S+)", text)
        assert endpoint, text
        transport = HttpTransport(endpoint.group(1))
        forged = Client(transport, Credential(DEFAULT_SECRET_ID, "not-the-key"), REGION)
        assert forged.call("DescribeJob", {"JobId": UNKNOWN_JOB}).code == PASSED
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# ---- the robustness mutants: one witness each -----------------------------------------


def _witness(request: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    """What a client sees of the answer to ``request(factory)``: status and code, or why
    there was none (within 2 s)."""

    def answer(s: Any) -> tuple[Any, ...]:
        client = s.client.replace(timeout=2.0)
        try:
            result = client.send(request(s.factory), counted=False, retry_backpressure=False)
        except TransportError as exc:
            return ("no answer", exc.kind)
        return (result.wire_response.status, result.code)

    return answer


def _describe_body(body: bytes) -> Callable[[Any], Any]:
    return lambda f: f.build("tc3-post", "DescribeJob", {}, body=body)


def _many_headers(f: Any) -> Any:
    request = f.build("tc3-post", "DescribeJob", {"JobId": "job-00000000"})
    return request.replace(headers=[*request.headers, *((f"X-E-{i}", "1") for i in range(120))])


def _cut_short(f: Any) -> Any:
    request = f.build("tc3-post", "DescribeJob", {}, body=b'{"JobId": "job-000')
    return request.with_header("Content-Length", "60")


ROBUSTNESS_WITNESSES: dict[str, tuple[Callable[[Any], Any], tuple[Any, ...]]] = {
    "crash-encoded-surrogate": (_describe_body(b'{"JobId": "job-0\xed\xa0\x80"}'),
                                (200, "InvalidParameter")),
    "crash-lone-surrogate": (_describe_body(b'{"JobId": "\\ud800"}'),
                             (200, "InvalidParameter.JobIdMalformed")),
    "crash-number-overflow": (_describe_body(b'{"JobId": 1e400}'), (200, "InvalidParameter")),
    "crash-timestamp-overflow": (
        lambda f: f.build("tc3-post", "DescribeJob", {"JobId": "job-00000000"},
                          timestamp=str(2**64 + 5)), (200, "AuthFailure.SignatureExpire")),
    "crash-many-headers": (_many_headers, (200, "RequestSizeLimitExceeded")),
    "drop-deep-nesting": (_describe_body(b'{"JobId": "job-00000000", "X": ' + b"[" * 20_000
                                         + b"]" * 20_000 + b"}"), (200, "InvalidParameter")),
    "crash-short-body": (_cut_short, (200, "InvalidParameter")),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ROBUSTNESS_WITNESSES))
def test_robustness_mutant_witness(name: str) -> None:
    request, expected = ROBUSTNESS_WITNESSES[name]
    assert _witness(request)(side(None)) == expected
    wrong = _witness(request)(side(name))
    assert wrong != expected, f"{name} answers its witness as the correct emulator does"
    assert wrong[0] in (500, "no answer"), wrong  # it falls over, not merely another code

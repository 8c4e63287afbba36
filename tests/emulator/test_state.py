"""State: persistence, idempotency, quota, lifecycle, denied credentials, injection."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest
from support.emulator_wire import Raw, assert_envelope, send, serving, tc3, valid, with_env_id

from tcbatch_contract.emulator import (
    DEFAULT_SECRET_ID,
    Emulator,
    EmulatorConfig,
    InjectionRule,
    make_app,
)

DENIED_ID = "AKIDtcbatchDENIED00000000000000000"
DENIED_KEY = "tcbatchDENIEDtestOnlyKey000000000"


def submit(emu: Emulator, params: dict | None = None, **kw) -> tuple[str | None, str | None]:
    """(JobId, error code) of a SubmitJob."""
    reply = send(emu, tc3(emu.host, params=params or valid(), **kw))
    assert_envelope(reply)
    return reply.response.get("JobId"), reply.code


def call(emu: Emulator, action: str, job_id: str, **kw) -> dict:
    reply = send(emu, tc3(emu.host, action, {"JobId": job_id}, **kw))
    assert_envelope(reply)
    return reply.response


def test_jobs_survive_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "jobs.sqlite")
    with serving(db_path=db) as first:
        job_id, _ = submit(first)
        token_job, _ = submit(first, {**valid(), "ClientToken": "restart-token"})
    with serving(db_path=db) as second:
        assert call(second, "DescribeJob", job_id)["JobName"] == "test"
        assert submit(second, {**valid(), "ClientToken": "restart-token"})[0] == token_job


def test_concurrent_submissions_with_one_token_create_one_job() -> None:
    with serving() as emu:
        params = {**valid(), "ClientToken": "same-token-for-everyone"}
        results: list[tuple[str | None, str | None]] = []
        start = threading.Barrier(12)

        def one() -> None:
            start.wait()
            results.append(submit(emu, params))

        threads = [threading.Thread(target=one) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 12 and {code for _, code in results} == {None}
        assert len({job_id for job_id, _ in results}) == 1
        assert emu.app.store.count(DEFAULT_SECRET_ID) == 1


def test_token_wins_after_validation_and_before_the_quota() -> None:
    with serving(job_quota=1) as emu:
        first, _ = submit(emu, {**valid(), "ClientToken": "t-1"})
        other_body = {**with_env_id(), "ClientToken": "t-1"}
        assert submit(emu, other_body) == (first, None)  # the token wins over the body
        assert submit(emu, {**valid(), "ClientToken": "t-2"}) == (None, "LimitExceeded.JobQuota")
        invalid = {**valid(), "ClientToken": "t-1"}
        invalid["Job"]["JobName"] = "x" * 61
        assert submit(emu, invalid) == (None, "InvalidParameter.JobNameTooLong")
        call(emu, "DeleteJob", first)
        assert submit(emu, {**valid(), "ClientToken": "t-1"}) == (first, None)  # even deleted
        fresh, code = submit(emu)  # the deleted job no longer counts
        assert code is None and fresh != first


def test_tokens_belong_to_one_credential() -> None:
    with serving(denied_secret_id=DENIED_ID, denied_secret_key=DENIED_KEY) as emu:
        params = {**valid(), "ClientToken": "shared-token"}
        job_id, _ = submit(emu, params)
        assert submit(emu, params)[0] == job_id
        denied = submit(emu, params, secret_id=DENIED_ID, secret_key=DENIED_KEY)
        assert denied == (None, "UnauthorizedOperation.UserNotAllowedToUseBatch")


MORE_ID, MORE_KEY = "AKIDtcbatchMOREKEY000000000000000000", "tcbatchMOREtestOnlyKey0000000000"


def test_every_key_of_the_account_sees_its_jobs_and_quota_and_keeps_its_own_tokens() -> None:
    """Jobs and the quota are the account's; a ClientToken is the key's (SecretId,
    ClientToken), as the contract's idempotency clarification says."""
    other = {"secret_id": MORE_ID, "secret_key": MORE_KEY}
    with serving(job_quota=2, more_keys=((MORE_ID, MORE_KEY),)) as emu:
        params = {**valid(), "ClientToken": "one-token-two-keys"}
        job_id, _ = submit(emu, params)
        second, code = submit(emu, params, **other)  # the other key never used this token
        assert code is None and second != job_id
        assert submit(emu, params, **other) == (second, None)  # its replay, its job
        assert submit(emu, params) == (job_id, None)
        assert call(emu, "DescribeJob", job_id, **other)["JobName"] == "test"
        assert submit(emu) == (None, "LimitExceeded.JobQuota")  # two keys, one quota
        call(emu, "DeleteJob", job_id, **other)
        assert "Error" in call(emu, "DescribeJob", job_id)
        assert submit(emu)[1] is None  # the deleted job freed the account's quota


def test_the_rate_limit_counts_each_key_apart() -> None:
    """P9: the window is per (SecretId, Action), so a second key of the account has one
    of its own."""
    with serving(rate_limit=3, more_keys=((MORE_ID, MORE_KEY),)) as emu:
        first = [submit(emu, {"Job": {}})[1] for _ in range(4)]
        other = submit(emu, {"Job": {}}, secret_id=MORE_ID, secret_key=MORE_KEY)[1]
    assert first[-1] == "RequestLimitExceeded"
    assert other not in (None, "RequestLimitExceeded")  # counted, refused on its body only


def test_quota_counts_undeleted_jobs_of_the_account() -> None:
    with serving(job_quota=2) as emu:
        ids = [submit(emu)[0] for _ in range(2)]
        assert submit(emu) == (None, "LimitExceeded.JobQuota")
        call(emu, "TerminateJob", ids[0])
        assert submit(emu) == (None, "LimitExceeded.JobQuota")  # terminated still counts
        call(emu, "DeleteJob", ids[0])
        assert submit(emu)[1] is None
        assert submit(emu) == (None, "LimitExceeded.JobQuota")


def test_quota_zero_refuses_every_job() -> None:
    with serving(job_quota=0) as emu:
        assert submit(emu) == (None, "LimitExceeded.JobQuota")


def test_lifecycle() -> None:
    with serving() as emu:
        job_id, _ = submit(emu)
        described = call(emu, "DescribeJob", job_id)
        assert described["JobState"] == "SUBMITTED"
        assert described["TaskSet"][0]["TaskState"] == "PENDING"
        assert time.strptime(described["CreateTime"], "%Y-%m-%dT%H:%M:%SZ")
        time.sleep(1.1)
        assert call(emu, "DescribeJob", job_id)["JobState"] == "PENDING"
        assert "Error" not in call(emu, "TerminateJob", job_id)
        assert "Error" not in call(emu, "TerminateJob", job_id)
        terminated = call(emu, "DescribeJob", job_id)
        assert terminated["JobState"] == "FAILED" and terminated["EndTime"]
        running, _ = submit(emu)
        assert "Error" not in call(emu, "DeleteJob", running)  # deleting a running job is fine
        for action in ("DescribeJob", "DescribeJobSubmitInfo", "TerminateJob", "DeleteJob"):
            assert call(emu, action, running)["Error"]["Code"] == "ResourceNotFound.Job"


def test_jobs_belong_to_the_account_not_the_region() -> None:
    with serving() as emu:
        job_id, _ = submit(emu)
        described = call(emu, "DescribeJob", job_id, region="ap-singapore")
        assert described["Zone"] == "ap-guangzhou-2"


def test_denied_credential_is_refused_for_every_action() -> None:
    with serving(denied_secret_id=DENIED_ID, denied_secret_key=DENIED_KEY) as emu:
        job_id, _ = submit(emu)
        code = "UnauthorizedOperation.UserNotAllowedToUseBatch"
        assert submit(emu, secret_id=DENIED_ID, secret_key=DENIED_KEY) == (None, code)
        reply = call(emu, "DescribeJob", job_id, secret_id=DENIED_ID, secret_key=DENIED_KEY)
        assert reply["Error"]["Code"] == code
        assert emu.app.store.count(DENIED_ID) == 0


def test_known_compute_environments_are_configuration() -> None:
    with serving(known_env_ids=("env-aaaa1111",)) as emu:
        params = with_env_id()
        params["Job"]["Tasks"][0]["EnvId"] = "env-aaaa1111"
        assert submit(emu, params)[1] is None
        params["Job"]["Tasks"][0]["EnvId"] = "env-bbbb2222"
        assert submit(emu, params) == (None, "ResourceNotFound.ComputeEnv")


def test_protocol_refusals_create_no_job() -> None:
    with serving() as emu:
        raw = tc3(emu.host, params=valid(), secret_key="wrong")
        assert send(emu, raw).code == "AuthFailure.SignatureFailure"
        assert (
            send(emu, tc3(emu.host, params=valid(), region="ap-mars")).code == "UnsupportedRegion"
        )
        assert emu.app.store.count(DEFAULT_SECRET_ID) == 0


def test_reset_forgets_jobs() -> None:
    with serving() as emu:
        job_id, _ = submit(emu)
        emu.reset()
        assert call(emu, "DescribeJob", job_id)["Error"]["Code"] == "ResourceNotFound.Job"


def _environ(raw: Raw) -> dict:
    path, _, query = raw.target.partition("?")
    environ = {"REQUEST_METHOD": raw.method, "PATH_INFO": path, "QUERY_STRING": query,
               "wsgi.input": io.BytesIO(raw.body), "CONTENT_LENGTH": str(len(raw.body))}  # fmt: skip
    for name, value in raw.headers:
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else "HTTP_" + key] = value
    return environ


def test_the_wsgi_app_shares_the_servers_state() -> None:
    import json

    with serving() as emu:
        job_id, _ = submit(emu)
        statuses = []
        body = emu.app(
            _environ(tc3(emu.host, "DescribeJob", {"JobId": job_id})),
            lambda status, headers: statuses.append((status, dict(headers))),
        )
        assert statuses[0][0] == "200 OK"
        assert statuses[0][1]["Content-Type"] == "application/json"
        assert json.loads(b"".join(body))["Response"]["JobId"] == job_id


# -- fault injection ----------------------------------------------------------------------


def test_injections_are_off_by_default() -> None:
    assert EmulatorConfig().injections == ()
    with serving() as emu:
        codes = {submit(emu)[1] for _ in range(30)}
        assert codes == {None}


def test_every_nth_fault() -> None:
    rule = InjectionRule(code="InternalError.CallCvm", action="SubmitJob", every=3)
    with serving(injections=(rule,)) as emu:
        codes = [submit(emu)[1] for _ in range(6)]
        assert codes == [None, None, "InternalError.CallCvm"] * 2
        assert emu.app.store.count(DEFAULT_SECRET_ID) == 4  # a faulted request creates nothing
        described = send(emu, tc3(emu.host, "DescribeJob", {"JobId": "job-00000000"}))
        assert described.code == "ResourceNotFound.Job"  # other actions are untouched


def test_probability_injections_repeat_with_the_seed() -> None:
    rules = (
        InjectionRule(code="InternalError.CallTagAPI", probability=0.5, seed=7),
        InjectionRule(code="RequestLimitExceeded", action="DescribeJob", every=1),
    )
    runs = []
    for _ in range(2):
        with serving(injections=rules) as emu:
            runs.append([submit(emu)[1] for _ in range(20)])
            reply = send(emu, tc3(emu.host, "DescribeJob", {"JobId": "job-00000000"}))
            assert reply.code == "RequestLimitExceeded"
    assert runs[0] == runs[1]
    assert set(runs[0]) == {None, "InternalError.CallTagAPI"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"code": "InternalError", "every": 1},
        {"code": "InternalError.CallCvm"},
        {"code": "InternalError.CallCvm", "every": 0},
        {"code": "InternalError.CallCvm", "probability": 1.5},
        {"code": "InternalError.CallCvm", "every": 2, "probability": 0.5},
    ],
)
def test_fault_rules_are_checked(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        InjectionRule(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"secret_id": ""},
        {"denied_secret_id": "AKIDx"},
        {"known_env_ids": ("env-BAD",)},
        {"job_quota": -1},
        {"rate_limit": 0},
        {"regions": ()},
        {"more_keys": (("AKIDmore1", ""),)},
        {"more_keys": (("AKIDmore1", "k1"), ("AKIDmore1", "k2"))},
        {"more_keys": ((DEFAULT_SECRET_ID, "k1"),)},
        {
            "more_keys": ((DENIED_ID, "k1"),),
            "denied_secret_id": DENIED_ID,
            "denied_secret_key": "d",
        },
    ],
)
def test_configuration_is_checked(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        make_app(EmulatorConfig(**kwargs))

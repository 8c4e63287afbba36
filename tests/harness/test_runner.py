"""The runner against the real emulator, in-process: verdicts, shrinking, cleanup.

A broken target is the emulator behind a small WSGI wrapper that rewrites one kind of
answer; the runner must name the rule that breaks and keep the smallest failing payload.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.harness.model import RuleResult, RunSettings, Status
from tcbatch_contract.harness.runner import Runner, all_checks, catalogue_rules
from tcbatch_contract.harness.targets import TargetFactory, TargetSetup
from tcbatch_contract.harness.workers import EmulatorRecipe
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.transport import Credential, WsgiTransport

SECRET_ID = "AKIDrunnerTEST00000000000000000000"
SECRET_KEY = "runnerTESTkey0000000000000000"
ENV_ID = "env-runtest1"


def config(**changes: Any) -> EmulatorConfig:
    values: dict[str, Any] = {
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "known_env_ids": (ENV_ID,),
        "job_quota": 5,
        "rate_limit": 200,
    }
    values.update(changes)
    return EmulatorConfig(**values)


def rewriting(app: Callable, rewrite: Callable[[dict], dict]) -> Callable:
    """A WSGI app answering like ``app``, with each JSON answer passed through ``rewrite``."""

    def wrapped(environ, start_response):
        seen: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return lambda data: None

        body = b"".join(app(environ, capture))
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if isinstance(document, dict):
            body = json.dumps(rewrite(document)).encode()
        headers = [(k, v) for k, v in seen["headers"] if k.lower() != "content-length"]
        start_response(seen["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return wrapped


def targets_for(app: Callable, cfg: EmulatorConfig) -> TargetFactory:
    profile = TargetProfile(
        known_env_ids=cfg.known_env_ids, job_quota=cfg.job_quota, rate_limit=cfg.rate_limit
    )
    transport = WsgiTransport(app, host="127.0.0.1:9000")
    spec = TargetSetup(
        "test", profile, transport, transport.host, Credential(SECRET_ID, SECRET_KEY)
    )
    return TargetFactory(spec)


def run(app: Callable, cfg: EmulatorConfig, rules: set[str], max_examples: int = 20):
    runner = Runner(
        targets_for(app, cfg),
        RunSettings(max_examples=max_examples),
        checks=all_checks(),
        rules=catalogue_rules(),
        selected=rules,
    )
    report = runner.run("test", None)
    return report, {r.rule: r for r in report.results}


def test_a_wrong_code_fails_its_rule_with_a_shrunk_payload() -> None:
    def generic(document: dict) -> dict:
        error = document["Response"].get("Error")
        if error and error["Code"] == "InvalidParameter.JobNameTooLong":
            error["Code"] = "InvalidParameter"
        return document

    cfg = config()
    report, by_rule = run(rewriting(make_app(cfg), generic), cfg, {"B1", "B2"})
    assert report.exit_code == 1
    assert by_rule["B2"].status is Status.PASS
    b1: RuleResult = by_rule["B1"]
    assert b1.status is Status.FAIL
    assert b1.requests_to_first_failure is not None and b1.requests_to_first_failure >= 1
    failure = b1.failures[0]
    assert failure.summary == "expected InvalidParameter.JobNameTooLong, got InvalidParameter"
    assert failure.field == "Job.JobName"
    job = failure.params["Job"]
    assert len(job["JobName"]) == 61  # shrunk to the limit plus one
    assert len(job["Tasks"]) == 1
    assert by_rule["RESPONSE-FORM"].status is Status.PASS


def test_a_member_dropped_on_read_back_fails_valid() -> None:
    def drop_redirect(document: dict) -> dict:
        for task in document["Response"].get("Tasks") or []:
            task.pop("RedirectInfo", None)
        return document

    cfg = config()
    _, by_rule = run(rewriting(make_app(cfg), drop_redirect), cfg, {"VALID"}, max_examples=5)
    valid = by_rule["VALID"]
    assert valid.status is Status.FAIL
    problems = valid.failures[0].actual.get("problems") or [valid.failures[0].summary]
    assert any("RedirectInfo" in p and "missing from the answer" in p for p in problems)


def test_a_bad_envelope_fails_the_rule_and_response_form() -> None:
    def charset(app: Callable) -> Callable:
        def wrapped(environ, start_response):
            def sr(status, headers, exc_info=None):
                fixed = [
                    (k, "application/json; charset=utf-8" if k.lower() == "content-type" else v)
                    for k, v in headers
                ]
                return start_response(status, fixed)

            return app(environ, sr)

        return wrapped

    cfg = config()
    _, by_rule = run(charset(make_app(cfg)), cfg, {"B3", "P6"}, max_examples=5)
    assert by_rule["B3"].status is Status.FAIL
    assert "Content-Type" in by_rule["B3"].failures[0].summary
    assert by_rule["P6"].status is Status.FAIL
    form = by_rule["RESPONSE-FORM"]
    assert form.status is Status.FAIL and form.failures
    assert {f.summary.split("]")[0] for f in form.failures} >= {"[B3", "[P6"}


def test_rules_the_profile_cannot_check_are_skipped_with_the_reason() -> None:
    cfg = config()
    transport = WsgiTransport(make_app(cfg), host="127.0.0.1:9000")
    spec = TargetSetup(
        "test", TargetProfile(), transport, transport.host, Credential(SECRET_ID, SECRET_KEY)
    )
    runner = Runner(
        TargetFactory(spec),
        RunSettings(max_examples=3),
        checks=all_checks(),
        rules=catalogue_rules(),
        selected={"B9", "B30", "B31", "P9", "B1"},
    )
    by_rule = {r.rule: r for r in runner.run("test", None).results}
    for rule, option in (
        ("B9", "--known-env-id"),
        ("B30", "--job-quota"),
        ("B31", "--denied"),
        ("P9", "--rate-limit"),
    ):
        assert by_rule[rule].status is Status.SKIP, rule
        assert option in by_rule[rule].reason
    assert by_rule["B1"].status is Status.PASS


class _Interrupting:
    """A check that creates a job and then is interrupted, as Ctrl-C would."""

    rule = "VALID"
    job_id = ""

    def run(self, target, settings):
        result = target.client.call(
            "SubmitJob",
            {
                "Placement": {"Zone": "ap-guangzhou-1"},
                "Job": {
                    "Tasks": [
                        {"Application": {"DeliveryForm": "LOCAL", "Command": "x"}, "EnvId": ENV_ID}
                    ]
                },
            },
        )
        self.job_id = result.response["JobId"]
        target.created_jobs.add(self.job_id)
        raise KeyboardInterrupt


def test_an_interrupted_run_deletes_the_jobs_it_created() -> None:
    cfg = config()
    targets = targets_for(make_app(cfg), cfg)
    check = _Interrupting()
    runner = Runner(
        targets, RunSettings(), checks=[check], rules=catalogue_rules(), selected={"VALID"}
    )
    report = runner.run("test", None)
    assert runner.stop.is_set()
    assert any("interrupted" in note for note in report.notes)
    assert check.job_id and not targets.created_jobs
    described = targets.target().client.call("DescribeJob", {"JobId": check.job_id})
    assert described.code == "ResourceNotFound.Job"


def test_parallel_workers_reach_the_same_verdicts(tmp_path: Path) -> None:
    cfg = config(
        rate_limit=50,
        denied_secret_id="AKIDdeniedTEST000000",
        denied_secret_key="deniedKey0000",
        db_path=str(tmp_path / "jobs.sqlite3"),
    )
    profile = TargetProfile(
        known_env_ids=cfg.known_env_ids,
        job_quota=cfg.job_quota,
        rate_limit=cfg.rate_limit,
        denied_secret_id=cfg.denied_secret_id,
        denied_secret_key=cfg.denied_secret_key,
    )
    transport = WsgiTransport(make_app(cfg), host="127.0.0.1:9000")
    spec = TargetSetup(
        "test",
        profile,
        transport,
        transport.host,
        Credential(SECRET_ID, SECRET_KEY),
        Credential(cfg.denied_secret_id, cfg.denied_secret_key),
        recipe=EmulatorRecipe(cfg, transport.host),
    )
    selected = {"S3", "B6", "B20", "VALID", "FUZZ", "P7", "B30", "STATE-LIFECYCLE"}
    runner = Runner(
        TargetFactory(spec),
        RunSettings(max_examples=4),
        checks=all_checks(),
        rules=catalogue_rules(),
        selected=selected,
        workers=3,
    )
    report = runner.run("test", None)
    assert runner.workers == 3
    verdicts = {r.rule: r.status for r in report.results}
    why = {
        r.rule: (r.reason, [f.summary for f in r.failures + r.harness_errors][:2])
        for r in report.results
        if r.status is not Status.PASS
    }
    assert verdicts == dict.fromkeys([*selected, "RESPONSE-FORM"], Status.PASS), why
    assert report.exit_code == 0

"""STATE-MODEL passes against the emulator, leaves no job behind, draws the same sequences
from the same seed, and fails against a seeded bug that lives between requests, with a
sequence whose reproduction is a script."""

from __future__ import annotations

from tcbatch_contract.cli.mutation_score import target_spec
from tcbatch_contract.harness.checks.state_model import RULE, StateModelCheck
from tcbatch_contract.harness.model import RunReport, RunSettings, Status
from tcbatch_contract.harness.report.document import render_markdown, report_blocks
from tcbatch_contract.harness.report.reproduction import sdk_sequence
from tcbatch_contract.harness.runner import all_checks
from tcbatch_contract.harness.targets import TargetFactory
from tcbatch_contract.transport import Client


def run(mutant: str | None, examples: int = 5, seed: int = 0):
    spec = target_spec(mutant, 10.0)
    target = TargetFactory(spec).target()
    # A bound, not a duration: on a quiet machine shrinking ends in a few seconds.
    settings = RunSettings(max_examples=examples, seed=seed, shrink_seconds=40.0)
    return StateModelCheck().run(target, settings), target, spec


def held_jobs(spec) -> int:
    """Undeleted jobs of the run's credential, as the target itself counts them."""
    client = Client(spec.transport, spec.credential, spec.profile.region, host=spec.host)
    quota = spec.profile.job_quota
    made = []
    for _ in range(quota + 1):
        result = client.call("SubmitJob", _valid(spec.profile.region))
        if not result.job_id:
            assert result.code == "LimitExceeded.JobQuota", result.code
            break
        made.append(result.job_id)
    return quota - len(made)


def _valid(region: str) -> dict:
    from tcbatch_contract.harness.checks.session import minimal_job

    return minimal_job(region, name="tcbc-count")


def test_registered_as_a_rule_of_run() -> None:
    assert [c.rule for c in all_checks()].count(RULE) == 1


def test_passes_against_the_emulator_and_deletes_every_job() -> None:
    result, target, spec = run(None)
    assert result.status is Status.PASS, [f.summary for f in result.failures] or result.reason
    assert result.cases >= 20 and result.requests >= result.cases
    assert not target.created_jobs
    assert held_jobs(spec) == 0  # the quota is whole again: every job was deleted


def test_the_same_seed_sends_the_same_sequences() -> None:
    first, second, other = run(None)[0], run(None)[0], run(None, seed=1)[0]
    assert first.digest and first.digest == second.digest
    assert other.digest != first.digest


def test_a_second_terminate_that_revives_the_job_is_caught_and_shrunk() -> None:
    result, target, _ = run("terminate-toggles", examples=25)
    assert result.status is Status.FAIL
    failure = result.failures[0]
    steps = failure.steps or []
    actions = [s["action"] for s in steps]
    # The shortest such sequence: SubmitJob, TerminateJob twice, DescribeJob.
    assert actions == ["SubmitJob", "TerminateJob", "TerminateJob", "DescribeJob"], actions
    assert "FAILED" in steps[-1]["expected"] and "FAILED" not in steps[-1]["got"]
    assert result.requests_to_first_failure is not None
    assert not target.created_jobs
    script = sdk_sequence(steps, endpoint="http://127.0.0.1:9000")
    compile(script, "sequence.py", "exec")
    assert 'jobs["j' in script and '"TENCENTCLOUD_"' in script
    assert target.client.credential.secret_key not in script
    report = RunReport(target="emulator", profile=target.profile, settings=RunSettings(),
                       results=[result], endpoint="http://127.0.0.1:9000")  # fmt: skip
    text = render_markdown(report_blocks(report))
    assert "the sequence (4 requests, shrunk)" in text and script in text


def test_a_zone_read_back_from_the_request_region_is_caught() -> None:
    result, _, _ = run("zone-from-request-region", examples=25)
    assert result.status is Status.FAIL
    steps = result.failures[0].steps or []
    assert steps[-1]["action"] == "DescribeJob"
    assert "Zone" in result.failures[0].summary

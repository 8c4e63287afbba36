"""Every job a SubmitJob made is noted as the exchange ends, before the check reads it.

So a Ctrl-C that comes at any point after the answer, before the check that sent it has
noted the job itself, still leaves the run's clean-up a job to delete. A ClientToken
replayed after its job was deleted names that job again; it is not noted a second time.
"""

from __future__ import annotations

from tcbatch_contract.cli.mutation_score import target_spec
from tcbatch_contract.harness.exchange import delete_job, send
from tcbatch_contract.harness.targets import TargetFactory

JOB = {
    "Placement": {"Zone": "ap-guangzhou-2"},
    "Job": {
        "Tasks": [{"Application": {"DeliveryForm": "LOCAL", "Command": "echo"},
                   "ComputeEnv": {"EnvData": {"InstanceType": "S1.SMALL1"}}}],
    },
    "ClientToken": "noted-once",
}  # fmt: skip


def test_a_new_job_is_noted_by_the_exchange_and_a_replay_of_its_token_is_not() -> None:
    factory = TargetFactory(target_spec(None, 35.0))
    target = factory.target(factory.observer("VALID"))
    made = send(target, "SubmitJob", JOB, form="tc3-post")
    assert made.code is None and made.job_id
    assert factory.created_jobs == {made.job_id}  # noted without the check's help
    assert delete_job(target, made.job_id) == []
    assert factory.created_jobs == set()
    again = send(target, "SubmitJob", JOB, form="tc3-post")
    assert again.job_id == made.job_id  # the token names the deleted job (section 7)
    assert factory.created_jobs == set()  # nothing to delete: it is gone
    other = send(target, "SubmitJob", {**JOB, "ClientToken": "noted-too"}, form="tc3-post")
    assert factory.created_jobs == {other.job_id}
    assert delete_job(target, other.job_id) == []

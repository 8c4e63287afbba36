"""A run against the embedded emulator signs each check with the next API key of its
account, so that no check waits on the rate-limit window of the one before."""

from __future__ import annotations

import dataclasses
import re

from tcbatch_contract.cli.mutation_score import target_spec
from tcbatch_contract.harness.model import RunSettings, Status
from tcbatch_contract.harness.runner import Runner, all_checks, catalogue_rules
from tcbatch_contract.harness.targets import TargetFactory
from tcbatch_contract.transport import WireRequest, WireResponse

SIGNED_BY = re.compile(r"Credential=([^/]+)/")


def test_each_check_takes_the_next_key_and_the_run_itself_the_first() -> None:
    spec = target_spec(None, 35.0)
    keys = [spec.credential, *spec.more_credentials]
    assert len(keys) > 2
    factory = TargetFactory(spec)
    used = [factory.target(factory.observer("B1")).client.credential for _ in range(2 * len(keys))]
    assert used == keys * 2
    assert factory.target().client.credential == spec.credential  # probes and the clean-up


class Signers:
    """A transport that keeps the SecretId each request was signed with."""

    def __init__(self, inner) -> None:
        self.inner, self.secret_ids = inner, []

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        found = SIGNED_BY.search(request.header("Authorization") or "")
        self.secret_ids.append(found.group(1) if found else None)
        return self.inner.send(request, timeout)


def test_a_run_over_several_keys_of_one_account_is_judged_as_over_one() -> None:
    """Jobs, tokens and the quota are the account's: the checks that submit, read back
    and delete pass whichever of its keys signed."""
    spec = target_spec(None, 35.0)
    signers = Signers(spec.transport)
    spec = dataclasses.replace(spec, transport=signers)
    runner = Runner(
        TargetFactory(spec), RunSettings(max_examples=6), checks=all_checks(),
        rules=catalogue_rules(), selected={"VALID", "B1", "S6", "STATE-IDEMPOTENCY"},
    )  # fmt: skip
    report = runner.run("emulator", None)
    statuses = {r.rule: r.status for r in report.results}
    for rule in ("VALID", "B1", "S6", "STATE-IDEMPOTENCY", "RESPONSE-FORM"):
        assert statuses[rule] is Status.PASS, statuses
    account = {spec.credential.secret_id, *(c.secret_id for c in spec.more_credentials)}
    used = {s for s in signers.secret_ids if s is not None}
    assert len(used) >= 4 and used <= account

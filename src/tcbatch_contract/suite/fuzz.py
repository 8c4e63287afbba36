"""The suite's fuzz tests: one plain Hypothesis test per generated rule, for HypoFuzz.

``test_contract.py`` runs each rule as ``tcbatch-contract run`` does (a budget of cases,
then a verdict). A fuzzer needs something else: ordinary ``@given`` tests it can run for
hours, choosing which one to feed. Here each generated rule (every single-fault rule,
VALID, FUZZ) is such a test: it draws a case from the rule's strategy, judges it exactly as
the run does (the oracle's label checked first, then the target's answer) and fails on a
broken contract. The module is not named ``test_*`` so that the suite's rule-by-rule run
leaves it out; name it to run it: ``pytest --pyargs tcbatch_contract.suite.fuzz`` runs a
few examples of each, ``hypothesis fuzz -- --pyargs tcbatch_contract.suite.fuzz`` runs
them until stopped. With
``--tcbatch-database`` the failures they find are saved to, and replayed first from, the
shared example database (docs/fleet.md).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: Strategies that draw large jobs, filter, and take a live target's time; not nested_given,
#: which HypoFuzz refuses to see suppressed.
_SUPPRESSED = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]


def _generated_rules() -> list[str]:
    from tcbatch_contract.harness.checks.generated import generated_checks

    return [check.rule for check in generated_checks()]


@pytest.fixture(scope="session")
def tcbatch_fuzz_target(request: pytest.FixtureRequest) -> Any:
    """The suite's target (its options), and the generated checks by rule."""
    from tcbatch_contract.harness.checks.generated import generated_checks
    from tcbatch_contract.suite._session import Suite

    suite = Suite(request.config)
    checks = {check.rule: check for check in generated_checks()}
    try:
        yield suite, checks
    finally:
        suite.close()


@pytest.mark.tcbatch
@pytest.mark.parametrize("tcbatch_fuzz_rule", _generated_rules())
@settings(max_examples=5, deadline=None, suppress_health_check=_SUPPRESSED)
@given(data=st.data())
def test_fuzz(tcbatch_fuzz_target: Any, tcbatch_fuzz_rule: str, data: Any) -> None:
    """A drawn case of the rule gets the answer the contract requires."""
    suite, checks = tcbatch_fuzz_target
    check = checks[tcbatch_fuzz_rule]
    target = suite.targets.target()
    case = data.draw(check.strategy(target), label="case")
    pick = data.draw(st.integers(0, 9), label="pick")
    judgement = check.judge(case, pick, target, suite.settings)
    if judgement.harness_error is not None:
        pytest.fail(f"harness error, not the target's: {judgement.harness_error.summary}")
    if judgement.failure is not None:
        failure = judgement.failure
        raise AssertionError(
            f"{failure.summary}\n  expected: {failure.expected}\n  actual: {failure.actual}"
        )

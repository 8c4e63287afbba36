"""The conformance suite: one test per rule of the contract, against ``--tcbatch-target``.

    pytest --pyargs tcbatch_contract.suite                       # the embedded emulator
    pytest --pyargs tcbatch_contract.suite -n auto --tcbatch-target http://127.0.0.1:9000 \\
        --tcbatch-secret-id ... --tcbatch-secret-key ... --tcbatch-rules B1,B19,P5

The rules are the ones ``tcbatch-contract run`` checks, from the same list of checks, and
each test passes, fails, or is skipped as that rule does in a run. A rule declared in
``--tcbatch-expectations`` is marked xfail (so a pass shows as XPASS); contract drift of a
live service shows as xfail with the rule's basis.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "tcbatch_rule" in metafunc.fixturenames:
        from tcbatch_contract.suite._session import rule_ids

        ids = rule_ids(metafunc.config)
        metafunc.parametrize("tcbatch_rule", ids, ids=ids)


@pytest.fixture(scope="session")
def tcbatch_suite(request: pytest.FixtureRequest) -> Iterator[object]:
    """The target this test process checks, and what its rules found so far."""
    from tcbatch_contract.suite._session import Suite

    suite = Suite(request.config)
    try:
        yield suite
    finally:
        suite.close()


@pytest.mark.tcbatch
def test_rule(tcbatch_suite, tcbatch_rule: str) -> None:
    """The target meets the rule (see ``tcbatch-contract rules`` for what each one says)."""
    tcbatch_suite.verdict(tcbatch_rule)

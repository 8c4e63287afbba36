"""pytest plugin of tcbatch-contract: the suite's options and fixtures for people's own tests.

Registered through the ``pytest11`` entry point, so it loads in every pytest session of an
environment where the package is installed: it therefore imports nothing but pytest at
module level; the emulator, the clients and the suite are imported by the fixtures and
hooks that use them, when they are used.

* ``pytest --pyargs tcbatch_contract.suite --tcbatch-target URL ...`` runs the conformance
  suite, one test per rule, with the options of ``tcbatch-contract run`` (``--tcbatch-*``).
* ``tcbatch_emulator`` (a running emulator on a free loopback port, reset before each
  test) and ``tcbatch_client`` (a signing client for it) serve any test. Under
  pytest-xdist each worker process runs its own emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    # Generated from the run options' table, as ``run``'s are (config.py is a light import):
    # a ``--tcbatch-*`` option, and a ``tcbatch_*`` ini twin for each option a file may set.
    from tcbatch_contract.config import argparse_keywords, file_key, help_text, ini_name, table

    group = parser.getgroup("tcbatch", "tcbatch-contract conformance suite (tcbatch-contract run)")
    for item in table():
        spec = item.metadata["option"]
        if not spec.in_pytest:
            continue
        keywords = argparse_keywords(item)
        group.addoption("--tcbatch-" + file_key(item.name), dest=ini_name(item.name), **keywords)
        if spec.in_file:
            ini_type = "linelist" if spec.kind == "list" else "string"
            parser.addini(ini_name(item.name), help_text(item), type=ini_type, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "tcbatch: a test of the tcbatch-contract conformance suite (one rule)"
    )
    if _suite_options_given(config):
        # Refuse a bad value at once (exit status 4, one line), as ``run`` does; and a URL
        # target that cannot be checked at all (unreachable, not the API, credential
        # refused) once, here, rather than with an error in every test. Under xdist the
        # controller has probed before any worker starts.
        from tcbatch_contract.suite import declared, probe_url_target, rule_ids, use_database

        rule_ids(config)
        declared(config)
        use_database(config)
        if not hasattr(config, "workerinput"):
            probe_url_target(config)


def _suite_options_given(config: pytest.Config) -> bool:
    """Whether an option of the suite is set: on the command line, in the environment
    (``TCBATCH_CONTRACT_*``) or in the ini file."""
    import os

    from tcbatch_contract.config import env_name, ini_name, table

    for item in table():
        spec = item.metadata["option"]
        if not spec.in_pytest:
            continue
        if config.getoption(ini_name(item.name)) not in (None, []):
            return True
        if os.environ.get(env_name(item) or ""):
            return True
        if spec.in_file and config.getini(ini_name(item.name)) not in (None, "", []):
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the suite's tests of rules the expectations file declares unsupported."""
    if not config.getoption("tcbatch_expectations"):
        return
    suite = [item for item in items if item.get_closest_marker("tcbatch") is not None]
    if not suite:
        return
    from tcbatch_contract.suite import declared

    reasons = declared(config)
    for item in suite:
        rule = getattr(item, "callspec", None) and item.callspec.params.get("tcbatch_rule")
        if rule in reasons:
            item.add_marker(
                pytest.mark.xfail(reason=f"declared unsupported: {reasons[rule]}", strict=False)
            )


@pytest.fixture(scope="session")
def _tcbatch_emulator_server() -> Iterator[Any]:
    """The emulator of this test process, started once, on a free loopback port."""
    from tcbatch_contract.emulator import Emulator, EmulatorConfig

    # The documented defaults (fake credentials, one compute environment, a quota of
    # 1000 jobs), without a rate limit: people's tests send quickly; P9 is the suite's.
    with Emulator(EmulatorConfig(rate_limit=None), host="127.0.0.1", port=0) as emulator:
        yield emulator


@pytest.fixture
def tcbatch_emulator(_tcbatch_emulator_server: Any) -> Any:
    """A running emulator (``.endpoint``, ``.host``, ``.config``), reset before each test."""
    _tcbatch_emulator_server.reset()
    return _tcbatch_emulator_server


@pytest.fixture
def tcbatch_client(tcbatch_emulator: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A signing ``transport.Client`` for ``tcbatch_emulator``, in the suite's Region."""
    from tcbatch_contract.profile import DEFAULT_REGION
    from tcbatch_contract.transport import Client, Credential, HttpTransport

    config = tcbatch_emulator.config
    transport = HttpTransport(tcbatch_emulator.endpoint)
    region = request.config.getoption("tcbatch_region") or DEFAULT_REGION
    client = Client(
        transport,
        Credential(config.secret_id, config.secret_key),
        region,
        rate_limit=config.rate_limit,
    )
    try:
        yield client
    finally:
        transport.close()

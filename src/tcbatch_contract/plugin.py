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

_FORMS = ("mixed", "tc3-post", "tc3-get", "v1-get", "v1-post")


def pytest_addoption(parser: pytest.Parser) -> None:
    # The command line's defaults, so that the two faces cannot disagree (a light import).
    from tcbatch_contract.cli.run import DEFAULT_MAX_EXAMPLES

    group = parser.getgroup("tcbatch", "tcbatch-contract conformance suite (tcbatch-contract run)")
    add = group.addoption
    add("--tcbatch-target", default="emulator", metavar="TARGET",
        help="emulator (in-process, default), emulator+http, a URL, or replay:DIR")  # fmt: skip
    add("--tcbatch-region", default=None, help="Region of the requests (default ap-guangzhou)")
    add("--tcbatch-known-env-id", action="append", default=[], metavar="ID",
        help="a compute environment the target has (B9; repeatable)")  # fmt: skip
    add("--tcbatch-secret-id", default=None,
        help="default: env TENCENTCLOUD_SECRET_ID, then ~/.tencentcloud/credentials")  # fmt: skip
    add("--tcbatch-secret-key", default=None,
        help="default: env TENCENTCLOUD_SECRET_KEY, then ~/.tencentcloud/credentials")  # fmt: skip
    add("--tcbatch-token", default=None,
        help="a temporary credential's token (default: env TENCENTCLOUD_SESSION_TOKEN)")  # fmt: skip
    add("--tcbatch-denied-secret-id", default=None, help="a credential denied Batch (B31)")
    add("--tcbatch-denied-secret-key", default=None)
    add("--tcbatch-job-quota", type=int, default=None, metavar="N", help="job quota (B30)")
    add("--tcbatch-rate-limit", type=int, default=None, metavar="N",
        help="requests/s per (SecretId, Action) (P9)")  # fmt: skip
    add("--tcbatch-max-examples", type=int, default=None, metavar="N",
        help=f"generated cases per rule (default {DEFAULT_MAX_EXAMPLES})")  # fmt: skip
    add("--tcbatch-seed", type=int, default=None, help="the run's seed (default 0)")
    add("--tcbatch-rules", default=None, metavar="ID,...", help="check only these rules")
    add("--tcbatch-form", default=None, choices=_FORMS, help="form of generated cases")
    add("--tcbatch-allow-billable", type=int, default=None, metavar="N",
        help="valid submissions allowed against a non-loopback URL (default 0)")  # fmt: skip
    add("--tcbatch-timeout", type=float, default=35.0, metavar="S", help="per-request limit")
    add("--tcbatch-expectations", default=None, metavar="FILE",
        help="rules the target declares unsupported (YAML): marked xfail")  # fmt: skip
    add("--tcbatch-live", action="store_true", default=False,
        help="the URL is the live service: failing assumed rules are contract drift")  # fmt: skip
    add("--tcbatch-connect-to", default=None, metavar="ADDRESS:PORT",
        help="connect there instead of to the URL's host (which is still sent and signed)")  # fmt: skip
    add("--tcbatch-database", default=None, metavar="LOCATION",
        help="Hypothesis example database shared with runs and fuzzers: DIR, "
        "redis://HOST:PORT/N, ro: to read only, comma-separated (docs/fleet.md)")  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "tcbatch: a test of the tcbatch-contract conformance suite (one rule)"
    )
    database = config.getoption("tcbatch_database", None)
    if database:
        # The suite's fuzz tests (and HypoFuzz) save and replay through the shared database.
        from tcbatch_contract.suite._session import use_database

        use_database(config, database)
    if _suite_options_given(config):
        # Refuse a bad value at once (exit status 4, one line), as ``run`` does; and a URL
        # target that cannot be checked at all (unreachable, not the API, credential
        # refused) once, here, rather than with an error in every test. Under xdist the
        # controller has probed before any worker starts.
        from tcbatch_contract.suite._session import declared, probe_url_target, rule_ids

        rule_ids(config)
        declared(config)
        if not hasattr(config, "workerinput"):
            probe_url_target(config)


def _suite_options_given(config: pytest.Config) -> bool:
    defaults = {"tcbatch_target": "emulator", "tcbatch_timeout": 35.0, "tcbatch_live": False}
    for name in vars(config.option):
        if name.startswith("tcbatch_"):
            value = config.getoption(name)
            if value not in (None, [], defaults.get(name)):
                return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the suite's tests of rules the expectations file declares unsupported."""
    if not config.getoption("tcbatch_expectations"):
        return
    suite = [item for item in items if item.get_closest_marker("tcbatch") is not None]
    if not suite:
        return
    from tcbatch_contract.suite._session import declared

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

"""pytest plugin of tcbatch-contract: fixtures for people's own tests and the suite options.

Registered through the ``pytest11`` entry point, so it loads in every pytest session of an
environment where the package is installed: it therefore imports nothing heavy at module
level, and its fixtures import the emulator and the clients only when used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tcbatch", "tcbatch-contract conformance suite")
    group.addoption(
        "--tcbatch-target",
        default="emulator",
        help="what the suite checks: 'emulator' (default) or an endpoint URL",
    )


@pytest.fixture
def tcbatch_emulator() -> Iterator[Any]:
    """A running SubmitJob emulator on a free loopback port, fresh for each test."""
    from tcbatch_contract.emulator import Emulator, EmulatorConfig

    with Emulator(EmulatorConfig(), host="127.0.0.1", port=0) as emulator:
        yield emulator

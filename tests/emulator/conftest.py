"""The emulator every test of this room talks to unless its module needs another one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.emulator_wire import serving

from tcbatch_contract.emulator import Emulator


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """The emulator with its documented configuration, over HTTP on loopback (one per module;
    a module that needs other settings defines its own ``emu``)."""
    with serving() as emulator:
        yield emulator

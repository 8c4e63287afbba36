"""The embedded SubmitJob emulator: a real HTTP server speaking the Batch API.

A local stand-in for Tencent Cloud Batch, as moto is for AWS: the official SDK and tccli
talk to it over loopback with real signatures. It implements the contract's protocol rules
(P1-P11), schema rules (S1-S6) and business rules (B1-B31) with its own code, keeps jobs in
SQLite, and answers SubmitJob, DescribeJob, DescribeJobSubmitInfo, TerminateJob and
DeleteJob::

    with Emulator(EmulatorConfig(rate_limit=None)) as emu:
        emu.endpoint   # "http://127.0.0.1:PORT"
"""

from ..profile import DEFAULT_REGIONS
from .app import EmulatorApp, make_app
from .config import (
    DEFAULT_ENV_ID,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    INJECTABLE_CODES,
    EmulatorConfig,
    InjectionRule,
)
from .server import Emulator

__all__ = [
    "DEFAULT_ENV_ID",
    "DEFAULT_REGIONS",
    "DEFAULT_SECRET_ID",
    "DEFAULT_SECRET_KEY",
    "INJECTABLE_CODES",
    "Emulator",
    "EmulatorApp",
    "EmulatorConfig",
    "InjectionRule",
    "make_app",
]

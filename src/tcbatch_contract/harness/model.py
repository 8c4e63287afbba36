"""The harness's value types: a target to check, the result of one rule, the whole run.

Every check, whatever it sends, reports in these terms, so that the runner, the reports and
the CLI never need to know how a rule was checked.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..profile import TargetProfile


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # the profile lacks what the rule needs
    ERROR = "error"  # the harness could not reach a verdict (unreachable, timeout budget, bug)


@dataclass(frozen=True)
class Failure:
    """One request whose answer broke the contract, shrunk where the check could shrink it."""

    rule: str
    summary: str  # one line: what was expected, what came back
    expected: dict[str, Any]  # e.g. {"outcome": "error", "codes": ["MissingParameter"]}
    actual: dict[str, Any]  # e.g. {"status": 200, "code": "InvalidParameter", "message": "..."}
    action: str = "SubmitJob"
    params: dict[str, Any] | None = None  # the JSON request, secrets already masked
    wire: dict[str, Any] | None = None  # for protocol cases: method, path, headers, body (masked)
    form: str = "tc3-post"  # tc3-post | tc3-get | v1-get | v1-post | raw
    field: str | None = None  # the parameter path the fault sits on, when known


@dataclass
class RuleResult:
    rule: str
    status: Status
    code: str | None = None  # the rule's error code, from the catalogue
    cases: int = 0  # cases judged
    requests: int = 0  # requests sent
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    reason: str = ""  # why skipped / why a harness error
    requests_to_first_failure: int | None = None


class Check(Protocol):
    """One rule (or one group of cases reported under one rule id)."""

    rule: str

    def run(self, target: Target, settings: RunSettings) -> RuleResult: ...


@dataclass(frozen=True)
class RunSettings:
    max_examples: int = 25  # generated cases per generated rule
    seed: int = 0
    request_timeout: float = 35.0  # the spec's answer-within bound, plus nothing
    allow_billable: int | None = None  # None: unlimited (loopback); N: at most N valid submissions


@dataclass
class Target:
    """A target and how to talk to it.

    ``client`` signs with the main credential; ``denied_client`` with the credential the
    profile says is denied (or None). ``client_factory(form)`` returns a client speaking
    another request form (``tc3-post``, ``tc3-get``, ``v1-get``, ``v1-post``).
    """

    name: str  # "emulator", a URL, "replay:DIR"
    profile: TargetProfile
    client: Any  # transport.Client
    client_factory: Callable[..., Any]
    denied_client: Any | None = None
    is_loopback: bool = True
    created_jobs: set[str] = field(default_factory=set)  # every JobId a success returned

"""The harness's value types: a target to check, the result of one rule, the whole run.

Every check, whatever it sends, reports in these terms, so that the runner, the reports and
the CLI never need to know how a rule was checked.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..profile import TargetProfile

#: Seconds within which every request must be answered (protocol.md).
ANSWER_BOUND = 35.0
#: Generated cases per generated rule, for every face (``run``, the plugin, ``RunSettings``).
DEFAULT_MAX_EXAMPLES = 60
DEFAULT_TIMEOUT = ANSWER_BOUND


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # the profile lacks what the rule needs
    ERROR = "error"  # the harness could not reach a verdict (unreachable, timeout budget, bug)
    # The check ran, but what a verdict rests on did not hold (a burst that took longer than
    # the window it must fit in): not judged, with the measured reason. Never fails a run.
    INCONCLUSIVE = "inconclusive"
    # Set after the run, from an expectations file or a live recording (not by checks):
    UNSUPPORTED = "unsupported"  # failed, and the implementation declared it does not meet it
    UNEXPECTED_PASS = "unexpected-pass"  # passed, though declared unsupported
    DRIFT = "drift"  # the live service disagrees with a rule the contract assumed


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
    region: str | None = None  # the Region the request was signed for, when not the profile's
    # A failing sequence of requests (STATE-MODEL), oldest first; the last one failed.
    steps: list[dict[str, Any]] | None = None


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
    harness_errors: list[Failure] = field(default_factory=list)  # the harness disagreed with itself
    # A digest of the drawn cases judged, in order ("" when none were drawn): two runs with
    # the same digest for a rule sent it the same cases.
    digest: str = ""
    # What the check's answered requests exercised (a ``coverage.Tally``; None: nothing).
    coverage: Any = field(default=None, repr=False, compare=False)


class Check(Protocol):
    """One rule (or one group of cases reported under one rule id)."""

    rule: str

    def run(self, target: Target, settings: RunSettings) -> RuleResult: ...


@dataclass(frozen=True)
class RunSettings:
    max_examples: int = DEFAULT_MAX_EXAMPLES  # generated cases per generated rule
    seed: int = 0
    request_timeout: float = DEFAULT_TIMEOUT  # the spec's answer-within bound, plus nothing
    allow_billable: int | None = None  # None: unlimited (loopback); N: at most N valid submissions
    form: str = "mixed"  # form of generated cases: mixed, tc3-post, tc3-get, v1-get, v1-post
    # Time budget of shrinking a failure; None: the request budget only, so that a recorded
    # run shrinks the same way when it is replayed.
    shrink_seconds: float | None = 20.0
    # ``time.monotonic()`` past which no new case is drawn (``--max-time``); None: no limit.
    deadline: float | None = None
    # ``--database``: where failures are saved and replayed first (harness.database); None:
    # the seed alone. ``--shard``: this run's part of the work (harness.shard.Shard).
    database: str | None = None
    shard: Any = None

    def time_up(self) -> bool:
        """Whether the run's time budget is spent."""
        return self.deadline is not None and time.monotonic() >= self.deadline


class Allowance:
    """The valid (billable) submissions a run has spent, shared by all its checks."""

    def __init__(self) -> None:
        self.used = 0
        self._lock = threading.Lock()

    def spend(self, limit: int | None) -> bool:
        """Whether one more may go (``limit`` None: no limit), counting it if so."""
        if limit is None:
            return True
        with self._lock:
            if self.used >= limit:
                return False
            self.used += 1
            return True


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
    allowance: Allowance = field(default_factory=Allowance)  # shared by every check of a run


@dataclass
class RunReport:
    """Everything one run found, in rule order; what the reports and the exit code read."""

    target: str  # as the user named it: "emulator", a URL
    profile: TargetProfile
    settings: RunSettings
    results: list[RuleResult]
    seconds: float = 0.0
    started: str = ""  # ISO 8601 UTC
    endpoint: str | None = None  # where a reproduction should send (None: start the emulator)
    notes: list[str] = field(default_factory=list)  # run-level remarks (cleanup, interruption)
    interrupted: bool = False  # stopped by Ctrl-C or SIGTERM
    # A replay: why it did not send exactly the recorded requests; rules whose verdict changed.
    replay_problems: list[str] = field(default_factory=list)
    verdict_changes: list[str] = field(default_factory=list)
    coverage: Any = None  # a ``coverage_map.CoverageMap``: what the run exercised

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def cases(self) -> int:
        """Cases judged; RESPONSE-FORM re-judges the answers of the others, so not counted."""
        return sum(r.cases for r in self.results if r.rule != "RESPONSE-FORM")

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 when no rule failed and the coverage asked for was reached, 1 otherwise;
        harness errors alone do not fail a run."""
        below = self.coverage is not None and bool(self.coverage.shortfall())
        return 1 if self.count(Status.FAIL) or below else 0

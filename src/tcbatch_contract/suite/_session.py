"""One conformance run per test process, driven rule by rule by the suite's tests.

The pytest options mirror ``tcbatch-contract run`` one for one (``--tcbatch-target`` for
``--target``...), and are turned into the same argument namespace, so the target, the
profile, the replay of a recording and the expectations file are read by the very code
the command line uses. Each test runs the runner on one rule (its checks, then cleanup);
``RESPONSE-FORM`` judges every answer this process has seen. Under pytest-xdist every
worker is its own process: it starts its own emulator (or replays its own copy of the
cassette, or talks to the URL).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from typing import Any

import pytest

from ..cli._common import UsageError
from ..harness.model import Failure, RuleResult, RunSettings, Status

RESPONSE_FORM = "RESPONSE-FORM"
#: (pytest option, ``run`` attribute) pairs: every option of the suite.
OPTIONS = (
    "target", "region", "known_env_id", "secret_id", "secret_key", "token", "denied_secret_id",
    "denied_secret_key", "job_quota", "rate_limit", "max_examples", "seed", "rules", "form",
    "allow_billable", "timeout", "expectations", "live", "connect_to", "database",
)  # fmt: skip
_NAMESPACE = pytest.StashKey[argparse.Namespace]()


def run_arguments(config: pytest.Config) -> argparse.Namespace:
    """The ``run`` arguments the suite's options stand for (checked, defaults filled)."""
    cached = config.stash.get(_NAMESPACE, None)
    if cached is not None:
        return cached
    from ..cli import _fleet
    from ..cli import run as cli

    args = argparse.Namespace(
        **{name: config.getoption(f"tcbatch_{name}") for name in OPTIONS},
        workers=1,
        record=None,
        report=[],
        junit_xml=None,
        option_prefix="--tcbatch-",
    )
    try:
        cli._replay_record(args)
        cli._defaults(args)
        cli._validate(args)
        _fleet.prepare(args)
        if not cli.is_builtin_target(args.target):
            cli.url_credential(args)  # what ``run`` refuses, refused before anything starts
    except UsageError as exc:
        raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
    config.stash[_NAMESPACE] = args
    return args


def use_database(config: pytest.Config, value: str) -> None:
    """Make ``value`` (a ``--tcbatch-database`` location) Hypothesis's database for this
    session: the suite's fuzz tests and HypoFuzz then share the team's finds."""
    from hypothesis import settings

    from ..harness.database import DatabaseError, open_database

    try:
        database = open_database(value, check=True)
    except DatabaseError as exc:
        raise pytest.UsageError(f"tcbatch-contract: --tcbatch-database {exc}") from None
    settings.register_profile("tcbatch-contract", database=database)
    settings.load_profile("tcbatch-contract")


def rule_ids(config: pytest.Config) -> list[str]:
    """The rules the suite has a test for: every rule the runner knows, or --tcbatch-rules."""
    from ..cli import run as cli
    from ..harness.runner import all_checks, catalogue_rules, known_rule_ids

    args = run_arguments(config)
    known = known_rule_ids(all_checks(), catalogue_rules())
    try:
        selected = cli._selected(args.rules, known, cli.option(args, "rules"))
    except UsageError as exc:
        raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
    return [rule for rule in known if selected is None or rule in selected or rule == RESPONSE_FORM]


def declared(config: pytest.Config) -> dict[str, str]:
    """Rule -> reason, for the rules the expectations file declares unsupported today."""
    from ..cli import run as cli
    from ..harness.runner import all_checks, catalogue_rules, known_rule_ids

    args = run_arguments(config)
    if not args.expectations:
        return {}
    try:
        loaded = cli._expectations(args, known_rule_ids(all_checks(), catalogue_rules()))
    except UsageError as exc:
        raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
    import datetime as dt

    return {rule: e.reason for rule, e in loaded.active(dt.date.today()).items()}


def checked_target(spec: Any, timeout: float) -> Any:
    """The ``Targets`` of ``spec`` once the opening probe passed (pytest.UsageError if not)."""
    from ..harness.runner import TargetUnusable, probe
    from ..harness.targets import Targets

    targets = Targets(spec)
    try:
        probe(targets, timeout)
    except TargetUnusable as exc:
        raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
    return targets


def probe_url_target(config: pytest.Config) -> None:
    """Refuse, once and before any test, a URL target that cannot be checked at all."""
    from ..cli import run as cli

    args = run_arguments(config)
    if cli.is_builtin_target(args.target):
        return  # the emulator is in-process; a replay is offline
    with ExitStack() as stack:
        try:
            spec, _ = cli._target_spec(args, stack)
        except UsageError as exc:
            raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
        checked_target(spec, args.timeout)


class Suite:
    """The target of this process and the results of the rules run so far."""

    def __init__(self, config: pytest.Config) -> None:
        from ..cli import run as cli
        from ..harness.runner import all_checks, catalogue_rules

        self.args = run_arguments(config)
        self.stack = ExitStack()
        try:
            self.spec, secrets_used = cli._target_spec(self.args, self.stack)
        except UsageError as exc:
            self.stack.close()
            raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
        self.checks = all_checks()
        self.rules = catalogue_rules()
        replay = self.args.target.startswith("replay:")
        self.settings = RunSettings(
            max_examples=self.args.max_examples,
            seed=self.args.seed,
            request_timeout=self.args.timeout,
            allow_billable=None if self.spec.is_loopback else (self.args.allow_billable or 0),
            form=self.args.form,
            shrink_seconds=None if replay else RunSettings.shrink_seconds,
            database=self.args.database,
        )
        record = getattr(self.spec.transport, "record", None)
        self.live = record.is_live if record is not None else not self.spec.is_loopback
        try:
            self.targets = checked_target(self.spec, self.args.timeout)
        except pytest.UsageError:
            self.stack.close()
            raise
        self.forms: list[RuleResult] = []
        from ..harness.masking import Scrubber

        # Learns every signature the session makes, until it is closed.
        self.scrub = self.stack.enter_context(Scrubber(secrets_used).listening())

    def close(self) -> None:
        self.stack.close()

    def run_rule(self, rule: str) -> RuleResult:
        """Run the checks of ``rule`` (and clean up after them); its result."""
        from ..harness import drift
        from ..harness.runner import Runner

        runner = Runner(
            self.targets,
            self.settings,
            checks=[check for check in self.checks if check.rule == rule],
            rules=self.rules,
            selected={rule},
        )
        from ..recording import ReplayMiss

        missed = None
        try:
            report = runner.run(self.args.target, self.spec.endpoint)
        except ReplayMiss as miss:
            missed = f"replay: {self.scrub(str(miss))}"
        if missed is not None:
            pytest.fail(missed, pytrace=False)
        self.forms += [r for r in report.results if r.rule == RESPONSE_FORM]
        if self.live:
            drift.apply(report, self.rules)
        found = [r for r in report.results if r.rule == rule]
        result = found[0] if found else RuleResult(rule, Status.SKIP, reason="no check ran")
        if report.notes:
            result.reason = "; ".join(filter(None, [result.reason, *report.notes]))
        return result

    def response_form(self) -> RuleResult:
        """Every answer of this process so far, as ``RESPONSE-FORM`` judges them."""
        cases = sum(r.cases for r in self.forms)
        failures = [f for r in self.forms for f in r.failures]
        if failures:
            return RuleResult(RESPONSE_FORM, Status.FAIL, cases=cases, failures=failures)
        if not cases:
            return RuleResult(
                RESPONSE_FORM,
                Status.SKIP,
                reason="no other rule ran in this process: RESPONSE-FORM judges their answers",
            )
        return RuleResult(RESPONSE_FORM, Status.PASS, cases=cases)

    def verdict(self, rule: str) -> None:
        """Run ``rule`` and end the test the way its result says."""
        result = self.response_form() if rule == RESPONSE_FORM else self.run_rule(rule)
        if result.status is Status.PASS:
            return
        reason = self.scrub(result.reason)
        if result.status is Status.SKIP:
            pytest.skip(reason or "skipped")
        if result.status is Status.INCONCLUSIVE:
            pytest.skip(f"inconclusive, not judged: {reason}")
        if result.status is Status.DRIFT:
            pytest.xfail(reason)
        if result.status is Status.ERROR:
            pytest.fail(f"harness error, no verdict on the target: {reason}", pytrace=False)
        pytest.fail(self.scrub(failure_text(result)), pytrace=False)


def failure_text(result: RuleResult, shown: int = 3) -> str:
    """What a failing rule's test prints: each failing case, expected and actual."""
    import json

    from ..harness.masking import mask_params

    lines = [f"{result.rule}: {len(result.failures)} failing case(s) in {result.cases} cases"]
    for failure in result.failures[:shown]:
        lines += _failure_lines(failure, json, mask_params)
    if len(result.failures) > shown:
        lines.append(f"... and {len(result.failures) - shown} more")
    return "\n".join(lines)


def _failure_lines(failure: Failure, json: Any, mask_params: Any) -> list[str]:
    lines = ["", failure.summary, f"  expected: {json.dumps(failure.expected, ensure_ascii=True)}"]
    lines.append(f"  actual:   {json.dumps(failure.actual, ensure_ascii=True)}")
    if failure.params is not None:
        payload = json.dumps(mask_params(failure.params), ensure_ascii=True)
        lines.append(f"  payload ({failure.form}): {payload[:2000]}")
    return lines

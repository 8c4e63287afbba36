"""One conformance run per test process, driven rule by rule by the suite's tests.

The pytest options are generated from the run options' table (``--tcbatch-target`` for
``--target``..., and ``tcbatch_*`` ini twins), and become the same ``RunOptions``, so the
target, the profile, the replay of a recording and the expectations file are read by the
very code the command line uses (``config``, ``session``). Each test runs the runner on one
rule (its checks, then cleanup); ``RESPONSE-FORM`` judges every answer this process has seen. Under pytest-xdist every
worker is its own process: it starts its own emulator (or replays its own copy of the
cassette, or talks to the URL).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest

from ..config import UsageError
from ..harness.model import Failure, RuleResult, RunSettings, Status

RESPONSE_FORM = "RESPONSE-FORM"
_OPTIONS = pytest.StashKey[Any]()


def run_arguments(config: pytest.Config) -> Any:
    """The ``RunOptions`` the suite's options stand for (checked, defaults filled)."""
    cached = config.stash.get(_OPTIONS, None)
    if cached is not None:
        return cached
    from .. import config as run_config
    from ..session import (
        check_fleet_options,
        is_builtin_target,
        url_credential,
        url_parts,
        with_recording,
    )

    given = {
        item.name: config.getoption(run_config.ini_name(item.name))
        for item in run_config.table()
        if item.metadata["option"].in_pytest
    }
    try:
        ini = run_config.ini_values(config.getini, str(config.inipath or "the ini file"))
        options = run_config.resolve(given, files=[ini], prefix="--tcbatch-")
        # One process, no output files: the suite reports through pytest.
        options = options.replace(workers=1, max_time=None, record=None, report=[])
        options = with_recording(options.replace(junit_xml=None))
        run_config.check_together(options)
        check_fleet_options(options)
        if not is_builtin_target(options.target):
            url_parts(options)
            url_credential(options)  # what ``run`` refuses, refused before anything starts
    except UsageError as exc:
        raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
    config.stash[_OPTIONS] = options
    return options


def rule_ids(config: pytest.Config) -> list[str]:
    """The rules the suite has a test for: every rule the runner knows, or --tcbatch-rules."""
    from ..config import known_rules

    selected = run_arguments(config).selected_rules
    known = known_rules()
    return [rule for rule in known if selected is None or rule in selected or rule == RESPONSE_FORM]


def declared(config: pytest.Config) -> dict[str, str]:
    """Rule -> reason, for the rules the expectations file declares unsupported today."""
    from ..config import known_rules
    from ..session import expectations

    options = run_arguments(config)
    if not options.expectations:
        return {}
    try:
        loaded = expectations(options, known_rules())
    except UsageError as exc:
        raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
    import datetime as dt

    return {rule: e.reason for rule, e in loaded.active(dt.date.today()).items()}


def checked_target(spec: Any, timeout: float) -> Any:
    """The ``TargetFactory`` of ``spec`` once the opening probe passed (pytest.UsageError if not)."""
    from ..harness.runner import TargetUnusable, probe
    from ..harness.targets import TargetFactory

    targets = TargetFactory(spec)
    try:
        probe(targets, timeout)
    except TargetUnusable as exc:
        raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
    return targets


def probe_url_target(config: pytest.Config) -> None:
    """Refuse, once and before any test, a URL target that cannot be checked at all."""
    from ..session import build_target, is_builtin_target

    options = run_arguments(config)
    if is_builtin_target(options.target):
        return  # the emulator is in-process; a replay is offline
    with ExitStack() as stack:
        try:
            spec = build_target(options, stack).spec
        except UsageError as exc:
            raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
        checked_target(spec, options.timeout)


class Suite:
    """The target of this process and the results of the rules run so far."""

    def __init__(self, config: pytest.Config) -> None:
        from ..harness.runner import all_checks, catalogue_rules
        from ..session import build_target, run_settings

        self.args = run_arguments(config)
        self.stack = ExitStack()
        try:
            self.spec, secrets_used, _ = build_target(self.args, self.stack)
        except UsageError as exc:
            self.stack.close()
            raise pytest.UsageError(f"tcbatch-contract: {exc}") from None
        self.checks = all_checks()
        self.rules = catalogue_rules()
        self.settings: RunSettings = run_settings(self.args, self.spec)
        record = getattr(self.spec.transport, "record", None)
        self.live = record.is_live if record is not None else not self.spec.is_loopback
        try:
            self.targets = checked_target(self.spec, self.args.timeout)
        except pytest.UsageError:
            self.stack.close()
            raise
        self.forms: list[RuleResult] = []
        from ..harness.report.masking import Scrubber

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

    from ..harness.report.masking import mask_params

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


def use_database(config: pytest.Config) -> None:
    """Make ``--tcbatch-database`` Hypothesis's database for this session: the suite's
    fuzz tests (and HypoFuzz) then save and replay through the team's shared database."""
    from hypothesis import settings

    from ..harness.database import DatabaseError, open_database

    location = run_arguments(config).database
    if not location:
        return
    try:
        database = open_database(location, check=True)
    except DatabaseError as exc:
        raise pytest.UsageError(f"tcbatch-contract: --tcbatch-database {exc}") from None
    settings.register_profile("tcbatch-contract", database=database)
    settings.load_profile("tcbatch-contract")

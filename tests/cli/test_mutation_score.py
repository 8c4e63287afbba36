"""``tcbatch-contract mutation-score`` on a few mutants: real runs of the harness against the
in-process emulator, each stopped at its first failing rule; and the unmutated emulator,
which must come through a (small-budget) run of the same suite without any failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tcbatch_contract.cli import main
from tcbatch_contract.cli.mutation_score import (
    MutantResult,
    ScoreSettings,
    cost_class,
    run_one,
    score,
    to_json,
    to_markdown,
)
from tcbatch_contract.harness.runner import all_checks


def test_three_mutants_are_caught_by_the_rules_they_break(tmp_path: Path) -> None:
    out, table = tmp_path / "score.json", tmp_path / "score.md"
    names = "p7-signature-unverified,submit-info-timeout-3600,b19-scheme-case-blind"
    code = main(["mutation-score", "--mutants", names, "--no-baseline", "--workers", "1",
                 "--max-examples", "5", "--json", str(out), "--markdown", str(table)])  # fmt: skip
    assert code == 0
    document = json.loads(out.read_text())
    rows = {row["mutant"]: row for row in document["mutants"]}
    assert {n: rows[n]["rule"] for n in rows} == {
        "p7-signature-unverified": "P7",
        "submit-info-timeout-3600": "VALID",
        "b19-scheme-case-blind": "B19",
    }
    for row in rows.values():
        assert row["caught"] and row["summary"]
        assert 1 <= row["requests_to_catch"] <= row["run_requests_to_catch"] <= row["requests"]
        assert row["seconds"] > 0
    # Checks run quickest first: the protocol mutant is caught before any generated rule ran.
    assert rows["p7-signature-unverified"]["run_requests_to_catch"] < 300
    assert document["summary"]["caught"] == 3 and document["summary"]["survived"] == []
    assert document["unmutated"] is None
    assert "Caught 3 / 3" in table.read_text()


def test_the_unmutated_emulator_passes_the_whole_suite() -> None:
    result = run_one(None, ScoreSettings(max_examples=2))
    assert result.failures == [] and result.errors == []
    assert not result.caught and result.rule is None
    assert result.requests > 500  # every check ran, the fixed protocol and state cases included


def test_survivors_fail_the_score_and_are_named() -> None:
    caught = MutantResult("a", caught=True, rule="B1", requests_to_catch=3,
                          run_requests_to_catch=40, requests=40, seconds=1.0)  # fmt: skip
    survivor = MutantResult("b", requests=900, seconds=9.0)
    base = MutantResult(None, requests=1600, seconds=30.0)
    document = to_json(base, [caught, survivor], ScoreSettings(), 2, 12.0)
    assert document["summary"]["survived"] == ["b"]
    assert document["summary"]["median_requests_to_catch"] == 3
    text = to_markdown(document)
    assert "Caught 1 / 2" in text and "Survived: b." in text
    assert "Unmutated emulator: no failure" in text


def test_checks_run_quickest_first() -> None:
    order = [cost_class(check) for check in sorted(all_checks(), key=cost_class)]
    assert order == sorted(order) and order[0] == 0 and order[-1] == 4
    rules = [c.rule for c in sorted(all_checks(), key=cost_class)]
    assert rules[-1] == "FUZZ" and rules.index("VALID") < rules.index("S1")


def test_unknown_mutant_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutation-score", "--mutants", "no-such-bug", "--no-baseline"]) == 2
    assert "--mutants: unknown mutant(s) no-such-bug" in capsys.readouterr().err


def test_emulator_lists_and_refuses_mutants(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--list-mutants"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) >= 40 and listed[0].split()[0] == "b6-self-loop-missed"
    assert main(["emulator", "--mutant", "no-such-bug", "--port", "0"]) == 2
    assert "--mutant no-such-bug: no such mutant" in capsys.readouterr().err


def test_state_model_alone_catches_what_the_fixed_stateful_checks_miss() -> None:
    fixed = ScoreSettings(rules=("STATE-IDEMPOTENCY", "STATE-LIFECYCLE", "B30"))
    _, [missed] = score(["terminate-toggles"], fixed, baseline=False)
    assert not missed.caught and missed.requests > 0
    model = ScoreSettings(rules=("STATE-MODEL",))
    _, [caught] = score(["terminate-toggles"], model, baseline=False)
    assert caught.caught and caught.rule == "STATE-MODEL"
    assert caught.requests_to_catch and "JobState" in caught.summary


def test_rule_filters_name_known_rules(capsys: pytest.CaptureFixture[str]) -> None:
    for option in ("--rules", "--exclude-rules"):
        assert main(["mutation-score", option, "NO-SUCH-RULE", "--no-baseline"]) == 2
        assert f"{option}: no check has the rule(s) NO-SUCH-RULE" in capsys.readouterr().err

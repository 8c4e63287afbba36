"""The public surface of ``tcbatch_contract.strategies`` and the layering it promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tcbatch_contract.strategies as strategies
from hypothesis import HealthCheck, given, settings
from tcbatch_contract.strategies import Case, any_single_fault

ROOT = Path(__file__).resolve().parents[2]


def test_all_names_exactly_the_public_names() -> None:
    # Identifiers only: pytest's assertion rewriting adds globals such as ``@py_builtins``.
    public = {name for name in vars(strategies) if name.isidentifier() and name[0] != "_"}
    assert set(strategies.__all__) == public
    assert {
        "Case",
        "valid_submit_job",
        "valid_cases",
        "single_fault",
        "single_fault_rules",
    } <= public
    assert {"any_single_fault", "multi_fault", "documented_examples"} <= public
    for name in strategies.__all__:
        assert getattr(strategies, name).__doc__, name


def test_strategies_never_import_the_oracle() -> None:
    code = (
        "import sys, tcbatch_contract.strategies as s\n"
        "s.single_fault('B6'); s.valid_cases(); s.multi_fault()\n"
        "assert not [m for m in sys.modules if m.startswith('tcbatch_contract.oracle')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_a_bare_import_from_the_checkout_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import strategies"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "import this package as tcbatch_contract.strategies" in done.stderr


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_single_fault())
def test_cases_serialise_to_the_documented_json(case: Case) -> None:
    line = json.loads(json.dumps(case.to_json(), ensure_ascii=True))
    assert set(line) == {"rule", "expected", "action", "region", "params", "field", "note"}
    assert line["expected"] == {"outcome": "error", "codes": [case.code]}
    assert line["params"] == case.params
    assert case.rule in strategies.single_fault_rules()

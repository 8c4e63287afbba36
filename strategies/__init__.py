"""Hypothesis strategies for SubmitJob requests: valid jobs, single-fault and multi-fault jobs.

Every case carries its own label (the rule it breaks and the code a conformant target must
answer), so a test can send it anywhere and judge the answer without another oracle::

    from hypothesis import given
    from tcbatch_contract.strategies import single_fault

    @given(single_fault("B19"))
    def test_scheme(case):
        assert submit(case.params) == case.code

The implementation lives in ``_internal``; this module is the whole public surface. That
``__all__`` names exactly what it exports is checked by a test, not here: pytest rewrites
the asserts of an installed plugin's modules, and a rewritten module gains globals of its
own, so an import-time check of its names would fail under pytest.
"""

if __name__ != "tcbatch_contract.strategies":  # pragma: no cover - a checkout's bare import
    raise ImportError(
        f"import this package as tcbatch_contract.strategies, not {__name__} "
        "(install the project with `pip install -e .`)"
    )

from . import pinning, pools, unwrap
from ._internal.case import Case, MultiFaultCase
from ._internal.examples import documented_examples
from ._internal.faults import (
    any_single_fault,
    fault_count,
    rule_fields,
    single_fault,
    single_fault_rules,
)
from ._internal.multi import multi_fault
from ._internal.schema_fuzz import schema_fuzz
from ._internal.seeded import generate
from ._internal.valid import valid_cases, valid_submit_job

__all__ = [
    "Case",
    "MultiFaultCase",
    "any_single_fault",
    "documented_examples",
    "fault_count",
    "generate",
    "multi_fault",
    "pinning",
    "pools",
    "rule_fields",
    "schema_fuzz",
    "single_fault",
    "single_fault_rules",
    "unwrap",
    "valid_cases",
    "valid_submit_job",
]

"""The rule catalogue: its format, its consistency, and its vectors judged by the oracle."""

from __future__ import annotations

import copy
import pickle
import re
import subprocess
import sys
from typing import Any

import jsonschema
import pytest

from tcbatch_contract import catalogue, codes
from tcbatch_contract._resources import contract_yaml
from tcbatch_contract.oracle import Context, evaluate
from tcbatch_contract.typetable import ACTIONS
from tcbatch_contract.wire.flatten import is_flattenable

#: The rule ids of submitjob-contract.md (S1-S6, B1-B31) and protocol.md (P1-P11, P4b).
SPEC_RULE_IDS = (
    [f"S{i}" for i in range(1, 7)]
    + [f"B{i}" for i in range(1, 32)]
    + ["P1", "P2", "P3", "P4", "P4b"]
    + [f"P{i}" for i in range(5, 12)]
)
#: The rules whose check depends on target configuration, and what they need (the spec).
CONFIGURED = {
    "B9": ("known_env_ids",),
    "B30": ("job_quota",),
    "B31": ("denied_credential",),
    "P9": ("rate_limit",),
}
#: The three codes the SDK's SubmitJob doc comment adds to the reference page's list.
SDK_EXTRA = {
    codes.INVALID_DATA_TYPE_ANY,
    codes.INVALID_ZONE_MISMATCH_REGION_VALUE,
    codes.UNAVAILABLE_ZONE,
}

PAYLOAD_VECTORS = catalogue.vectors(protocol=False) + catalogue.multi_fault_examples()
WIRE_VECTORS = catalogue.vectors(protocol=True)


def document() -> dict[str, Any]:
    return copy.deepcopy(contract_yaml(catalogue.CATALOGUE))


def oracle_context(vector: catalogue.Vector) -> Context:
    ctx = vector.context
    return Context(
        region=vector.region,
        known_env_ids=frozenset(ctx.get("known_env_ids", ())),
        jobs_held=ctx.get("jobs_held", 0),
        job_quota=ctx.get("job_quota"),
        credential_denied=ctx.get("credential_denied", False),
        existing_job_ids=frozenset(ctx.get("existing_job_ids", ())),
    )


def test_the_shipped_catalogue_is_sound() -> None:
    assert catalogue.check() == []


def test_the_format_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(catalogue.schema())


def test_the_catalogue_covers_exactly_the_spec_rule_ids() -> None:
    assert [r.id for r in catalogue.rules()] == SPEC_RULE_IDS
    assert {r.id for r in catalogue.load().action_rules} == {"A1", "A2"}


def test_levels_follow_the_rule_families() -> None:
    family = {"S": "schema", "B": "business", "P": "protocol", "A": "action"}
    for r in (*catalogue.rules(), *catalogue.load().action_rules):
        assert r.level == family[r.id[0]], r.id
    assert len(catalogue.rules("protocol")) == 12


def test_needs_are_those_of_the_configured_rules() -> None:
    needs = {r.id: r.needs for r in catalogue.rules() if r.needs}
    assert needs == CONFIGURED


@pytest.mark.parametrize("rule", catalogue.rules(), ids=lambda r: r.id)
def test_basis_kind_agrees_with_its_wording(rule: catalogue.Rule) -> None:
    text = rule.basis.text
    has_documented, has_assumed = "documented" in text, "assumed" in text
    expected = "mixed" if has_documented and has_assumed else "assumed" if has_assumed else None
    assert rule.basis.kind == (expected or "documented")
    if rule.basis.kind != "documented":
        assert rule.basis.note
    if rule.basis.kind != "assumed":
        assert rule.basis.sources


def test_rules_with_two_codes_say_when_each_applies() -> None:
    for r in catalogue.rules():
        if len(r.cases) > 1:
            assert r.code is None and all(case.when for case in r.cases), r.id
        else:
            assert r.code == r.cases[0].code
    assert catalogue.rule("P2").codes == (codes.MISSING_PARAMETER, codes.INVALID_ACTION)


@pytest.mark.parametrize("vector", PAYLOAD_VECTORS, ids=lambda v: v.id)
def test_payload_vector_gets_its_expected_outcome_from_the_oracle(
    vector: catalogue.Vector,
) -> None:
    outcome = evaluate(vector.action, vector.params, oracle_context(vector))
    if vector.expect.success:
        assert outcome.success, outcome.violations
    else:
        assert outcome.codes == sorted(vector.expect.codes), outcome.violations
        assert set(outcome.rules) == set(vector.expect.rules), outcome.violations


def test_a_rules_own_vectors_break_that_rule_alone() -> None:
    for r in (*catalogue.rules(), *catalogue.load().action_rules):
        for v in r.vectors:
            if not v.expect.success and r.id in v.expect.rules:
                assert v.expect.rules == (r.id,), v.id
                assert set(v.expect.codes) <= set(r.codes), v.id


def test_the_subconditions_of_the_compound_rules_each_have_a_vector() -> None:
    errors = {r.id: sum(not v.expect.success for v in r.vectors) for r in catalogue.rules()}
    # B11: 3 conditions, B12: 5 exclusions, B20: 3 forms, B27: 8 settings (spec table).
    assert errors["B11"] >= 3 and errors["B12"] >= 5
    assert errors["B20"] >= 3 and errors["B27"] >= 8


def test_every_vector_action_is_served() -> None:
    for v in (*PAYLOAD_VECTORS, *WIRE_VECTORS):
        assert v.action in ACTIONS, v.id


def test_vectors_that_use_target_configuration_declare_it() -> None:
    for v in PAYLOAD_VECTORS:
        ctx, needs = v.context, set(v.needs)
        if ctx.get("known_env_ids"):
            assert "known_env_ids" in needs, v.id
        if "job_quota" in ctx:
            assert "job_quota" in needs, v.id
        if ctx.get("credential_denied"):
            assert "denied_credential" in needs, v.id


def test_wire_vectors_that_flatten_their_parameters_can() -> None:
    for v in WIRE_VECTORS:
        wire = v.wire
        assert wire is not None
        if wire["form"] == "v1" or wire.get("method") == "GET":
            assert is_flattenable(v.params), v.id
        if "pad" in wire:
            node: Any = v.params
            for part in wire["pad"]["param"].split("."):
                node = node[int(part)] if part.isdigit() else node[part]
            assert isinstance(node, str), v.id


def test_every_protocol_rule_has_a_vector_per_form() -> None:
    for r in catalogue.rules("protocol"):
        forms = {v.wire["form"] for v in r.vectors if v.wire and not v.expect.success}
        if r.id != "P9":
            assert forms == {"tc3", "v1"} or r.id in {"P10", "P11"}, (r.id, forms)
        assert all(v.is_protocol for v in r.vectors)


def test_code_table_lists_the_public_codes() -> None:
    table = {e.code: e for e in catalogue.load().codes}
    for code in codes.SUBMITJOB_DOCUMENTED:
        assert "submitjob-reference" in table[code].listed_in, code
    for code in SDK_EXTRA:
        assert table[code].status == "not-produced" and table[code].reason, code
    never = {c for c, e in table.items() if e.status == "never"}
    assert never == set(codes.NEVER_EXPECTED)
    for r in catalogue.rules("protocol"):
        for code in r.codes:
            assert "common" in table[code].listed_in, code


def test_every_code_in_the_catalogue_is_a_named_constant() -> None:
    named = {v for k, v in vars(codes).items() if k.isupper() and isinstance(v, str)}
    named |= set(codes.BACK_PRESSURE)
    for e in catalogue.load().codes:
        assert e.code in named, e.code
    for v in (*PAYLOAD_VECTORS, *WIRE_VECTORS):
        assert set(v.expect.codes) <= named, v.id


def test_constraint_fields_are_member_paths() -> None:
    from tcbatch_contract.typetable import types

    def resolves(path: str) -> bool:
        type_name = "SubmitJobRequest"
        for part in path.split("."):
            if part == "*":
                continue
            member = types()[type_name].get(part)
            if member is None:
                return False
            type_name = member.elem
        return True

    for r in catalogue.rules():
        for c in r.constraints:
            for path in (*c.fields, *([c.object] if c.object else [])):
                assert resolves(path), (r.id, path)
        for path in r.fields if r.level != "protocol" else ():
            assert path == "" or resolves(path), (r.id, path)


def test_patterns_are_whole_string_patterns_that_compile() -> None:
    for r in catalogue.rules():
        for c in r.constraints:
            kw = c.keywords
            for pattern in [kw.get("fullmatch"), *kw.get("not_fullmatch", [])]:
                if pattern:
                    assert not pattern.startswith("^") and not pattern.endswith("$")
                    re.compile(pattern)


def test_vector_payloads_are_fresh_copies() -> None:
    v = catalogue.rule("B1").vectors[0]
    v.params["Job"]["JobName"] = "changed"
    assert v.params["Job"]["JobName"] != "changed"


def test_unknown_rule_lookup_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="B31"):
        catalogue.rule("B99")


def test_documented_examples_succeed_with_the_oracle() -> None:
    examples = catalogue.documented_examples()
    assert [e.region for e in examples] == ["ap-guangzhou", "ap-beijing"]
    for e in examples:
        assert e.expect.success
        assert evaluate(e.action, e.params, Context(region=e.region)).success


# --- the checks catch broken catalogues -------------------------------------------------


def _rule(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in doc["rules"] if r["id"] == rule_id)


def test_schema_refuses_an_assumed_basis_without_a_note() -> None:
    doc = document()
    del _rule(doc, "S2")["basis"]["note"]
    assert any("note" in p for p in catalogue.check(doc))


def test_schema_refuses_an_unknown_member() -> None:
    doc = document()
    _rule(doc, "B1")["severity"] = "high"
    assert any("severity" in p for p in catalogue.check(doc))


def test_schema_refuses_a_payload_vector_without_expect() -> None:
    doc = document()
    del _rule(doc, "B1")["vectors"][0]["expect"]
    assert catalogue.check(doc)


def test_schema_refuses_a_json_schema_flag_on_a_success_vector() -> None:
    doc = document()
    success = next(v for v in _rule(doc, "B1")["vectors"] if v["expect"]["outcome"] == "success")
    success["json_schema"] = "accepts"
    assert catalogue.check(doc)


def test_consistency_catches_a_duplicate_vector_id() -> None:
    doc = document()
    _rule(doc, "B2")["vectors"][0]["id"] = _rule(doc, "B1")["vectors"][0]["id"]
    assert any("used twice" in p for p in catalogue.check(doc))


def test_consistency_catches_a_vector_expecting_another_rules_code() -> None:
    doc = document()
    _rule(doc, "B1")["vectors"][0]["expect"]["codes"] = [codes.TASK_NAME_TOO_LONG]
    assert any("none of ['B1'] answers" in p for p in catalogue.check(doc))


def test_consistency_catches_a_rule_without_boundary_vector() -> None:
    doc = document()
    rule = _rule(doc, "B18")
    rule["vectors"] = [v for v in rule["vectors"] if v["expect"]["outcome"] == "error"] * 2
    rule["vectors"][1] = {**rule["vectors"][1], "id": "B18-zero-again"}
    assert any("no boundary vector" in p for p in catalogue.check(doc))


def test_consistency_catches_a_code_table_that_disagrees_with_the_rules() -> None:
    doc = document()
    entry = next(c for c in doc["codes"] if c["code"] == codes.NOT_FLOAT)
    entry["rules"] = ["B21"]
    assert any(codes.NOT_FLOAT in p for p in catalogue.check(doc))


def test_consistency_catches_a_clarification_citing_an_unknown_vector() -> None:
    doc = document()
    doc["clarifications"][0]["vectors"].append("B99-nothing")
    assert any("B99-nothing" in p for p in catalogue.check(doc))


def test_a_catalogue_loaded_in_another_process_is_adopted_as_it_came() -> None:
    code = "import pickle, sys; from tcbatch_contract import catalogue\n"
    code += "sys.stdout.buffer.write(pickle.dumps(catalogue.load()))"
    loaded = pickle.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    )
    here = catalogue.load()
    try:
        catalogue.adopt(loaded)
        assert catalogue.load() is loaded
        assert catalogue.rules() == list(here.rules)
        assert catalogue.vectors() == list(here.vectors())
    finally:
        catalogue.adopt(here)
    assert catalogue.load() is here

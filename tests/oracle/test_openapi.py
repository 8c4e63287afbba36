"""openapi.yaml: valid, complete against the type table, and in step with the catalogue.

Both sides of every cross-check are read from the files (openapi.yaml, catalogue.yaml,
types.json); nothing here restates a limit.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tcbatch_contract import catalogue
from tcbatch_contract._resources import openapi
from tcbatch_contract.profile import DEFAULT_REGIONS
from tcbatch_contract.typetable import (
    ACTIONS,
    INT64_MAX,
    INT64_MIN,
    UINT64_MAX,
    submitjob_type_names,
    types,
)

DOC = openapi()
SCHEMAS = DOC["components"]["schemas"]
REGISTRY = Registry().with_resource(
    "urn:openapi", Resource.from_contents(DOC, default_specification=DRAFT202012)
)
CONSTRAINT_KEYWORDS = {
    "maxLength", "minLength", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum",
    "maxItems", "minItems", "uniqueItems", "multipleOf", "enum", "const", "pattern", "not",
    "x-tcbatch-pattern-template",
}  # fmt: skip
TYPE_BOUNDS = {"int64": (INT64_MIN, INT64_MAX), "uint64": (0, UINT64_MAX)}
PAYLOAD_VECTORS = catalogue.vectors(protocol=False) + catalogue.multi_fault_examples()


def anchored(fullmatch: str) -> str:
    return "^" + fullmatch + r"$(?!\n)"


def validator(action: str) -> jsonschema.Draft202012Validator:
    ref = {"$ref": f"urn:openapi#/components/schemas/{ACTIONS[action]}"}
    return jsonschema.Draft202012Validator(ref, registry=REGISTRY)


def deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMAS[node["$ref"].removeprefix("#/components/schemas/")]
    return node


def schema_at(path: str) -> dict[str, Any]:
    """The schema of the member at ``path`` (``*`` for list items), as written (not deref'd)."""
    node: dict[str, Any] = SCHEMAS["SubmitJobRequest"]
    for part in path.split(".") if path else ():
        node = deref(node)
        node = node["items"] if part == "*" else node["properties"][part]
    return node


def member_paths() -> Iterator[tuple[str, str, str]]:
    """Every member path of SubmitJob with its kind and element type; list items too."""

    def walk(type_name: str, prefix: str) -> Iterator[tuple[str, str, str]]:
        for m in types()[type_name].values():
            path = f"{prefix}{m.name}"
            yield path, m.kind, m.elem
            if m.kind == "list" and not m.holds_objects:
                yield f"{path}.*", "item", m.elem
            if m.holds_objects:
                yield from walk(m.elem, f"{path}.*." if m.kind == "list" else f"{path}.")

    yield from walk("SubmitJobRequest", "")


# --- validity and completeness -----------------------------------------------------------


def test_passes_openapi_spec_validator() -> None:
    from openapi_spec_validator import validate

    validate(DOC)


def test_every_request_type_and_member_is_described() -> None:
    scalar = {"string": "string", "bool": "boolean", "int64": "integer", "uint64": "integer"}
    for type_name in submitjob_type_names():
        schema = SCHEMAS[type_name]
        members = types()[type_name]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert list(schema["properties"]) == list(members), type_name
        assert schema.get("required", []) == [m.name for m in members.values() if m.required]
        for m in members.values():
            prop = schema["properties"][m.name]
            target = prop["items"] if m.kind == "list" else prop
            if m.kind == "list":
                assert prop["type"] == "array"
            if m.holds_objects:
                assert target["$ref"] == f"#/components/schemas/{m.elem}", (type_name, m.name)
            else:
                assert target["type"] == scalar[m.elem], (type_name, m.name)
                if m.elem in TYPE_BOUNDS:
                    assert target["format"] == m.elem


def test_other_actions_take_a_job_id() -> None:
    for action, type_name in ACTIONS.items():
        if action != "SubmitJob":
            assert list(SCHEMAS[type_name]["properties"]) == ["JobId"]
            assert SCHEMAS[type_name]["required"] == ["JobId"]


def test_one_operation_per_action_keyed_by_action() -> None:
    operations = {key: item["post"] for key, item in DOC["paths"].items()}
    assert set(operations) == {f"/?Action={a}" for a in ACTIONS}
    for key, op in operations.items():
        action = key.removeprefix("/?Action=")
        assert op["operationId"] == op["x-tcbatch-action"] == action
        body = op["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{ACTIONS[action]}"}
        assert set(op["responses"]) == {"200"}
    assert DOC["x-tcbatch-wire"]["path"] == "/"


def test_error_codes_per_operation_agree_with_the_catalogue() -> None:
    cat = catalogue.load()
    protocol = {c for r in cat.rules if r.level == "protocol" for c in r.codes}
    for action in ACTIONS:
        expected = protocol | {
            c for r in (*cat.rules, *cat.action_rules) if action in r.actions for c in r.codes
        }
        listed = DOC["paths"][f"/?Action={action}"]["post"]["x-tcbatch-error-codes"]
        assert len(listed) == len(set(listed)) and set(listed) == expected, action


def test_documented_examples_are_the_request_body_examples_and_valid() -> None:
    op = DOC["paths"]["/?Action=SubmitJob"]["post"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    documented = catalogue.documented_examples()
    assert {k: v["value"] for k, v in examples.items()} == {e.id: e.params for e in documented}
    for e in documented:
        assert list(validator("SubmitJob").iter_errors(e.params)) == []


def test_response_envelopes_of_the_reference_page() -> None:
    def valid(name: str, body: dict[str, Any]) -> bool:
        ref = {"$ref": f"urn:openapi#/components/schemas/{name}"}
        return jsonschema.Draft202012Validator(ref, registry=REGISTRY).is_valid(body)

    ok = {"JobId": "job-4yn0we13", "RequestId": "bf2a9734-e485-423f-9d73-a93f5e6c6a0c"}
    error = {"Error": {"Code": "MissingParameter", "Message": "x"}, "RequestId": ok["RequestId"]}
    assert valid("SubmitJobResponse", {"Response": ok})
    assert valid("SubmitJobResponse", {"Response": error})
    assert not valid("SubmitJobResponse", {"Response": {**ok, **error}})
    assert not valid("SubmitJobResponse", {"Response": {**ok, "JobId": "job-4yn0we1"}})
    assert not valid("SubmitJobResponse", {"Response": {**ok, "RequestId": "not-a-uuid"}})
    assert valid("DeleteJobResponse", {"Response": {"RequestId": ok["RequestId"]}})


# --- openapi.yaml and the catalogue say the same ----------------------------------------


def _expected_leaf_keywords() -> dict[str, tuple[dict[str, Any], set[str]]]:
    expected: dict[str, tuple[dict[str, Any], set[str]]] = {}
    for r in catalogue.rules():
        for c in r.constraints:
            for path in c.fields:
                keywords, rules = expected.setdefault(path, ({}, set()))
                rules.add(r.id)
                for key, value in c.keywords.items():
                    if key == "fullmatch":
                        key, value = "pattern", anchored(value)
                    elif key == "not_fullmatch":
                        key, value = "not", {"anyOf": [{"pattern": anchored(p)} for p in value]}
                    elif key == "fullmatch_template":
                        key = "x-tcbatch-pattern-template"
                    elif key == "minimum" and key in keywords:
                        value = max(value, keywords[key])
                    elif key == "maximum" and key in keywords:
                        value = min(value, keywords[key])
                    keywords[key] = value
    return expected


EXPECTED_LEAVES = _expected_leaf_keywords()


@pytest.mark.parametrize("path,kind,elem", list(member_paths()), ids=lambda x: str(x))
def test_limits_enums_and_patterns_agree(path: str, kind: str, elem: str) -> None:
    schema = schema_at(path)
    keywords, rules = EXPECTED_LEAVES.get(path, ({}, set()))
    expected = dict(keywords)
    if "x-tcbatch-pattern-template" in expected:
        expected["pattern"] = schema.get("pattern")  # a Region-free form; tested below
    if elem in TYPE_BOUNDS and kind != "list":
        low, high = TYPE_BOUNDS[elem]
        expected.setdefault("minimum", low)
        expected.setdefault("maximum", high)
    actual = {k: v for k, v in schema.items() if k in CONSTRAINT_KEYWORDS}
    assert actual == expected
    tags = set(schema.get("x-tcbatch-rules", []))
    assert rules - {"S4"} <= tags


def _fragment(type_name: str, keywords: dict[str, Any]) -> dict[str, Any]:
    members = types()[type_name]

    def given(name: str, non_empty: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"required": [name]}
        if non_empty and members[name].is_list:
            out["properties"] = {name: {"minItems": 1}}
        return out

    if "exactly_one_of" in keywords:
        return {"oneOf": [given(n, False) for n in keywords["exactly_one_of"]]}
    if "at_most_one_of" in keywords:
        pairs = itertools.combinations(keywords["at_most_one_of"], 2)
        return {"not": {"anyOf": [{"required": list(p)} for p in pairs]}}
    if "at_least_one_of" in keywords:
        return {"anyOf": [given(n, True) for n in keywords["at_least_one_of"]]}
    then: dict[str, Any]
    if "forbids" in keywords:
        then = {"not": {"anyOf": [{"required": [n]} for n in keywords["forbids"]]}}
    else:
        then = {"required": keywords["requires"]}
    if "when" not in keywords:
        return then
    ((member, value),) = keywords["when"].items()
    condition = {"required": [member], "properties": {member: {"const": value}}}
    return {"if": condition, "then": then}


def test_cross_member_rules_agree() -> None:
    expected: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for r in catalogue.rules():
        for c in r.constraints:
            if c.object is not None:
                type_name = deref(schema_at(c.object))
                name = next(n for n, s in SCHEMAS.items() if s is type_name)
                expected.setdefault(name, []).append((r.id, _fragment(name, c.keywords)))
    actual: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, schema in SCHEMAS.items():
        for entry in schema.get("allOf", []):
            (rule,) = entry["x-tcbatch-rules"]
            body = {k: v for k, v in entry.items() if k not in ("description", "x-tcbatch-rules")}
            actual.setdefault(name, []).append((rule, body))
    assert actual == expected


def test_zone_pattern_admits_every_region_and_the_template_is_exact() -> None:
    (template,) = {
        c.keywords["fullmatch_template"]
        for c in catalogue.rule("B26").constraints
        if "fullmatch_template" in c.keywords
    }
    for path in ("Placement.Zone", "Job.Tasks.*.ComputeEnv.EnvData.Zones.*"):
        schema = schema_at(path)
        assert schema["x-tcbatch-pattern-template"] == template
        for region in DEFAULT_REGIONS:
            exact = template.replace("{region}", re.escape(region))
            for number in ("1", "9", "10", "99"):
                assert re.search(schema["pattern"], f"{region}-{number}")
                assert re.fullmatch(exact, f"{region}-{number}")
            for number in ("0", "02", "100", "1\n"):
                assert not re.search(schema["pattern"], f"{region}-{number}")
                assert not re.fullmatch(exact, f"{region}-{number}")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_anchored_patterns_match_exactly_the_whole_string() -> None:
    samples = {s for v in PAYLOAD_VECTORS for s in _strings(v.params)}
    samples |= {s + "\n" for s in samples} | {"", "\n"}
    patterns = {
        p
        for r in catalogue.rules()
        for c in r.constraints
        for p in [c.keywords.get("fullmatch"), *c.keywords.get("not_fullmatch", [])]
        if p
    }
    for pattern in patterns:
        for s in samples:
            assert bool(re.search(anchored(pattern), s)) == bool(re.fullmatch(pattern, s))


def test_rule_tags_name_catalogue_rules_and_cover_every_rule() -> None:
    known = {r.id for r in (*catalogue.rules(), *catalogue.load().action_rules)}
    tagged: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            tagged.update(node.get("x-tcbatch-rules", []))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(SCHEMAS)
    assert tagged <= known
    structural = {"S1", "S3", "S4"}  # required, additionalProperties, type
    payload_rules = {r.id for r in catalogue.rules() if r.level != "protocol"}
    assert payload_rules - structural <= tagged


# --- the request schemas judge the vectors ------------------------------------------------


def _explained(error: jsonschema.ValidationError, action: str) -> set[str]:
    """The rules a validation error stands for: structural keywords, else the nearest tags."""
    if error.validator == "additionalProperties":
        return {"S3"}
    if error.validator == "type":
        return {"S4"}
    if error.validator == "required" and "properties" in error.schema:
        return {"S1"}
    rules: set[str] = set()
    if error.validator in ("minimum", "maximum") and error.validator_value in (
        INT64_MIN,
        INT64_MAX,
        UINT64_MAX,
    ):
        rules.add("S4")
    node: Any = {"$ref": f"#/components/schemas/{ACTIONS[action]}"}
    nearest: list[str] = []
    for key in error.absolute_schema_path:
        while isinstance(node, dict) and "$ref" in node and key not in node:
            node = deref(node)
        if isinstance(node, dict) and "x-tcbatch-rules" in node:
            nearest = node["x-tcbatch-rules"]
        node = node[key]
    return rules | set(nearest)


@pytest.mark.parametrize("vector", PAYLOAD_VECTORS, ids=lambda v: v.id)
def test_request_schema_judges_the_vector(vector: catalogue.Vector) -> None:
    errors = list(validator(vector.action).iter_errors(vector.params))
    if vector.expect.success or vector.json_schema == "accepts":
        assert errors == [], [e.message for e in errors]
        return
    assert errors, "the request schema accepts a payload the contract refuses"
    explained = set().union(*(_explained(e, vector.action) for e in errors))
    if vector.json_schema == "misreads":
        assert not set(vector.expect.rules) & explained
    elif vector.rule is None:  # a multi-fault example: any of its rules will do
        assert set(vector.expect.rules) & explained, [e.message for e in errors]
    else:
        assert set(vector.expect.rules) <= explained, [e.message for e in errors]


def test_schemathesis_loads_the_document_and_generates_valid_requests() -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    schema = schemathesis.openapi.from_dict(DOC)
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == {f"POST /?Action={a}" for a in ACTIONS}
    operation = schema["/?Action=SubmitJob"]["POST"]
    bodies: list[Any] = []

    @given(operation.as_strategy())
    @settings(
        max_examples=5,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: Any) -> None:
        bodies.append(case.body)

    collect()
    assert bodies
    for body in bodies:
        assert validator("SubmitJob").is_valid(body), body

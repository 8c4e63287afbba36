"""The rule catalogue (``contracts/catalogue.yaml``) as small read-only values.

The oracle, the strategies, the harness and the command line all need the same facts about
a rule: its code, its basis, the target configuration it needs, its limits and its vectors.
They live once, as language-neutral data; this module reads them, hands them out as frozen
values (payloads are kept as JSON text, so every caller gets its own copy to mutate), and
checks the catalogue: against ``catalogue.schema.json`` for its shape, and for the
consistency that a schema cannot see (unique ids, vectors that expect their own rule's
code, a boundary vector for every rule, a code table that agrees with the rules).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ._resources import contract_json, contract_yaml

CATALOGUE = "catalogue.yaml"
SCHEMA = "catalogue.schema.json"
EXAMPLES = "examples.yaml"
LEVELS = ("schema", "business", "protocol", "action")


class CatalogueError(ValueError):
    """The catalogue (or a document offered as one) is malformed or inconsistent."""


@dataclass(frozen=True, slots=True)
class CodeCase:
    """One code of a rule; ``when`` says which case it answers (None for a one-code rule)."""

    code: str
    when: str | None = None


@dataclass(frozen=True, slots=True)
class Basis:
    """Why the rule holds: ``documented`` (with sources), ``assumed`` (with a note) or both."""

    kind: str
    text: str
    sources: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ContractAnswer:
    """What a target must answer: success, or an error with one of ``codes``."""

    outcome: str
    codes: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        return self.outcome == "success"


@dataclass(frozen=True, slots=True)
class Vector:
    """A test vector: one request and the answer the contract requires."""

    id: str
    rule: str | None
    action: str
    region: str
    expect: ContractAnswer
    note: str | None
    needs: tuple[str, ...]
    json_schema: str | None
    params_json: str
    context_json: str
    wire_json: str | None

    @property
    def params(self) -> dict[str, Any]:
        """The request parameters (a fresh copy)."""
        return json.loads(self.params_json)

    @property
    def context(self) -> dict[str, Any]:
        """Target state the vector assumes (``known_env_ids``, ``jobs_held`` ...), as in the file."""
        return json.loads(self.context_json)

    @property
    def wire(self) -> dict[str, Any] | None:
        """For a protocol vector, how to build the request on the wire; else None."""
        return None if self.wire_json is None else json.loads(self.wire_json)

    @property
    def is_protocol(self) -> bool:
        return self.wire_json is not None


@dataclass(frozen=True, slots=True)
class Constraint:
    """A limit of a rule as data: on ``fields`` (member paths) or on an ``object``."""

    fields: tuple[str, ...]
    object: str | None
    keywords_json: str

    @property
    def keywords(self) -> dict[str, Any]:
        return json.loads(self.keywords_json)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: str
    cases: tuple[CodeCase, ...]
    actions: tuple[str, ...]
    fields: tuple[str, ...]
    condition: str
    basis: Basis
    needs: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    vectors: tuple[Vector, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code the rule answers with, without repeats."""
        return tuple(dict.fromkeys(case.code for case in self.cases))

    @property
    def code(self) -> str | None:
        """The rule's code when it has exactly one, else None (see ``cases``)."""
        codes = self.codes
        return codes[0] if len(codes) == 1 else None


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """A code of the public lists or of the contract: which rules produce it, or why none."""

    code: str
    listed_in: tuple[str, ...]
    status: str
    rules: tuple[str, ...]
    reason: str | None
    back_pressure: bool


@dataclass(frozen=True, slots=True)
class Clarification:
    id: str
    rules: tuple[str, ...]
    text: str
    vectors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalogue:
    rules: tuple[Rule, ...]
    action_rules: tuple[Rule, ...]
    multi_fault_examples: tuple[Vector, ...]
    clarifications: tuple[Clarification, ...]
    codes: tuple[CodeEntry, ...]

    def rule(self, rule_id: str) -> Rule:
        for item in (*self.rules, *self.action_rules):
            if item.id == rule_id:
                return item
        known = ", ".join(r.id for r in (*self.rules, *self.action_rules))
        raise KeyError(f"no rule {rule_id!r} in the catalogue (known: {known})")

    def vectors(self) -> tuple[Vector, ...]:
        return tuple(v for r in (*self.rules, *self.action_rules) for v in r.vectors)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _vector(raw: Mapping[str, Any], rule: str | None) -> Vector:
    expect = raw["expect"]
    return Vector(
        id=raw["id"],
        rule=rule,
        action=raw.get("action", "SubmitJob"),
        region=raw["region"],
        expect=ContractAnswer(
            expect["outcome"], tuple(expect.get("codes", ())), tuple(expect.get("rules", ()))
        ),
        note=raw.get("note"),
        needs=tuple(raw.get("needs", ())),
        json_schema=raw.get("json_schema"),
        params_json=_json(raw["params"]),
        context_json=_json(raw.get("context", {})),
        wire_json=_json(raw["wire"]) if "wire" in raw else None,
    )


def _cases(code: str | list[Mapping[str, str]]) -> tuple[CodeCase, ...]:
    if isinstance(code, str):
        return (CodeCase(code),)
    return tuple(CodeCase(case["code"], case["when"]) for case in code)


def _constraint(raw: Mapping[str, Any]) -> Constraint:
    keywords = {k: v for k, v in raw.items() if k not in ("fields", "object")}
    return Constraint(tuple(raw.get("fields", ())), raw.get("object"), _json(keywords))


def _rule(raw: Mapping[str, Any]) -> Rule:
    basis = raw["basis"]
    return Rule(
        id=raw["id"],
        level=raw["level"],
        cases=_cases(raw["code"]),
        actions=tuple(raw.get("actions", ("SubmitJob",))),
        fields=tuple(raw["fields"]),
        condition=raw["condition"],
        basis=Basis(
            basis["kind"], basis["text"], tuple(basis.get("sources", ())), basis.get("note")
        ),
        needs=tuple(raw["needs"]),
        constraints=tuple(_constraint(c) for c in raw.get("constraints", ())),
        vectors=tuple(_vector(v, raw["id"]) for v in raw["vectors"]),
    )


def parse(document: Mapping[str, Any]) -> Catalogue:
    """Build a :class:`Catalogue` from a parsed catalogue document (shape assumed valid)."""
    try:
        return Catalogue(
            rules=tuple(_rule(r) for r in document["rules"]),
            action_rules=tuple(_rule(r) for r in document.get("action_rules", ())),
            multi_fault_examples=tuple(
                _vector(v, None) for v in document.get("multi_fault_examples", ())
            ),
            clarifications=tuple(
                Clarification(c["id"], tuple(c["rules"]), c["text"], tuple(c["vectors"]))
                for c in document.get("clarifications", ())
            ),
            codes=tuple(
                CodeEntry(
                    c["code"],
                    tuple(c["listed_in"]),
                    c["status"],
                    tuple(c["rules"]),
                    c.get("reason"),
                    bool(c.get("back_pressure", False)),
                )
                for c in document["codes"]
            ),
        )
    except (KeyError, TypeError) as exc:
        raise CatalogueError(f"malformed catalogue: {exc!r}; run check() for details") from None


_ADOPTED: list[Catalogue] = []  # the shipped catalogue as another process loaded it


@cache
def load() -> Catalogue:
    """The shipped catalogue."""
    return _ADOPTED[0] if _ADOPTED else parse(contract_yaml(CATALOGUE))


def adopt(loaded: Catalogue) -> None:
    """Use ``loaded`` (``load()`` of another process of the run, passed over by pickle in
    ten milliseconds) instead of reading and parsing the file again here (a third of a
    second: worker processes start that much sooner)."""
    _ADOPTED[:] = [loaded]
    load.cache_clear()


def rules(level: str | None = None) -> list[Rule]:
    """The rules of the spec (S, B, P), in catalogue order, optionally of one level."""
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return [r for r in load().rules if level is None or r.level == level]


def rule(rule_id: str) -> Rule:
    """One rule by id (spec rules and the action rules A1, A2)."""
    return load().rule(rule_id)


def vectors(*, protocol: bool | None = None) -> list[Vector]:
    """Every vector of every rule; ``protocol`` keeps only wire (True) or payload (False) ones."""
    return [v for v in load().vectors() if protocol is None or v.is_protocol == protocol]


def multi_fault_examples() -> list[Vector]:
    return list(load().multi_fault_examples)


def documented_examples() -> list[Vector]:
    """The two request examples of the public reference (``contracts/examples.yaml``)."""
    return [_vector(raw, None) for raw in contract_yaml(EXAMPLES)["examples"]]


def schema() -> dict[str, Any]:
    """The JSON Schema of the catalogue format."""
    return contract_json(SCHEMA)


def check(document: Mapping[str, Any] | None = None) -> list[str]:
    """Every problem of a catalogue document (the shipped one by default); [] when sound."""
    import jsonschema

    document = contract_yaml(CATALOGUE) if document is None else document
    validator = jsonschema.Draft202012Validator(schema())
    problems = [
        f"{error.json_path}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: e.json_path)
    ]
    if problems:
        return problems
    return _consistency(parse(document))


def _duplicates(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({x for x in items if x in seen or seen.add(x)})


def _consistency(cat: Catalogue) -> list[str]:
    problems: list[str] = []
    all_rules = (*cat.rules, *cat.action_rules)
    codes_of = {r.id: set(r.codes) for r in all_rules}
    problems += [f"rule {i} is defined twice" for i in _duplicates(r.id for r in all_rules)]
    every_vector = (*cat.vectors(), *cat.multi_fault_examples)
    problems += [f"vector id {i} is used twice" for i in _duplicates(v.id for v in every_vector)]
    for vector in every_vector:
        problems += _expectation_problems(vector, codes_of)
    for r in all_rules:
        own = [v for v in r.vectors if v.expect.rules == (r.id,)]
        if not own:
            problems.append(f"rule {r.id} has no vector that breaks only this rule")
        if len(own) == len(r.vectors):
            problems.append(f"rule {r.id} has no boundary vector (one this rule does not refuse)")
        for v in r.vectors:
            if not v.expect.success and r.id in v.expect.rules and len(v.expect.rules) > 1:
                problems.append(f"vector {v.id} of rule {r.id} breaks several rules")
    for m in cat.multi_fault_examples:
        if len(m.expect.rules) < 2:
            problems.append(f"multi-fault example {m.id} names fewer than two rules")
    known_vectors = {v.id for v in every_vector}
    for c in cat.clarifications:
        problems += [
            f"clarification {c.id} cites unknown vector {v}"
            for v in c.vectors
            if v not in known_vectors
        ]
        problems += [
            f"clarification {c.id} cites unknown rule {r}" for r in c.rules if r not in codes_of
        ]
    problems += _code_table_problems(cat, codes_of)
    return problems


def _expectation_problems(vector: Vector, codes_of: Mapping[str, set[str]]) -> list[str]:
    expect = vector.expect
    if expect.success:
        return []
    unknown = [r for r in expect.rules if r not in codes_of]
    if unknown:
        return [f"vector {vector.id} names unknown rules {unknown}"]
    allowed = set().union(*(codes_of[r] for r in expect.rules))
    problems = [
        f"vector {vector.id} expects {code}, which none of {list(expect.rules)} answers"
        for code in expect.codes
        if code not in allowed
    ]
    problems += [
        f"vector {vector.id} names {r} but expects none of its codes"
        for r in expect.rules
        if not codes_of[r] & set(expect.codes)
    ]
    return problems


def _code_table_problems(cat: Catalogue, codes_of: Mapping[str, set[str]]) -> list[str]:
    problems = [f"code {c} is listed twice" for c in _duplicates(e.code for e in cat.codes)]
    producers: dict[str, list[str]] = {}
    for rule_id, codes in codes_of.items():
        for code in codes:
            producers.setdefault(code, []).append(rule_id)
    listed = {e.code: e for e in cat.codes}
    for code, rule_ids in producers.items():
        entry = listed.get(code)
        if entry is None:
            problems.append(f"code {code} (rules {rule_ids}) is missing from the code table")
        elif entry.status != "produced" or sorted(entry.rules) != sorted(rule_ids):
            problems.append(
                f"code {code}: the table says {entry.status} by {list(entry.rules)}, "
                f"the rules say produced by {rule_ids}"
            )
    for entry in cat.codes:
        if entry.status != "produced" and entry.code in producers:
            problems.append(f"code {entry.code} is marked {entry.status} but a rule produces it")
    return problems

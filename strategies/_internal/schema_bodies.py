"""SubmitJob bodies made from ``openapi.yaml`` alone: the description's shapes, not the contract.

The strategies of this package know the contract; these bodies know only the OpenAPI
description, a second opinion: positive bodies take the shapes the description allows
(which the business rules may still refuse), negative bodies break one thing of a
positive one (a member's type, a required member, an unknown member, an enumeration, a
range, a pattern). They carry no label: whoever sends one asks the oracle what it breaks.

The description is compiled once into one Hypothesis strategy per mode: a ``$ref`` is a
deferred strategy per schema name, an object draws its required members and a few drawn
optional ones, a pattern is ``st.from_regex`` of the pattern. ``not``, ``if`` and the
member-presence clauses of ``allOf``/``anyOf`` are left to the oracle. A body costs a few
milliseconds, where a general schema fuzzer's costs a few hundred.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from hypothesis import strategies as st

from tcbatch_contract._resources import openapi
from tcbatch_contract.typetable import INT64_MAX, INT64_MIN, UINT64_MAX

from . import values as v
from .choice import choice

ROOT = "SubmitJobRequest"
MAX_ITEMS = 2  # list members: a few items, the tree is deep
MAX_OPTIONAL = 3  # optional members drawn per object
_REF = "#/components/schemas/"
_RANGES = {"uint64": (0, UINT64_MAX), "int64": (INT64_MIN, INT64_MAX)}
_WRONG = st.sampled_from(["x", "", 1, -1, 1.5, True, None, [], {}, ["x"], {"x": 1}, 2**64])
_UNKNOWN = st.sampled_from(["Foo", "x", "", "jobName", "JOB", "Tasks ", "Action"]) | st.text(
    v.ANY_CHAR, max_size=8
)


@cache
def body_strategy(mode: str) -> st.SearchStrategy[dict[str, Any]]:
    """The bodies of ``mode`` (positive or negative), built once."""
    positive = _Compiler(openapi()["components"]["schemas"]).ref(ROOT)
    if mode == "positive":
        return positive
    return _broken(positive)


class _Compiler:
    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self.refs: dict[str, st.SearchStrategy[Any]] = {}

    def ref(self, name: str) -> st.SearchStrategy[Any]:
        if name not in self.refs:
            self.refs[name] = st.deferred(lambda: self.compile(self.schemas[name]))
        return self.refs[name]

    def compile(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        if "$ref" in schema:
            return self.ref(schema["$ref"].removeprefix(_REF))
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        kind = schema.get("type")
        if kind is None:
            choices = schema.get("oneOf") or schema.get("anyOf") or []
            typed = [self.compile(s) for s in choices if "type" in s or "$ref" in s]
            return st.one_of(typed) if typed else st.none()
        if kind == "object":
            return self._object(schema)
        if kind == "array":
            low = schema.get("minItems", 0)
            high = max(low, min(schema.get("maxItems", MAX_ITEMS), MAX_ITEMS))
            return st.lists(self.compile(schema.get("items", {})), min_size=low, max_size=high)
        if kind == "string":
            return _string(schema)
        if kind == "integer":
            low, high = _RANGES.get(schema.get("format", "int64"), _RANGES["int64"])
            low, high = schema.get("minimum", low), schema.get("maximum", high)
            return v.uint64(low, high) if low >= 0 else st.integers(low, high)
        if kind == "boolean":
            return st.booleans()
        if kind == "number":
            return st.floats(allow_nan=False, allow_infinity=False)
        return st.none()

    def _object(self, schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        properties = schema.get("properties", {})
        required = [name for name in schema.get("required", []) if name in properties]
        optional = [name for name in properties if name not in required]
        fixed = {name: self.compile(properties[name]) for name in required}
        members = {name: self.compile(properties[name]) for name in optional}
        if not optional:
            return st.fixed_dictionaries(fixed)
        chosen = st.lists(
            st.sampled_from(optional), max_size=min(MAX_OPTIONAL, len(optional)), unique=True
        )

        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            body = {name: draw(strategy) for name, strategy in fixed.items()}
            for name in draw(chosen):
                body[name] = draw(members[name])
            return body

        return build()


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    limit = schema.get("maxLength")
    pattern = schema.get("pattern")
    if pattern is None:
        return st.text(v.ANY_CHAR, max_size=min(limit or 12, 12))
    # the description anchors every pattern as ^...$(?!\n); from_regex wants it bare
    bare = re.sub(r"\$\(\?!\\n\)$", "", pattern).removeprefix("^")
    strategy = st.from_regex(bare, fullmatch=True)
    return strategy.filter(lambda s: len(s) <= limit) if limit else strategy


def _locations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``value`` (the root aside) where one thing can be broken."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, inner in items:
        found.append((*path, key))
        if isinstance(inner, (dict, list)):
            found.extend(_locations(inner, (*path, key)))
    return found


def _broken(positive: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        return _break(draw, draw(positive))

    return build()


def _break(draw: st.DrawFn, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with one thing broken: a member's type or value, or a member removed or
    added (the oracle says which rule that breaks, if any)."""
    where = choice(draw, [(), *_locations(body)])
    how = draw(_HOW)
    holder = _get(body, where[:-1]) if where else body
    if not where or how == "add":
        _nearest_object(body, where)[draw(_UNKNOWN)] = draw(_WRONG)
    elif how == "remove":
        del holder[where[-1]]
    elif how == "overlong" and isinstance(holder[where[-1]], str):
        holder[where[-1]] = holder[where[-1]] + "x" * draw(_EXCESS)
    else:
        holder[where[-1]] = draw(_WRONG)
    return body


_HOW = st.sampled_from(["type", "remove", "add", "overlong"])
_EXCESS = st.sampled_from([1, 61, 201, 300])


def _nearest_object(body: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    """The object at ``path`` or, where that is a string, a number or a list, the closest
    object holding it: a member can be added only to an object."""
    for end in range(len(path), 0, -1):
        found = _get(body, path[:end])
        if isinstance(found, dict):
            return found
    return body


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value

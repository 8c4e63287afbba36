"""Request parameters off the wire: JSON bodies and the flattened form.

A TC3 POST carries a JSON object; a V1 request and a TC3 GET carry flattened names
(``Job.Tasks.0.TaskName=x``) whose values are all strings. Both end up as one JSON-shaped
object, so that the schema and business rules see one representation whatever the form.

Flattened values are coerced by the type table: an integer member takes ``-?[0-9]+``, a
boolean member ``true``/``false`` in any case. A value that does not coerce stays a string,
so the schema rules report it as a wrong type, exactly as they would a JSON string.
Structure that the flattened form cannot mean (a list index gap, a leading zero, a name
given twice, a name that is both a value and a parent) is refused here.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from ..typetable import types
from .errors import ApiError, invalid, malformed

_INTEGER = re.compile(r"-?[0-9]+")
_INDEX = re.compile(r"0|[1-9][0-9]*")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The JSON object of a TC3 POST body: strict UTF-8, no BOM, no NaN/Infinity."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise malformed(f"the body is not valid UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        raise malformed("the body starts with a byte-order mark; send plain UTF-8 JSON")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise malformed("the JSON body is nested too deeply") from None
    except ApiError:
        raise
    except ValueError as exc:
        raise malformed(f"the body is not valid JSON ({_reason(exc)})") from None
    if not isinstance(value, dict):
        raise malformed(f"the body is a JSON {_json_kind(value)}, not an object")
    return value


def parse_form(raw: bytes) -> list[tuple[str, str]]:
    """``a=1&b=2`` as (name, value) pairs, ``+`` as space, percent-escapes as strict UTF-8."""
    pairs = []
    for piece in raw.split(b"&"):
        if not piece:
            continue
        name, _, value = piece.partition(b"=")
        pairs.append((_decode(name), _decode(value)))
    return pairs


def _decode(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise malformed("a parameter is not valid UTF-8 once percent-decoded") from None


def unflatten(pairs: list[tuple[str, str]], type_name: str) -> dict[str, Any]:
    """Rebuild the request object of ``type_name`` from flattened pairs."""
    tree: dict[str, Any] = {}
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen:
            raise invalid(name, "it is given more than once")
        seen.add(name)
        parts = name.split(".")
        node = tree
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise invalid(".".join(parts[: depth + 1]), "it is both a value and a parent")
            node = child
        if parts[-1] in node:
            raise invalid(name, "it is both a value and a parent")
        node[parts[-1]] = value
    return _object(tree, type_name, "")


def _object(tree: dict[str, Any], type_name: str, prefix: str) -> dict[str, Any]:
    members = types()[type_name]
    out: dict[str, Any] = {}
    for key, raw in tree.items():
        member = members.get(key)
        path = f"{prefix}{key}"
        if member is None:
            out[key] = raw  # an unknown member: reported by the schema rules, never descended
        elif member.is_list:
            out[key] = _list(raw, member.elem, path) if isinstance(raw, dict) else raw
        else:
            out[key] = _value(raw, member.elem, path)
    return out


def _list(tree: dict[str, Any], elem: str, path: str) -> list[Any]:
    for key in tree:
        if not _INDEX.fullmatch(key):
            raise invalid(
                f"{path}.{key}", "a list index must be 0, 1, 2, ... without leading zeros"
            )
    indices = sorted(int(key) for key in tree)
    if indices != list(range(len(indices))):
        raise invalid(path, "the list indices have a gap; number the items 0, 1, 2, ...")
    return [_value(tree[str(i)], elem, f"{path}.{i}") for i in indices]


def _value(raw: Any, elem: str, path: str) -> Any:
    if isinstance(raw, dict):
        return _object(raw, elem, path + ".") if elem in types() else raw
    if elem in ("int64", "uint64") and _INTEGER.fullmatch(raw):
        try:
            return int(raw)
        except ValueError:  # more digits than Python converts: out of range anyway
            return raw
    if elem == "bool" and raw.isascii() and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


def _reject_constant(name: str) -> Any:
    raise malformed(f"`{name}` is not a JSON value")


def _reason(exc: ValueError) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)[:80]


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "boolean" if isinstance(value, bool) else "number"

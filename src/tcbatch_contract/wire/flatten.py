"""The flattened parameter form of V1 requests and TC3 GET requests.

Objects nest with ``.``, list items with ``.N`` from 0 (``Job.Tasks.0.TaskName``). Values
are sent as strings; booleans the way the official SDK sends them (``True``/``False``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten a JSON-shaped request into ``{"Job.Tasks.0.TaskName": "a", ...}``.

    ``None`` members are left out, as the SDK does. Empty lists and objects vanish: the
    flattened form cannot carry them.
    """
    return dict(_walk(params, prefix))


def _walk(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, scalar_text(value)


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def is_flattenable(params: Any) -> bool:
    """True when ``params`` survives flattening unchanged in meaning.

    The flattened form has no types, no ``null``, no empty lists or objects, and no
    floats; a request holding any of those can only be sent as JSON.
    """
    if isinstance(params, Mapping):
        return bool(params) and all(
            isinstance(k, str) and k and "." not in k and is_flattenable(v)
            for k, v in params.items()
        )
    if isinstance(params, list):
        return bool(params) and all(is_flattenable(v) for v in params)
    return isinstance(params, str | int) and not isinstance(params, float)

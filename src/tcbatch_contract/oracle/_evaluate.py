"""``evaluate``: run every rule of the table that applies to the action."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..typetable import ACTIONS
from ._model import Context, Outcome, Violation
from ._request import index_request
from ._table import RULES


def evaluate(action: str, params: Mapping[str, Any], context: Context | None = None) -> Outcome:
    """The outcome the contract requires for ``action`` with ``params``.

    ``params`` is the request as JSON (the body of a TC3 POST); ``context`` carries the
    Region and the target's state. Raises ``ValueError`` for an action the contract does
    not cover or params that are not a JSON object: those are protocol matters (P2, P11).
    """
    if action not in ACTIONS:
        raise ValueError(f"the contract covers {', '.join(ACTIONS)}; not {action!r}")
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a JSON object, not {type(params).__name__}")
    request = index_request(action, params, context or Context(), ACTIONS[action])
    violations: list[Violation] = []
    for rule in RULES:
        if action in rule.actions:
            violations.extend(
                Violation(rule.id, rule.code, breach.path, breach.message, breach.alternative)
                for breach in rule.check(request)
            )
    return Outcome(tuple(violations))

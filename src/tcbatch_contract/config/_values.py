"""The values of the run options: the checks of the table and the parsers it shares.

Each check takes a value and returns what is allowed when the value is wrong, else None,
so that every face (command line, file, environment, ini) words the same refusal its own
way around it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from ..profile import is_env_id, is_region

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smh]?)")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class UsageError(Exception):
    """A problem with what the user asked for; shown as one line, exit code 2."""


def check_at_least(low: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None or value >= low:
            return None
        return "give a number of 1 or more" if low == 1 else f"give {low} or more"

    return check


def check_positive_seconds(value: float) -> str | None:
    return None if value > 0 else "give a positive number of seconds"


def check_region(value: str | None) -> str | None:
    return None if value is None or is_region(value) else "a Region looks like ap-guangzhou"


def check_env_id(value: str) -> str | None:
    return None if is_env_id(value) else "an env id looks like env-xxxxxxxx"


def check_address(value: str | None) -> str | None:
    if value is None:
        return None
    address, _, port = value.rpartition(":")
    if address and port.isdigit() and 0 < int(port) < 65536:
        return None
    return "give ADDRESS:PORT, e.g. 127.0.0.1:9000"


def check_duration(value: str | None) -> str | None:
    try:
        duration_seconds(value)
    except ValueError as exc:
        return str(exc)
    return None


def check_rules(value: str | None) -> str | None:
    if not value:
        return None
    try:
        rule_set(value, known_rules())
    except ValueError as exc:
        return str(exc)
    return None


def check_report(value: str) -> str | None:
    if value.lower().endswith((".md", ".html")):
        return None
    return "the report file must end in .md or .html"


def parse_flag(text: str) -> bool:
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise ValueError("give true or false")


# ---- values: parsing, checking ----------------------------------------------------------


def duration_seconds(text: str | None) -> float | None:
    """``90s``, ``10m``, ``1h``, ``1.5h`` or plain seconds, as seconds (None stays None)."""
    if text is None:
        return None
    match = _DURATION.fullmatch(str(text).strip().lower())
    if match is None:
        raise ValueError("give a duration such as 90s, 10m, 1h or a number of seconds")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds <= 0:
        raise ValueError("give a duration longer than zero")
    return seconds


def parse_id_list(value: str | Collection[str] | None) -> list[str]:
    """The ids of a comma-separated list (``B1,b2``) or of a list, stripped, as given."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else value
    return [part.strip() for part in parts if part and part.strip()]


def rule_set(value: str | Collection[str] | None, known: Collection[str]) -> set[str]:
    """The catalogue's spelling of each rule id in ``value`` (any case); ValueError if unknown."""
    wanted = parse_id_list(value)
    lookup = {rule.upper(): rule for rule in known}
    unknown = [w for w in wanted if w.upper() not in lookup]
    if unknown or not wanted:
        raise ValueError(
            f"unknown rule id(s) {', '.join(unknown) or '(none given)'}; "
            f"valid ids: {', '.join(known)}"
        )
    return {lookup[w.upper()] for w in wanted}


def known_rules() -> list[str]:
    """Every rule id a run knows (the catalogue's and the harness's own)."""
    from ..harness.runner import all_checks, catalogue_rules, known_rule_ids

    return known_rule_ids(all_checks(), catalogue_rules())


def check_shard(value: str) -> str | None:
    """``K/N`` with 1 <= K <= N (``harness.shard`` reads it)."""
    from ..harness.shard import ShardError, parse_shard

    try:
        parse_shard(value)
    except ShardError as exc:
        return str(exc).split(": ", 1)[-1]  # the value is quoted by the caller
    return None


def check_min_coverage(value: str) -> str | None:
    """One percentage, or DIM=PCT pairs (``harness.coverage_map`` reads it)."""
    from ..harness.coverage_map import MinimumError, parse_minimum

    try:
        parse_minimum(value)
    except MinimumError as exc:
        return str(exc)
    return None

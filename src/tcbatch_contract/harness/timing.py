"""When a request left and when its answer came: what timing-dependent verdicts rest on.

A harness cannot see when a request reached the target, only that it did after it left
and before its answer came. Checks whose verdict depends on time (P5's clock skew, P9's
window) judge with these intervals; a recording keeps each exchange's interval in a
header of the recorded answer, so that a replay, which answers at once, judges the
recorded times and not its own.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from ..transport import ApiResult, TransportError

if TYPE_CHECKING:
    from .checks.session import Session

TIMING_HEADER = "x-tcbatch-timing"  # "<left> <answered>", monotonic seconds


def recorded_times(result: ApiResult | None) -> tuple[float, float] | None:
    """The interval a recording kept with this answer (a replay judges the recorded times)."""
    value = result.wire_response.headers.get(TIMING_HEADER) if result is not None else None
    try:
        left, answered = (float(part) for part in (value or "").split())
    except ValueError:
        return None
    return left, answered


def exchange_seconds(result: ApiResult) -> float:
    """How long an exchange took (as recorded, in a replay)."""
    stamps = recorded_times(result)
    return stamps[1] - stamps[0] if stamps else result.wire_response.seconds


def server_offset(session: Session) -> float:
    """Target clock minus ours, from its Date header; 0 when within two seconds or unknown."""
    sent = session.client.clock()
    try:
        answer = session.send(session.describe("tc3-post"), counted=True).wire_response
    except TransportError:
        return 0.0
    date = answer.headers.get("date")
    try:
        offset = parsedate_to_datetime(date).timestamp() - (sent + answer.seconds / 2)
    except (TypeError, ValueError):
        return 0.0
    return offset if abs(offset) >= 2 else 0.0

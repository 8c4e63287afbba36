"""P9, judged on measured time: a verdict only where the timing it rests on held.

The rate limit is a sliding one-second window per (SecretId, Action), measured where the
request arrives; only requests that passed P1-P8 and were not themselves refused by the
limit count (protocol.md). The harness cannot see arrival times, but it knows that a
request arrived after it left and before its answer came: each request is kept with
that interval, and the whole scenario is judged afterwards against what a correct target
could have done, whatever the arrival times inside the intervals were:

* a request refused although fewer than ``limit`` accepted requests can have arrived in
  the second before it was refused wrongly (too strict, or refusals counted);
* ``limit + 1`` accepted requests that all left and were answered within one second all
  arrived in one window: one of them should have been refused.

Bursts are sent in parallel (every request signed first, then released together), so
that a target taking 40 ms per exchange still gets ``limit + 1`` requests inside one
second. When even that does not fit, the check says how long the burst took and gives
no verdict (status ``inconclusive``) instead of expecting a refusal that a correct target
need not give. P9 runs alone (the runner's exclusive checks), so no other request of its
key is in flight. A recorded run keeps each exchange's interval (``TIMING_HEADER``), so
that its replay judges the same times, not the replay's own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from ... import codes
from ...transport import ApiResult, Credential, TransportError, WireRequest
from ...transport.forms import request_key
from ..model import RunSettings, Status, Target
from ..timing import recorded_times
from .session import Interrupted, ProtocolCase, Session, TargetLost, minimal_job
from .stateful import _Scenario

WINDOW = 1.0  # seconds (protocol.md P9)
MARGIN = 0.05  # waited beyond a window before it is taken as empty
ATTEMPTS = 2  # a scenario whose timing did not hold is run once more
COUNTED, REFUSED = codes.MISSING_PARAMETER, codes.REQUEST_LIMIT_EXCEEDED


@dataclass
class Sent:
    """One request of the scenario, the interval it arrived in, and its answer."""

    label: str
    counted: bool  # passed P1-P8 (False: refused by P7 before the limit)
    request: WireRequest
    left: float
    answered: float
    result: ApiResult | None
    error: TransportError | None = None

    @property
    def code(self) -> str | None:
        return self.result.code if self.result is not None else None

    @property
    def accepted(self) -> bool:
        """Counted by the target's limit: passed P1-P8 and not refused by the limit."""
        return self.counted and self.result is not None and self.code != REFUSED


def span(sent: list[Sent]) -> float:
    """From the first request leaving to the last answer: every arrival lies within it."""
    return max(s.answered for s in sent) - min(s.left for s in sent) if sent else 0.0


class RateLimitCheck(_Scenario):
    """P9: limit+1 requests within one second get one refusal; refused ones do not count."""

    rule = "P9"

    def skip_reason(self, target: Target, settings: RunSettings) -> str | None:
        return None if target.profile.rate_limit else "the profile states no rate limit"

    def scenario(self, s: Session) -> None:
        """The scenario, once more when its timing did not hold (a passing load spike)."""
        for attempt in range(ATTEMPTS):
            if attempt:
                s.notes.append(f"attempt {attempt} was not judged: {s.result.reason}")
                s.result.status, s.result.reason = Status.PASS, ""
            self.attempt(s)
            if s.result.status is not Status.INCONCLUSIVE:
                return

    def attempt(self, s: Session) -> None:
        limit = s.target.profile.rate_limit or 0
        no_placement = {"Job": minimal_job(s.region)["Job"]}
        forged = s.client.with_credential(Credential(s.client.credential.secret_id, "tcbc-wrong"))
        sent: list[Sent] = []

        def burst(label: str, count: int, *, counted: bool = True) -> list[Sent]:
            self._check_stop()
            client = s.client if counted else forged
            requests = [client.build("SubmitJob", no_placement) for _ in range(count)]
            out = _at_once(s, requests, f"{label} ({count} at once)", counted)
            sent.extend(out)
            return out

        def settle(after: float) -> None:
            # Never more than a window (a replay's recorded times are another clock's).
            self._check_stop()
            time.sleep(min(WINDOW + MARGIN, max(0.0, after - time.monotonic())))

        # Every earlier request of this key was answered before P9 began: one window clears.
        settle(time.monotonic() + WINDOW + MARGIN)
        full = burst(f"{limit + 1} requests within one second", limit + 1)
        # Refusals while the window is full, the last one as late as it can be, so that
        # it is still in the window when the next burst arrives.
        more = burst("one more while the window is full", 1)
        more += burst("and another", 1)
        took = more[-1].answered - more[-1].left
        settle(min(x.left for x in full) + WINDOW - 2 * MARGIN - 2 * took)
        more += burst("the last one before the window empties", 1)
        # Once the accepted requests have left the window, a full burst fits beside the
        # refused ones, which do not count.
        accepted = [x.answered for x in full + more if x.accepted] or [full[-1].answered]
        settle(max(accepted) + WINDOW + MARGIN)
        beside = burst("a full burst beside the refused requests", limit)
        settle(max(x.answered for x in sent) + WINDOW + MARGIN)
        failing = burst("requests failing P7", limit + 1, counted=False)
        after = burst("a full burst after requests failing P7", limit)

        self._judge(s, sent, limit)
        if s.result.failures:
            return
        unshown = []
        took = span(full)
        if took >= WINDOW:
            unshown.append(
                f"{limit + 1} requests sent at once took {took:.2f} s from the first leaving "
                f"to the last answer, more than the {WINDOW:g} s window: not judged whether "
                "the target refuses the request over its limit"
            )
        refused = [x.left for x in full + more if x.code == REFUSED]
        late = max(x.answered for x in beside) - max(refused, default=-WINDOW)
        if refused and late >= WINDOW:
            unshown.append(
                f"the burst beside the refusals was answered {late:.2f} s after the last "
                "refusal left, not within the window: not judged whether refusals count"
            )
        late = max(x.answered for x in after) - max(x.left for x in failing)
        if late >= WINDOW:
            unshown.append(
                f"the burst after the requests failing P7 was answered {late:.2f} s after the "
                "last of them left, not within the window: not judged whether they count"
            )
        if unshown:
            s.result.status = Status.INCONCLUSIVE
            s.result.reason = "; ".join(unshown)

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise Interrupted

    def _judge(self, s: Session, sent: list[Sent], limit: int) -> None:
        """Every answer against what a correct target could have answered at any arrival
        times inside the measured intervals."""
        for x in sent:
            case = ProtocolCase(
                x.label, "tc3-post", lambda r=x.request: r, None, action="SubmitJob"
            )
            if x.result is None:
                if x.error is None or not s.unjudged_timeout(case, x.error):
                    s.fail(case, x.request, None, [f"no answer ({x.error})"])
                continue
            expect = codes.AUTH_SIGNATURE_FAILURE if not x.counted else x.code
            if x.counted and x.code not in (COUNTED, REFUSED):
                expect = COUNTED
            case = ProtocolCase(x.label, "tc3-post", case.make, expect, action="SubmitJob")
            problems = s.problems(case, x.request, x.result.wire_response)
            if x.counted and x.code == REFUSED:
                before = [
                    y
                    for y in sent
                    if y is not x and y.accepted and y.left <= x.answered
                    and y.answered > x.left - WINDOW
                ]  # fmt: skip
                if len(before) < limit:
                    problems.append(
                        f"refused (RequestLimitExceeded), though at most {len(before)} accepted "
                        f"request(s) of this (SecretId, Action) can have reached the target "
                        f"in the second before it; the limit is {limit}"
                    )
            if problems:
                s.fail(case, x.request, x.result.wire_response, [*problems, _when(x, sent)])
        crowd = _over_limit(sent, limit)
        if crowd:
            last = crowd[-1]
            case = ProtocolCase(
                last.label, "tc3-post", lambda: last.request, REFUSED, action="SubmitJob"
            )
            s.fail(case, last.request, last.result.wire_response if last.result else None, [
                f"{len(crowd)} requests of one (SecretId, Action) left and were answered within "
                f"{span(crowd):.3f} s, so all arrived within one second, and all were accepted;"
                f" the limit is {limit}, so one should have got RequestLimitExceeded",
            ], expected={"outcome": "error", "codes": [REFUSED]})  # fmt: skip


def _over_limit(sent: list[Sent], limit: int) -> list[Sent]:
    """``limit + 1`` accepted requests surely inside one window ([] when there are none)."""
    accepted = sorted((x for x in sent if x.accepted), key=lambda x: x.left)
    for index, first in enumerate(accepted):
        later = sorted(accepted[index:], key=lambda x: x.answered)[: limit + 1]
        if len(later) > limit and later[-1].answered - first.left < WINDOW:
            return later
    return []


def _when(x: Sent, sent: list[Sent]) -> str:
    zero = min(y.left for y in sent)
    return f"(left at +{x.left - zero:.3f} s, answered at +{x.answered - zero:.3f} s)"


def _at_once(s: Session, requests: list[WireRequest], label: str, counted: bool) -> list[Sent]:
    """Send ``requests`` together: one thread each, released at once by a barrier."""
    barrier = threading.Barrier(len(requests))
    out: list[Any] = [None] * len(requests)

    def send(index: int) -> None:
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        left = time.monotonic()
        try:
            result = s.client.send(requests[index], counted=False, retry_backpressure=False)
            out[index] = (left, time.monotonic(), result, None)
        except TransportError as exc:
            out[index] = (left, time.monotonic(), None, exc)
        except BaseException as exc:  # a replay's miss, a bug: raised in the check's thread
            out[index] = exc

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    key = request_key(requests[0])
    for entry in out:
        if isinstance(entry, BaseException):
            raise entry
    sent = []
    for index, (left, answered, result, error) in enumerate(out):
        s.result.requests += 1
        s.result.cases += 1
        if error is not None and error.kind == "unreachable":
            raise TargetLost(str(error))
        if result is not None:
            s.adopt(result)
        if counted and s.client.limiter is not None:
            s.client.limiter.record(key)  # the client paces its later requests with these
        name = f"{label}, request {index + 1}" if len(requests) > 1 else label
        left, answered = recorded_times(result) or (left, answered)
        sent.append(Sent(name, counted, requests[index], left, answered, result, error))
    return sent

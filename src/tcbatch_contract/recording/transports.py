"""Two transports: one that records what another transport exchanges, one that replays it.

Both implement the transport Protocol and are passed in like any other: the recorder
wraps the real transport of a run (HTTP, in-process WSGI), the replayer stands in for the
target. Neither patches a library. Both compute the match key of each request at the
moment it is sent, with the run's own credentials, and note the JobIds the answers
issue, so that a later request naming such a job keeps its id in its key.

The replayer is strict: a request whose key the cassette does not hold, or holds no
unplayed answer for, raises :class:`ReplayMiss` (which ends the run) and is remembered, so
that a replayed run can never pass by skipping what it could not answer. A run should also play every
recorded answer; :meth:`ReplayTransport.unplayed` says which it did not.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

from vcr.request import Request

from ..harness.report.masking import Scrubber
from ..harness.targets import current_rule
from ..harness.timing import TIMING_HEADER
from ..transport import Transport, TransportError, WireRequest, WireResponse
from .cassette import (
    CLOCK_HEADER,
    MATCH_HEADER,
    RunRecord,
    generator_fingerprint,
    load,
    match_key_of,
    vcr_request,
    vcr_response,
    vcr_transport_error,
    wire_response,
)
from .matching import KeyContext, differences, key_fields, match_key, note_issued


class ReplayMiss(BaseException):
    """A replayed run sent a request the cassette has no (more) answers for.

    A BaseException, as KeyboardInterrupt is: nothing a replayed run does after a miss
    can be trusted, so no check, Hypothesis included, may catch it and carry on (shrink,
    retry); it ends the run, which then names the request.
    """

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


class RecordingTransport:
    """Sends through ``inner`` and keeps every exchange, scrubbed, for a cassette."""

    def __init__(
        self,
        inner: Transport,
        context: KeyContext,
        *,
        base_url: str,
        secrets: list[str],
        clock: Callable[[], float] = time.time,
        scrub: Scrubber | None = None,
    ) -> None:
        """``scrub`` cleans the exchanges when they are written (``cassette.save``); give
        the run's scrubber, which learns each signature as it is made."""
        self.inner = inner
        self.context = context
        self.base_url = base_url
        self.clock = clock
        self.secrets = [s for s in secrets if s]
        self.scrub = scrub or Scrubber(self.secrets)
        self.interactions: list[tuple[Request, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RecordingTransport({self.inner!r})"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        sent = self.clock()
        with self._lock:
            key = match_key(request, self.context, sent, current_rule())
        stored = vcr_request(request, self.base_url, key, _kept)
        left = time.monotonic()
        try:
            response = self.inner.send(request, timeout)
        except TransportError as exc:
            with self._lock:
                self.interactions.append((stored, vcr_transport_error(exc.kind, exc.detail, _kept)))
            raise
        offset = _clock_offset(response, sent)
        answer = vcr_response(response, offset, _kept)
        # When it left and when its answer came: what a timing-dependent check judged.
        answer["headers"][TIMING_HEADER] = [f"{left:.4f} {time.monotonic():.4f}"]
        with self._lock:
            note_issued(self.context, response.body)
            self.interactions.append((stored, answer))
        return response


class ReplayTransport:
    """Answers from a recorded run: each recorded answer once, to the request that matches."""

    def __init__(
        self,
        directory: str | Path,
        context: KeyContext,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.cassette, self.record = load(self.directory)
        self.context = context
        self.clock = clock
        self.host = self.record.host
        self.scheme = self.record.scheme
        self.base_url = self.record.base_url
        self.misses: list[ReplayMiss] = []
        self._queues: dict[str, deque[int]] = {}
        for index, (stored, _) in enumerate(self.cassette.data):
            self._queues.setdefault(match_key_of(stored), deque()).append(index)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ReplayTransport({str(self.directory)!r})"

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        now = self.clock()
        with self._lock:
            key = match_key(request, self.context, now, current_rule())
            queue = self._queues.get(key)
            if not queue:
                miss = ReplayMiss(self._miss_message(key), key)
                self.misses.append(miss)
                raise miss
            index = queue.popleft()
            self.cassette.play_counts[index] += 1
            stored = self.cassette.data[index][1]
            response, error = wire_response(stored)
            if response is not None:
                note_issued(self.context, response.body)
        if error is not None:
            raise TransportError(error[0], error[1])  # type: ignore[arg-type]
        assert response is not None
        return _redated(response, now)

    def unplayed(self) -> list[str]:
        """Keys of the recorded requests this replay has not sent (in recorded order)."""
        return [
            match_key_of(stored)
            for index, (stored, _) in enumerate(self.cassette.data)
            if self.cassette.play_counts[index] == 0
        ]

    def _miss_message(self, key: str) -> str:
        wanted = key_fields(key)
        what = f"{wanted.get('action') or '(no action)'} from check {wanted.get('rule') or '-'}"
        where = self.directory / "cassette.yaml"
        now = generator_fingerprint()
        hint = ""
        if self.record.generator != now:
            hint = (
                f" (it was recorded with other strategies, checks or contract data: "
                f"fingerprint {self.record.generator or 'unknown'}, now {now}; re-record it)"
            )
        if key in self._queues:
            return (
                f"{where} has no more answers for this {what}: it was sent more often than "
                f"when the run was recorded{hint}"
            )
        same = [
            k
            for k in self.unplayed()
            if key_fields(k).get("rule") == wanted.get("rule")
            and key_fields(k).get("action") == wanted.get("action")
        ]
        if not same:
            return (
                f"{where} has no recording of this {what}: the run did not send it when it "
                f"was recorded{hint or ' (re-record with `tcbatch-contract run --record DIR`)'}"
            )
        nearest = min(same, key=lambda k: len(differences(key, k)))
        diff = "; ".join(differences(key, nearest)[:4])
        return f"{where} has no recording of this {what}{hint}; the nearest recorded one differs in {diff}"


def _kept(text: str) -> str:
    """Exchanges are kept as they were and scrubbed once, when written."""
    return text


def _clock_offset(response: WireResponse, sent: float) -> float | None:
    date = response.headers.get("date")
    if not date:
        return None
    try:
        return parsedate_to_datetime(date).timestamp() - sent
    except (TypeError, ValueError):
        return None


def _redated(response: WireResponse, now: float) -> WireResponse:
    """The recorded answer, its Date moved to now (keeping the recorded clock offset)."""
    headers = {k: v for k, v in response.headers.items() if k not in (CLOCK_HEADER, MATCH_HEADER)}
    offset = response.headers.get(CLOCK_HEADER)
    if offset is not None and "date" in headers:
        try:
            headers["date"] = formatdate(now + float(offset), usegmt=True)
        except ValueError:
            pass
    return WireResponse(response.status, headers, response.body, response.seconds)


__all__ = ["RecordingTransport", "ReplayMiss", "ReplayTransport", "RunRecord"]

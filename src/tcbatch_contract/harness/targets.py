"""Per-check views of one target, each watching the answers its check gets.

Every check talks to the target through a transport wrapper that judges the response
form of every answer (protocol.md, "Responses") and counts the requests, whatever the
check itself looks at; so a protocol check that only compares codes still reports an
envelope breach, and ``RESPONSE-FORM`` sees every answer of the run. All views share one
rate limiter (the target's limit is per SecretId and Action, not per check) and one set
of created jobs (so that an interrupted run can delete them all).
"""

from __future__ import annotations

import itertools
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .. import codes
from ..profile import DOCUMENTED_RATE_LIMIT, TargetProfile
from ..transport import (
    Client,
    Credential,
    Pacer,
    Transport,
    TransportError,
    WireRequest,
    WireResponse,
)
from .checks.response_form import RULE as RESPONSE_FORM
from .checks.response_form import RequestIds, refusal_not_judged, response_form_problems
from .model import Allowance, Failure, Target
from .report.masking import mask_wire

MAX_BREACHES_KEPT = 10
_WIRE_BODY_SHOWN = 2000
_RULE: ContextVar[str] = ContextVar("tcbatch_rule", default="")


def current_rule() -> str:
    """The rule whose check is sending the current request ("" outside any check)."""
    return _RULE.get()


@dataclass(frozen=True)
class TargetSetup:
    """What a run talks to, as the command line decided it."""

    name: str  # "emulator", "emulator+http" or the URL
    profile: TargetProfile
    transport: Transport
    host: str  # the Host the client signs
    credential: Credential
    denied_credential: Credential | None = None
    is_loopback: bool = True
    is_live_service: bool = False  # the real service: assumed rules it breaks are drift
    endpoint: str | None = None  # for reproductions; None for an in-process emulator
    request_timeout: float = 35.0
    # How a worker process rebuilds ``transport`` (see ``harness.workers``); None: it
    # cannot be rebuilt elsewhere (a recording, a replay) and the run stays in one process.
    recipe: Any = None
    # More API keys of the account of ``credential``: each check signs with one key of
    # the account, taken in turn, so that the rate limit (per SecretId and Action) of one
    # check's window does not hold up the next check's requests.
    more_credentials: tuple[Credential, ...] = field(default=(), repr=False)


class Observer:
    """Counts one check's requests and keeps the response-form breaches it saw."""

    def __init__(
        self, rule: str, request_ids: RequestIds | None, profile: TargetProfile | None = None
    ) -> None:
        self.rule = rule
        self.profile = profile  # with a profile, the answered requests are tallied (coverage)
        self.coverage: Any = None
        self.request_ids = request_ids
        self.requests = 0
        self.answers = 0
        self.breaches: list[Failure] = []
        self.breach_count = 0
        #: Called when the target can no longer be reached (its port closed mid-run).
        self.on_unreachable: Callable[[TransportError], None] | None = None
        self.pushed_back = 0  # answers asking to slow down (the back-pressure codes)
        self.seen_ids: list[str] = []  # RequestIds answered, for a run over several processes
        self._lock = threading.Lock()

    def sent(self) -> None:
        with self._lock:
            self.requests += 1

    def answered(self, request: WireRequest, response: WireResponse) -> None:
        problems = []
        if not refusal_not_judged(response):  # the HTTP layer's, not the API's: not judged
            problems = response_form_problems(
                response, method=request.method, request_ids=self.request_ids
            )
        with self._lock:
            self.answers += 1
            if self.profile is not None:
                self._tally(request, response)
            if response.request_id:
                self.seen_ids.append(response.request_id)
            if response.code in codes.BACK_PRESSURE:
                self.pushed_back += 1
            if not problems:
                return
            self.breach_count += 1
            if len(self.breaches) >= MAX_BREACHES_KEPT:
                return
        actual = response.summary()
        if response.request_id:
            actual["request_id"] = response.request_id
        breach = Failure(
            rule=self.rule,
            summary=f"response form ({RESPONSE_FORM}): " + "; ".join(problems),
            expected={
                "response_form": 'HTTP 200, Content-Type application/json, {"Response": '
                '{..., "RequestId": uuid}}, Error.Message non-empty, no JobId on errors'
            },
            actual=actual,
            action=_action(request) or "?",
            wire=mask_wire(request.to_dict(max_body=_WIRE_BODY_SHOWN)),
            form=_form_of(request),
        )
        with self._lock:
            self.breaches.append(breach)

    def _tally(self, request: WireRequest, response: WireResponse) -> None:
        from .coverage import Tally

        if self.coverage is None:
            self.coverage = Tally()
        form = _form_of(request)
        self.coverage.note(self.rule, form, _action(request), request, response, self.profile)


class ObservedTransport:
    """A transport that reports every exchange to an :class:`Observer`.

    A Ctrl-C that comes in the middle of a SubmitJob exchange is held until the answer is
    read and the job the target created is noted in ``created``: the run's cleanup deletes
    it, however late in the exchange the run was interrupted, and even if the Ctrl-C comes
    before the check that sent it had noted the job itself. A JobId noted once (in
    ``known``) is not noted again: a replayed ClientToken may name a job already deleted.
    Other exchanges create nothing and stay interruptible at once.
    """

    def __init__(
        self,
        inner: Transport,
        observer: Observer,
        created: set[str] | None = None,
        known: set[str] | None = None,
    ) -> None:
        self.inner = inner
        self.observer = observer
        self.created = created
        self.known = known if known is not None else set()

    def __repr__(self) -> str:
        return f"ObservedTransport({self.inner!r})"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        self.observer.sent()
        token = _RULE.set(self.observer.rule)
        try:
            if self.created is not None and _action(request) == "SubmitJob":
                with _interrupt_after_exchange():
                    response = self.inner.send(request, timeout)
                    self._note_created(response)
            else:
                response = self.inner.send(request, timeout)
        except TransportError as exc:
            if exc.kind == "unreachable" and self.observer.on_unreachable is not None:
                self.observer.on_unreachable(exc)
            raise
        finally:
            _RULE.reset(token)
        self.observer.answered(request, response)
        return response

    def _note_created(self, response: WireResponse) -> None:
        answer = response.response or {}
        job_id = answer.get("JobId")
        new = isinstance(job_id, str) and "Error" not in answer and job_id not in self.known
        if new and self.created is not None:
            self.known.add(job_id)
            self.created.add(job_id)


@contextmanager
def _interrupt_after_exchange() -> Iterator[None]:
    """Hold a Ctrl-C (on the main thread) until the block ends, then raise it."""
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:  # someone else handles Ctrl-C: leave it
        yield
        return
    signal.signal(signal.SIGINT, lambda number, frame: held.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


class TargetFactory:
    """Makes the :class:`Target` each check gets, all sharing pacing and created jobs."""

    def __init__(
        self,
        spec: TargetSetup,
        request_ids: RequestIds | None = None,
        *,
        share: int = 1,
        unpaced: bool = False,
    ) -> None:
        """``unpaced``: the transport is an emulator of the run's own that admits every
        request (``EmulatorRecipe.unlimited``), whatever limit the profile states."""
        self.spec = spec
        self.request_ids = request_ids if request_ids is not None else RequestIds()
        self.created_jobs: set[str] = set()
        self._known_jobs: set[str] = set()  # every JobId a SubmitJob answered with
        self.allowance = Allowance()  # valid submissions spent, across every check
        pace = spec.profile.rate_limit
        if not spec.is_loopback:
            # A live service: never faster than its documented limit, whatever the profile.
            pace = min(pace or DOCUMENTED_RATE_LIMIT, DOCUMENTED_RATE_LIMIT)
        if pace and share > 1:  # one of ``share`` processes pacing against the same limit
            pace = max(1, pace // share)
        if unpaced and spec.is_loopback:
            pace = None
        self.limiter = Pacer(pace) if pace else None
        self._keys = (spec.credential, *spec.more_credentials)
        self._turn = itertools.count()
        self._client = Client(
            spec.transport,
            spec.credential,
            spec.profile.region,
            host=spec.host,
            rate_limit=self.limiter,
            timeout=spec.request_timeout,
        )

    def target(self, observer: Observer | None = None) -> Target:
        """A view of the target; with an observer, every answer is watched."""
        spec = self.spec
        transport = (
            ObservedTransport(spec.transport, observer, self.created_jobs, self._known_jobs)
            if observer
            else spec.transport
        )
        client = self._client.replace(transport=transport)
        if observer is not None and len(self._keys) > 1:  # a check: the next key in turn
            client = client.replace(credential=self._keys[next(self._turn) % len(self._keys)])

        def client_factory(
            form: str = "tc3-post", region: str | None = None, credential: Credential | None = None
        ) -> Client:
            changes: dict[str, Any] = {"form": form}
            if region:
                changes["region"] = region
            if credential is not None:
                changes["credential"] = credential
            return client.replace(**changes)

        denied = None
        if spec.denied_credential is not None:
            denied = client.replace(credential=spec.denied_credential)
        return Target(
            name=spec.name,
            profile=spec.profile,
            client=client,
            client_factory=client_factory,
            denied_client=denied,
            is_loopback=spec.is_loopback,
            created_jobs=self.created_jobs,
            allowance=self.allowance,
        )

    def observer(self, rule: str) -> Observer:
        return Observer(rule, self.request_ids, self.spec.profile)


def _form_of(request: WireRequest) -> str:
    method = request.method.lower()
    if request.header("Authorization") is not None or request.header("X-TC-Action") is not None:
        return "tc3-get" if method == "get" else "tc3-post"
    return "v1-get" if method == "get" else "v1-post"


def _action(request: WireRequest) -> str | None:
    return request.header("X-TC-Action") or _v1_action(request)


def _v1_action(request: WireRequest) -> str | None:
    from urllib.parse import parse_qsl

    text = request.query or request.body.decode("utf-8", errors="replace")
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name == "Action":
            return value
    return None

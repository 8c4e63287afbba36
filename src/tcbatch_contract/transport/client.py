"""A signing API client for the harness: one call, one verdict-ready result.

Unlike the official SDK it sends exactly what it is given (unknown members, wrong types,
any of the four request forms), never raises on an API error, and keeps the wire request
and answer for the report. It paces itself per (SecretId, Action) and treats the
``RequestLimitExceeded`` family as back-pressure: it waits and sends again, a bounded
number of times, because a throttled answer says nothing about the request.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import codes
from ..profile import DOCUMENTED_RATE_LIMIT
from ._messages import Transport, WireRequest, WireResponse
from .credential import Credential
from .forms import (
    SIGN_METHODS,
    V1_FORMS,
    check_form,
    form_method,
    request_key,
    tc3_sign,
    tc3_unsigned,
    v1_params,
    v1_request,
    v1_sign,
)
from .pacing import Pacer

DEFAULT_TIMEOUT = 35.0
_random = random.SystemRandom()


def default_backoff(attempt: int) -> float:
    """0.5 s, 1 s, 2 s, then 4 s: past a one-second window after the second retry."""
    return min(0.5 * 2**attempt, 4.0)


@dataclass(frozen=True)
class ApiResult:
    """The answer to one call, after any back-pressure retries."""

    code: str | None
    response: dict[str, Any] | None
    wire_request: WireRequest
    wire_response: WireResponse
    requests_sent: int
    seconds: float

    @property
    def success(self) -> bool:
        """An API answer without ``Error``."""
        return self.response is not None and "Error" not in self.response

    @property
    def message(self) -> str | None:
        return self.wire_response.message

    @property
    def request_id(self) -> str | None:
        return self.wire_response.request_id

    @property
    def job_id(self) -> str | None:
        value = self.response.get("JobId") if self.success and self.response else None
        return value if isinstance(value, str) else None


class _Pressure:
    """Shared by a client and its copies: after one call ran out of retries, retry less;
    and once an unpaced client is pushed back, pace it at the documented limit from then on
    (a target that says nothing of its limit most likely has the real one)."""

    def __init__(self) -> None:
        self.strained = False
        self.adopted: Pacer | None = None
        self.lock = threading.Lock()


class Client:
    """Signs and sends API calls in one request form, paced and back-pressure aware."""

    def __init__(
        self,
        transport: Transport,
        credential: Credential,
        region: str | None,
        *,
        form: str = "tc3-post",
        host: str | None = None,
        sign_method: str = "HmacSHA256",
        clock: Callable[[], float] = time.time,
        rate_limit: int | Pacer | None = None,
        max_backpressure_retries: int = 5,
        timeout: float = DEFAULT_TIMEOUT,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if sign_method not in SIGN_METHODS:
            raise ValueError(f"sign_method {sign_method!r} is unknown; use HmacSHA256 or HmacSHA1")
        host = host if host is not None else getattr(transport, "host", None)
        if not host:
            raise ValueError("no host to sign: pass host='name:port' (the transport has none)")
        self.transport = transport
        self.credential = credential
        self.region = region
        self.form = check_form(form)
        self.host = host
        self.sign_method = sign_method
        self.clock = clock
        self.limiter = Pacer(rate_limit) if isinstance(rate_limit, int) else rate_limit
        self.max_backpressure_retries = max_backpressure_retries
        self.timeout = timeout
        self.backoff = backoff
        self.sleep = sleep
        self._pressure = _Pressure()

    def __repr__(self) -> str:
        return (
            f"Client({self.transport!r}, {self.credential!r}, region={self.region!r}, "
            f"form={self.form!r}, host={self.host!r})"
        )

    def replace(self, **changes: Any) -> Client:
        """A copy with other settings, sharing the transport, the limiter and the pacing."""
        clone = object.__new__(Client)
        clone.__dict__.update(self.__dict__)
        for name, value in changes.items():
            if name not in self.__dict__ or name.startswith("_"):
                raise TypeError(f"Client has no setting {name!r}")
            setattr(clone, name, value)
        check_form(clone.form)
        return clone

    def with_form(self, form: str) -> Client:
        return self.replace(form=form)

    def with_credential(self, credential: Credential) -> Client:
        return self.replace(credential=credential)

    # ---- building -------------------------------------------------------------------

    def build(
        self,
        action: str,
        params: Mapping[str, Any],
        *,
        form: str | None = None,
        timestamp: int | None = None,
        nonce: int | None = None,
    ) -> WireRequest:
        """The signed request for ``action`` (pure when ``timestamp`` and ``nonce`` are given).

        GET and V1 forms need flattenable parameters (ValueError otherwise).
        """
        form = check_form(form or self.form)
        timestamp = int(self.clock()) if timestamp is None else timestamp
        if form in V1_FORMS:
            nonce = _random.randint(1, sys.maxsize) if nonce is None else nonce
            method = form_method(form)
            pairs = v1_params(
                action,
                params,
                credential=self.credential,
                region=self.region,
                timestamp=timestamp,
                nonce=nonce,
                sign_method=self.sign_method,
            )
            pairs = v1_sign(method, self.host, pairs, self.credential.secret_key)
            return v1_request(method, pairs, host=self.host)
        request = tc3_unsigned(
            form,
            action,
            params,
            host=self.host,
            timestamp=timestamp,
            region=self.region,
            token=self.credential.token,
        )
        return tc3_sign(request, self.credential, timestamp=timestamp)

    # ---- sending --------------------------------------------------------------------

    def call(self, action: str, params: Mapping[str, Any], *, form: str | None = None) -> ApiResult:
        """Send ``action`` and return its answer; raises TransportError when there is none.

        Each attempt is signed afresh (new timestamp and nonce).
        """
        key = (self.credential.secret_id, action)
        return self._exchange(lambda: self.build(action, params, form=form), key, counted=True)

    def send(
        self,
        request: WireRequest,
        *,
        counted: bool = True,
        retry_backpressure: bool = True,
    ) -> ApiResult:
        """Send a request built elsewhere (resent as is on back-pressure).

        ``counted=False`` keeps it out of the pacing: for a request the target must refuse
        before its rate limit counts it (a protocol fault).
        """
        return self._exchange(
            lambda: request, request_key(request), counted=counted, retry=retry_backpressure
        )

    def _exchange(
        self,
        make: Callable[[], WireRequest],
        key: tuple[str, str],
        *,
        counted: bool,
        retry: bool = True,
    ) -> ApiResult:
        start = time.monotonic()
        attempt = sent = 0
        while True:
            limiter = self.limiter or self._pressure.adopted
            if counted and limiter is not None:
                limiter.acquire(key)
            request = make()
            response = self.transport.send(request, self.timeout)
            sent += 1
            if response.code not in codes.BACK_PRESSURE:
                with self._pressure.lock:
                    self._pressure.strained = False
                break
            if not retry:
                break
            with self._pressure.lock:
                if self.limiter is None and self._pressure.adopted is None:
                    self._pressure.adopted = Pacer(DOCUMENTED_RATE_LIMIT)
                allowed = 1 if self._pressure.strained else self.max_backpressure_retries
                if attempt >= allowed:
                    self._pressure.strained = True
                    break
            self.sleep(self.backoff(attempt))
            attempt += 1
        return ApiResult(
            code=response.code,
            response=response.response,
            wire_request=request,
            wire_response=response,
            requests_sent=sent,
            seconds=time.monotonic() - start,
        )


__all__ = ["ApiResult", "Client", "default_backoff"]

"""Requests with one deliberate deviation, in any form, signed right everywhere else.

A protocol check must break exactly one protocol rule per request: a missing header, a
timestamp out of range, a body changed after signing. :class:`RequestFactory` builds the
request a correct client would build for the same identity (credential, Host, Region)
and lets the caller change one thing, before signing (the signature then covers the
change) or after it (the signature then no longer matches).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from ..wire import signing
from ..wire.flatten import flatten, is_flattenable
from ._messages import WireRequest
from .credential import Credential
from .forms import (
    FORM_CONTENT,
    V1_FORMS,
    check_form,
    form_method,
    tc3_sign,
    tc3_unsigned,
    v1_params,
    v1_request,
    v1_sign,
)

_random = random.SystemRandom()
KEEP: Any = object()  # "the factory's own Region"


class RequestFactory:
    """Builds requests as ``credential`` at ``host`` in ``region``, with deviations."""

    def __init__(
        self,
        credential: Credential,
        host: str,
        region: str | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credential = credential
        self.host = host
        self.region = region
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    def build(self, form: str, action: str | None, params: Mapping[str, Any], **changes: Any):
        """:meth:`tc3` or :meth:`v1`, by form."""
        if check_form(form) in V1_FORMS:
            return self.v1(form, action, params, **changes)
        return self.tc3(form, action, params, **changes)

    def tc3(
        self,
        form: str,
        action: str | None,
        params: Mapping[str, Any],
        *,
        method: str | None = None,
        timestamp: int | str | None = None,
        region: Any = KEEP,
        headers: Mapping[str, str | None] | None = None,
        query_pairs: Sequence[tuple[str, str]] | None = None,
        body: bytes | None = None,
        credential: Credential | None = None,
        sign: bool = True,
        after: Callable[[WireRequest], WireRequest] | None = None,
        **sign_options: Any,
    ) -> WireRequest:
        """A TC3 request; ``headers`` set (None: drop) headers before signing.

        ``body``/``query_pairs`` replace the body or query built from ``params``;
        ``sign_options`` go to :func:`forms.tc3_sign` (signed headers, date, service...);
        ``after`` changes the signed request.
        """
        timestamp = self.now() if timestamp is None else timestamp
        request = tc3_unsigned(
            form,
            action,
            params if query_pairs is None else {},
            host=self.host,
            timestamp=timestamp,
            region=self.region if region is KEEP else region,
            token=(credential or self.credential).token,
        )
        if method is not None:
            request = request.replace(method=method)
        if query_pairs is not None:
            request = request.replace(query=urlencode(list(query_pairs)))
        if body is not None:
            request = request.replace(body=body)
        for name, value in (headers or {}).items():
            request = (
                request.without_header(name) if value is None else request.with_header(name, value)
            )
        if sign:
            if not isinstance(timestamp, int) or request.header("X-TC-Timestamp") is None:
                # No integer timestamp to take the scope's date from: today's.
                sign_options.setdefault("date", signing.utc_date(self.now()))
            request = tc3_sign(request, credential or self.credential, **sign_options)
        return after(request) if after else request

    def v1(
        self,
        form: str,
        action: str | None,
        params: Mapping[str, Any],
        *,
        method: str | None = None,
        timestamp: int | str | None = None,
        nonce: int | str | None = None,
        region: Any = KEEP,
        pairs: Sequence[tuple[str, str]] | None = None,
        set_params: Mapping[str, str | None] | None = None,
        credential: Credential | None = None,
        sign_method: str | None = "HmacSHA256",
        signing_key: str | None = None,
        signing_method: str | None = None,
        signing_algorithm: str | None = None,
        underscore_as_dot: bool = True,
        content_type: str | None = FORM_CONTENT,
        sign: bool = True,
        after: Callable[[list[tuple[str, str]]], list[tuple[str, str]]] | None = None,
    ) -> WireRequest:
        """A V1 request; ``set_params`` set (None: drop) parameters before signing.

        ``pairs`` replaces the flattened ``params`` (to send what flattening never makes);
        ``signing_key``/``signing_method``/``signing_algorithm`` sign with another key,
        HTTP method or HMAC than the request states; ``after`` changes the signed
        parameters.
        """
        credential = credential or self.credential
        method = method or form_method(form)
        common = v1_params(
            action,
            {},
            credential=credential,
            region=self.region if region is KEEP else region,
            timestamp=self.now() if timestamp is None else timestamp,
            nonce=_random.randint(1, sys.maxsize) if nonce is None else nonce,
            sign_method=sign_method,
        )
        if pairs is None:
            if params and not is_flattenable(params):
                raise ValueError("these parameters cannot be flattened: send them as tc3-post")
            pairs = list(flatten(params).items())
        all_pairs = list(pairs) + common
        for name, value in (set_params or {}).items():
            all_pairs = [(k, v) for k, v in all_pairs if k != name]
            if value is not None:
                all_pairs.append((name, value))
        if sign:
            all_pairs = v1_sign(
                signing_method or method,
                self.host,
                all_pairs,
                signing_key if signing_key is not None else credential.secret_key,
                sign_method=signing_algorithm,
                underscore_as_dot=underscore_as_dot,
            )
        if after:
            all_pairs = after(all_pairs)
        return v1_request(
            method, all_pairs, host=self.host, content_type=content_type,
            in_query=form == "v1-get",
        )  # fmt: skip


def fit(build: Callable[[int], WireRequest], measure: Callable[[WireRequest], int], size: int):
    """The request ``build(n)`` whose ``measure`` is exactly ``size``.

    ``build`` pads by ``n``; a signature inside what is measured changes length from one
    try to the next (url-encoded base64), so this searches rather than computes.
    """
    n = 0
    for _ in range(300):
        request = build(n)
        gap = size - measure(request)
        if gap == 0:
            return request
        n = max(0, n + gap)
    raise RuntimeError(f"could not build a request of exactly {size} bytes")

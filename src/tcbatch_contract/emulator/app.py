"""The WSGI entry: one exchange through the protocol steps, then the action; one envelope.

Whatever happens inside, the answer is HTTP 200 with ``Content-Type: application/json``
exactly (the official SDK parses an error body only for that value) and a body
``{"Response": {..., "RequestId": uuid4}}`` in ASCII JSON. A HEAD request gets the headers of
that answer and no body. An exception the steps did not foresee still becomes a well-formed
``InvalidParameter`` answer: no input may produce the InternalError family. That family
comes only from injection and from the job store failing (a read-only or full disk):
such a request is answered ``InternalError``, nothing was stored, and no JobId is given.

The app owns its state (the job store, the rate limiter, the injection counters); ``reset()``
clears it. ``app.steps``, ``app.checks`` and ``app.handlers`` are this app's own copies of
the protocol-step, rule and action tables, looked up on every request; ``head(body)`` gives
the status line and headers of an answer.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from .. import codes
from . import actions, protocol, validate
from .config import EmulatorConfig
from .errors import ApiError
from .injection import Injector
from .ratelimit import RateLimit
from .store import JobStore, StoreError

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/json"

StartResponse = Callable[..., Any]


class EmulatorApp:
    """A WSGI callable serving the Batch API from one configuration."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.store = JobStore(config.db_path, config.account_of)
        self.limiter = RateLimit(config.rate_limit, time.monotonic)
        self.injector = Injector(config.injections)
        self.steps: dict[str, protocol.Step] = dict(protocol.STEPS)
        self.checks: dict[str, validate.Check] = dict(validate.CHECKS)
        self.handlers: dict[str, actions.Handler] = dict(actions.HANDLERS)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = self.respond(environ)
        start_response(*self.head(body))
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    def head(self, body: bytes) -> tuple[str, list[tuple[str, str]]]:
        """The status line and headers of the answer carrying ``body``."""
        return "200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]

    def respond(self, environ: dict[str, Any]) -> bytes:
        """The response body for one request."""
        try:
            members = self._handle(environ)
        except ApiError as error:
            members = _error(error.code, error.message)
        except StoreError as exc:
            logger.error("%s; answered InternalError", exc)
            members = _error(
                codes.INTERNAL_ERROR,
                "The job store could not be read or written; the request was not carried "
                "out. Send it again later.",
            )
        except RecursionError:
            members = _error(codes.INVALID_PARAMETER, "The request is nested too deeply.")
        except Exception:
            logger.exception("unexpected failure while serving a request")
            members = _error(
                codes.INVALID_PARAMETER,
                "The request could not be processed; check its form and parameters.",
            )
        return envelope(members)

    def _handle(self, environ: dict[str, Any]) -> dict[str, Any]:
        exchange = protocol.Incoming.from_environ(environ)
        for name in protocol.ORDER:
            self.steps[name](exchange, self)
        return actions.run(
            exchange.action, exchange.params, exchange.secret_id, exchange.region, self
        )

    def reset(self) -> None:
        """Forget every job, token, rate-limit window and injection counter."""
        self.store.reset()
        self.limiter.reset()
        self.injector.reset()

    def close(self) -> None:
        self.store.close()


def make_app(config: EmulatorConfig | None = None) -> EmulatorApp:
    """A WSGI app serving ``config`` (the documented defaults when omitted)."""
    return EmulatorApp(config or EmulatorConfig())


def envelope(members: dict[str, Any]) -> bytes:
    """``{"Response": {...members, "RequestId": <uuid4>}}`` as ASCII JSON."""
    response = {**members, "RequestId": str(uuid.uuid4())}
    return json.dumps({"Response": response}, ensure_ascii=True).encode("ascii")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}}

"""``ROBUST-CONNECTIONS``: idle and half-sent connections do not starve a request.

A server that gives each connection a thread until its request is complete, or serves one
connection at a time, is stalled by clients that connect and say nothing, or send all but
the last bytes of a request. The check holds such connections open over sockets of its
own (``HttpTransport.open_connection``) while it sends one more request, then finishes
the half-sent ones (``contracts/README.md`` §Interpretations 38).
"""

from __future__ import annotations

import socket
from typing import Any

from ...transport import TransportError
from ...transport.http import encode
from .robustness import PASSED, Robust, RobustnessCheck, RobustSession

#: Connections held open while a request is sent: idle ones, and requests half-sent.
IDLE, HALF_SENT = 16, 8
_SHORT_BY = 10  # bytes of a half-sent request held back


class ConnectionsCheck(RobustnessCheck):
    """With ``IDLE`` connections open and silent and ``HALF_SENT`` requests sent all but their
    last bytes, a DescribeJob on one more connection must be answered (the 35 s bound: a
    target may make it wait while it waits out the half-sent ones), and so must each
    half-sent request once its last bytes come. A target that refuses a connection sooner
    has a connection limit the contract leaves open: not judged.
    """

    def __init__(self) -> None:
        super().__init__("ROBUST-CONNECTIONS", lambda s: iter(()), _CONNECTIONS_DOC)

    def run(self, target: Any, settings: Any) -> Any:
        session = RobustSession(self.rule, target, settings, self.stop, release_each_case=True)
        held: list[socket.socket] = []
        with session:
            transport, timeout = session.client.transport, session.client.timeout
            if not callable(getattr(transport, "open_connection", None)):
                session.notes.append("needs a socket: not sent to this in-process target")
                return session.result
            try:
                for _ in range(IDLE):
                    held.append(transport.open_connection(timeout))
                half = []
                for _ in range(HALF_SENT):
                    request = session.describe("tc3-post")
                    data = encode(request)
                    held.append(transport.open_connection(timeout))
                    held[-1].sendall(data[:-_SHORT_BY])
                    half.append((held[-1], request, data[-_SHORT_BY:]))
            except (TransportError, OSError) as exc:
                session.unjudged.append(
                    f"the target took {len(held)} connections at once, then refused one "
                    f"({exc}): a limit the contract leaves open, not judged"
                )
                _close_all(held)
                return session.result
            try:
                answered = session.run(Robust(
                    f"DescribeJob with {IDLE} idle connections and {HALF_SENT} requests "
                    "half-sent held open", "tc3-post", lambda: session.describe("tc3-post"),
                    PASSED, counted=True))  # fmt: skip
                if answered is None:  # no answer: the half-sent ones would wait as long
                    return session.result
                for number, (sock, request, rest) in enumerate(half, 1):
                    answered = session.run(Robust(
                        f"half-sent request {number} of {HALF_SENT}, finished last", "tc3-post",
                        (lambda r: lambda: r)(request), PASSED, counted=True,
                        raw=(lambda b: lambda r: b)(rest), via=sock))  # fmt: skip
            finally:
                _close_all(held)
        return session.result


_CONNECTIONS_DOC = "idle and half-sent connections held open while a request is sent"


def _close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        try:
            sock.close()
        except OSError:
            pass

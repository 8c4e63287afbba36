"""Real HTTP to a target over a raw socket, with nothing in between.

``requests`` and ``urllib3`` tidy a request before it leaves (they fold headers, add
``Accept-Encoding``, normalise the target, honour proxy variables); a conformance harness
needs the bytes it built to be the bytes the target receives, so this transport writes the
request line, the headers in order (with the ``Host`` the client signed) and the body
itself, in one ``sendall``. The answer is read by :mod:`._http1`, within one deadline per
exchange and fixed size limits, so that a hostile or broken target ends an exchange with a
:class:`TransportError` rather than a hang or unbounded memory.

Connections are kept alive and pooled. Two socket options keep an exchange from costing
more than the target needs (see :func:`_tune` and :func:`._http1.quickack`): measured
against a server that writes headers and body in two sends with Nagle on, kept-alive
exchanges through ``http.client`` took 40 ms each; here they take what the server takes.
A kept-alive connection the target closed while idle is replaced once, silently.
"""

from __future__ import annotations

import re
import select
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from ._http1 import QUICKACK_AVAILABLE, Answer, Reader, _reason
from ._messages import TransportError, WireRequest, WireResponse

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")
_BAD_VALUE = re.compile(r"[\r\n\x00]")
#: Pauses before trying again to connect to a target that refused: a server restarting
#: its listener, or a full accept queue, is not yet a target that went away.
_REFUSED_RETRIES = (0.1, 0.25)
#: Where ``TCP_QUICKACK`` is missing (not Linux), a server that writes headers and body in
#: two sends with Nagle on stalls every kept-alive exchange by the client's delayed-ACK
#: time (up to 200 ms). Its sign: a small answer whose last bytes come this long after its
#: first, on a reused connection. After that many such answers the transport stops
#: reusing connections for that target: a fresh connection is acknowledged at once.
_QUICKACK = QUICKACK_AVAILABLE
_STALL_SECONDS = 0.03
_STALLS_BEFORE_FRESH = 2
_SMALL_ANSWER = 16 << 10


class _Stale(Exception):
    """A pooled connection turned out to be closed before the target read anything."""


class HttpTransport:
    """Sends raw requests to ``base_url`` (``http://host:port`` or ``https://…``)."""

    def __init__(self, base_url: str, *, pool_size: int = 4, connect_to: str | None = None) -> None:
        """``connect_to`` (``address:port``) opens connections there instead of at the URL's
        host, which stays the Host that is sent and signed (as curl's ``--connect-to``)."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"base URL {base_url!r} is not http(s)://host[:port]; give the target's "
                "root URL, for example http://127.0.0.1:9000"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(
                f"base URL {base_url!r} has a path or query; the API is served at '/', "
                "so give only scheme, host and port"
            )
        self.scheme = parts.scheme
        self.host = parts.netloc  # what a client signs by default
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self._hostname = parts.hostname  # the name a TLS certificate must carry
        self._address = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        if connect_to is not None:
            address, _, port = connect_to.rpartition(":")
            if not address or not port.isdigit():
                raise ValueError(f"connect-to {connect_to!r} is not address:port")
            self._address = (address.strip("[]"), int(port))
        self._tls = ssl.create_default_context() if self.scheme == "https" else None
        self._pool_size = pool_size
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stalls = 0  # kept-alive answers that looked delayed by an acknowledgement

    def __repr__(self) -> str:
        return f"HttpTransport({self.base_url!r})"

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        """Send ``request`` and read the answer, all within ``timeout`` seconds."""
        start = time.monotonic()
        deadline = start + timeout
        data = encode(request)
        sock, reused = self._checkout(deadline)
        try:
            try:
                answer = self._exchange(sock, data, request.method, deadline, timeout, reused)
            except _Stale:
                _close(sock)
                sock, reused = self._connect(deadline), False
                answer = self._exchange(sock, data, request.method, deadline, timeout, False)
        except BaseException:
            _close(sock)
            raise
        if reused and _stalled(answer):
            with self._lock:
                self._stalls += 1
        if answer.reusable and self._stalls < _STALLS_BEFORE_FRESH:
            self._checkin(sock)
        else:
            _close(sock)
        return WireResponse(answer.status, answer.headers, answer.body, time.monotonic() - start)

    def open_connection(self, timeout: float) -> socket.socket:
        """A fresh connection to the target, outside the pool (to hold open, or half-send on)."""
        return self._connect(time.monotonic() + timeout)

    def send_bytes(
        self,
        data: bytes,
        method: str,
        timeout: float,
        *,
        sock: socket.socket | None = None,
        half_close: bool = False,
    ) -> WireResponse:
        """Send ``data`` as it is (framing a request cannot carry: a chunked body, bytes that
        are not HTTP, the rest of a request half-sent on ``sock``) on a fresh connection or
        on ``sock``, read one answer, close the connection. ``half_close``: shut the write
        side once ``data`` is sent (a server still reading a body then reads its end)."""
        start = time.monotonic()
        deadline = start + timeout
        sock = sock or self._connect(deadline)
        try:
            answer = self._exchange(
                sock, data, method, deadline, timeout, False, half_close=half_close
            )
        finally:
            _close(sock)
        return WireResponse(answer.status, answer.headers, answer.body, time.monotonic() - start)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            _close(sock)

    def _checkout(self, deadline: float) -> tuple[socket.socket, bool]:
        while True:
            with self._lock:
                sock = self._idle.pop() if self._idle else None
            if sock is None:
                return self._connect(deadline), False
            if _idle_and_open(sock):
                return sock, True
            _close(sock)  # the target closed it (or spoke unasked) while it was idle

    def _checkin(self, sock: socket.socket) -> None:
        with self._lock:
            if len(self._idle) < self._pool_size:
                self._idle.append(sock)
                return
        _close(sock)

    def _connect(self, deadline: float) -> socket.socket:
        pauses = list(_REFUSED_RETRIES)
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                sock = socket.create_connection(self._address, timeout=remaining)
                break
            except ConnectionRefusedError as exc:
                if pauses and time.monotonic() + pauses[0] < deadline:
                    time.sleep(pauses.pop(0))
                    continue
                raise TransportError("unreachable", f"{self.base_url}: {_reason(exc)}") from None
            except OSError as exc:
                raise TransportError("unreachable", f"{self.base_url}: {_reason(exc)}") from None
        _tune(sock)
        if self._tls is None:
            return sock
        try:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            return self._tls.wrap_socket(sock, server_hostname=self._hostname)
        except OSError as exc:
            _close(sock)
            raise TransportError(
                "unreachable", f"{self.base_url}: TLS handshake failed ({_reason(exc)})"
            ) from None

    @staticmethod
    def _exchange(
        sock: socket.socket,
        data: bytes,
        method: str,
        deadline: float,
        timeout: float,
        reused: bool,
        *,
        half_close: bool = False,
    ) -> Answer:
        send_error: OSError | None = None
        try:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except TimeoutError:
            raise TransportError(
                "timeout", f"the target did not take the request within {timeout:g} s"
            ) from None
        except OSError as exc:
            # The target may have answered early (a body over its size limit) and closed:
            # read the answer if there is one.
            if reused:
                raise _Stale from None
            send_error = exc
        reader = Reader(sock, deadline, timeout)
        try:
            answer = reader.answer(method)
        except TransportError as exc:
            if reader.received == 0 and exc.kind == "dropped":
                if reused and send_error is None:
                    raise _Stale from None
                if send_error is not None:
                    raise TransportError(
                        "dropped", f"the connection ended without an answer ({_reason(send_error)})"
                    ) from None
            raise
        if send_error is not None or reader.buffer:
            answer.reusable = False  # unread or unsent bytes: the framing is lost
        return answer


def encode(request: WireRequest) -> bytes:
    """The request's bytes on the wire: request line, headers as given, body.

    ``Content-Length`` is added (last) when the request has a body and does not state one.
    Raises ValueError for what cannot be sent as HTTP/1.1 (a line break in a header value).
    """
    method, target = request.method, request.target
    if not _TOKEN.fullmatch(method):
        raise ValueError(f"HTTP method {method!r} is not a token")
    if _BAD_TARGET.search(target) or not target.isascii():
        raise ValueError(f"request target {target!r} has a space, a control or non-ASCII char")
    lines = [f"{method} {target} HTTP/1.1".encode("ascii")]
    for name, value in request.headers:
        if not _TOKEN.fullmatch(name) or _BAD_VALUE.search(value):
            raise ValueError(f"header {name!r}: {value!r} cannot be sent in an HTTP/1.1 header")
        lines.append(name.encode("ascii") + b": " + value.encode("latin-1"))
    if request.header("content-length") is None and (
        request.body or method.upper() in _BODY_METHODS
    ):
        lines.append(b"Content-Length: %d" % len(request.body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + request.body


def _stalled(answer: Answer) -> bool:
    """A small answer that came in two parts far apart, with no ``TCP_QUICKACK`` to help."""
    small = len(answer.body) < _SMALL_ANSWER
    return not _QUICKACK and small and answer.spread >= _STALL_SECONDS


def _tune(sock: socket.socket) -> None:
    """Socket options for an exchange that costs what the target needs.

    ``TCP_NODELAY``: the request leaves in one ``sendall``; with Nagle on, the last,
    partial segment of a request longer than one segment would wait for the target to
    acknowledge the others, and targets delay acknowledgements. (The other half, the
    acknowledgements this side owes, is :func:`._http1.quickack`, set before every read.)
    """
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _idle_and_open(sock: socket.socket) -> bool:
    """True when nothing arrived on an idle connection: no close, no unasked bytes."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass

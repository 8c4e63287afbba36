"""Real HTTP to a target, with ``http.client`` and nothing in between.

``requests`` and ``urllib3`` tidy a request before it leaves (they fold headers, add
``Accept-Encoding``, normalise the target, honour proxy variables); a conformance harness
needs the bytes it built to be the bytes the target receives, so this transport writes the
request line and the headers itself, in order, with the ``Host`` header the client signed.
Connections are kept alive and pooled, and a connection the target closed while idle is
replaced once, silently; every other failure becomes a :class:`TransportError`.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from ._wire import TransportError, WireRequest, WireResponse

_CHUNK = 1 << 16
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: How a kept-alive connection that the target closed while idle shows itself.
_STALE_SIGNS = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


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
        self._address = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        if connect_to is not None:
            address, _, port = connect_to.rpartition(":")
            if not address or not port.isdigit():
                raise ValueError(f"connect-to {connect_to!r} is not address:port")
            self._address = (address.strip("[]"), int(port))
        self._pool_size = pool_size
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"HttpTransport({self.base_url!r})"

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        deadline = time.monotonic() + timeout
        connection, reused = self._checkout(timeout)
        try:
            try:
                response, keep = self._exchange(connection, request, deadline, reused)
            except _Stale:
                connection.close()
                connection = self._connect(timeout)
                response, keep = self._exchange(connection, request, deadline, reused=False)
        except BaseException:
            connection.close()
            raise
        if keep:
            self._checkin(connection)
        else:
            connection.close()
        return response

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _checkout(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._connect(timeout), False

    def _checkin(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self._pool_size:
                self._idle.append(connection)
                return
        connection.close()

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        host, port = self._address
        if self.scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            connection.connect()
        except (TimeoutError, OSError) as exc:
            connection.close()
            raise TransportError("unreachable", f"{self.base_url}: {_reason(exc)}") from None
        return connection

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        request: WireRequest,
        deadline: float,
        reused: bool,
    ) -> tuple[WireResponse, bool]:
        start = time.monotonic()
        _set_timeout(connection, deadline)
        send_error: OSError | None = None
        try:
            self._write(connection, request)
        except TimeoutError:
            raise TransportError("timeout", "the target did not take the request in time") from None
        except OSError as exc:
            # The target may have answered early (a body over its size limit) and closed:
            # read the answer if there is one.
            if reused:
                raise _Stale from None
            send_error = exc
        try:
            raw = connection.getresponse()
            body = _read_body(connection, raw, deadline)
        except TimeoutError:
            raise TransportError(
                "timeout", f"no complete answer within {deadline - start:.1f} s"
            ) from None
        except (http.client.HTTPException, OSError) as exc:
            if reused and send_error is None and isinstance(exc, _STALE_SIGNS):
                raise _Stale from None
            detail = _reason(send_error or exc)
            raise TransportError(
                "dropped", f"the connection ended without an answer: {detail}"
            ) from None
        headers: dict[str, str] = {}
        for name, value in raw.getheaders():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        response = WireResponse(raw.status, headers, body, time.monotonic() - start)
        return response, not raw.will_close and send_error is None

    @staticmethod
    def _write(connection: http.client.HTTPConnection, request: WireRequest) -> None:
        connection.putrequest(
            request.method, request.target, skip_host=True, skip_accept_encoding=True
        )
        for name, value in request.headers:
            connection.putheader(name, value)
        if request.header("content-length") is None and (
            request.body or request.method.upper() in _BODY_METHODS
        ):
            connection.putheader("Content-Length", str(len(request.body)))
        connection.endheaders(request.body or None)


def _set_timeout(connection: http.client.HTTPConnection, deadline: float) -> None:
    remaining = max(0.01, deadline - time.monotonic())
    connection.timeout = remaining
    if connection.sock is not None:
        connection.sock.settimeout(remaining)


def _read_body(
    connection: http.client.HTTPConnection, raw: http.client.HTTPResponse, deadline: float
) -> bytes:
    chunks: list[bytes] = []
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        _set_timeout(connection, deadline)
        chunk = raw.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"host name not resolved ({exc.strerror})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "connection timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

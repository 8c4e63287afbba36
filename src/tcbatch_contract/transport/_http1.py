"""A small, strict HTTP/1.1 response reader over a raw socket, bounded in time and memory.

The harness talks to targets it does not trust to behave: a server may answer with an SSH
banner, drip its headers a byte a second, announce a body that never ends or reset the
connection half-way. ``http.client`` bounds each ``recv`` but not the exchange (a drip
defeats a per-read timeout) and reads headers and bodies of any size. This reader checks
one deadline before every read, stops at fixed limits, and turns every way an answer can
go wrong into a :class:`TransportError` with a kind and a one-line reason.

It is also where the socket is kept from stalling: see :func:`quickack`; and where a
request that never reached the target is told from one it sat on: see :func:`unacknowledged`.
"""

from __future__ import annotations

import re
import socket
import struct
import time
from dataclasses import dataclass

from ._messages import TransportError

#: The largest answer body read; a SubmitJob answer is a few hundred bytes.
MAX_BODY = 16 << 20
#: The largest header section (status line, header lines, a chunked body's trailers).
MAX_HEADER_BYTES = 256 << 10
#: The most header lines in one header section.
MAX_HEADERS = 256
#: The most interim (1xx) answers before the final one.
MAX_INTERIM = 16
_READ = 1 << 16
_STATUS = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: ([^\r\n]*))?")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,15})[ \t]*(?:;[^\r\n]*)?")
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


QUICKACK_AVAILABLE = _QUICKACK is not None


def unacknowledged(sock: socket.socket) -> int:
    """Bytes sent on ``sock`` that the peer's TCP has not acknowledged (Linux; 0 elsewhere).

    A server whose listen queue is full drops the handshake's last segment: the client
    believes it is connected, and its request waits unacknowledged until the server
    accepts the connection, maybe never. No answer then means the request never reached
    the server, not that the server sat on it.
    """
    try:
        import fcntl
        import termios

        queued = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
        return max(0, struct.unpack("i", queued)[0])
    except (ImportError, AttributeError, OSError, ValueError):
        return 0


#: Seconds after which a request its target's TCP has still not acknowledged is given up
#: as never taken (loopback retransmits within a second; a server that took the connection
#: acknowledges at once, whatever its application does).
NOT_TAKEN_AFTER = 3.0


def quickack(sock: socket.socket) -> None:
    """Acknowledge at once whatever arrives next (Linux; nothing elsewhere).

    A server that writes its headers and its body in two sends with Nagle on holds the body
    until the headers are acknowledged, and a client on a kept-alive connection delays that
    acknowledgement (by 40 ms on Linux): every exchange would then cost 40 ms whatever the
    server needs. ``TCP_QUICKACK`` turns the delay off, but the kernel turns it back on by
    itself, so it is set again before every read.
    """
    if _QUICKACK is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        except OSError:  # a socket the kernel already closed: the read says what happened
            pass


@dataclass
class Answer:
    """A response as read: status, headers (lower-case names), body, and whether the
    connection can carry another exchange."""

    status: int
    headers: dict[str, str]
    body: bytes
    reusable: bool
    spread: float = 0.0  # seconds from the answer's first bytes to its last


class Reader:
    """Reads one answer from ``sock`` before ``deadline`` (``time.monotonic()``)."""

    def __init__(self, sock: socket.socket, deadline: float, timeout: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.timeout = timeout
        self.buffer = bytearray()
        self.received = 0  # bytes of the answer received so far
        self.first_at = self.last_at = 0.0  # when its first and its last bytes came

    # ---- reading ---------------------------------------------------------------------

    def _fill(self) -> bool:
        """Read more into the buffer; False at the end of the stream."""
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise self._late()
            # Before the first byte, look again now and then whether the target took the
            # request at all: one its kernel never acknowledged is given up early, not
            # waited for until the deadline (a full listen queue may hold it for ever).
            waiting = not self.received and remaining > NOT_TAKEN_AFTER
            self.sock.settimeout(NOT_TAKEN_AFTER if waiting else remaining)
            quickack(self.sock)
            try:
                data = self.sock.recv(_READ)
                break
            except TimeoutError:
                if not waiting:
                    raise self._late() from None
                if unacknowledged(self.sock):
                    raise self._not_taken() from None
            except OSError as exc:
                raise TransportError("dropped", self._where(_reason(exc))) from None
        if not data:
            return False
        self.last_at = time.monotonic()
        if not self.received:
            self.first_at = self.last_at
        self.received += len(data)
        self.buffer += data
        return True

    def _late(self) -> TransportError:
        if self.received:
            detail = f"the answer was still incomplete after {self.timeout:g} s"
            return TransportError("timeout", f"{detail} ({self.received} bytes received)")
        if unacknowledged(self.sock):
            return self._not_taken()
        return TransportError("timeout", f"no answer within {self.timeout:g} s")

    def _not_taken(self) -> TransportError:
        waited = time.monotonic() - (self.deadline - self.timeout)
        late = TransportError(
            "timeout",
            f"no answer after {waited:.0f} s: the target never took the request "
            f"({unacknowledged(self.sock)} bytes of it unacknowledged: a full listen queue)",
        )
        late.not_taken = True
        return late

    def _where(self, what: str) -> str:
        if not self.received:
            return f"the connection ended without an answer ({what})"
        return (
            f"the connection ended in the middle of the answer ({what}, "
            f"{self.received} bytes received)"
        )

    def _line(self, limit: int, too_long: str) -> bytes:
        """One line without its end (CRLF, or a bare LF as RFC 9112 allows), at most
        ``limit`` bytes with its end; longer, an ``oversize`` error saying ``too_long``."""
        start = 0
        while True:
            end = self.buffer.find(b"\n", start)
            if end >= 0:
                if end + 1 > limit:
                    break
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                return line[:-1] if line.endswith(b"\r") else line
            if len(self.buffer) > limit:
                break
            start = len(self.buffer)
            if not self._fill():
                raise TransportError("dropped", self._where("end of stream"))
        raise TransportError("oversize", too_long)

    # ---- the answer ------------------------------------------------------------------

    def answer(self, method: str) -> Answer:
        for _ in range(MAX_INTERIM + 1):
            version, status = self._status_line()
            headers = self._headers("header section")
            if 100 <= status < 200 and status != 101:
                continue  # an interim answer (100 Continue): the final one follows
            body, length_known = self._body(method, status, headers)
            reusable = length_known and _keeps_alive(version, headers)
            return Answer(status, headers, body, reusable, self.last_at - self.first_at)
        raise TransportError("malformed", f"more than {MAX_INTERIM} interim (1xx) answers")

    def _status_line(self) -> tuple[int, int]:
        while len(self.buffer) < 5 and b"\n" not in self.buffer:
            if not self._fill():
                raise TransportError("dropped", self._where("end of stream"))
        if not self.buffer.startswith(b"HTTP/"):
            raise TransportError(
                "malformed", f"the target does not speak HTTP: it sent {_shown(self.buffer)}"
            )
        line = self._line(8192, "the answer's status line is longer than 8192 bytes")
        match = _STATUS.fullmatch(line)
        if match is None:
            raise TransportError("malformed", f"malformed status line {_shown(line)}")
        return int(match[1]), int(match[2])

    def _headers(self, what: str) -> dict[str, str]:
        headers: dict[str, str] = {}
        last: str | None = None
        budget = MAX_HEADER_BYTES
        too_long = f"the answer's {what} is longer than {MAX_HEADER_BYTES} bytes"
        for _ in range(MAX_HEADERS + 1):
            line = self._line(budget, too_long)
            budget -= len(line) + 2
            if not line:
                return headers
            if line[:1] in (b" ", b"\t") and last is not None:  # obsolete line folding
                headers[last] += " " + line.strip(b" \t").decode("latin-1")
                continue
            name, colon, value = line.partition(b":")
            if not colon or _TOKEN.fullmatch(name) is None:
                raise TransportError("malformed", f"malformed header line {_shown(line)}")
            key = name.decode("ascii").lower()
            text = value.strip(b" \t").decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
            last = key
        raise TransportError("oversize", f"the answer's {what} has more than {MAX_HEADERS} lines")

    def _body(self, method: str, status: int, headers: dict[str, str]) -> tuple[bytes, bool]:
        """The body, and whether its end was announced (else the connection ended it)."""
        if method.upper() == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return b"", True
        coding = headers.get("transfer-encoding")
        if coding is not None:
            if coding.rsplit(",", 1)[-1].strip().lower() == "chunked":
                return self._chunked(), "content-length" not in headers
            return self._until_close(), False
        length = headers.get("content-length")
        if length is None:
            return self._until_close(), False
        values = {v.strip() for v in length.split(",")}
        if len(values) != 1 or not next(iter(values)).isdigit():
            raise TransportError("malformed", f"malformed Content-Length {length[:80]!r}")
        size = int(next(iter(values)))
        if size > MAX_BODY:
            raise TransportError(
                "oversize", f"the answer announces a {size}-byte body (the limit is {MAX_BODY})"
            )
        return self._exactly(size), True

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise TransportError(
                    "dropped",
                    f"the connection ended {len(self.buffer)} bytes into a {size}-byte body",
                )
        body = bytes(self.buffer[:size])
        del self.buffer[:size]
        return body

    def _until_close(self) -> bytes:
        while self._fill():
            if len(self.buffer) > MAX_BODY:
                raise TransportError(
                    "oversize", f"the answer body goes on past {MAX_BODY} bytes (the limit)"
                )
        body = bytes(self.buffer)
        self.buffer.clear()
        return body

    def _chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self._line(1024, "the answer's chunk size line is longer than 1024 bytes")
            match = _CHUNK_SIZE.fullmatch(line)
            if match is None:
                raise TransportError("malformed", f"malformed chunk size line {_shown(line)}")
            size = int(match[1], 16)
            if size == 0:
                self._headers("trailer section")
                return bytes(body)
            if len(body) + size > MAX_BODY:
                raise TransportError(
                    "oversize", f"the chunked answer body goes on past {MAX_BODY} bytes (the limit)"
                )
            body += self._exactly(size)
            while len(self.buffer) < 2 and not self.buffer.startswith(b"\n"):
                if not self._fill():
                    raise TransportError("dropped", self._where("end of stream"))
            ending = 1 if self.buffer.startswith(b"\n") else 2
            if self.buffer[:ending] not in (b"\n", b"\r\n"):
                raise TransportError("malformed", "a chunk is longer than its announced size")
            del self.buffer[:ending]


def _keeps_alive(version: int, headers: dict[str, str]) -> bool:
    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    if "close" in tokens:
        return False
    return version == 1 or "keep-alive" in tokens


def _shown(data: bytes | bytearray) -> str:
    """A short, printable rendering of bytes a target sent."""
    text = bytes(data[:60]).decode("latin-1")
    shown = repr(text.rstrip("\r\n"))
    return shown + (" …" if len(data) > 60 else "")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"host name not resolved ({exc.strerror})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the target"
    if isinstance(exc, TimeoutError):
        return "connection timed out"
    if isinstance(exc, BrokenPipeError):
        return "the target closed the connection"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

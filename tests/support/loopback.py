"""Loopback servers for tests: a WSGI app on waitress, or a bare socket server for raw bytes
and misbehaviour; both on a free 127.0.0.1 port, stopped cleanly."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from waitress.server import create_server


@contextlib.contextmanager
def serve(app: Callable[..., Any]) -> Iterator[str]:
    """Serve a WSGI app with waitress on a free loopback port; yields the base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Close every channel (kept-alive client connections too) from the server's own
        # loop, which then has nothing left to wait for.
        closed = threading.Event()

        def close_all() -> None:
            for channel in list(server._map.values()):
                channel.close()
            closed.set()

        try:
            server.trigger.pull_trigger(close_all)
        except OSError:  # the loop ran close_all, closing the trigger, before the pull
            pass
        closed.wait(5)
        thread.join(5)
        server.task_dispatcher.shutdown(timeout=5)


def answering_wrongly(app: Callable, wrong: dict[bytes, bytes]) -> Callable:
    """``app``, with each byte string of ``wrong`` replaced in every answer body."""

    def wrapped(environ, start_response):
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return lambda data: None

        body = b"".join(app(environ, capture))
        for old, new in wrong.items():
            body = body.replace(old, new)
        headers = [(k, v) for k, v in seen["headers"] if k.lower() != "content-length"]
        start_response(seen["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body] if environ["REQUEST_METHOD"] != "HEAD" else []

    return wrapped


@contextlib.contextmanager
def raw_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A one-connection-at-a-time socket server running ``handle`` on each connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn, contextlib.suppress(OSError):  # the client hung up: next connection
                handle(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += conn.recv(65536)
    return head + b"\r\n\r\n" + rest


def slowed(app: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    """``app``, taking ``seconds`` per exchange: half before it reads, half after."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]):
        time.sleep(seconds / 2)
        body = b"".join(app(environ, start_response))
        time.sleep(seconds / 2)
        return [body]

    return wrapped

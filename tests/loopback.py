"""Serving a WSGI app for a test: waitress on a free loopback port, stopped cleanly."""

from __future__ import annotations

import contextlib
import threading
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

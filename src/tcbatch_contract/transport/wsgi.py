"""A target's WSGI app called in-process, as a WSGI server would call it.

No socket, no port: fast enough to run thousands of generated cases inside a test, and
still the whole app (routing, signature checks, validation, store), not a shortcut into
it. The environ is built the way a server builds it (PEP 3333), from the same raw request
a socket would carry, and the app runs in a worker thread so that a hanging app is a
``timeout`` here too, not a hung harness.
"""

from __future__ import annotations

import io
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from ._messages import TransportError, WireRequest, WireResponse

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WsgiTransport:
    """Sends raw requests straight into ``app``; ``host`` fills SERVER_NAME/SERVER_PORT."""

    scheme = "http"

    def __init__(self, app: WsgiApp, host: str = "127.0.0.1:9000") -> None:
        self.app = app
        self.host = host
        self.base_url = f"http://{host}"

    def __repr__(self) -> str:
        return f"WsgiTransport({self.app!r}, host={self.host!r})"

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        environ = self.environ(request)
        outcome: dict[str, Any] = {}
        start = time.monotonic()
        if not _Lane.run(lambda: self._call(environ, outcome), timeout):
            raise TransportError("timeout", f"the app did not answer within {timeout:.1f} s")
        if "status" not in outcome:
            raise TransportError("dropped", "the app returned without calling start_response")
        body = b"" if request.method.upper() == "HEAD" else outcome["body"]
        return WireResponse(outcome["status"], outcome["headers"], body, time.monotonic() - start)

    def environ(self, request: WireRequest) -> dict[str, Any]:
        """The WSGI environ a server would build for ``request``."""
        server_name, _, server_port = self.host.rpartition(":")
        if not server_name:
            server_name, server_port = self.host, "80"
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(request.path).decode("latin-1"),
            "QUERY_STRING": request.query,
            "SERVER_NAME": server_name,
            "SERVER_PORT": server_port,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in request.headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
                continue
            key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        if "CONTENT_LENGTH" not in environ and request.body:
            environ["CONTENT_LENGTH"] = str(len(request.body))
        return environ

    def _call(self, environ: dict[str, Any], outcome: dict[str, Any]) -> None:
        written: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            merged: dict[str, str] = {}
            for name, value in headers:
                key = name.lower()
                merged[key] = f"{merged[key]}, {value}" if key in merged else value
            outcome["status"] = int(status.split(None, 1)[0])
            outcome["headers"] = merged
            return written.append

        try:
            result = self.app(environ, start_response)
            try:
                chunks = [bytes(chunk) for chunk in result]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            outcome["body"] = b"".join(written) + b"".join(chunks)
        except Exception:
            # What a WSGI server answers when the app raises.
            text = traceback.format_exc(limit=3)
            print(text, file=environ["wsgi.errors"])
            outcome.update(
                status=500,
                headers={"content-type": "text/plain"},
                body=f"the app raised:\n{text}".encode(errors="replace"),
            )


class _Lane:
    """A daemon thread that runs the app for one exchange at a time.

    The app runs in a thread of its own so that a hanging app is a ``timeout``, not a hung
    harness; starting a thread per exchange, though, costs more than a small app takes to
    answer. So threads are kept: an exchange takes an idle lane (or starts one) and the
    lane goes back to the idle ones when the app has returned. A lane whose app overran
    its timeout comes back only once the app returns, and never blocks an exchange. Lanes
    are shared by every transport of the process: there are never more of them than
    exchanges that were ever in flight at once.
    """

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[tuple[Callable[[], None], threading.Lock] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._serve, name="wsgi-transport", daemon=True)
        self._thread.start()

    @classmethod
    def run(cls, call: Callable[[], None], timeout: float) -> bool:
        """Run ``call`` on a lane; False if it did not return within ``timeout`` seconds."""
        try:
            lane = _IDLE.pop()
        except IndexError:
            lane = cls()
        done = threading.Lock()
        done.acquire()
        lane._calls.put((call, done))
        return done.acquire(timeout=timeout)

    def _serve(self) -> None:
        while True:
            task = self._calls.get()
            if task is None:  # retired
                return
            call, done = task
            try:
                call()
            except BaseException:  # SystemExit from an app: no answer, and the lane lives on
                pass
            finally:
                done.release()
                _IDLE.append(self)


_IDLE: list[_Lane] = []  # lanes waiting for an exchange (list.pop/append are atomic)


def retire_idle_lanes(timeout: float = 1.0) -> None:
    """End the threads of the idle lanes; the next exchange starts a lane again.

    A process about to fork retires them first: the child would inherit the list of idle
    lanes but none of their threads (so the at-fork hook below empties it), and a process
    that runs no other thread is one that may fork safely.
    """
    while True:
        try:
            lane = _IDLE.pop()
        except IndexError:
            return
        lane._calls.put(None)
        lane._thread.join(timeout)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_IDLE.clear)

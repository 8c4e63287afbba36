"""The emulator behind another server stack: the standard library's ``http.server``.

Clients meet servers with other TCP habits than waitress's. This adapter serves the same
WSGI app with ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive, writing each
answer's headers and body in two separate sends with Nagle left on: the habits of many
small servers, under which a client that delays its acknowledgements on a kept-alive
connection waits 40 ms per exchange. Tests and benchmarks use it to show that the SDK and
the harness work against such a server, and at what pace. It is deliberately plain: no
limits or stall handling of its own (``Emulator``, on waitress, is the server to expose).
"""

from __future__ import annotations

import io
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote_to_bytes

from .app import make_app
from .config import EmulatorConfig

#: The largest request body read (the app refuses far smaller ones itself).
_MAX_BODY = 64 << 20


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client asks to close
    server_version = "tcbatch-emulator-stdlib"
    server: _Server

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method reaches the app, which judges it (P1)
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet, as the waitress server is

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def _serve(self) -> None:
        length_text = self.headers.get("Content-Length") or "0"
        length = int(length_text) if length_text.isdigit() else 0
        if length > _MAX_BODY:
            self.send_error(413)
            return
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self._call(self._environ(body))
        if self.server.delay:
            time.sleep(self.server.delay)
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason or None)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()  # the first send: the status line and the headers
        if payload:
            self.wfile.write(payload)  # the second send: the body

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": self.path,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _call(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            started["status"], started["headers"] = status, headers
            return lambda data: None

        result = self.server.app(environ, start_response)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return started["status"], started["headers"], payload


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: Any
    delay: float

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self.lock = threading.Lock()
        self.connections: set[Any] = set()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection the client or a stop cut off is the end of that connection, not a
        traceback on stderr; anything else is said in one line."""
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, (OSError, ValueError)):  # reset, broken pipe, a closed file
            return
        print(f"emulator: a connection from {client_address[0]} ended with {error!r}",
              file=sys.stderr)  # fmt: skip

    def close_connections(self) -> None:
        """End every open connection (kept-alive ones too): their threads then finish."""
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class StdlibEmulator:
    """The emulator served by ``http.server`` on ``host:port`` (``port=0``: a free port).

    ``delay`` seconds are spent before each answer (a slower server). ``endpoint``,
    ``host`` and ``app`` are as for :class:`~tcbatch_contract.emulator.Emulator`.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.app = make_app(self.config)
        try:
            self._server = _Server((host, port), _Handler)
        except BaseException:
            self.app.close()
            raise
        self._server.app = self.app
        self._server.delay = delay
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._server.server_address[:2]
        self.host = f"{bound_host}:{bound_port}"
        self.endpoint = f"http://{self.host}"

    def start(self) -> StdlibEmulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            name=f"tcbatch-emulator-stdlib {self.host}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()`` (from another thread) or Ctrl-C."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop accepting, end every connection, close the listening socket and the store."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()
        self._server.close_connections()
        self.app.close()

    def reset(self) -> None:
        self.app.reset()

    def __enter__(self) -> StdlibEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

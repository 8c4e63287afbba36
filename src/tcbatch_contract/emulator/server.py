"""The emulator on a real socket: waitress, threaded, on a free loopback port by default.

waitress answers some requests itself before any application sees them: oversize headers
(431), oversize bodies (413), malformed HTTP (400); and it silently drops a connection whose
request stalls. None of that is an API answer. Here waitress's limits are raised above the
app's own (P10 is the app's business), its error task answers HTTP 200 with the usual JSON
envelope, and a request still incomplete ``STALL_SECONDS`` after its first bytes (a body
shorter than its Content-Length, a client that trickles) is answered (InvalidParameter)
instead of dropped, so that every request gets an answer within the contract's 35 s.

Idle and slow clients must not starve the others. waitress stops accepting connections
once ``connection_limit`` (100 by default) are open, and an idle keep-alive connection
stays open for ``channel_timeout``: 200 idle connections would then keep every new client
waiting in the listen queue for minutes. Open connections cost a file descriptor and a
little memory, not a thread (a worker thread takes a request only once it is complete), so
the limit is raised to what the process's descriptor limit allows, and the event loop uses
``poll`` because ``select`` cannot watch a descriptor above 1023.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import BadRequest, RequestEntityTooLarge, RequestHeaderFieldsTooLarge

from .. import codes
from .app import CONTENT_TYPE, envelope, make_app
from .config import EmulatorConfig

#: How long a request may stay incomplete (a body shorter than its Content-Length).
STALL_SECONDS = 30
#: waitress's own ceilings, above the app's limits so that the app decides (P10).
_HEADER_CEILING = 256 * 1024
_BODY_CEILING = 64 * 1024 * 1024
#: Descriptors kept for everything but client connections (listener, SQLite, logs, ...).
_SPARE_DESCRIPTORS = 64
#: The most connections served at once, whatever the descriptor limit.
_MAX_CONNECTIONS = 4096


def connection_limit() -> int:
    """How many client connections to hold open at once: as many as descriptors allow."""
    try:
        import resource
    except ImportError:  # not a Unix: waitress's own default
        return 100
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return _MAX_CONNECTIONS
    return max(100, min(_MAX_CONNECTIONS, soft - _SPARE_DESCRIPTORS))


class _Stalled(BadRequest):
    reason = "Request stalled"


class _EnvelopeErrorTask(ErrorTask):
    """waitress's own refusals, answered as API errors with HTTP 200."""

    def execute(self) -> None:
        error = self.request.error
        if isinstance(error, RequestHeaderFieldsTooLarge | RequestEntityTooLarge):
            code, message = codes.REQUEST_SIZE_LIMIT_EXCEEDED, "The request is too large."
        elif isinstance(error, _Stalled):
            code = codes.INVALID_PARAMETER
            message = (
                f"The request was still incomplete {self.channel.server.stall_seconds:g} s "
                "after it began; send the whole body that Content-Length announces."
            )
        else:
            code = codes.INVALID_PARAMETER
            message = "The request is malformed: it is not a valid HTTP/1.1 request."
        body = envelope({"Error": {"Code": code, "Message": message}})
        self.status = "200 OK"
        self.response_headers.append(("Content-Type", CONTENT_TYPE))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Parser(HTTPRequestParser):
    """waitress's request parser, remembering when the request's first bytes arrived."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.started = time.monotonic()


class _Channel(HTTPChannel):
    error_task_class = _EnvelopeErrorTask
    parser_class = _Parser


class _Server(TcpWSGIServer):
    channel_class = _Channel
    stall_seconds: float = STALL_SECONDS

    def maintenance(self, now: float) -> None:
        cutoff = time.monotonic() - self.stall_seconds
        for channel in list(self.active_channels.values()):
            stalled = channel.request
            if stalled is None or channel.requests or stalled.started > cutoff:
                continue
            with channel.requests_lock:
                if not stalled.headers_finished:
                    stalled.parse_header(b"GET / HTTP/1.0\r\n")
                stalled.error = _Stalled("stalled")
                stalled.completed = True
                channel.requests.append(stalled)
                channel.request = None
            self.add_task(channel)
        super().maintenance(now)


class Emulator:
    """The emulator served on ``host:port`` (``port=0``: a free port) until ``stop()``.

    A request still incomplete ``stall_seconds`` after its first bytes arrived is answered
    with ``InvalidParameter`` and its connection closed.

    ``endpoint`` is ``http://host:port``; ``host`` is ``host:port`` (what an SDK's
    ``HttpProfile(endpoint=...)`` takes); ``app`` is the WSGI app, the same state as the
    server's, for an in-process transport.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        self.config = config or EmulatorConfig()
        adj = Adjustments(
            host=host,
            port=port,
            threads=threads,
            channel_timeout=int(stall_seconds) + 60,
            cleanup_interval=1,
            connection_limit=connection_limit(),
            asyncore_use_poll=True,
            max_request_header_size=_HEADER_CEILING,
            max_request_body_size=_BODY_CEILING,
            ident="tcbatch-emulator",
            log_socket_errors=False,
        )
        self.app = make_app(self.config)
        self._map: dict[int, Any] = {}
        self._dispatcher = ThreadedTaskDispatcher()
        self._dispatcher.set_thread_count(threads)
        try:
            self._server = _Server(
                self.app,
                self._map,
                dispatcher=self._dispatcher,
                adj=adj,
                sockinfo=adj.listen[0],
            )
        except BaseException:
            self._dispatcher.shutdown()
            self.app.close()
            raise
        self._server.stall_seconds = stall_seconds
        self._thread: threading.Thread | None = None
        self.host = f"{self._server.effective_host}:{self._server.effective_port}"
        self.endpoint = f"http://{self.host}"

    def start(self) -> Emulator:
        self._thread = threading.Thread(
            target=self._server.run, name=f"tcbatch-emulator {self.host}", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()`` (from another thread) or Ctrl-C."""
        self._server.run()

    def stop(self) -> None:
        """Close every connection and the listening socket, stop the threads, close the store."""
        done = threading.Event()

        def close_all() -> None:
            for dispatcher in list(self._map.values()):
                dispatcher.close()
            done.set()

        try:
            self._server.trigger.pull_trigger(close_all)
        except OSError:  # the loop ran close_all, closing the trigger, before the pull
            pass
        if self._thread is not None:
            done.wait(5)
            self._thread.join(5)
        else:
            close_all()
        self._dispatcher.shutdown(timeout=5)
        self.app.close()

    def reset(self) -> None:
        self.app.reset()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

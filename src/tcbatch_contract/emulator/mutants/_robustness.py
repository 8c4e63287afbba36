"""Mutants that fall over on hostile input: a 500, a dropped connection, a hang.

Each is what an implementation without the emulator's hardening does with one input the
``ROBUST-*`` checks send: a decoder that lets an encoded surrogate through and fails on
the way out, a parser that gives up on deep nesting by closing the connection, a reader
that trips over a body shorter than its Content-Length, arithmetic on a number no 64-bit
field holds, a header table that overflows. A crash reaches the WSGI server as an HTTP 500
(the mutant drops the app's catch-all, as ``_state``'s crash mutants do). The body cut
short reaches the app only where the server hands it over as it came: in process, or
behind ``http.server`` once the client has shut its side (which then drops the connection
on the crash); over a socket, a connection ended without an answer is not judged.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..app import EmulatorApp
from ..errors import ApiError
from ..protocol import Incoming
from . import mutant
from ._state import _without_catch_all

if TYPE_CHECKING:
    Step = Callable[[Incoming, EmulatorApp], None]

DEEP = 10_000
HEADER_TABLE = 100


def _wrap(name: str, make: Callable[[Step], Step], *, crash: bool = True):
    def apply(app: EmulatorApp) -> None:
        app.steps[name] = make(app.steps[name])
        if crash:
            _without_catch_all(app)

    return apply


def _leaves(value: Any) -> Iterator[Any]:
    """Every member name and scalar of ``value``, walked without recursion (deep is fine)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield from item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def _surrogate_pass(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        if ex.form == "TC3" and ex.method == "POST":
            try:  # CESU-style decoding lets ED A0 80 through; writing it out fails
                ex.body.decode("utf-8", "surrogatepass").encode("utf-8")
            except UnicodeDecodeError:
                pass
        original(ex, app)

    return step


mutant("crash-encoded-surrogate", "robustness",
       "a body with an encoded surrogate (ED A0 80) passes the UTF-8 check, then crashes: 500")(
    _wrap("P11", _surrogate_pass))  # fmt: skip


def _encodes_strings(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        original(ex, app)
        for text in _leaves(ex.params):
            if isinstance(text, str):
                text.encode("utf-8")  # a lone surrogate has no UTF-8 form

    return step


mutant("crash-lone-surrogate", "robustness",
       "parameters are encoded to UTF-8 strictly (for a log line): a lone surrogate is a 500")(
    _wrap("P11", _encodes_strings))  # fmt: skip


def _floats_to_int(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        original(ex, app)
        for number in _leaves(ex.params):
            if isinstance(number, float):
                int(number)  # 1e400 parses as infinity: OverflowError

    return step


mutant("crash-number-overflow", "robustness",
       "JSON floats are converted to int before the type check: 1e400 is a 500")(
    _wrap("P11", _floats_to_int))  # fmt: skip


def _packs_timestamp(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        struct.pack("<q", ex.timestamp)  # a signed 64-bit field
        original(ex, app)

    return step


mutant("crash-timestamp-overflow", "robustness",
       "the timestamp is packed into 64 bits before the skew check: past that, a 500")(
    _wrap("P5", _packs_timestamp))  # fmt: skip


def _header_table(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        fields = [key for key in ex.environ if key.startswith("HTTP_")]
        if len(fields) > HEADER_TABLE:
            raise OverflowError(f"{len(fields)} header fields in a table of {HEADER_TABLE}")
        original(ex, app)

    return step


mutant("crash-many-headers", "robustness",
       f"more than {HEADER_TABLE} header fields overflow a fixed table: 500")(
    _wrap("P10", _header_table))  # fmt: skip


def _trusts_the_length(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        try:
            original(ex, app)
        except ApiError as error:
            if "shorter than its Content-Length" in error.message:  # the bytes it counted on
                raise EOFError("the body ended before its Content-Length") from None
            raise

    return step


mutant("crash-short-body", "robustness",
       "a body that ends before its Content-Length is a 500, not an API error")(
    _wrap("P10", _trusts_the_length))  # fmt: skip


class _Hangup(BaseException):
    """The worker gives up on the request: the connection closes with no answer."""


class _HangsUp(EmulatorApp):
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return super().__call__(environ, start_response)
        except _Hangup:
            return []  # start_response never called: the server has nothing to send


def _gives_up_when_deep(original: Step) -> Step:
    def step(ex: Incoming, app: EmulatorApp) -> None:
        if max(ex.body.count(b"["), ex.body.count(b"{")) > DEEP:
            raise _Hangup
        original(ex, app)

    return step


@mutant("drop-deep-nesting", "robustness",
        f"a body with more than {DEEP:,} brackets closes the connection without an answer")  # fmt: skip
def _drop_deep(app: EmulatorApp) -> None:
    app.steps["P11"] = _gives_up_when_deep(app.steps["P11"])
    app.__class__ = _HangsUp

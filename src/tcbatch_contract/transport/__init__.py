"""Transports: how a signed request reaches a target (real HTTP, or a WSGI app in-process).

One interface, :class:`Transport` (``send(WireRequest, timeout) -> WireResponse``), one
implementation per module, always passed in: the harness never patches a library to
redirect traffic. :class:`Client` signs API calls in any of the four request forms on top
of a transport, paces them and absorbs back-pressure.
"""

from ._messages import Transport, TransportError, WireRequest, WireResponse
from .client import ApiResult, Client
from .credential import Credential
from .http import HttpTransport
from .pacing import Pacer
from .wsgi import WsgiTransport

__all__ = [
    "ApiResult",
    "Client",
    "Credential",
    "HttpTransport",
    "Pacer",
    "Transport",
    "TransportError",
    "WireRequest",
    "WireResponse",
    "WsgiTransport",
]

assert sorted(__all__) == sorted(n for n in dir() if not n.startswith("_") and n[0].isupper()), (
    "transport.__all__ is out of step with what the package defines"
)

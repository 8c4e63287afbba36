"""Recorded runs: vcrpy cassettes of what a run sent and got, and offline replay of them.

``RecordingTransport`` wraps any transport and keeps every exchange, scrubbed of keys,
signatures and tokens; ``ReplayTransport`` answers from a cassette and refuses any
request it has no recording for (:class:`ReplayMiss`). Requests are matched on a key
built from the action and the canonical parameters plus a secret-free description of
the protocol-level facts a case may change (``matching``). Cassettes are vcrpy's own
format (``cassette``): ``vcr.use_cassette`` and ``vcr.cassette.Cassette.load`` read them.

Layering: this package uses ``transport``, ``wire``, the data layer and the harness's
masking and per-check context; the harness itself never imports it.
"""

from .cassette import CassetteError, RunRecord, tcbatch_match
from .matching import KeyContext, match_key
from .transports import RecordingTransport, ReplayMiss, ReplayTransport

__all__ = [
    "CassetteError",
    "KeyContext",
    "RecordingTransport",
    "ReplayMiss",
    "ReplayTransport",
    "RunRecord",
    "match_key",
    "tcbatch_match",
]

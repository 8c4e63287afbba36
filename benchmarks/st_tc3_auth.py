"""A schemathesis hooks module: signs every request with TC3-HMAC-SHA256.

Without a signature every request is refused before its parameters are read, and
schemathesis would test nothing but the signature check. ``st run`` loads this module when
``SCHEMATHESIS_HOOKS=st_tc3_auth`` (with this directory on ``PYTHONPATH``); the credential
comes from ``ANCHOR_SECRET_ID`` / ``ANCHOR_SECRET_KEY``, the Region from ``ANCHOR_REGION``.

The signature is computed over the request exactly as ``requests`` sends it: the body bytes,
the Content-Type, the Host with its port. The operation keys of ``openapi.yaml`` are
``/?Action=<Action>``; the action goes into ``X-TC-Action`` as the wire protocol wants. With
``ANCHOR_COUNT_FILE`` set, the number of requests signed is written there at exit.
"""

from __future__ import annotations

import atexit
import os
import time
from urllib.parse import parse_qs, urlsplit

import requests
import schemathesis

from tcbatch_contract import API_VERSION
from tcbatch_contract.wire import signing

_signed = [0]


class Tc3Auth(requests.auth.AuthBase):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        action = parse_qs(parts.query).get("Action", [""])[0]
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        now = int(time.time())
        request.headers["X-TC-Action"] = action
        request.headers["X-TC-Version"] = API_VERSION
        request.headers["X-TC-Timestamp"] = str(now)
        request.headers["X-TC-Region"] = os.environ.get("ANCHOR_REGION", "ap-guangzhou")
        query = parts.query if request.method == "GET" else ""
        request.headers["Authorization"] = signing.tc3_authorization(
            os.environ["ANCHOR_SECRET_ID"],
            os.environ["ANCHOR_SECRET_KEY"],
            now,
            request.method or "POST",
            query,
            request.headers.get("Content-Type", ""),
            parts.netloc,
            signing.sha256_hex(body),
            path=parts.path or "/",
        )
        _signed[0] += 1
        return request


def _write_count() -> None:
    path = os.environ.get("ANCHOR_COUNT_FILE")
    if path:
        with open(path, "w", encoding="ascii") as out:
            out.write(str(_signed[0]))


atexit.register(_write_count)
schemathesis.auth.set_from_requests(Tc3Auth())

"""Harness targets over loopback for the check tests: the emulator, or any WSGI app, served
with waitress and wrapped as the ``Target`` a check runs against."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from tcbatch_contract.emulator import Emulator, EmulatorConfig
from tcbatch_contract.harness.checks.protocol import protocol_checks
from tcbatch_contract.harness.model import RunSettings, Target
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.transport import Client, Credential, HttpTransport, WireRequest

CONFIG = EmulatorConfig(rate_limit=None, job_quota=None)


def make_target(url: str, config: EmulatorConfig = CONFIG, **profile: Any) -> Target:
    transport = HttpTransport(url)
    profile.setdefault("regions", config.regions)
    target_profile = TargetProfile(**profile)
    client = Client(
        transport,
        Credential(config.secret_id, config.secret_key),
        target_profile.region,
        rate_limit=target_profile.rate_limit,
    )

    def factory(form: str = "tc3-post", **changes: Any) -> Client:
        return client.replace(form=form, **changes)

    return Target(url, target_profile, client, factory)


@contextlib.contextmanager
def emulator(config: EmulatorConfig = CONFIG, **profile: Any) -> Iterator[tuple[Target, Any]]:
    with Emulator(config) as emu:
        yield make_target(emu.endpoint, config, **profile), emu.app


def run(rule: str, target: Target, **settings: Any):
    check = next(c for c in protocol_checks() if c.rule == rule)
    return check.run(target, RunSettings(**settings))


def fixed_answer(code: str) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]):
        body = {"Error": {"Code": code, "Message": "always this"}, "RequestId": str(uuid.uuid4())}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [
            b"" if environ["REQUEST_METHOD"] == "HEAD" else json.dumps({"Response": body}).encode()
        ]

    return app


def wire_from_environ(environ: dict[str, Any]) -> WireRequest:
    headers = [
        ("-".join(p.capitalize() for p in key[5:].split("_")), value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    if environ.get("CONTENT_TYPE"):
        headers.append(("Content-Type", environ["CONTENT_TYPE"]))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    return WireRequest(
        environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"], headers, body
    )

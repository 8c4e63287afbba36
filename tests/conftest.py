"""Fixtures more than one room of tests uses. Helpers that are not fixtures are in ``support``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.loopback import answering_wrongly, serve


@pytest.fixture
def no_proxy_or_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy variables and no credentials in the environment: only what a test gives."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID", raising=False)
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY", raising=False)


@pytest.fixture
def without_method_check(request: pytest.FixtureRequest) -> Iterator[str]:
    """The emulator over HTTP, answering P1's UnsupportedProtocol as InvalidParameter, with
    the requesting module's ``SECRET_ID`` and ``SECRET_KEY``."""
    from tcbatch_contract.emulator import EmulatorConfig, make_app

    config = EmulatorConfig(
        secret_id=request.module.SECRET_ID, secret_key=request.module.SECRET_KEY, rate_limit=None
    )
    app = make_app(config)
    with serve(answering_wrongly(app, {b'"UnsupportedProtocol"': b'"InvalidParameter"'})) as url:
        yield url

"""Credentials: found where the official SDK finds them, temporary ones sent with their token.

The chain is read against the SDK's own ``DefaultCredentialProvider`` (environment first,
then ``~/.tencentcloud/credentials``) with a temporary HOME; a run with ``--token`` is
checked on the wire (``X-TC-Token`` on TC3 requests, ``Token`` on V1 requests), and the
token is checked to appear in no output, report or JUnit file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from support.loopback import answering_wrongly, serve

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.transport.credential import find_credential

SECRET_ID = "AKIDcredTEST0000000000000000000001"
SECRET_KEY = "credTESTsecretKey00000000000001"
TOKEN = "credTESTtemporaryToken0123456789abcdef"


def write_profile(home: Path, secret_id: str, secret_key: str, section: str = "default") -> None:
    path = home / ".tencentcloud" / "credentials"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[{section}]\nsecret_id = {secret_id}\nsecret_key = {secret_key} \n")


def sdk_chain(monkeypatch: pytest.MonkeyPatch, home: Path, environ: dict[str, str]) -> object:
    """What the official SDK's default chain finds with this HOME and environment."""
    from tencentcloud.common.credential import DefaultCredentialProvider

    monkeypatch.setenv("HOME", str(home))
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        found = DefaultCredentialProvider().get_credentials()
    except Exception:  # the SDK raises when nothing is found (after trying the CVM role)
        return None
    return (found.secret_id, found.secret_key)


@pytest.mark.parametrize(
    ("environ", "profile", "expected_source"),
    [
        ({"TENCENTCLOUD_SECRET_ID": "AKIDenv", "TENCENTCLOUD_SECRET_KEY": "envkey"},
         ("AKIDfile", "filekey"), "environment"),
        ({"TENCENTCLOUD_SECRET_ID": "AKIDenv"}, ("AKIDfile", "filekey"), "profile file"),
        ({"TENCENTCLOUD_SECRET_ID": "", "TENCENTCLOUD_SECRET_KEY": "k"},
         ("AKIDfile", "filekey"), "profile file"),
        ({}, ("AKIDfile", "filekey"), "profile file"),
    ],
)  # fmt: skip
def test_the_chain_finds_what_the_sdk_finds(
    environ: dict[str, str],
    profile: tuple[str, str],
    expected_source: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_profile(tmp_path, *profile)
    sdk = sdk_chain(monkeypatch, tmp_path, environ)
    found = find_credential(None, None, None, environ, tmp_path)
    assert found is not None
    credential, source = found
    assert (credential.secret_id, credential.secret_key) == sdk
    assert expected_source in source
    assert credential.secret_key not in source and credential.secret_id not in source


def test_options_come_first_and_a_token_comes_from_the_environment(tmp_path: Path) -> None:
    write_profile(tmp_path, "AKIDfile", "filekey")
    environ = {"TENCENTCLOUD_SECRET_ID": "AKIDenv", "TENCENTCLOUD_SECRET_KEY": "envkey",
               "TENCENTCLOUD_SESSION_TOKEN": "envTOKEN123"}  # fmt: skip
    credential, source = find_credential("AKIDopt", "optkey", None, environ, tmp_path) or (None, "")
    assert credential is not None and credential.token == "envTOKEN123"
    assert (credential.secret_id, source) == ("AKIDopt", "the command line")
    credential, _ = find_credential(None, None, "given", environ, tmp_path) or (None, "")
    assert credential is not None and credential.token == "given"
    assert "envTOKEN123" not in repr(credential) and "envkey" not in repr(credential)


def test_a_profile_without_a_default_section_gives_nothing(tmp_path: Path) -> None:
    write_profile(tmp_path, "AKIDfile", "filekey", section="other")
    assert find_credential(None, None, None, {}, tmp_path) is None


def capturing(app: Callable, seen: list[dict[str, str]]) -> Callable:
    """``app``, noting each request's token: its X-TC-Token header or its V1 Token param."""

    def wrapped(environ: dict, start_response: Callable) -> object:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        seen.append(
            {
                "header": environ.get("HTTP_X_TC_TOKEN", ""),
                "param": (query.get("Token") or [""])[0],
                "v1": "Signature" in query,
            }
        )
        return app(environ, start_response)

    return wrapped


def test_a_run_with_a_token_sends_it_as_the_sdk_does_and_writes_it_nowhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID", raising=False)
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY", raising=False)
    monkeypatch.setenv("TENCENTCLOUD_SESSION_TOKEN", TOKEN)
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None)
    # B1's code comes back wrong, so that the report holds failing requests to mask.
    wrong = {b'"InvalidParameter.JobNameTooLong"': b'"InvalidParameter"'}
    seen: list[dict[str, str]] = []
    report, junit = tmp_path / "r.md", tmp_path / "j.xml"
    with serve(capturing(answering_wrongly(make_app(config), wrong), seen)) as url:
        code = main(["run", "--target", url, "--secret-id", SECRET_ID, "--secret-key",
                     SECRET_KEY, "--rules", "B1,B2", "--max-examples", "3", "--form", "v1-get",
                     "--report", str(report), "--junit-xml", str(junit)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1, out + err
    v1 = [s for s in seen if s["v1"]]
    tc3 = [s for s in seen if not s["v1"]]
    assert v1 and tc3, seen
    assert all(s["param"] == TOKEN for s in v1)
    assert all(s["header"] == TOKEN for s in tc3)
    for text in (out, err, report.read_text(), junit.read_text()):
        assert TOKEN not in text and SECRET_KEY not in text
    assert "TENCENTCLOUD_SESSION_TOKEN" in report.read_text()  # the SDK snippet reads it

"""An API key pair, kept out of every repr, log line and report, and where to find one.

A credential is looked up where the official SDK's default chain looks
(``DefaultCredentialProvider``): the environment (``TENCENTCLOUD_SECRET_ID`` and
``TENCENTCLOUD_SECRET_KEY``, both non-empty), then the profile file
``~/.tencentcloud/credentials`` (or ``/etc/tencentcloud/credentials`` when there is none),
section ``[default]``, keys ``secret_id`` and ``secret_key``. Options given on the command
line come first. A temporary credential's token comes from ``--token`` or
``TENCENTCLOUD_SESSION_TOKEN`` (``TENCENTCLOUD_TOKEN``, tccli's name, also counts). The
source is reported by name only, never by value.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_ID = "TENCENTCLOUD_SECRET_ID"
ENV_KEY = "TENCENTCLOUD_SECRET_KEY"
ENV_TOKENS = ("TENCENTCLOUD_SESSION_TOKEN", "TENCENTCLOUD_TOKEN")
PROFILE_FILES = ("~/.tencentcloud/credentials", "/etc/tencentcloud/credentials")


@dataclass(frozen=True)
class Credential:
    """``secret_id``/``secret_key`` (and an optional temporary-credential ``token``)."""

    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        shown = self.secret_id[:4] + "***" if len(self.secret_id) > 8 else "***"
        token = ", token=***" if self.token else ""
        return f"Credential(secret_id={shown!r}, secret_key=***{token})"

    __str__ = __repr__


class CredentialFileError(ValueError):
    """The profile file exists but cannot be read as the SDK reads it."""


def find_credential(
    secret_id: str | None,
    secret_key: str | None,
    token: str | None,
    environ: Mapping[str, str],
    home: Path | None = None,
) -> tuple[Credential, str] | None:
    """The credential to sign with and where it came from (a name, never a value).

    ``secret_id``/``secret_key`` are the options given (both or neither); None when the
    chain finds nothing. ``home`` stands for ``~`` (tests give a temporary one).
    """
    token = token or next((environ[n] for n in ENV_TOKENS if environ.get(n)), None)
    if secret_id and secret_key:
        return Credential(secret_id, secret_key, token), "the command line"
    env_id, env_key = environ.get(ENV_ID), environ.get(ENV_KEY)
    if env_id and env_key:
        return Credential(env_id, env_key, token), f"the environment ({ENV_ID})"
    for name in PROFILE_FILES:
        path = Path(name.replace("~", str(home), 1)) if home else Path(name).expanduser()
        if path.exists():  # the SDK takes the first file that exists, complete or not
            pair = _profile_pair(path)
            if pair is None:
                return None
            return Credential(*pair, token), f"the profile file {name} [default]"
    return None


def _profile_pair(path: Path) -> tuple[str, str] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        reason = getattr(exc, "message", None) or str(exc).splitlines()[0]
        raise CredentialFileError(f"{path} is not an INI file the SDK can read: {reason}") from None
    if not parser.has_section("default"):
        return None
    section = parser["default"]
    secret_id = section.get("secret_id", "").strip()
    secret_key = section.get("secret_key", "").strip()
    return (secret_id, secret_key) if secret_id and secret_key else None

"""The example database: failures one run found, replayed first by the runs after it.

A team runs the harness on many CI runners and wants what any of them found tried first by
all of them. Hypothesis already has the parts: an example database holds the choice
sequences of failing cases, ``Phase.reuse`` replays them before anything new is drawn, and
its classes cover a directory (``DirectoryBasedExampleDatabase``), Redis
(``RedisExampleDatabase``, the ``hypothesis[redis]`` extra), a read-only view
(``ReadOnlyDatabase``) and several at once (``MultiplexedDatabase``). This module only
reads a ``--database`` value into them and names the keys.

``--database`` takes one location or several joined by commas; ``ro:`` before one makes it
read-only (a pull request from a fork reads the team's finds and writes none):

    .tcbatch/examples                          a directory
    redis://127.0.0.1:6379/0                   a Redis database (host, port, db number)
    .tcbatch/examples,ro:redis://ci:6379/0     write locally, read the shared one too
    .tcbatch/examples,github:OWNER/REPO        and a GitHub Actions artifact (read-only)

``github:OWNER/REPO[/ARTIFACT]`` is Hypothesis's ``GitHubArtifactDatabase``: the latest
artifact (default name ``hypothesis-example-db``) that the repository's CI uploaded from a
directory database, read with the token in ``GITHUB_TOKEN``; always read-only.

A key is the rule, the target profile's shape (Region, Regions, whether compute
environments, a quota, a rate limit, a denied credential are given), the request form, and
the strategy version (a digest of the strategies' source and the Hypothesis version), so a
failure is replayed only where its choices mean the same case. Without a database a run
draws from its seed alone, exactly as before.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

KEY_PREFIX = b"tcbatch-contract:"
REDIS_PREFIX = b"tcbatch-contract-example:"
READ_ONLY = "ro:"
GITHUB = "github:"

_opened: dict[str, Any] = {}
_lock = threading.Lock()


class DatabaseError(ValueError):
    """A ``--database`` value that cannot be opened: what is wrong and what to do."""


@dataclass(frozen=True)
class Location:
    """One comma-separated part of a ``--database`` value."""

    text: str
    read_only: bool

    @property
    def is_redis(self) -> bool:
        return self.text.startswith("redis://")

    @property
    def is_github(self) -> bool:
        return self.text.startswith(GITHUB)


def locations(value: str) -> list[Location]:
    """The parts of a ``--database`` value (DatabaseError for an empty one)."""
    parts = [part.strip() for part in value.split(",")]
    if not value.strip() or not all(parts):
        raise DatabaseError(f"{value!r}: give a directory or redis://HOST:PORT/N (comma-separated)")
    out = []
    for part in parts:
        read_only = part.startswith(READ_ONLY)
        text = part.removeprefix(READ_ONLY).strip()
        if not text:
            raise DatabaseError(f"{part!r}: give a directory or a redis:// URL after ro:")
        out.append(Location(text, read_only))
    return out


def open_database(value: str | None, *, check: bool = False) -> Any:
    """The Hypothesis database ``value`` names (one per process and value); None for None.

    ``check`` makes sure now that it can be used: a Redis server answers, a directory can
    be created and written into (read-only parts need only be readable).
    """
    if value is None:
        return None
    with _lock:
        if value in _opened and not check:
            return _opened[value]
        from hypothesis.database import MultiplexedDatabase, ReadOnlyDatabase

        opened = []
        for location in locations(value):
            if location.is_github:
                opened.append(ReadOnlyDatabase(_github(location)))
                continue
            database = _redis(location, check) if location.is_redis else _directory(location, check)
            opened.append(ReadOnlyDatabase(database) if location.read_only else database)
        database = opened[0] if len(opened) == 1 else MultiplexedDatabase(*opened)
        _opened[value] = database
        return database


def _directory(location: Location, check: bool) -> Any:
    from hypothesis.database import DirectoryBasedExampleDatabase

    path = Path(location.text).expanduser()
    if check:
        if path.exists() and not path.is_dir():
            raise DatabaseError(f"{location.text}: exists and is not a directory")
        if not location.read_only:
            try:
                path.mkdir(parents=True, exist_ok=True)
                probe = path / ".tcbatch-write-check"
                probe.write_bytes(b"")
                probe.unlink()
            except OSError as exc:
                raise DatabaseError(
                    f"{location.text}: cannot write there ({exc.strerror or exc}); choose "
                    "another directory, or prefix it with ro: to read it only"
                ) from None
    return DirectoryBasedExampleDatabase(path)


def _github(location: Location) -> Any:
    from hypothesis.database import GitHubArtifactDatabase

    parts = location.text.removeprefix(GITHUB).split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise DatabaseError(
            f"{location.text}: give github:OWNER/REPO or github:OWNER/REPO/ARTIFACT"
        )
    return GitHubArtifactDatabase(*parts)


def redis_address(text: str) -> tuple[str, int, int]:
    """(host, port, db) of ``redis://HOST:PORT/N`` (port 6379 and db 0 by default)."""
    try:
        parts = urlsplit(text)
        port = parts.port or 6379
    except ValueError as exc:
        raise DatabaseError(f"{text}: not a redis://HOST:PORT/N URL ({exc})") from None
    db = parts.path.strip("/") or "0"
    if not parts.hostname or not db.isdigit() or parts.query or parts.fragment:
        raise DatabaseError(f"{text}: give redis://HOST:PORT/N, e.g. redis://127.0.0.1:6379/0")
    return parts.hostname, port, int(db)


def _redis(location: Location, check: bool) -> Any:
    host, port, db = redis_address(location.text)
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise DatabaseError(
            f"{location.text}: Redis needs the redis package: pip install 'hypothesis[redis]'"
        ) from None
    client = redis.Redis(host=host, port=port, db=db, socket_connect_timeout=5)
    if check:
        try:
            client.ping()
        except redis.RedisError as exc:
            raise DatabaseError(
                f"{location.text}: Redis does not answer ({exc}); start it or give another URL"
            ) from None
    return RedisExampleDatabase(client, key_prefix=REDIS_PREFIX)


@cache
def strategy_version() -> str:
    """A digest of the strategies' source and the Hypothesis version: what a saved choice
    sequence means. Any change to a strategy gives new keys (old finds are not misread)."""
    import hypothesis

    digest = hashlib.sha256(f"hypothesis {hypothesis.__version__}".encode())
    for package in ("tcbatch_contract.strategies", "tcbatch_contract.strategies._internal"):
        files = [f for f in resources.files(package).iterdir() if f.name.endswith(".py")]
        for file in sorted(files, key=lambda f: f.name):
            digest.update(f"\n{package}.{file.name}\n".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def profile_shape(profile: Any, form: str) -> str:
    """What of the target profile and request form changes the cases a seed draws.

    The values of compute environment ids are left out: the embedded emulator makes fresh
    ones for each run, and a replayed choice sequence simply draws the new ones.
    """
    return "|".join(
        [
            f"region={profile.region}",
            "regions=" + ",".join(profile.regions),
            f"envs={bool(profile.known_env_ids)}",
            f"quota={profile.job_quota}",
            f"rate={profile.rate_limit}",
            f"denied={profile.has_denied_credential}",
            f"form={form}",
        ]
    )


def database_key(rule: str, profile: Any, form: str) -> bytes:
    """The key of ``rule``'s examples for this profile shape, form and strategy version."""
    text = f"{rule}|{profile_shape(profile, form)}|strategies={strategy_version()}"
    return (
        KEY_PREFIX + rule.encode() + b":" + hashlib.sha256(text.encode()).hexdigest()[:32].encode()
    )


def field_key(rule: str, template: str, profile: Any, form: str) -> bytes:
    """The key of the failures found in one field of ``rule`` (its per-field sweep)."""
    return database_key(f"{rule}@{template}", profile, form)


def has_saved(database: Any, key: bytes) -> bool:
    """Whether ``database`` holds a saved failure under ``key``."""
    return next(iter(database.fetch(key)), None) is not None


def saved_fields(database: Any, keys: dict[str, bytes]) -> list[str]:
    """The fields (of ``keys``: field -> key) that have failures saved, in that order."""
    return [field for field, key in keys.items() if has_saved(database, key)]


def example_database(settings: Any, profile: Any, rule: str) -> tuple[Any, bytes | None]:
    """(database, key) for ``rule`` under ``settings.database``; (None, None) without one."""
    value = getattr(settings, "database", None)
    if value is None:
        return None, None
    return open_database(value), database_key(rule, profile, settings.form)

"""The job store: SQLite, one connection behind a lock, no HTTP anywhere.

Jobs belong to an account, not to a Region: the store is called with the SecretId that
signed the request, and ``account_of`` names its account (an account may hold several
keys; by default each key is an account of its own). Idempotency tokens belong to the key
itself, (SecretId, ClientToken) as the contract says. A deleted job is kept as a row marked
deleted: it no longer counts toward the quota and is no longer found, but the idempotency
token that created it still answers with its id. The submitted
request is stored as ASCII JSON, so that what was sent (lone surrogates included) reads
back exactly.

With ``path=None`` the database lives in memory for the life of the store; with a file
path, jobs survive a restart. Opening a file writes to it once (the schema version), so that
a file that cannot be written is refused at start rather than at the first SubmitJob.

Every SQLite failure leaves the store as ``StoreError``: a write that fails (a read-only
or full disk, a lock held too long) is rolled back whole and never reported as done, so a
caller can answer it as a failure and go on serving.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import string
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id        TEXT PRIMARY KEY,
    owner         TEXT NOT NULL,
    request       TEXT NOT NULL,
    created_at    REAL NOT NULL,
    terminated_at REAL,
    deleted_at    REAL
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, deleted_at);
CREATE TABLE IF NOT EXISTS tokens (
    owner  TEXT NOT NULL,
    token  TEXT NOT NULL,
    job_id TEXT NOT NULL,
    PRIMARY KEY (owner, token)
);
"""

_ID_ALPHABET = string.ascii_lowercase + string.digits
#: ``PRAGMA user_version`` of an emulator's database.
_SCHEMA_VERSION = 1
_COLUMNS = {
    "jobs": ["job_id", "owner", "request", "created_at", "terminated_at", "deleted_at"],
    "tokens": ["owner", "token", "job_id"],
}


class StoreError(Exception):
    """The database refused a read or a write; nothing was changed."""


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    request: dict[str, Any]
    created_at: float
    terminated_at: float | None


@dataclass(frozen=True)
class Submitted:
    """The outcome of a submission: the job id, or what ``admit`` refused with."""

    job_id: str | None
    replayed: bool = False
    refusal: Any = None


class JobStore:
    """Jobs and tokens in SQLite; ``StoreError`` when the file cannot serve as a store."""

    def __init__(
        self, path: str | None = None, account_of: Callable[[str], str] = lambda key: key
    ) -> None:
        self._account = account_of
        self._lock = threading.Lock()
        self._path = path
        if path and Path(path).is_dir():
            raise StoreError("it is a directory; give a file name inside it, e.g. jobs.db")
        try:
            self._db = self._connect()
        except sqlite3.Error as exc:
            raise StoreError(_why(path, exc)) from None
        try:
            self._open(path)
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(_why(path, exc)) from None
        except StoreError:
            self._db.close()
            raise
        if path:
            _FILE_STORES.add(self)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self._path or ":memory:", check_same_thread=False, isolation_level=None
        )
        if self._path:
            db.execute("PRAGMA synchronous=NORMAL")  # per connection; WAL stays in the file
        return db

    def _open(self, path: str | None) -> None:
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
        with self._transaction():
            for table, columns in _COLUMNS.items():
                found = [row[1] for row in self._db.execute(f"PRAGMA table_info({table})")]
                if found and found != columns:
                    raise StoreError(
                        f"its table {table} is not an emulator's; give a new file name"
                    )
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._db.execute(statement)
            # A real write even when the schema exists: a read-only file fails here.
            self._db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def submit(
        self,
        owner: str,
        request: dict[str, Any],
        now: float,
        client_token: str | None,
        admit: Callable[[int], Any],
    ) -> Submitted:
        """Create a job, unless the token was seen (its job id) or ``admit(held)`` refuses.

        The token check, the quota check and the insert are one transaction, so that
        concurrent submissions with one token create one job.
        """
        text = json.dumps(request, ensure_ascii=True, separators=(",", ":"))
        with self._lock, _failing_as_store_error(), self._transaction():
            if client_token is not None:
                row = self._db.execute(
                    "SELECT job_id FROM tokens WHERE owner = ? AND token = ?",
                    (owner, client_token),
                ).fetchone()
                if row:
                    return Submitted(row[0], replayed=True)
            (held,) = self._db.execute(
                "SELECT COUNT(*) FROM jobs WHERE owner = ? AND deleted_at IS NULL",
                (self._account(owner),),
            ).fetchone()
            refusal = admit(held)
            if refusal is not None:
                return Submitted(None, refusal=refusal)
            job_id = self._insert_job(self._account(owner), text, now)
            if client_token is not None:
                self._db.execute(
                    "INSERT INTO tokens (owner, token, job_id) VALUES (?, ?, ?)",
                    (owner, client_token, job_id),
                )
            return Submitted(job_id)

    def get(self, owner: str, job_id: str) -> JobRecord | None:
        with self._lock, _failing_as_store_error():
            row = self._db.execute(
                "SELECT job_id, request, created_at, terminated_at FROM jobs "
                "WHERE job_id = ? AND owner = ? AND deleted_at IS NULL",
                (job_id, self._account(owner)),
            ).fetchone()
        if row is None:
            return None
        return JobRecord(row[0], json.loads(row[1]), row[2], row[3])

    def terminate(self, owner: str, job_id: str, now: float) -> bool:
        """Mark a job terminated (again is fine); False when there is no such job."""
        return self._update(
            "UPDATE jobs SET terminated_at = COALESCE(terminated_at, ?) "
            "WHERE job_id = ? AND owner = ? AND deleted_at IS NULL",
            (now, job_id, self._account(owner)),
        )

    def delete(self, owner: str, job_id: str, now: float) -> bool:
        return self._update(
            "UPDATE jobs SET deleted_at = ? WHERE job_id = ? AND owner = ? AND deleted_at IS NULL",
            (now, job_id, self._account(owner)),
        )

    def account(self, owner: str) -> str:
        """The account whose jobs ``owner`` (the SecretId that signed) sees and changes."""
        return self._account(owner)

    def count(self, owner: str) -> int:
        """Undeleted jobs of ``owner``."""
        with self._lock, _failing_as_store_error():
            (held,) = self._db.execute(
                "SELECT COUNT(*) FROM jobs WHERE owner = ? AND deleted_at IS NULL",
                (self._account(owner),),
            ).fetchone()
        return held

    def reset(self) -> None:
        with self._lock, _failing_as_store_error(), self._transaction():
            self._db.execute("DELETE FROM jobs")
            self._db.execute("DELETE FROM tokens")

    def close(self) -> None:
        with self._lock:
            self._db.close()
        _FILE_STORES.discard(self)

    def _update(self, sql: str, args: tuple[Any, ...]) -> bool:
        with self._lock, _failing_as_store_error(), self._transaction():
            return self._db.execute(sql, args).rowcount > 0

    def _new_id(self) -> str:
        return "job-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))

    def _insert_job(self, owner: str, text: str, now: float) -> str:
        """Insert under a fresh random id (drawn again on the rare collision)."""
        while True:
            job_id = self._new_id()
            try:
                self._db.execute(
                    "INSERT INTO jobs (job_id, owner, request, created_at) VALUES (?, ?, ?, ?)",
                    (job_id, owner, text, now),
                )
            except sqlite3.IntegrityError:
                continue
            return job_id

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` when the block or the commit
        raises: a failed commit (a full disk) must not leave a transaction open."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite has already rolled back on its own
            raise


@contextmanager
def _failing_as_store_error() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(f"the job store failed: {exc}") from None


def _why(path: str | None, exc: sqlite3.Error) -> str:
    """What is wrong with the database file at ``path``, and what to do, in a few words."""
    name = getattr(exc, "sqlite_errorname", "")  # extended names: SQLITE_READONLY_DIRECTORY
    if path and not Path(path).parent.is_dir():
        return f"the directory {Path(path).parent} does not exist; create it or choose another"
    if name.startswith("SQLITE_NOTADB"):
        return "it is not an SQLite database; give a new file name or an emulator's database"
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return (
            "it cannot be written (a read-only file or directory?); make it writable or "
            "choose another file"
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "another process holds it locked; stop that process or choose another file"
    return f"it cannot be used as a job store ({exc}); choose another file"


# SQLite must not be carried across a fork: a child inherits the parent's bookkeeping of
# the file's locks and of its WAL index without holding the locks themselves, so a
# connection it opens to the same file may skip taking them, and the parent could later
# take itself for the file's last user. A process that forks (the harness's worker
# processes) therefore closes its file stores' connections first and opens them again
# after, in the parent and in the child alike; an in-memory store has no file and is kept.
_FILE_STORES: weakref.WeakSet[JobStore] = weakref.WeakSet()


def _before_fork() -> None:
    for store in list(_FILE_STORES):
        store._lock.acquire()  # no transaction of another thread is cut in two
        store._db.close()


def _after_fork() -> None:
    for store in list(_FILE_STORES):
        try:
            store._db = store._connect()
        except sqlite3.Error:  # the file went away: its next use is a StoreError
            pass
        finally:
            store._lock.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork
    )

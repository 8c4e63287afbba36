"""A job store that stops taking writes while serving: every write is answered
``InternalError`` with HTTP 200, nothing is acknowledged that was not stored, reads go on.

The failures are SQLite's own: ``PRAGMA query_only`` makes the file refuse writes exactly
as a read-only file does (``SQLITE_READONLY``), and ``PRAGMA max_page_count`` makes it full
(``SQLITE_FULL``). Both are set on the store's own connection, the one that serves.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support.emulator_wire import assert_envelope, send, serving, tc3, valid

from tcbatch_contract.emulator import DEFAULT_SECRET_ID, Emulator
from tcbatch_contract.emulator.store import JobStore, StoreError


def _call(emu: Emulator, action: str, params: dict) -> dict:
    reply = send(emu, tc3(emu.host, action, params))
    assert_envelope(reply)  # HTTP 200, application/json, the envelope, a RequestId
    return reply.response


def _pragma(emu: Emulator, sql: str) -> None:
    store = emu.app.store
    with store._lock:
        store._db.execute(sql)


def _rows(db: str) -> int:
    with sqlite3.connect(db) as other:
        return other.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]


def test_a_read_only_store_answers_every_write_internal_error(tmp_path: Path) -> None:
    db = str(tmp_path / "jobs.db")
    with serving(db_path=db, rate_limit=None) as emu:
        kept = _call(emu, "SubmitJob", valid())["JobId"]
        before = _rows(db)
        _pragma(emu, "PRAGMA query_only = 1")
        for params in (valid(), {**valid(), "ClientToken": "while-failing"}):
            answer = _call(emu, "SubmitJob", params)
            assert answer["Error"]["Code"] == "InternalError", answer
            assert "JobId" not in answer
        for action in ("TerminateJob", "DeleteJob"):
            answer = _call(emu, action, {"JobId": kept})
            assert answer["Error"]["Code"] == "InternalError", answer
        # Reads go on, and show that neither write took effect.
        described = _call(emu, "DescribeJob", {"JobId": kept})
        assert described["JobId"] == kept and described["EndTime"] is None
        assert _call(emu, "DescribeJobSubmitInfo", {"JobId": kept})["JobId"] == kept
        assert _rows(db) == before
        # Once the file takes writes again, so does the emulator; the token is still new.
        _pragma(emu, "PRAGMA query_only = 0")
        retried = _call(emu, "SubmitJob", {**valid(), "ClientToken": "while-failing"})
        assert retried.get("JobId", "").startswith("job-"), retried
        assert "Error" not in _call(emu, "DeleteJob", {"JobId": kept})
        assert _rows(db) == before + 1


def test_a_full_store_acknowledges_only_what_it_stored(tmp_path: Path) -> None:
    db = str(tmp_path / "jobs.db")
    with serving(db_path=db, rate_limit=None) as emu:
        kept = _call(emu, "SubmitJob", valid())["JobId"]
        store = emu.app.store
        with store._lock:
            (pages,) = store._db.execute("PRAGMA page_count").fetchone()
            store._db.execute(f"PRAGMA max_page_count = {pages + 1}")
        acknowledged, refused = [], None
        for n in range(400):  # a page holds a few dozen jobs: the file fills long before
            params = valid()
            params["ClientToken"] = f"fill-{n}"
            params["Job"]["JobDescription"] = f"{n:03d}" + "d" * 197
            answer = _call(emu, "SubmitJob", params)
            if "Error" in answer:
                refused = answer
                break
            acknowledged.append(answer["JobId"])
        assert refused is not None and refused["Error"]["Code"] == "InternalError", refused
        assert "JobId" not in refused
        assert _rows(db) == len(acknowledged) + 1  # every JobId given is stored, no more
        for job_id in (kept, *acknowledged):
            assert _call(emu, "DescribeJob", {"JobId": job_id})["JobId"] == job_id
        # The refused token was not taken: once there is room, it makes a new job.
        with store._lock:
            store._db.execute("PRAGMA max_page_count = 1073741823")
        retried = _call(emu, "SubmitJob", {**valid(), "ClientToken": f"fill-{len(acknowledged)}"})
        assert retried.get("JobId") not in (None, kept, *acknowledged), retried


def test_a_refused_write_leaves_no_transaction_open_and_the_store_usable() -> None:
    store = JobStore()
    try:
        with store._lock:
            store._db.execute("PRAGMA query_only = 1")
        with pytest.raises(StoreError):
            store.submit(DEFAULT_SECRET_ID, valid(), 0.0, "t", lambda held: None)
        assert not store._db.in_transaction
        with store._lock:
            store._db.execute("PRAGMA query_only = 0")
        assert store.submit(DEFAULT_SECRET_ID, valid(), 0.0, "t", lambda held: None).job_id
        assert store.count(DEFAULT_SECRET_ID) == 1
    finally:
        store.close()


FORKED = """
import os, sys
from tcbatch_contract.emulator.store import JobStore

file_store, memory_store = JobStore(sys.argv[1]), JobStore(None)
for store in (file_store, memory_store):
    store.submit("owner", {"Job": {}}, 1.0, None, lambda held: None)
before = file_store._db, memory_store._db
pid = os.fork()
if pid == 0:  # the child writes through the store it inherited
    file_store.submit("owner", {"Job": {}}, 2.0, None, lambda held: None)
    os._exit(0)
os.waitpid(pid, 0)
print(file_store._db is not before[0], memory_store._db is before[1])
print(file_store.count("owner"), memory_store.count("owner"))
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork here")
def test_a_file_store_opens_its_file_afresh_on_each_side_of_a_fork(tmp_path: Path) -> None:
    """SQLite's connections and its record of the file's locks must not cross a fork: a
    file store closes its connection before one and opens a new one after, in the parent
    and in the child; an in-memory store (no file, nothing to reopen) keeps its own."""
    import subprocess
    import sys

    db = str(tmp_path / "jobs.db")
    done = subprocess.run(
        [sys.executable, "-c", FORKED, db], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "2", "1"]
    assert _rows(db) == 2  # the child's job is in the file, beside the parent's

"""Bad input to ``tcbatch-contract emulator``: exit code 2, one to three lines on stderr that
name the option and say what to do, never a traceback, never a server left running."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tcbatch_contract.cli import main


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """stderr of ``emulator ARGV``, which must exit 2 with a short message."""
    try:
        code = main(["emulator", "--port", "0", *argv])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, (argv, captured.out, err)
    assert "Traceback" not in err and "listening on" not in captured.out
    assert 1 <= len(err.splitlines()) <= 3, err
    return err


@pytest.fixture
def not_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a database\n" * 100)
    return path


@pytest.fixture
def foreign_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, title TEXT)")
    return path


@pytest.mark.parametrize(
    ("argv", "named", "says"),
    [
        (["--db", "/nonexistent/dir/x.db"], "--db /nonexistent/dir/x.db", "does not exist"),
        (["--port", "70000"], "--port 70000", "between 0 and 65535"),
        (["--port", "-1"], "--port -1", "between 0 and 65535"),
        (["--port", "http"], "--port http", "between 0 and 65535"),
        (["--mutant", "no-such-bug"], "--mutant no-such-bug", "--list-mutants"),
        (["--inject", "Bogus.Code"], "--inject Bogus.Code", "InternalError.CallCvm, "),
        (["--inject", "InternalError.CallCvm:Nope"], "--inject", "unknown action"),
        (["--inject", "InternalError.CallCvm@0"], "--inject", "1 or more"),
        (["--inject", "InternalError.CallCvm@1.5"], "--inject", "(0, 1]"),
        (["--inject", "@@"], "--inject @@", "CODE[:ACTION][@RATE]"),
        (["--known-env-id", "env-BAD"], "--known-env-id env-BAD", "env-abcdefgh"),
        (["--job-quota", "-1"], "--job-quota", "none"),
        (["--rate-limit", "0"], "--rate-limit", "none"),
        (["--secret-id", "AKIDonly"], "--secret-key", "both"),
        (["--denied-secret-id", "AKIDonly"], "--denied-secret-key", "both"),
        (["--regions", ","], "--regions", "ap-guangzhou"),
    ],
)
def test_bad_option(argv: list[str], named: str, says: str, capsys) -> None:
    err = _refused(argv, capsys)
    assert named in err and says in err
    assert "['" not in err  # no Python list repr


def test_db_that_is_not_sqlite(not_sqlite: Path, capsys) -> None:
    err = _refused(["--db", str(not_sqlite)], capsys)
    assert f"--db {not_sqlite}" in err and "not an SQLite database" in err
    assert not_sqlite.read_text().startswith("these are notes")  # left as it was


def test_db_of_another_program(foreign_sqlite: Path, capsys) -> None:
    err = _refused(["--db", str(foreign_sqlite)], capsys)
    assert "--db" in err and "not an emulator's" in err


def test_db_that_is_a_directory(tmp_path: Path, capsys) -> None:
    err = _refused(["--db", str(tmp_path)], capsys)
    assert f"--db {tmp_path}" in err and "directory" in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_db_in_a_directory_that_takes_no_files(capsys) -> None:
    # /proc refuses to create files, even for root: a directory that cannot be written.
    err = _refused(["--db", "/proc/tcbatch-jobs.db"], capsys)
    assert "--db /proc/tcbatch-jobs.db" in err and "cannot be written" in err


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anyway")
@pytest.mark.parametrize("what", ["file", "directory"])
def test_db_that_cannot_be_written(tmp_path: Path, what: str, capsys) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "jobs.db"
    with sqlite3.connect(db) as created:  # a real emulator database, now read-only
        created.execute("CREATE TABLE t (x)")
    (db if what == "file" else folder).chmod(0o555 if what == "directory" else 0o444)
    target = db if what == "file" else folder / "new.db"
    try:
        err = _refused(["--db", str(target)], capsys)
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert f"--db {target}" in err and "cannot be written" in err


def test_host_that_does_not_resolve(monkeypatch, capsys) -> None:
    # The name is refused by a stand-in resolver, so that no lookup leaves the machine.
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "nosuchhost.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    err = _refused(["--host", "nosuchhost.invalid"], capsys)
    assert "--host nosuchhost.invalid" in err and "127.0.0.1" in err


def test_port_in_use(capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        err = _refused(["--port", str(port)], capsys)
    assert f"--port {port}" in err and "in use" in err


def test_the_command_itself_exits_2_without_a_traceback(not_sqlite: Path) -> None:
    entry = "import sys; from tcbatch_contract.cli import main; sys.exit(main())"
    done = subprocess.run(
        [sys.executable, "-c", entry, "emulator", "--port", "0", "--db", str(not_sqlite)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "--db" in done.stderr

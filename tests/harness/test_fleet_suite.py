"""The suite's fuzz tests share the example database: what one session found, the next
replays first. A real server: the emulator with a seeded bug, served over loopback HTTP,
and pytest in a process of its own, as a CI job or a HypoFuzz worker would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.loopback import serve

from tcbatch_contract.emulator import EmulatorConfig, make_app, mutants

SECRET = ("AKIDfleetSUITE0000000000000000000", "fleetSUITEkey00000000000000000")


def suite(url: str, database: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
        "--pyargs", "tcbatch_contract.suite.fuzz", "-k", "B6",
        "--tcbatch-target", url, "--tcbatch-secret-id", SECRET[0],
        "--tcbatch-secret-key", SECRET[1], "--tcbatch-database", str(database),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, cwd=cwd)


@pytest.mark.slow  # three pytest sessions, about a minute on two busy cores
def test_a_fuzz_find_is_saved_and_replayed_by_the_next_session(tmp_path: Path) -> None:
    config = EmulatorConfig(secret_id=SECRET[0], secret_key=SECRET[1], rate_limit=None)
    app = mutants.apply(make_app(config), "b6-self-loop-missed")
    database = tmp_path / "examples"
    with serve(app) as url:
        first = suite(url, database, tmp_path)
        assert first.returncode == 1, first.stdout[-2000:]
        assert "DependenceUnfeasible" in first.stdout
        saved = [p for p in database.rglob("*") if p.is_file()]
        assert saved, "the find was not saved in the shared database"
        again = suite(url, database, tmp_path)
        assert again.returncode == 1 and "DependenceUnfeasible" in again.stdout
    # The same session against the unmutated emulator passes (the find was the bug's).
    with serve(make_app(config)) as url:
        fixed = suite(url, database, tmp_path)
        assert fixed.returncode == 0, fixed.stdout[-2000:]


def test_a_bad_database_stops_the_session_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = suite("emulator", blocker / "examples", tmp_path)
    assert done.returncode == 4
    assert "--tcbatch-database" in done.stderr

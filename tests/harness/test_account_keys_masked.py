"""The embedded emulator's account keys never reach an artefact of the run.

Every key of the account (the first, the eight more each check signs with, the denied
one) is made by the run; here they are known values, and the emulator carries a seeded
bug that B3 catches, so that the reports hold a failing request, its wire form and its
reproduction. The console output, the Markdown and HTML reports, the JUnit file and the
JSON result are then searched for each key.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tcbatch_contract import session
from tcbatch_contract.cli import main


def test_no_key_of_the_account_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made: list[str] = []
    numbers = itertools.count(1)

    def known_credential() -> tuple[str, str]:
        n = next(numbers)
        pair = (f"AKIDaccountKEY{n:022d}", f"accountSECRET{n:021d}")
        made.extend(pair)
        return pair

    emulator_target = session._emulator_target
    monkeypatch.setattr(session, "fresh_credential", known_credential)
    monkeypatch.setattr(
        session,
        "_emulator_target",
        lambda options, stack, mutant: emulator_target(options, stack, "b3-task-name-limit-64"),
    )
    reports = [tmp_path / "run.md", tmp_path / "run.html"]
    argv = ["run", "--rules", "B3,S6,VALID,STATE-IDEMPOTENCY", "--max-examples", "3"]
    argv += ["--junit-xml", str(tmp_path / "run.xml")]
    argv += ["--result", str(tmp_path / "result.json")]
    for report in reports:
        argv += ["--report", str(report)]
    assert main(argv) == 1
    assert len(made) == 2 * (2 + session.EMULATOR_MORE_KEYS)  # main, denied and the more
    out = capsys.readouterr()
    written = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    assert sorted(written) == ["result.json", "run.html", "run.md", "run.xml"]
    for name in ("run.md", "run.html"):
        assert "TaskNameTooLong" in written[name]  # the failing request is reported
    written |= {"stdout": out.out, "stderr": out.err}
    for secret in made:
        assert not [name for name, text in written.items() if secret in text], secret

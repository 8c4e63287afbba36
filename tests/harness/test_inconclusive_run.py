"""The run that once raised a false alarm: ``--rate-limit 40`` against a correct target
that takes 200 ms per exchange. P9 is now inconclusive, with its measured reason, in the
console table and summary, the Markdown and HTML reports, JUnit and the recording's
``run.json``; the run exits 0; and its replay judges the recorded times, not its own."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support.loopback import serve, slowed

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import EmulatorConfig, make_app

SECRET_ID, SECRET_KEY = "AKIDinconclusive000000000000000000001", "inconclusive-key-000000000001"


def test_a_slow_correct_target_is_inconclusive_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=40)
    app = make_app(config)
    try:
        with serve(slowed(app, 0.2)) as url:
            code = main(["run", "--target", url, "--secret-id", SECRET_ID,
                         "--secret-key", SECRET_KEY, "--rate-limit", "40", "--rules", "P9",
                         "--record", str(tmp_path / "rec"), "--report", str(tmp_path / "r.md"),
                         "--report", str(tmp_path / "r.html"),
                         "--junit-xml", str(tmp_path / "j.xml")])  # fmt: skip
    finally:
        app.close()
    out = capsys.readouterr().out
    assert code == 0, out
    row = next(line for line in out.splitlines() if line.startswith("P9 "))
    assert "INCONCLUSIVE" in row and "41 requests sent at once took" in row
    assert "0 fail" in out and "1 inconclusive" in out and "CONFORMANT" in out
    markdown = (tmp_path / "r.md").read_text()
    assert "## Inconclusive (not judged)" in markdown and "| P9 |" in markdown
    assert 'tr class="inconclusive"' in (tmp_path / "r.html").read_text()
    case = ET.parse(tmp_path / "j.xml").find(".//testcase[@name='P9']")
    assert case is not None and case.find("failure") is None
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("type") == "inconclusive"
    assert "took" in skipped.get("message", "")
    record = json.loads((tmp_path / "rec" / "run.json").read_text())
    assert record["verdicts"]["P9"] == "inconclusive"

    # The replay answers at once, but judges the times the recording kept.
    assert main(["run", "--target", f"replay:{tmp_path / 'rec'}"]) == 0
    replayed = capsys.readouterr().out
    row = next(line for line in replayed.splitlines() if line.startswith("P9 "))
    assert "INCONCLUSIVE" in row and "verdict changed" not in replayed

"""What a run prints: progress on a terminal and in a log, the final table and verdict."""

from __future__ import annotations

import io

from tcbatch_contract.harness.model import Failure, RuleResult, RunReport, RunSettings, Status
from tcbatch_contract.harness.report.console import Progress, results_table, summary_lines
from tcbatch_contract.profile import TargetProfile


def results() -> list[RuleResult]:
    failure = Failure(
        "B1", "expected InvalidParameter.JobNameTooLong, got InvalidParameter", {}, {}
    )
    return [
        RuleResult("B1", Status.FAIL, cases=3, requests=4, seconds=0.2, failures=[failure]),
        RuleResult("B9", Status.SKIP, reason="the target profile lacks known_env_ids"),
        RuleResult("P1", Status.PASS, cases=8, requests=12, seconds=0.1),
        RuleResult("FUZZ", Status.ERROR, reason="the check crashed: boom"),
    ]


def test_progress_in_a_log_is_one_plain_line_per_rule() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=False)
    progress.begin(2)
    for result in results()[:2]:
        progress.started(result.rule)
        progress.finished(result)
    progress.end()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue() and "\033" not in stream.getvalue()
    assert lines[0].startswith("[  1/2] B1") and "fail" in lines[0] and "JobNameTooLong" in lines[0]


def test_progress_on_a_terminal_redraws_one_line() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=True)
    progress.begin(4)
    progress.started("B1")
    assert stream.getvalue().endswith("[" + "." * 24 + "] 0/4 B1")
    progress.finished(results()[0])
    text = stream.getvalue()
    assert "\r\033[K[  1/4] B1" in text and text.endswith("[" + "#" * 6 + "." * 18 + "] 1/4 ")
    progress.end()
    assert stream.getvalue().endswith("\r\033[K")


def test_the_table_keeps_statuses_apart_and_fits_the_width() -> None:
    report = RunReport("emulator", TargetProfile(), RunSettings(seed=7), results(), seconds=2.0)
    table = results_table(report, width=80).splitlines()
    assert table[0].split()[:5] == ["RULE", "STATUS", "CASES", "REQUESTS", "SECONDS"]
    assert [line.split()[1] for line in table[1:]] == ["FAIL", "SKIP", "PASS", "ERROR"]
    assert all(len(line) <= 80 for line in table)
    assert "lacks known_env_ids" in table[2]
    lines = summary_lines(report)
    assert lines[0] == "NOT CONFORMANT: 4 rules: 1 pass, 1 fail, 1 skip, 1 error"
    assert "11 cases, 16 requests in 2.0 s" in lines[1] and "seed 7" in lines[1]

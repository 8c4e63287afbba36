"""Checks in worker processes, and timed runs: the same cases and verdicts as one process.

Each run here is the embedded emulator over a SQLite file, rebuilt in every worker process,
with real signatures. Workers start as a run starts them: forked from a process that runs
no other thread, spawned from one that does (a pytest-xdist worker).
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tcbatch_contract.cli import main
from tcbatch_contract.cli.run import parse_duration
from tcbatch_contract.emulator import EmulatorConfig, make_app, mutants
from tcbatch_contract.harness.driver import fold_digests
from tcbatch_contract.harness.model import RunReport, RunSettings, Status
from tcbatch_contract.harness.report.console import Progress
from tcbatch_contract.harness.runner import Runner, all_checks, catalogue_rules
from tcbatch_contract.harness.scheduling import round_seed, worker_count
from tcbatch_contract.harness.targets import TargetFactory, TargetSetup
from tcbatch_contract.harness.workers import EmulatorRecipe, HttpRecipe, WorkerPool
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.transport import Credential, WsgiTransport

SECRET_ID = "AKIDworkersTEST0000000000000000000"
SECRET_KEY = "workersTESTkey000000000000000"
DENIED_ID = "AKIDworkersDENIED00000000000000000"
DENIED_KEY = "workersDENIEDkey0000000000000"
HOST = "127.0.0.1:9000"
#: Generated rules of several kinds, the valid jobs, fuzzing, a protocol rule, and the
#: checks that must run alone (quota, lifecycle).
RULES = {"S3", "B6", "B20", "B19", "VALID", "FUZZ", "P7", "B30", "STATE-LIFECYCLE", "STATE-MODEL"}


def spec_for(folder: Path, mutant: str | None = None, **changes: Any) -> TargetSetup:
    folder.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "known_env_ids": ("env-workers1",),
        "job_quota": 5,
        "rate_limit": 200,
        "denied_secret_id": DENIED_ID,
        "denied_secret_key": DENIED_KEY,
        "db_path": str(folder / "jobs.sqlite3"),
    }
    values.update(changes)
    cfg = EmulatorConfig(**values)
    app = make_app(cfg)
    if mutant is not None:
        mutants.apply(app, mutant)
    profile = TargetProfile(
        known_env_ids=cfg.known_env_ids,
        job_quota=cfg.job_quota,
        rate_limit=cfg.rate_limit,
        denied_secret_id=DENIED_ID,
        denied_secret_key=DENIED_KEY,
    )
    return TargetSetup(
        "test",
        profile,
        WsgiTransport(app, host=HOST),
        HOST,
        Credential(SECRET_ID, SECRET_KEY),
        Credential(DENIED_ID, DENIED_KEY),
        recipe=EmulatorRecipe(cfg, HOST, mutant),
    )


def run(spec: TargetSetup, workers: int, **options: Any) -> tuple[RunReport, str, Runner]:
    stream = io.StringIO()
    runner = Runner(
        TargetFactory(spec),
        RunSettings(max_examples=options.pop("examples", 4), seed=7, shrink_seconds=None),
        checks=all_checks(),
        rules=catalogue_rules(),
        selected=options.pop("selected", RULES),
        workers=workers,
        progress=Progress(stream, tty=False),
        **options,
    )
    return runner.run("test", None), stream.getvalue(), runner


def table(report: RunReport) -> dict[str, tuple[Status, int, str]]:
    return {r.rule: (r.status, r.cases, r.digest) for r in report.results}


def progress_rules(text: str) -> list[str]:
    return re.findall(r"^\[\s*\d+/\d+\] (\S+)", text, flags=re.MULTILINE)


# The quota mutant is caught by the checks that run alone: with two workers they run
# beside them, on an emulator of their own, and must judge as they do after them.
@pytest.mark.parametrize("mutant", [None, "b6-self-loop-missed", "quota-off-by-one"])
def test_two_workers_send_the_same_cases_and_reach_the_same_verdicts(
    tmp_path: Path, mutant: str | None
) -> None:
    one, one_text, _ = run(spec_for(tmp_path / "one", mutant), workers=1)
    two, two_text, runner = run(spec_for(tmp_path / "two", mutant), workers=2)
    assert runner.workers == 2
    assert table(two) == table(one)
    drawn = {r.rule: r.digest for r in two.results}
    assert all(drawn[rule] for rule in ("S3", "B6", "B20", "B19", "VALID", "FUZZ"))
    failed = {r.rule for r in two.results if r.status is not Status.PASS}
    if mutant is None:
        assert failed == set()
    elif mutant.startswith("b6"):
        assert "B6" in failed and "B20" not in failed and "B30" not in failed
    else:
        assert "B30" in failed and "B6" not in failed
    # The parent prints each rule once, as it finishes; nothing comes from the workers.
    assert sorted(progress_rules(two_text)) == sorted(progress_rules(one_text)) == sorted(RULES)
    assert not two.notes


def test_another_seed_sends_other_cases(tmp_path: Path) -> None:
    first, _, _ = run(spec_for(tmp_path / "a"), workers=1, selected={"S3"})
    stream = io.StringIO()
    other = Runner(
        TargetFactory(spec_for(tmp_path / "b")),
        RunSettings(max_examples=4, seed=8, shrink_seconds=None),
        checks=all_checks(),
        rules=catalogue_rules(),
        selected={"S3"},
        progress=Progress(stream, tty=False),
    ).run("test", None)
    assert table(first)["S3"][2] != table(other)["S3"][2]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_timed_run_draws_round_after_round_and_stops(tmp_path: Path, workers: int) -> None:
    selected = {"S3", "B6"}
    started = time.monotonic()
    once, _, _ = run(spec_for(tmp_path / "once"), workers=1, selected=selected, examples=2)
    # The budget scales with how fast this machine is right now: a few untimed runs' worth.
    budget = max(4.0, 4 * (time.monotonic() - started))
    started = time.monotonic()
    timed, text, runner = run(
        spec_for(tmp_path / "timed"),
        workers=workers,
        selected=selected,
        examples=2,
        max_seconds=budget,
    )
    elapsed = time.monotonic() - started
    assert runner.rounds >= 2, text
    for rule in selected:
        assert table(timed)[rule][0] is Status.PASS
    assert sum(table(timed)[r][1] for r in selected) > sum(table(once)[r][1] for r in selected)
    assert elapsed < 2 * budget + 60.0  # generous: start-up, and the case each check was on
    assert sorted(progress_rules(text)) == sorted(selected)  # later rounds: one line each
    assert f"round {runner.rounds} done" in text


def test_a_timed_run_starts_the_next_round_while_the_last_check_of_a_round_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three checks on two workers: a round's last check leaves one worker free, which
    takes the next round's first check at once; the report merges rounds in their order."""
    events: list[tuple[str, str, int, float]] = []  # (event, rule, seed, when)
    digests: dict[str, list[tuple[int, str]]] = {}  # rule -> (round, digest) as reported
    real_run = WorkerPool.run

    def watched(pool: WorkerPool, items: Any, *, started: Any, finished: Any, **kw: Any) -> None:
        def on_start(item: Any) -> None:
            events.append(("start", item[0].rule, item[1].seed, time.monotonic()))
            started(item)

        def on_finish(item: Any, outcome: Any) -> None:
            events.append(("finish", item[0].rule, item[1].seed, time.monotonic()))
            result = outcome.result
            if result is not None and result.cases:
                number = seeds.index(item[1].seed)
                digests.setdefault(result.rule, []).append((number, result.digest))
            finished(item, outcome)

        real_run(pool, items, started=on_start, finished=on_finish, **kw)

    seeds = [round_seed(7, n) for n in range(1000)]
    monkeypatch.setattr(WorkerPool, "run", watched)
    selected = {"S3", "B6", "B1"}
    report, text, runner = run(
        spec_for(tmp_path), workers=2, selected=selected, examples=2, max_seconds=12.0
    )
    assert runner.rounds >= 2, text
    round_of = lambda seed: seeds.index(seed)  # noqa: E731
    ends = {}  # round -> when its last check finished
    for event, _, seed, when in events:
        if event == "finish":
            ends[round_of(seed)] = max(ends.get(round_of(seed), 0.0), when)
    early = [
        (round_of(seed), when)
        for event, _, seed, when in events
        if event == "start" and round_of(seed) - 1 in ends and when < ends[round_of(seed) - 1]
    ]
    assert early, "every round waited for the one before to end"
    for result in report.results:
        if result.rule in selected:
            in_order = sorted(digests[result.rule])
            folded = ""
            for _, digest in in_order:
                folded = fold_digests(folded, digest)
            assert result.digest == folded, result.rule


def test_a_timed_run_ends_soon_after_its_target_goes_away(tmp_path: Path) -> None:
    """The target stops answering during a long timed run: the run stops at once, it does
    not hand the workers round after round of checks until the budget is spent."""
    import threading

    from support.loopback import serve

    from tcbatch_contract.transport import HttpTransport

    cfg = EmulatorConfig(
        secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None, known_env_ids=("env-workers1",)
    )
    outcome: dict[str, Any] = {}
    with serve(make_app(cfg)) as url:
        host = url.removeprefix("http://")
        spec = TargetSetup(
            "http",
            TargetProfile(known_env_ids=("env-workers1",)),
            HttpTransport(url),
            host,
            Credential(SECRET_ID, SECRET_KEY),
            recipe=HttpRecipe(url),
        )
        runner = Runner(
            TargetFactory(spec, share=2),
            RunSettings(max_examples=2, seed=7, shrink_seconds=None),
            checks=all_checks(),
            rules=catalogue_rules(),
            selected={"S3", "B6", "B1"},
            workers=2,
            max_seconds=120.0,
        )
        thread = threading.Thread(target=lambda: outcome.update(report=runner.run("t", url)))
        thread.start()
        deadline = time.monotonic() + 60
        while runner.rounds < 2 and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)  # into the streamed rounds
        assert runner.rounds >= 2 and thread.is_alive()
    went = time.monotonic()  # the server is closed
    thread.join(60)
    assert not thread.is_alive()
    assert time.monotonic() - went < 30  # not the rest of the 120 s budget
    assert runner.gone is not None


def test_workers_share_a_rate_limit_and_stay_below_the_job_quota(tmp_path: Path) -> None:
    spec = spec_for(tmp_path, job_quota=3, rate_limit=50)
    assert worker_count(TargetFactory(spec), 8) == 2  # quota 3: at most 2 jobs held at once
    http = TargetSetup(
        "http", spec.profile, spec.transport, HOST, spec.credential, recipe=HttpRecipe("http://x")
    )
    limited = TargetSetup(
        "http",
        TargetProfile(rate_limit=3),
        spec.transport,
        HOST,
        spec.credential,
        recipe=HttpRecipe("http://x"),
    )
    assert worker_count(TargetFactory(limited), 8) == 3  # never more processes than requests/s
    assert TargetFactory(http, share=2).limiter.limit == 25  # the limit shared
    assert TargetFactory(spec, share=1).limiter.limit == 50
    billable = TargetSetup(
        "live", spec.profile, spec.transport, HOST, spec.credential, is_loopback=False
    )
    assert worker_count(TargetFactory(billable), 8) == 1  # one allowance of valid submissions


def _burst(transport: WsgiTransport, count: int) -> list[str | None]:
    """The codes of ``count`` SubmitJob requests sent at once by one key (none is valid)."""
    from tcbatch_contract.transport import Client

    client = Client(transport, Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", host=HOST)
    requests = [client.build("SubmitJob", {}) for _ in range(count)]
    return [client.send(r, retry_backpressure=False).code for r in requests]


def test_the_workers_emulators_admit_every_request_and_the_parents_twin_keeps_the_limit(
    tmp_path: Path,
) -> None:
    recipe = spec_for(tmp_path, rate_limit=5).recipe
    limited = _burst(recipe.isolated(), 8)
    assert limited.count("RequestLimitExceeded") == 3  # the limit P9 checks, kept
    for transport in (recipe.build(), recipe.isolated(limited=False)):
        codes = _burst(transport, 8)
        assert codes == ["MissingParameter"] * 8  # judged on the body, never refused
    spec = spec_for(tmp_path, rate_limit=5)
    assert TargetFactory(spec, unpaced=True).limiter is None
    live = dataclasses.replace(spec, is_loopback=False)
    assert TargetFactory(live, unpaced=True).limiter.limit == 5  # a live target: always paced


def test_with_workers_the_state_machine_and_the_rate_limit_both_hold(tmp_path: Path) -> None:
    """The state machine runs in a worker on a twin that admits every request; P9, in the
    parent on a twin that keeps the limit, still sees its refusals (a P9 against an
    emulator without a limit fails: every request of its bursts is accepted)."""
    selected = {"P9", "STATE-MODEL", "S2", "B31", "S1"}
    spec = spec_for(tmp_path / "two", rate_limit=10)
    two, text, runner = run(spec, workers=2, selected=selected, examples=6)
    assert runner.workers == 2
    assert runner.on_twins == {"STATE-MODEL"}  # in a worker, as that worker reported
    verdicts = {r.rule: r.status for r in two.results}
    assert verdicts["P9"] is Status.PASS and verdicts["STATE-MODEL"] is Status.PASS, text
    one, _, _ = run(
        spec_for(tmp_path / "one", rate_limit=10), workers=1, selected=selected, examples=6
    )
    assert table(two)["STATE-MODEL"] == table(one)["STATE-MODEL"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("1h", 3600), ("2.5", 2.5), (" 3 ", 3)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("value", ["soon", "-5s", "0", "1d", "5 minutes", ""])
def test_a_bad_duration_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", f"--max-time={value}", "--rules", "S2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--max-time" in err[0] and "Traceback" not in err[0]


def test_the_command_runs_two_workers_and_prints_each_rule_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["run", "--workers", "2", "--rules", "S3,B6,P7,B30", "--max-examples", "3", "--seed", "3"]
    )
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert sorted(progress_rules(err)) == ["B30", "B6", "P7", "S3"]
    assert "5 rules: 5 pass" in out  # with RESPONSE-FORM


START_METHOD = """
import sys, threading, time
from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.harness.workers import start_method
from tcbatch_contract.transport import WireRequest, WsgiTransport

transport = WsgiTransport(make_app(EmulatorConfig()))
ask = lambda: transport.send(WireRequest("GET", headers=[("Host", transport.host)]), 5.0).status
ask()  # the exchange leaves an idle thread behind
print(threading.active_count(), start_method(), threading.active_count(), ask())
threading.Thread(target=time.sleep, args=(3,), daemon=True).start()
print(start_method())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_workers_fork_only_from_a_process_that_runs_no_other_thread() -> None:
    done = subprocess.run(
        [sys.executable, "-c", START_METHOD], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    # the idle transport thread is ended before the fork; the next exchange starts another
    assert first.split() == ["2", "fork", "1", "200"]
    assert second == "spawn"  # a thread it does not know of


FORKED_SIGTERM = """
import signal, sys
from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.harness.targets import TargetSetup
from tcbatch_contract.harness.workers import EmulatorRecipe, WorkerPool, start_method
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.transport import Credential, WsgiTransport

def interrupt(signum, frame):
    raise KeyboardInterrupt

signal.signal(signal.SIGTERM, interrupt)  # as the command does, to clean up on SIGTERM
cfg = EmulatorConfig(db_path=sys.argv[1])
transport = WsgiTransport(make_app(cfg))
spec = TargetSetup("t", TargetProfile(), transport, transport.host,
                   Credential(cfg.secret_id, cfg.secret_key),
                   recipe=EmulatorRecipe(cfg, transport.host))
print(start_method())
pool = WorkerPool(spec, 2, share=1)
print(pool._pool.submit(signal.getsignal, signal.SIGTERM).result() == signal.SIG_DFL)
pool.close()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_a_forked_worker_does_not_keep_the_commands_sigterm_handler(tmp_path: Path) -> None:
    """The command turns SIGTERM into a clean stop; a worker must die of it instead, or
    the pool could not end one that is stuck."""
    done = subprocess.run(
        [sys.executable, "-c", FORKED_SIGTERM, str(tmp_path / "jobs.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["fork", "True"]


def test_forked_and_one_process_runs_draw_the_same_cases(tmp_path: Path) -> None:
    """The command as a user runs it (forked workers on Linux): the same digests per rule.
    (The EnvId is fixed: by default each run of the embedded emulator makes its own.)"""
    digests = []
    for workers in ("1", "2"):
        report = tmp_path / f"w{workers}.md"
        done = subprocess.run(
            [sys.executable, "-m", "tcbatch_contract", "run", "--workers", workers,
             "--rules", "S3,B6,B20,VALID,P7", "--max-examples", "4", "--seed", "5",
             "--known-env-id", "env-workers1", "--report", str(report)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        rows = re.findall(r"^\| (\S+) \| `?([0-9a-f]{16})`? \|", report.read_text(), re.M)
        digests.append(rows)
    assert [rule for rule, _ in digests[0]] == ["S3", "B6", "B20", "VALID"]  # P7 draws nothing
    assert digests[0] == digests[1]


def test_ctrl_c_stops_the_workers_and_deletes_every_job_they_created(tmp_path: Path) -> None:
    import signal
    import sqlite3
    import subprocess
    import sys

    from support.loopback import serve

    database = tmp_path / "jobs.sqlite3"
    cfg = EmulatorConfig(
        secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None, db_path=str(database)
    )

    def jobs(where: str = "") -> int:
        with sqlite3.connect(database) as db:
            return db.execute(f"SELECT count(*) FROM jobs {where}").fetchone()[0]

    with serve(make_app(cfg)) as url:
        command = [
            sys.executable,
            "-c",
            "import sys; from tcbatch_contract.cli import main; sys.exit(main())",
            "run",
            "--target",
            url,
            "--secret-id",
            SECRET_ID,
            "--secret-key",
            SECRET_KEY,
            "--workers",
            "2",
            "--rules",
            "VALID,FUZZ",
            "--max-examples",
            "500",
        ]
        env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
        run = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            waited = time.monotonic()
            while jobs() == 0 and time.monotonic() - waited < 120 and run.poll() is None:
                time.sleep(0.2)
            assert jobs() > 0, "no job was created: nothing to interrupt"
            run.send_signal(signal.SIGINT)
            out, err = run.communicate(timeout=120)
        finally:
            if run.poll() is None:
                run.kill()
    assert run.returncode == 130, out + err
    assert "interrupted" in out and "Traceback" not in err, out + err
    assert jobs("WHERE deleted_at IS NULL") == 0  # every job the workers created is gone

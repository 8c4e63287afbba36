"""The shared example database: a failure one run found is the first case the next sends.

Real parts only: the embedded emulator with a seeded bug (a mutant), real signatures,
Hypothesis's own database classes over a real directory and a real ``redis-server``
(``support/redis_server.py``: started on a free loopback port and stopped after).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.redis_server import redis_server

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import EmulatorConfig, make_app, mutants
from tcbatch_contract.harness.database import database_key, locations, strategy_version
from tcbatch_contract.harness.model import RunReport, RunSettings, Status
from tcbatch_contract.harness.runner import Runner, all_checks, catalogue_rules
from tcbatch_contract.harness.targets import TargetFactory, TargetSetup
from tcbatch_contract.profile import TargetProfile
from tcbatch_contract.transport import Credential, WsgiTransport

SECRET = ("AKIDfleetTEST00000000000000000000", "fleetTESTkey000000000000000000")
HOST = "127.0.0.1:9000"
#: A bug the S4 rule finds after a few dozen cases from seed 0 (drawn, or its sweep's), never at once.
MUTANT, RULE = "s4-bool-as-integer", "S4"
#: The saved failures are replayed before anything is drawn, smallest first: the failure
#: comes back within the first few requests (the smallest saved case normally, but
#: Hypothesis may keep one that no longer fails ahead of it, and drops it then).
FEW = 3


def spec(mutant: str | None = MUTANT) -> TargetSetup:
    config = EmulatorConfig(secret_id=SECRET[0], secret_key=SECRET[1], rate_limit=None)
    app = make_app(config)
    if mutant is not None:
        mutants.apply(app, mutant)
    return TargetSetup(
        "test",
        TargetProfile(known_env_ids=config.known_env_ids),
        WsgiTransport(app, host=HOST),
        HOST,
        Credential(*SECRET),
        None,
    )


def run(
    database: str | None, mutant: str | None = MUTANT, rules: set[str] | None = None, examples=40
) -> Any:
    settings = RunSettings(max_examples=examples, seed=0, shrink_seconds=5.0, database=database)
    runner = Runner(
        TargetFactory(spec(mutant)),
        settings,
        checks=all_checks(),
        rules=catalogue_rules(),
        selected=rules or {RULE},
    )
    return runner.run("test", None)


def result(report: RunReport, rule: str = RULE) -> Any:
    return next(r for r in report.results if r.rule == rule)


def test_a_failure_saved_in_a_directory_is_the_next_runs_first_case(tmp_path: Path) -> None:
    folder = str(tmp_path / "examples")
    first = result(run(folder))
    assert first.status is Status.FAIL and first.requests_to_first_failure > 5
    again = result(run(folder))
    assert again.status is Status.FAIL and again.requests_to_first_failure <= FEW
    assert again.failures[0].params == first.failures[0].params  # the shrunk case itself
    # Without the database the next run finds it where the seed leads, as before.
    alone = result(run(None))
    assert alone.requests_to_first_failure == first.requests_to_first_failure


def test_a_failure_shared_through_redis_is_the_next_runs_first_case(tmp_path: Path) -> None:
    import redis

    with redis_server(tmp_path) as url:
        first = result(run(url))
        assert first.requests_to_first_failure > 5
        client = redis.Redis.from_url(url)
        # under the rule's key, or one of its fields' if the per-field sweep found it
        keys = [k for k in client.keys(b"tcbatch-contract-example:*") if b":S4" in k]
        assert keys, "the failure was not saved under the rule's keys"
        # Another runner: a fresh process state (its own connection), the same server.
        from tcbatch_contract.harness import database

        database._opened.clear()
        again = result(run(url))
        assert again.status is Status.FAIL and again.requests_to_first_failure <= FEW


def test_a_failure_the_field_sweep_found_is_replayed_first(tmp_path: Path) -> None:
    folder = str(tmp_path / "examples")
    first = result(run(folder, mutant="s4-integral-float", examples=3))
    # Past the three drawn cases: the sweep over the rule's fields found it.
    assert first.status is Status.FAIL and first.requests_to_first_failure > 3 + FEW
    again = result(run(folder, mutant="s4-integral-float", examples=3))
    assert again.status is Status.FAIL and again.requests_to_first_failure <= FEW


def test_a_read_only_view_replays_but_writes_nothing(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    before = result(run(f"ro:{shared}"))
    assert before.status is Status.FAIL and before.requests_to_first_failure > 5
    assert not any(shared.iterdir())  # found, not written
    result(run(str(shared)))  # a writing runner finds it
    local = tmp_path / "local"
    after = result(run(f"{local},ro:{shared}"))  # write locally, read the shared one too
    assert after.requests_to_first_failure <= FEW


def test_with_an_empty_database_a_seed_draws_what_it_draws_without(tmp_path: Path) -> None:
    rules = {"S3", "B19", "FUZZ"}
    plain = run(None, mutant=None, rules=rules, examples=10)
    stored = run(str(tmp_path / "examples"), mutant=None, rules=rules, examples=10)
    table = lambda report: {r.rule: (r.status, r.cases, r.digest) for r in report.results}  # noqa: E731
    assert table(stored) == table(plain)
    assert all(r.digest for r in plain.results if r.rule in rules)


def test_keys_name_the_rule_the_profile_shape_the_form_and_the_strategies() -> None:
    profile = TargetProfile(known_env_ids=("env-aaaaaaaa",), job_quota=5)
    key = database_key("B6", profile, "mixed")
    assert key.startswith(b"tcbatch-contract:B6:")
    assert (
        database_key("B6", TargetProfile(known_env_ids=("env-bbbbbbbb",), job_quota=5), "mixed")
        == key
    )
    assert database_key("B7", profile, "mixed") != key
    assert database_key("B6", TargetProfile(known_env_ids=("env-aaaaaaaa",)), "mixed") != key
    assert database_key("B6", profile, "v1-get") != key
    assert (
        database_key(
            "B6",
            TargetProfile(region="ap-shanghai", known_env_ids=("env-aaaaaaaa",), job_quota=5),
            "mixed",
        )
        != key
    )
    assert len(strategy_version()) == 16


def test_locations_read_ro_and_commas() -> None:
    parts = locations("dir, ro:redis://h:1/2")
    assert [(p.text, p.read_only, p.is_redis) for p in parts] == [
        ("dir", False, False),
        ("redis://h:1/2", True, True),
    ]


def test_a_github_artifact_is_read_only_and_multiplexed_with_a_directory(tmp_path) -> None:
    from hypothesis.database import (
        DirectoryBasedExampleDatabase,
        GitHubArtifactDatabase,
        MultiplexedDatabase,
        ReadOnlyDatabase,
    )

    from tcbatch_contract.harness.database import open_database

    database = open_database(f"{tmp_path / 'local'},github:acme/batch-target/examples")
    assert isinstance(database, MultiplexedDatabase)
    local, remote = database._wrapped
    assert isinstance(local, DirectoryBasedExampleDatabase)
    assert isinstance(remote, ReadOnlyDatabase)
    assert isinstance(remote._wrapped, GitHubArtifactDatabase)
    assert (remote._wrapped.owner, remote._wrapped.artifact_name) == ("acme", "examples")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("github:acme", "give github:OWNER/REPO"),
        ("redis://127.0.0.1:1/0", "Redis does not answer"),
        ("redis://127.0.0.1:6379/x", "give redis://HOST:PORT/N"),
        ("ro:", "after ro:"),
        ("a,,b", "give a directory"),
    ],
)
def test_a_bad_database_is_exit_2_naming_the_option(value: str, fragment: str, capsys) -> None:
    assert main(["run", f"--database={value}"]) == 2
    err = capsys.readouterr().err
    assert "--database" in err and fragment in err and len(err.strip().splitlines()) == 1


def test_a_recording_takes_no_database(tmp_path: Path, capsys) -> None:
    argv = ["run", "--database", str(tmp_path / "db"), "--record", str(tmp_path / "rec")]
    assert main(argv) == 2
    assert "--database" in capsys.readouterr().err


def test_an_unwritable_database_directory_is_exit_2(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", "--database", str(blocker / "examples")]) == 2
    assert "--database" in capsys.readouterr().err

"""The run options' table and its faces: the command line, the pytest plugin and its ini
twins, the config files, the environment.

Each face is generated from ``config.RunOptions``; these tests read every face the way a
user does (``run --help``, ``run --show-config``, ``pytest --help``, a pytest session's
options) and compare what it says with the table, so a face that drifts fails here.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from tcbatch_contract import config
from tcbatch_contract.cli import build_parser, main
from tcbatch_contract.cli.run import options_from_args
from tcbatch_contract.harness.model import RunSettings
from tcbatch_contract.harness.workers import usable_cores

OPTIONS = config.table()
PYTEST_OPTIONS = [item for item in OPTIONS if item.metadata["option"].in_pytest]
FILE_OPTIONS = [item for item in OPTIONS if item.metadata["option"].in_file]


@pytest.fixture(autouse=True)
def _no_outside_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TCBATCH_CONTRACT_* of the machine's, no pyproject.toml of the checkout's."""
    import os

    for name in list(os.environ):
        if name.startswith(config.ENV_PREFIX) or name.startswith("TENCENTCLOUD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


def run_options(*argv: str) -> config.RunOptions:
    """The options ``tcbatch-contract run ARGV`` resolves to, in the current directory."""
    return options_from_args(build_parser().parse_args(["run", *argv]))


def table_default(item: dataclasses.Field[Any]) -> Any:
    return config.default_of(item)


def flat(text: str) -> str:
    return " ".join(text.split())


# ---- every face shows the same defaults -------------------------------------------------


def test_the_command_line_resolves_every_option_to_the_table_default() -> None:
    options = run_options()
    for item in OPTIONS:
        value = getattr(options, item.name)
        if item.name == "workers":  # made concrete: the usable cores, at most 8
            assert value == min(usable_cores(), config.MAX_DEFAULT_WORKERS)
        else:
            assert value == table_default(item), item.name
        assert options.sources[item.name] == config.DEFAULT, item.name


def test_run_help_says_every_option_and_its_default_as_the_table(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = flat(capsys.readouterr().out)
    for item in OPTIONS:
        assert "--" + config.file_key(item.name) in text, item.name
        assert flat(config.help_text(item)) in text, item.name
    assert f"generated cases per rule (default: {config.DEFAULT_MAX_EXAMPLES})" in text
    assert RunSettings().max_examples == config.DEFAULT_MAX_EXAMPLES


class _Capture:
    """A pytest plugin that keeps the suite's resolved options of its session."""

    options: Any = None

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        from tcbatch_contract.suite._session import run_arguments

        type(self).options = run_arguments(config)


def pytest_session_options(tmp_path: Path, *args: str, ini: str = "") -> config.RunOptions:
    """The options a pytest session in ``tmp_path`` resolves for the suite."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n" + ini, encoding="utf-8")
    capture = _Capture()
    code = pytest.main(
        ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--co", "--rootdir", str(tmp_path),
         "-c", str(tmp_path / "pytest.ini"), *args, str(tmp_path)],
        plugins=[capture],
    )  # fmt: skip
    assert code == pytest.ExitCode.NO_TESTS_COLLECTED  # a session, configured, with no test
    return capture.options


def test_the_pytest_options_and_ini_twins_resolve_to_the_table_defaults(
    tmp_path: Path, capsys
) -> None:
    options = pytest_session_options(tmp_path)
    capsys.readouterr()
    for item in PYTEST_OPTIONS:
        assert getattr(options, item.name) == table_default(item), item.name
    assert options.option_prefix == "--tcbatch-"


def test_pytest_help_says_every_option_ini_twin_and_default_as_the_table(
    tmp_path: Path, capsys
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    pytest.main(["--help", "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini")])
    text = flat(capsys.readouterr().out)
    for item in OPTIONS:
        spec = item.metadata["option"]
        option = "--tcbatch-" + config.file_key(item.name)
        assert (option in text) == spec.in_pytest, item.name
        ini = f"{config.ini_name(item.name)} ("
        assert (ini in text) == (spec.in_pytest and spec.in_file), item.name
        if spec.in_pytest:
            assert flat(config.help_text(item)) in text, item.name


def test_an_empty_config_file_and_an_empty_environment_leave_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tcbatch-contract]\n", encoding="utf-8")
    (tmp_path / "run.toml").write_text("[tcbatch-contract]\n", encoding="utf-8")
    for options in (run_options(), run_options("--config", "run.toml")):
        assert options.max_examples == config.DEFAULT_MAX_EXAMPLES
        assert set(options.sources.values()) == {config.DEFAULT}


# ---- every face sets every option the same way ------------------------------------------

#: A value other than the default for every option a file may set (as TOML, as text).
SAMPLES: dict[str, tuple[str, Any]] = {
    "target": ('"emulator+http"', "emulator+http"),
    "region": ('"ap-shanghai-fsi"', "ap-shanghai-fsi"),
    "known_env_id": ('["env-abcd1234", "env-00000000"]', ["env-abcd1234", "env-00000000"]),
    "job_quota": ("3", 3),
    "rate_limit": ("9", 9),
    "max_examples": ("7", 7),
    "seed": ("11", 11),
    "workers": ("2", 2),
    "max_time": ('"90s"', "90s"),
    "rules": ('"s1,b9"', "s1,b9"),
    "database": ('"fleet-db"', "fleet-db"),
    "form": ('"v1-get"', "v1-get"),
    "live": ("true", True),
    "allow_billable": ("2", 2),
    "timeout": ("12.5", 12.5),
    "connect_to": ('"127.0.0.1:9"', "127.0.0.1:9"),
    "expectations": ('"declared.yaml"', "declared.yaml"),
    "min_coverage": ('"boundaries=80"', "boundaries=80"),
    "junit_xml": ('"out.xml"', "out.xml"),
    "result": ('"result.json"', "result.json"),
    "report": ('["r.md", "r.html"]', ["r.md", "r.html"]),
}


def test_every_file_key_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(item.name for item in FILE_OPTIONS)


def command_line(prefix: str, samples: dict[str, tuple[str, Any]]) -> list[str]:
    """The sample values as options spelt with ``prefix`` (a list: the option repeated)."""
    argv: list[str] = []
    for name, (_, value) in samples.items():
        flag = prefix + config.file_key(name)
        if value is True:
            argv.append(flag)
        elif isinstance(value, list):
            argv += [part for v in value for part in (flag, v)]
        else:
            argv += [flag, str(value)]
    return argv


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_the_file_the_environment_and_the_command_line_read_each_option_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [f"{config.file_key(name)} = {toml}" for name, (toml, _) in SAMPLES.items()]
    (tmp_path / "pyproject.toml").write_text(
        "[tool.tcbatch-contract]\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    from_file = run_options()
    (tmp_path / "pyproject.toml").unlink()
    for name, (_, value) in SAMPLES.items():
        monkeypatch.setenv(config.ENV_PREFIX + name.upper(), _text(value))
    from_env = run_options()
    for name in SAMPLES:
        monkeypatch.delenv(config.ENV_PREFIX + name.upper())
    from_cli = run_options(*command_line("--", SAMPLES))
    for name, (_, value) in SAMPLES.items():
        assert getattr(from_file, name) == value, name
        assert getattr(from_env, name) == value, name
        assert getattr(from_cli, name) == value, name
    assert from_file.sources["seed"].endswith("pyproject.toml")
    assert from_env.sources["seed"] == "env TCBATCH_CONTRACT_SEED"
    assert from_cli.sources["seed"] == config.COMMAND_LINE


def test_the_ini_twins_and_the_pytest_options_read_each_option_alike(
    tmp_path: Path, capsys
) -> None:
    samples = {n: v for n, v in SAMPLES.items() if config.spec_of(n).in_pytest}
    samples.pop("connect_to")  # with a URL target only; emulator+http ignores it, not refuses
    ini = ""
    for name, (_, value) in samples.items():
        if isinstance(value, list):  # a linelist: one value a line
            ini += f"{config.ini_name(name)} =\n" + "".join(f"    {v}\n" for v in value)
        else:
            ini += f"{config.ini_name(name)} = {_text(value)}\n"
    (tmp_path / "declared.yaml").write_text("format: 1\nexpectations: []\n", encoding="utf-8")
    from_ini = pytest_session_options(tmp_path, ini=ini)
    from_cli = pytest_session_options(tmp_path, *command_line("--tcbatch-", samples))
    capsys.readouterr()
    for name, (_, value) in samples.items():
        assert getattr(from_ini, name) == value, name
        assert getattr(from_cli, name) == value, name


# ---- precedence -------------------------------------------------------------------------


def test_command_line_over_environment_over_file_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_options().seed == 0
    (tmp_path / "pyproject.toml").write_text(
        "[tool.tcbatch-contract]\nseed = 1\nmax-examples = 4\n", encoding="utf-8"
    )
    assert (run_options().seed, run_options().max_examples) == (1, 4)
    monkeypatch.setenv("TCBATCH_CONTRACT_SEED", "2")
    options = run_options()
    assert (options.seed, options.max_examples) == (2, 4)
    assert options.sources["seed"] == "env TCBATCH_CONTRACT_SEED"
    options = run_options("--seed", "3")
    assert (options.seed, options.max_examples) == (3, 4)
    assert options.sources["seed"] == config.COMMAND_LINE
    assert options.sources["max_examples"] == str(Path("pyproject.toml"))


def test_a_config_file_given_is_read_instead_of_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.tcbatch-contract]\nseed = 1\nform = 'v1-post'\n", encoding="utf-8"
    )
    (tmp_path / "ci.toml").write_text("[tcbatch-contract]\nseed = 5\n", encoding="utf-8")
    options = run_options("--config", "ci.toml")
    assert (options.seed, options.form) == (5, "mixed")
    assert options.sources["seed"] == "ci.toml"


def test_an_ini_value_yields_to_the_pytest_option(tmp_path: Path, capsys) -> None:
    options = pytest_session_options(
        tmp_path, "--tcbatch-seed", "9", ini="tcbatch_seed = 4\ntcbatch_max_examples = 6\n"
    )
    capsys.readouterr()
    assert (options.seed, options.max_examples) == (9, 6)


# ---- show-config ------------------------------------------------------------------------


def test_show_config_prints_each_value_and_its_source_with_secrets_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    secret_id, secret_key = "AKIDshowCONFIGtest000000000000000001", "showCONFIGsecretKEY00001"
    denied_id, denied_key = "AKIDshowCONFIGdenied00000000000000001", "showCONFIGdeniedKEY00001"
    (tmp_path / "pyproject.toml").write_text(
        "[tool.tcbatch-contract]\nmax-examples = 4\n", encoding="utf-8"
    )
    monkeypatch.setenv("TCBATCH_CONTRACT_DENIED_SECRET_KEY", denied_key)
    code = main(["run", "--show-config", "--seed", "3", "--secret-id", secret_id,
                 "--secret-key", secret_key, "--denied-secret-id", denied_id])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    for secret in (secret_id, secret_key, denied_id, denied_key):
        assert secret not in out + err
    shown = {line.split()[0]: line for line in out.splitlines()}
    assert sorted(shown) == sorted(config.file_key(item.name) for item in OPTIONS)
    assert re.search(r"^seed +3 +\[command line\]$", shown["seed"])
    assert re.search(r"^max-examples +4 +\[.*pyproject.toml\]$", shown["max-examples"])
    assert "**** [env TCBATCH_CONTRACT_DENIED_SECRET_KEY]" in flat(shown["denied-secret-key"])
    assert "**** [command line]" in flat(shown["secret-key"])
    assert "CONFORMANT" not in out  # nothing was run


# ---- a bad file, a bad environment variable ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("max-exampels = 5", ["max-exampels", "max-examples"]),
        ("max-examples = 0", ["max-examples", "1 or more"]),
        ("max-examples = 'many'", ["max-examples", "whole number"]),
        ("timeout = -1", ["timeout", "positive number"]),
        ("form = 'v2'", ["form", "mixed, tc3-post"]),
        ("region = 'Guangzhou'", ["region", "ap-guangzhou"]),
        ("known-env-id = ['env-1']", ["known-env-id", "env-xxxxxxxx"]),
        ("rules = 'B99'", ["rules", "unknown rule id(s) B99"]),
        ("live = 'sometimes'", ["live", "true or false"]),
        ("report = ['r.txt']", ["report", ".md or .html"]),
        ("secret-key = 'x'", ["secret-key", "environment"]),
        ("max-time = 'soon'", ["max-time", "90s"]),
        ("seed = [", ["not TOML"]),
    ],
)
@pytest.mark.parametrize("where", ["pyproject", "--config"])
def test_a_bad_file_is_one_line_naming_file_key_and_what_is_allowed(
    body: str, named: list[str], where: str, tmp_path: Path, capsys
) -> None:
    if where == "pyproject":
        (tmp_path / "pyproject.toml").write_text(f"[tool.tcbatch-contract]\n{body}\n")
        argv, path = ["run"], "pyproject.toml"
    else:
        (tmp_path / "ci.toml").write_text(f"[tcbatch-contract]\n{body}\n")
        argv, path = ["run", "--config", "ci.toml"], "ci.toml"
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for fragment in [path, *named]:
        assert fragment in err, (fragment, err)
    assert "CONFORMANT" not in out


def test_a_missing_config_file_is_named(capsys) -> None:
    assert main(["run", "--config", "absent.toml"]) == 2
    err = capsys.readouterr().err
    assert "--config absent.toml: cannot read it" in err and len(err.splitlines()) == 1


def test_a_bad_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("TCBATCH_CONTRACT_WORKERS", "0")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "env TCBATCH_CONTRACT_WORKERS='0': give a number of 1 or more" in err


def test_a_bad_ini_value_stops_the_session_naming_it(tmp_path: Path, capsys) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\ntcbatch_max_examples = 0\n")
    code = pytest.main(["-p", "no:cacheprovider", "-p", "no:xdist", "-c",
                        str(tmp_path / "pytest.ini"), "--pyargs", "tcbatch_contract.suite"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == pytest.ExitCode.USAGE_ERROR
    assert "pytest.ini: tcbatch_max_examples = 0: give a number of 1 or more" in err


# ---- the shared checks ------------------------------------------------------------------


def test_rule_ids_are_read_in_any_case_by_every_reader() -> None:
    known = config.known_rules()
    assert config.rule_set("s1, b9 ,Response-Form", known) == {"S1", "B9", "RESPONSE-FORM"}
    assert run_options("--rules", "s1,b9").selected_rules == {"S1", "B9"}
    with pytest.raises(ValueError, match="unknown rule id"):
        config.rule_set("S1,nope", known)


@pytest.mark.parametrize(
    ("region", "taken"),
    [("ap-guangzhou", True), ("ap-shanghai-fsi", True), ("zz", False), ("Guangzhou", False)],
)
def test_every_command_takes_the_same_regions(region: str, taken: bool, tmp_path: Path, capsys):
    payload = tmp_path / "p.json"
    payload.write_text("{}", encoding="utf-8")
    commands = [
        ["run", "--region", region, "--show-config"],
        ["generate", "--valid", "--count", "1", "--region", region],
        ["expect", str(payload), "--region", region],
    ]
    for argv in commands:
        code = main(argv)
        err = capsys.readouterr().err
        assert (code != 2) == taken, (argv, code, err)
        if not taken:
            assert "a Region looks like ap-guangzhou" in err, (argv, err)
    # The emulator's configuration, without starting it.
    from tcbatch_contract.cli._common import UsageError
    from tcbatch_contract.cli.emulator import build_config

    args = build_parser().parse_args(["emulator", "--regions", region])
    if taken:
        assert region in build_config(args).regions
    else:
        with pytest.raises(UsageError, match="a Region looks like ap-guangzhou"):
            build_config(args)


@pytest.mark.parametrize("env_id", ["env-ABCD1234", "env-abc", "job-abcd1234"])
def test_every_command_refuses_the_same_env_ids(env_id: str, tmp_path: Path, capsys) -> None:
    payload = tmp_path / "p.json"
    payload.write_text("{}", encoding="utf-8")
    for argv in (
        ["run", "--known-env-id", env_id, "--show-config"],
        ["generate", "--valid", "--count", "1", "--known-env-id", env_id],
        ["expect", str(payload), "--known-env-id", env_id],
    ):
        assert main(argv) == 2, argv
        assert "an env id looks like env-xxxxxxxx" in capsys.readouterr().err, argv


def test_generate_reads_a_rule_id_in_any_case(capsys) -> None:
    assert main(["generate", "--rule", "b19", "--count", "2"]) == 0
    lower = capsys.readouterr().out
    assert main(["generate", "--rule", "B19", "--count", "2"]) == 0
    assert capsys.readouterr().out == lower and '"B19"' in lower


# ---- a replay's options -----------------------------------------------------------------

SHIPPED_RUN = Path(__file__).resolve().parents[2] / "cassettes" / "emulator-run"


def test_a_replay_takes_its_options_from_the_recording_over_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tcbatch_contract.recording.session import replay_run_record

    record = replay_run_record(f"replay:{SHIPPED_RUN}")
    assert record is not None
    (tmp_path / "pyproject.toml").write_text(
        "[tool.tcbatch-contract]\nseed = 5\nform = 'v1-get'\ntimeout = 20\n", encoding="utf-8"
    )
    monkeypatch.setenv("TCBATCH_CONTRACT_MAX_EXAMPLES", "9")
    options = run_options("--target", f"replay:{SHIPPED_RUN}")
    assert options.seed == record.settings["seed"]
    assert options.form == record.settings["form"]
    assert options.max_examples == record.settings["max_examples"]
    assert options.sources["seed"] == f"recording {SHIPPED_RUN}"
    assert (options.timeout, options.workers) == (20.0, 1)  # not the recording's to decide
    assert options.recording is record or options.recording.verdicts == record.verdicts


def test_a_replay_refuses_a_command_line_option_that_contradicts_the_recording(
    capsys,
) -> None:
    target = f"replay:{SHIPPED_RUN}"
    for argv, named in (
        (["--seed", "5"], "--seed 5: the run was recorded with 0"),
        (["--rules", "s1"], "--rules s1: the run was recorded with every rule"),
        (["--region", "ap-beijing"], "--region: a replay takes the target profile"),
    ):
        assert main(["run", "--target", target, "--show-config", *argv]) == 2
        err = capsys.readouterr().err
        assert named in err and len(err.strip().splitlines()) == 1, err
    assert main(["run", "--target", target, "--show-config", "--seed", "0"]) == 0


def test_a_bad_environment_variable_stops_a_pytest_session_before_any_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("TCBATCH_CONTRACT_RULES", "B99")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    code = pytest.main(["-p", "no:cacheprovider", "-p", "no:xdist", "-c",
                        str(tmp_path / "pytest.ini"), "--pyargs", "tcbatch_contract.suite"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == pytest.ExitCode.USAGE_ERROR
    assert "env TCBATCH_CONTRACT_RULES='B99': unknown rule id(s) B99" in err

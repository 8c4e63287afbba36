"""Every command, given bad input of every kind, ends in a short message and exit status 2.

Unreadable, unwritable, malformed, out of range, unknown ids, an unreachable target, a web
server that is not the API, a target that hangs, a reader that goes away: each must end
in one to three lines that name the option and say what to do, never in a traceback, and
never after a run (output paths are checked before anything is sent). The commands run
in-process (``main([...])``) except where a separate process is the point: the pytest
plugin, ``python -m``, a closed pipe.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.loopback import serve

from tcbatch_contract import __version__
from tcbatch_contract.cli import BROKEN_PIPE, main
from tcbatch_contract.emulator import EmulatorConfig, make_app

SECRET_ID = "AKIDcliErrorsTEST000000000000000001"
SECRET_KEY = "cliErrorsTESTsecretKey000000001"
CREDS = ["--secret-id", SECRET_ID, "--secret-key", SECRET_KEY]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no profile file of the machine's


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], *named: str) -> str:
    """Run ``argv``; it must exit 2 before any run, in 1-3 lines naming each of ``named``."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 3, err
    assert "Traceback" not in err and "Error:" not in err, err  # no Python exception
    for fragment in named:
        assert fragment in err, (fragment, err)
    assert "CONFORMANT" not in out, "the run went ahead"
    return err


def argparse_refuses(argv: list[str], capsys: pytest.CaptureFixture[str], *named: str) -> str:
    err = refused(argv, capsys, *named)
    assert "--help" in err  # a pointer to the help, not the whole usage text
    return err


# ---- files: unreadable, unwritable, malformed ------------------------------------------


@pytest.fixture
def blocker(tmp_path: Path) -> Path:
    """A regular file: nothing can be written *inside* it, whoever runs the test (root too)."""
    path = tmp_path / "a-file"
    path.write_text("x", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("option", "where"),
    [
        ("--junit-xml", "missing/dir/x.xml"),
        ("--report", "missing/dir/r.html"),
        ("--junit-xml", "a-file/x.xml"),
        ("--report", "a-file/r.md"),
        ("--record", "a-file/cassette"),
    ],
)
def test_run_checks_its_output_paths_before_sending_anything(
    option: str, where: str, blocker: Path, capsys
) -> None:
    err = refused(["run", option, str(blocker.parent / where), "--rules", "B1"], capsys, option)
    assert "create it" in err or "choose another path" in err


def test_run_refuses_a_directory_as_report_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "r.html").mkdir()
    refused(["run", "--report", str(tmp_path / "r.html")], capsys, "--report", "directory")


def test_a_malformed_expectations_file_is_named_with_its_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "expect.yaml"
    bad.write_text("format: 1\nexpectations: [\n  - rule: B1\n", encoding="utf-8")
    err = refused(["run", "--expectations", str(bad)], capsys, "--expectations", str(bad))
    assert "line 3" in err and "<unicode string>" not in err


def test_an_unreadable_expectations_file(tmp_path: Path, capsys) -> None:
    refused(["run", "--expectations", str(tmp_path / "none.yaml")], capsys, "--expectations")


def test_expect_names_an_unreadable_or_malformed_payload(tmp_path: Path, capsys) -> None:
    refused(["expect", str(tmp_path / "none.json")], capsys, "none.json", "cannot read")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    refused(["expect", str(bad)], capsys, "bad.json", "not JSON")


def test_generate_checks_its_output_before_generating(blocker: Path, capsys) -> None:
    refused(["generate", "--valid", "--output", str(blocker / "x.jsonl")], capsys, "--output")


def test_mutation_score_checks_its_outputs_before_scoring(blocker: Path, capsys) -> None:
    for option in ("--json", "--markdown"):
        refused(["mutation-score", option, str(blocker / "x")], capsys, option)


# ---- values out of range, unknown ids, malformed values ---------------------------------


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["run", "--max-examples", "0"], "--max-examples"),
        (["run", "--workers", "-1"], "--workers"),
        (["run", "--timeout", "0"], "--timeout"),
        (["run", "--timeout", "nan"], "--timeout"),
        (["run", "--allow-billable", "-1"], "--allow-billable"),
        (["run", "--rules", "B99"], "--rules"),
        (["run", "--region", "Guangzhou"], "--region"),
        (["run", "--target", "http://[::1"], "--target"),
        (["run", "--target", "http://127.0.0.1:99999"], "--target"),
        (["run", "--target", "ftp://x"], "--target"),
        (["run", "--target", "replay:/nonexistent/run"], "--target"),
        (
            ["run", "--target", "http://127.0.0.1:9", "--connect-to", "bogus", *CREDS],
            "--connect-to",
        ),
        (["run", "--target", "http://127.0.0.1:9", "--secret-id", SECRET_ID], "--secret-key"),
        (["run", "--target", "http://127.0.0.1:9"], "--secret-id"),
        (["expect", "-", "--action", "Nope"], "--action"),
        (["expect", "-", "--jobs-held", "-1", "--job-quota", "1"], "--jobs-held"),
        (["generate", "--rule", "B99"], "--rule"),
        (["generate", "--valid", "--count", "0"], "--count"),
        (["generate", "--valid", "--region", "no region"], "--region"),
        (["generate", "--valid", "--known-env-id", "env_1"], "--known-env-id"),
        (["mutation-score", "--mutants", "no-such-bug"], "--mutants"),
        (["mutation-score", "--max-examples", "0"], "--max-examples"),
        (["mutation-score", "--timeout", "-1"], "--timeout"),
    ],
)
def test_bad_values_name_their_option(argv: list[str], named: str, capsys) -> None:
    err = refused(argv, capsys, named)
    assert err.count(named) == 1, err  # said once


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["run", "--max-examples", "many"], "--max-examples"),
        (["run", "--form", "soap"], "--form"),
        (["rules", "--format", "xml"], "--format"),
        (["generate", "--count", "3"], "--rule"),
        (["mutation-score", "--workers", "two"], "--workers"),
        (["no-such-command"], "no-such-command"),
    ],
)
def test_argparse_errors_are_short(argv: list[str], named: str, capsys) -> None:
    argparse_refuses(argv, capsys, named)


# ---- targets: unreachable, not the API, hanging ---------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_target_is_said_once(capsys) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    err = refused(["run", "--target", url, *CREDS], capsys, url, "unreachable")
    assert err.count("unreachable") == 1 and err.count(url) == 1


def _web_page(environ: dict, start_response: Callable) -> list[bytes]:
    """What ``python -m http.server`` answers a POST: a 501 HTML page."""
    body = b"<html><body><h1>Error response</h1><p>Error code: 501</p></body></html>"
    start_response("501 Unsupported method", [("Content-Type", "text/html;charset=utf-8")])
    return [body]


def test_a_web_server_that_is_not_the_api_is_refused(capsys) -> None:
    with serve(_web_page) as url:
        err = refused(["run", "--target", url, *CREDS], capsys, "does not speak the Batch API")
    assert "HTTP 501 text/html" in err


@pytest.fixture
def hanging() -> Iterator[str]:
    """A port that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_hanging_target_is_refused_after_the_timeout(hanging: str, capsys) -> None:
    refused(["run", "--target", hanging, *CREDS, "--timeout", "0.5"], capsys, "did not answer")


def _api_form_broken(app: Callable) -> Callable:
    """The emulator, its answers sent with HTTP 400 and a charset: still the API."""

    def wrapped(environ: dict, start_response: Callable) -> object:
        def start(status: str, headers: list, exc_info: object = None) -> object:
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", "application/json; charset=utf-8"))
            return start_response("400 Bad Request", headers, exc_info)

        return app(environ, start)

    return wrapped


def test_a_target_breaking_only_the_answer_form_is_judged_not_refused(capsys) -> None:
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None)
    with serve(_api_form_broken(make_app(config))) as url:
        code = main(["run", "--target", url, *CREDS, "--rules", "B1", "--max-examples", "2"])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert "RESPONSE-FORM" in out and "does not speak" not in err


# ---- credentials: where they come from, and that the source is named --------------------


def test_credentials_from_the_sdk_profile_file_are_used_and_named(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "home" / ".tencentcloud" / "credentials"
    profile.parent.mkdir(parents=True)
    profile.write_text(
        f"[default]\nsecret_id = {SECRET_ID}\nsecret_key = {SECRET_KEY}\n", encoding="utf-8"
    )
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None)
    with serve(make_app(config)) as url:
        code = main(["run", "--target", url, "--rules", "B1", "--max-examples", "2"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "~/.tencentcloud/credentials" in out
    assert SECRET_ID not in out + err and SECRET_KEY not in out + err


def test_a_profile_file_without_credentials_is_no_credential(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "home" / ".tencentcloud" / "credentials"
    profile.parent.mkdir(parents=True)
    profile.write_text("[other]\nsecret_id = x\nsecret_key = y\n", encoding="utf-8")
    refused(["run", "--target", "http://127.0.0.1:9"], capsys, "--secret-id", "credentials")


def test_a_malformed_profile_file_is_named(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "home" / ".tencentcloud" / "credentials"
    profile.parent.mkdir(parents=True)
    profile.write_text("secret_id = x\n", encoding="utf-8")
    refused(["run", "--target", "http://127.0.0.1:9"], capsys, str(profile), "INI")


# ---- separate processes: a closed pipe, python -m, the pytest plugin --------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.pop("TENCENTCLOUD_SECRET_ID", None)
    env.pop("TENCENTCLOUD_SECRET_KEY", None)
    return env


def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path: Path) -> None:
    """``tcbatch-contract rules | head -0``: the pipe is closed before anything is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tcbatch_contract", "rules"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == BROKEN_PIPE
    assert err == ""


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tcbatch_contract", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.split() == ["tcbatch-contract", __version__]


def test_no_command_shows_the_help_and_exits_2(capsys) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--tcbatch-max-examples", "0"), "--tcbatch-max-examples 0"),
        (("--tcbatch-rules", "B99"), "--tcbatch-rules: unknown rule id(s) B99"),
        (("--tcbatch-expectations", "none.yaml"), "--tcbatch-expectations: cannot read"),
        (
            (
                "--tcbatch-target",
                "http://127.0.0.1:{port}",
                "--tcbatch-secret-id",
                SECRET_ID,
                "--tcbatch-secret-key",
                SECRET_KEY,
            ),
            "unreachable",
        ),
    ],
)
def test_the_pytest_face_stops_once_naming_its_own_option(
    args: tuple[str, ...], named: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    """In-process (``pytest.main``, as pytester does): the plugin is this process's."""
    monkeypatch.chdir(tmp_path)
    args = tuple(a.format(port=_free_port()) for a in args)
    argv = ["-p", "no:cacheprovider", "-p", "no:xdist", "--rootdir", str(tmp_path)]
    code = pytest.main([*argv, "--pyargs", "tcbatch_contract.suite", *args])
    out, err = capsys.readouterr()
    assert code == pytest.ExitCode.USAGE_ERROR, out[-2000:] + err[-2000:]
    assert named in err, err
    assert "Traceback" not in out + err
    assert "--tcbatch---" not in err and "--rules: " not in err
    assert len(err.strip().splitlines()) <= 3, err


def test_shell_completion_through_argcomplete(tmp_path: Path) -> None:
    """The documented set-up (``register-python-argcomplete``) calls the command like this."""
    pytest.importorskip("argcomplete")
    answer = tmp_path / "completions"
    line = "tcbatch-contract run --max-"
    env = {**_env(), "_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(answer)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "tcbatch_contract"], env=env, cwd=tmp_path, timeout=60,
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(answer.read_text().split()) == ["--max-examples", "--max-time"]

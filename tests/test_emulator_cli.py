"""``tcbatch-contract emulator``: bad options and a busy port are one line and exit 2; a
running emulator serves requests and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from test_emulator_client import send, tc3, valid

from tcbatch_contract.cli import main


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_in_use_is_one_line_and_exit_2(busy_port: int, capsys) -> None:
    assert main(["emulator", "--port", str(busy_port)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--port" in err and "in use" in err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--fault", "Bogus.Code"], "--fault"),
        (["--fault", "InternalError.CallCvm:NoSuchAction"], "--fault"),
        (["--fault", "InternalError.CallCvm@1.5"], "--fault"),
        (["--rate-limit", "fast"], "--rate-limit"),
        (["--job-quota", "-1"], "--job-quota"),
        (["--secret-id", "AKIDonly"], "--secret-key"),
        (["--denied-secret-id", "AKIDonly"], "--denied-secret-key"),
        (["--known-env-id", "env-BAD"], "env-BAD"),
        (["--regions", ","], "--regions"),
        (["--port", "70000"], "--port"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(argv: list[str], named: str, capsys) -> None:
    assert main(["emulator", "--port", "0", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and named in err


@pytest.mark.parametrize("server", ["waitress", "stdlib"])
def test_serves_until_ctrl_c(server: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    entry = "import sys; from tcbatch_contract.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", entry, "emulator", "--port", "0", "--server", server,
               "--rate-limit", "none", "--fault", "InternalError.CallCvm:SubmitJob@2"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        banner = []
        for line in process.stdout:
            banner.append(line)
            if line.startswith("Ctrl-C"):
                break
        text = "".join(banner)
        endpoint = re.search(r"listening on http://(\S+)", text)
        assert endpoint, text
        assert "AKIDtcbatchEMULATOR" in text and "tccli batch" in text
        host = endpoint.group(1)
        first = send(host, tc3(host, params=valid()))
        second = send(host, tc3(host, params=valid()))
        assert first.code is None and second.code == "InternalError.CallCvm"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

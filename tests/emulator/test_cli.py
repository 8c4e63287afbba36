"""``tcbatch-contract emulator``: a running emulator serves requests and stops cleanly on
Ctrl-C (bad options: ``test_emulator_cli_errors``)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
from support.emulator_wire import send, tc3, valid


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

"""A target that stops answering half-way through a run ends the run: one line, exit 2.

The target here is the emulator on ``http.server``; after a number of requests its port
closes (listening socket and every open connection), as when a server is stopped.
"""

from __future__ import annotations

import threading
from typing import Any

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import EmulatorConfig
from tcbatch_contract.emulator.stdlib_server import StdlibEmulator

SECRET_ID = "AKIDgoneTEST11111111111111111111"
SECRET_KEY = "goneTESTsecretKey2222222222222"


def test_a_target_that_goes_away_mid_run_ends_it_with_one_line_and_exit_2(capsys) -> None:
    config = EmulatorConfig(secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limit=None)
    emulator = StdlibEmulator(config).start()
    app = emulator.app
    seen = [0]
    stopped = threading.Event()

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        seen[0] += 1
        if seen[0] == 40 and not stopped.is_set():
            stopped.set()
            # Gone at once, not at the server's next poll: no new connection is taken
            # and every open one is cut, then the rest of the stop runs aside.
            emulator._server.socket.close()
            emulator._server.close_connections()
            threading.Thread(target=emulator.stop, daemon=True).start()
        return app(environ, start_response)

    emulator._server.app = counting
    argv = ["run", "--target", emulator.endpoint, "--secret-id", SECRET_ID]
    argv += ["--secret-key", SECRET_KEY, "--rules", "B1,B2,B3,B4,P1,P2", "--max-examples", "20"]
    try:
        code = main(argv)
    finally:
        if not stopped.is_set():
            emulator.stop()
    captured = capsys.readouterr()
    assert stopped.is_set(), "the run ended before the target went away"
    assert code == 2
    assert "Traceback" not in captured.err
    # Progress lines come first on stderr; the run ends with the one line that says why.
    last = captured.err.strip().splitlines()[-1]
    assert "stopped answering during the run" in last
    assert "connection refused" in last or "connection reset" in last
    assert captured.err.count("stopped answering") == 1
    assert "PASS" not in captured.out and "ERROR" not in captured.out  # no table of rows

"""A correct implementation is conformant whatever HTTP server it sits behind.

The emulator is correct by construction of these tests; what changes is the server in
front of it: waitress (the emulator's own, with its limits and stall handling), the
standard library's plain ``http.server`` (431 past 100 header fields, a chunked body read
as empty, a body cut short read up to its end) and a slow one (every answer 0.3 s late).
A whole default run against each must find no FAIL: a failure there would be a false
alarm on a correct API, the harness's worst defect.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from support.loopback import serve, slowed

from tcbatch_contract.cli import main
from tcbatch_contract.emulator import Emulator, EmulatorConfig
from tcbatch_contract.emulator.app import make_app
from tcbatch_contract.emulator.config import DEFAULT_ENV_ID
from tcbatch_contract.emulator.stdlib_server import StdlibEmulator
from tcbatch_contract.harness.checks.robustness import RULES

CONFIG = EmulatorConfig(
    secret_id="AKIDhomeTEST22222222222222222222222", secret_key="h" * 30, rate_limit=100
)
PROFILE = ("--secret-id", CONFIG.secret_id, "--secret-key", CONFIG.secret_key,
           "--known-env-id", DEFAULT_ENV_ID, "--rate-limit", "100")  # fmt: skip


def run(endpoint: str, tmp_path: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    """``tcbatch-contract run`` against ``endpoint``: exit status, console, rules by id."""
    result = tmp_path / "result.json"
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["run", "--target", endpoint, *PROFILE, "--result", str(result), *extra])
    rules = {r["rule"]: r for r in json.loads(result.read_text())["results"]}
    return code, out.getvalue(), rules


def assert_conformant(code: int, out: str, rules: dict[str, Any]) -> None:
    bad = {rule: r["reason"] or r["failures"][:1] for rule, r in rules.items()
           if r["status"] in ("fail", "error")}  # fmt: skip
    assert not bad, out
    assert code == 0, out
    assert "\nCONFORMANT" in out, out


@pytest.mark.parametrize(
    "server",
    # Behind http.server, P9's bursts of 101 requests overflow its listen queue of 5: the
    # requests it never took are waited for 35 s each (138-229 s in all).
    ["waitress", pytest.param("http.server", marks=pytest.mark.slow)],
)
def test_a_whole_default_run_finds_the_emulator_conformant(server: str, tmp_path: Path) -> None:
    emulator = Emulator(CONFIG) if server == "waitress" else StdlibEmulator(CONFIG)
    with emulator:
        code, out, rules = run(emulator.endpoint, tmp_path, "--max-examples", "2")
    assert_conformant(code, out, rules)
    for rule in RULES:  # the checks that meet the server first were all sent and judged
        assert rules[rule]["status"] == "pass", rules[rule]
    assert rules["RESPONSE-FORM"]["status"] == "pass", rules["RESPONSE-FORM"]


def test_the_robustness_and_protocol_rules_pass_behind_http_server(tmp_path: Path) -> None:
    """The rules a server's HTTP layer can refuse before the API sees the request."""
    rules = ",".join([*RULES, "P10", "P11", "P1"])
    with StdlibEmulator(CONFIG) as emulator:
        code, out, results = run(emulator.endpoint, tmp_path, "--rules", rules)
    assert_conformant(code, out, results)
    headers, framing = results["ROBUST-HEADERS"], results["ROBUST-FRAMING"]
    assert headers["status"] == "pass" and "(HTTP 431)" in headers["reason"], headers
    assert framing["status"] == "pass" and framing["seconds"] < 30, framing  # no 35 s wait
    assert results["RESPONSE-FORM"]["status"] == "pass", results["RESPONSE-FORM"]


def test_the_robustness_and_protocol_rules_pass_behind_a_slow_server(tmp_path: Path) -> None:
    """Every answer 0.3 s late: the cases that time their answers still find no fault."""
    app = make_app(CONFIG)
    try:
        with serve(slowed(app, 0.3)) as endpoint:
            code, out, results = run(endpoint, tmp_path, "--rules", ",".join([*RULES, "P10"]))
    finally:
        app.close()
    assert_conformant(code, out, results)
    for rule in RULES:
        assert results[rule]["status"] == "pass", results[rule]

"""What honest timing and echo-proof scrubbing cost (printed, never asserted).

    python benchmarks/bench_honest.py [--cassette cassettes/emulator-run/cassette.yaml]

1. P9 against the emulator on loopback behind a delaying middleware (10, 40, 200 ms per
   exchange, four server threads, ``--rate-limit 40``): the status, how long the 41
   requests of the first burst took from the first leaving to the last answer, and the
   check's wall time.
2. Scrubbing: the time to scrub a recorded cassette's text once (what a write costs) with
   the run's secrets and as many learned signatures as it has exchanges, beside the time
   of the plain secret replacement that scrubbing replaced; and the cost of learning one
   signature (what each request pays).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.loopback import serve, slowed
from support.targets import make_target

from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.harness.checks.rate_limit import RateLimitCheck
from tcbatch_contract.harness.model import RunSettings
from tcbatch_contract.harness.report.masking import Scrubber


def p9(delay: float, limit: int = 40) -> None:
    config = EmulatorConfig(rate_limit=limit, job_quota=None)
    app = make_app(config)
    check = RateLimitCheck()
    try:
        with serve(slowed(app, delay)) as url:
            started = time.perf_counter()
            result = check.run(make_target(url, config, rate_limit=limit), RunSettings())
            wall = time.perf_counter() - started
    finally:
        app.close()
    reason = result.reason.split(";")[0][:90]
    print(f"{delay * 1000:>5.0f} ms  {result.status.value:<12} {result.requests:>5} requests "
          f"{wall:>6.1f} s  {reason}")  # fmt: skip


def scrub(cassette: Path) -> None:
    text = cassette.read_text(encoding="utf-8")
    fixed = ["AKID" + secrets.token_hex(16), secrets.token_urlsafe(24)]
    scrubber = Scrubber(fixed)
    count = text.count("x-tcbatch-match")
    made = [secrets.token_hex(32) for _ in range(count)]
    started = time.perf_counter()
    for signature in made:
        scrubber.learn(signature)
    learn = (time.perf_counter() - started) / count
    started = time.perf_counter()
    scrubber(text)
    full = time.perf_counter() - started
    started = time.perf_counter()
    for secret in fixed:
        text.replace(secret, "***")
    plain = time.perf_counter() - started
    print(f"cassette {len(text) / 1e6:.1f} MB, {count} signatures learned "
          f"({learn * 1e6:.1f} us each): scrub {full:.2f} s, plain replacement {plain:.3f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cassette", default="cassettes/emulator-run/cassette.yaml")
    args = parser.parse_args()
    print("P9, --rate-limit 40, the emulator behind a delay (four server threads):")
    for delay in (0.01, 0.04, 0.2):
        p9(delay)
    scrub(Path(args.cassette))


if __name__ == "__main__":
    main()

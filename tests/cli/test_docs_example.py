"""The example test of docs/pytest-plugin.md runs as written, in a pytest of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "pytest-plugin.md"


def example_code() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## An example test", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the example section should hold exactly one python block"
    return blocks[0]


def test_the_documented_example_passes_as_written(tmp_path: Path) -> None:
    (tmp_path / "test_b19.py").write_text(example_code(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_b19.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b2 passed\b", result.stdout), result.stdout

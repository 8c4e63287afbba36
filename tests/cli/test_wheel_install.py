"""What users install: the wheel, in a fresh virtual environment, under pytest.

An editable install hides what only a wheel shows: pytest rewrites the asserts of every
module of a distribution that registers a ``pytest11`` plugin (an import-time check of a
module's names then breaks), package data has to be declared to travel, and the OpenAPI
description has to be copied into the package by the build. So this test builds the wheel
from the sources (``pip wheel --no-deps``, isolated build as a user's pip does it),
installs it into a fresh venv and runs there the README's strategies example as a user's
test file and ``pytest --pyargs tcbatch_contract.suite``.

The venv is fresh (no ``--system-site-packages``: that would also see this checkout's
editable install); the wheel goes in with ``pip install --no-deps``. Installing its
dependencies from the index as well takes a minute or more on a loaded two-core machine,
so they come instead from this environment, through a ``.pth`` file naming a directory of
links to exactly the dependencies' files (their packages and their ``.dist-info``, found
through ``importlib.metadata``, following ``Requires-Dist`` from the wheel's own metadata).
This package's own distribution is not among them, so every ``tcbatch_contract`` module
the venv imports is the wheel's (the test checks where it was imported from), and ``pip
check`` in the venv checks that the wheel's requirements are met by what it sees.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
#: What the build reads: the rest of the checkout (tests, cassettes, ...) stays behind.
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "openapi.yaml")
PACKAGE_DIRS = ("src", "strategies", "contracts")

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    for name in ("PYTHONPATH", "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"):
        env.pop(name, None)
    return env


def _run(*argv: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{argv}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def build_wheel(work: Path) -> Path:
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in PACKAGE_DIRS:
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    out = work / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, source, cwd=work)
    (wheel,) = out.glob("tcbatch_contract-*.whl")
    return wheel


def dependency_view(wheel: Path, view: Path) -> list[str]:
    """Link every distribution the wheel requires (transitively) into ``view``; their names."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        requires = email.message_from_bytes(archive.read(name)).get_all("Requires-Dist") or []
    view.mkdir()
    seen: set[str] = set()
    pending = [Requirement(r) for r in requires]
    while pending:
        requirement = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        key = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if key in seen:
            continue
        seen.add(key)
        dist = metadata.distribution(requirement.name)
        base = Path(str(dist.locate_file("")))
        for top in {Path(f).parts[0] for f in dist.files or () if not str(f).startswith("..")}:
            if not (view / top).exists() and (base / top).exists():
                (view / top).symlink_to(base / top)
        pending += [Requirement(r) for r in dist.requires or ()]
    return sorted(seen)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh venv holding the wheel (and a view of its dependencies); (python, wheel)."""
    work = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(work)
    env = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", env, cwd=work)
    python = env / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q",
         "--no-compile", wheel, cwd=work)  # fmt: skip
    found = dependency_view(wheel, work / "deps")
    assert "hypothesis" in found and "tcbatch-contract" not in found
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                     cwd=work).stdout.strip())  # fmt: skip
    (site / "tcbatch-deps.pth").write_text(f"{work / 'deps'}\n", encoding="utf-8")
    return python, wheel


def test_the_wheel_carries_the_openapi_description_the_pools_the_licence_and_the_type_marker(
    venv: tuple[Path, Path],
) -> None:
    _, wheel = venv
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        shipped = archive.read("tcbatch_contract/contracts/openapi.yaml")
        pools = archive.read("tcbatch_contract/strategies/_internal/pools.json.gz")
        meta = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert shipped == (ROOT / "openapi.yaml").read_bytes()
    assert pools == (ROOT / "strategies" / "_internal" / "pools.json.gz").read_bytes()
    assert "tcbatch_contract/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    fields = email.message_from_bytes(meta)
    assert fields["License-Expression"] == "Apache-2.0"
    assert not [r for r in fields.get_all("Requires-Dist") if r.startswith("requests")]


def test_the_installed_package_is_the_wheel_and_its_requirements_are_met(
    venv: tuple[Path, Path], tmp_path: Path
) -> None:
    python, _ = venv
    where = _run(python, "-c", "import tcbatch_contract; print(tcbatch_contract.__file__)",
                 cwd=tmp_path).stdout  # fmt: skip
    assert Path(where.strip()).is_relative_to(python.parents[1])
    _run(sys.executable, "-m", "pip", "--python", python, "check", cwd=tmp_path)
    version = _run(python.parent / "tcbatch-contract", "--version", cwd=tmp_path).stdout
    assert version.split() == ["tcbatch-contract", metadata.version("tcbatch-contract")]
    assert _run(python, "-m", "tcbatch_contract", "--version", cwd=tmp_path).stdout == version
    rules = _run(python, "-m", "tcbatch_contract", "rules", "--format", "json", cwd=tmp_path)
    assert '"B6"' in rules.stdout


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## In your own tests", 1)[1]
    (block,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    return block


def test_the_readme_example_collects_and_runs_under_pytest(
    venv: tuple[Path, Path], tmp_path: Path
) -> None:
    python, _ = venv
    (tmp_path / "test_user.py").write_text(readme_example(), encoding="utf-8")
    done = _run(python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_user.py",
                cwd=tmp_path)  # fmt: skip
    assert re.search(r"\b1 passed\b", done.stdout), done.stdout


def test_the_suite_runs_from_the_wheel(venv: tuple[Path, Path], tmp_path: Path) -> None:
    python, _ = venv
    done = _run(python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "--pyargs",
                "tcbatch_contract.suite", "--tcbatch-rules", "B1,B6", "--tcbatch-max-examples",
                "3", cwd=tmp_path)  # fmt: skip
    for rule in ("B1", "B6", "RESPONSE-FORM"):
        assert re.search(rf"^PASSED \S*test_rule\[{rule}\]", done.stdout, re.M), done.stdout


def test_the_checkout_holds_no_symbolic_link() -> None:
    """A checkout without links (Windows, some archives) must build the same wheel."""
    links = [p for name in PACKAGE_DIRS for p in (ROOT / name).rglob("*") if p.is_symlink()]
    links += [ROOT / name for name in SOURCES if (ROOT / name).is_symlink()]
    assert links == []


def test_the_wheel_carries_the_result_schema_and_writes_results_that_match_it(
    venv: tuple[Path, Path], tmp_path: Path
) -> None:
    python, _ = venv
    _run(python, "-m", "tcbatch_contract", "run", "--rules", "B1", "--max-examples", "2",
         "--workers", "1", "--result", "r.json", cwd=tmp_path)  # fmt: skip
    check = (
        "import json, jsonschema, tcbatch_contract.harness.result as r; "
        "jsonschema.Draft202012Validator(r.schema()).validate(json.load(open('r.json'))); "
        "print(r.__file__)"
    )
    done = _run(python, "-c", check, cwd=tmp_path)
    assert str(ROOT) not in done.stdout and "site-packages" in done.stdout

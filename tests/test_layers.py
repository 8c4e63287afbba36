"""The layer table of ARCHITECTURE.md, held against every import of the package.

The table says which layer may import which; this reads it, reads every import statement
of ``src/`` and ``strategies/`` (module level and inside functions), and fails on an import
the table does not allow and on a private module or name taken from another top-level
package. The checker is tested first on made-up modules, so that a checker that found
nothing could not pass for a clean tree.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def _root() -> Path:
    here = Path(__file__).resolve().parent
    while not (here / "pyproject.toml").is_file():
        here = here.parent
    return here


ROOT = _root()
PACKAGE = "tcbatch_contract"

#: Imports that break the table today, each with what removes it. Keep this list short.


@dataclass(frozen=True)
class Layer:
    name: str
    members: tuple[str, ...]  # top-level packages and modules of tcbatch_contract
    layers: frozenset[str]  # layers it may import
    modules: tuple[str, ...]  # single modules of other layers it may import
    everything: bool = False


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module that imports
    target: str  # dotted module imported from
    name: str  # the name taken ("" for the module itself)
    line: int


def read_table(text: str) -> list[Layer]:
    """The rows of the table under "Who may import whom"."""
    section = text.split("## Who may import whom", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    layers = []
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        name, members, allowed = cells[0], cells[1], cells[2]
        modules = tuple(re.findall(r"`([\w.]+)`", allowed))
        plain = re.sub(r"`[\w.]+`", "", allowed)
        words = {word.strip() for word in plain.split(",") if word.strip()}
        layers.append(
            Layer(
                name,
                tuple(re.findall(r"`([\w.]+)`", members)),
                frozenset(words - {"everything"}),
                modules,
                everything="everything" in words,
            )
        )
    return layers


def _modules() -> Iterator[tuple[str, Path]]:
    for base, prefix in (
        (ROOT / "src" / PACKAGE, PACKAGE),
        (ROOT / "strategies", f"{PACKAGE}.strategies"),
    ):
        for path in sorted(base.rglob("*.py")):
            parts = path.relative_to(base).with_suffix("").parts
            yield ".".join((prefix, *parts)), path


def imports_of(module: str, source: str) -> list[Import]:
    """Every import of the package in ``source``, ``module`` being its dotted name
    (ending in ``.__init__`` for a package)."""
    found = []
    package = module.split(".")[:-1]
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                found.append(Import(module, target, alias.name, node.lineno))
                aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.append(Import(module, alias.name, "", node.lineno))
                    if alias.asname:
                        aliases[alias.asname] = alias.name
    for node in ast.walk(tree):  # module._private, the module bound by an import above
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and _private(node.attr)
        ):
            found.append(Import(module, aliases[node.value.id], node.attr, node.lineno))
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def problems(imports: list[Import], layers: list[Layer], known_modules: set[str]) -> list[str]:
    """What the table forbids among ``imports``."""
    layer_of = {member: layer for layer in layers for member in layer.members}
    found = []
    for imp in imports:
        target, name = imp.target, imp.name
        if name and f"{target}.{name}" in known_modules:
            target, name = f"{target}.{name}", ""
        if _top(imp.importer) == _top(target):
            continue  # inside one package a layer is free
        where = f"{imp.importer}:{imp.line} imports {target}{'.' + name if name else ''}"
        private = [part for part in target.split(".")[2:] if _private(part)]
        if private or (name and _private(name)):
            found.append(f"{where}: a private part of another package")
            continue
        source, dest = layer_of.get(_top(imp.importer)), layer_of.get(_top(target))
        if source is None or dest is None:
            found.append(f"{where}: a package the layer table does not place")
            continue
        allowed = (
            source.everything
            or dest.name == source.name
            or dest.name in source.layers
            or any(
                target == f"{PACKAGE}.{m}" or target.startswith(f"{PACKAGE}.{m}.")
                for m in source.modules
            )
        )
        if not allowed:
            found.append(f"{where}: layer {source.name} may not import layer {dest.name}")
    return found


def _table() -> list[Layer]:
    return read_table((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))


def _known_modules() -> set[str]:
    return {name.removesuffix(".__init__") for name, _ in _modules()}


def test_the_table_places_every_package_once() -> None:
    layers = _table()
    members = [member for layer in layers for member in layer.members]
    assert len(members) == len(set(members)), "a package sits in two layers"
    src = ROOT / "src" / PACKAGE
    tops = {p.parent.name for p in src.glob("*/__init__.py")} | {p.stem for p in src.glob("*.py")}
    assert tops | {"strategies"} <= set(members), sorted((tops | {"strategies"}) - set(members))
    names = {layer.name for layer in layers}
    for layer in layers:
        assert layer.layers <= names, (layer.name, sorted(layer.layers - names))


def test_the_checker_finds_a_layer_breach_and_a_private_import() -> None:
    layers = _table()
    source = (
        "from ..emulator import make_app\n"
        "from ..transport._messages import WireRequest\n"
        "from ..harness.targets import _interrupt_after_exchange\n"
        "from ..transport import Client\n"
        "from ..harness.report.masking import mask_wire\n"
        "def f():\n"
        "    from ..cli import run as r\n"
        "    return r._private_helper\n"
    )
    imports = imports_of("tcbatch_contract.recording.made_up", source)
    found = problems(imports, layers, _known_modules())
    assert any("imports tcbatch_contract.emulator" in p and "may not" in p for p in found)
    assert any("transport._messages" in p and "private" in p for p in found)
    assert any("_interrupt_after_exchange" in p and "private" in p for p in found)
    assert any("_private_helper" in p and "private" in p for p in found)
    assert len(found) == 5, found  # the cli import is a breach too; Client and masking are not


def test_the_checker_lets_a_layer_use_its_own_package_and_the_layers_below() -> None:
    source = "from ._rules_env import env_id_malformed\nfrom .. import codes\nfrom ..typetable import ACTIONS\n"
    imports = imports_of("tcbatch_contract.oracle._table", source)
    assert len(imports) == 3
    assert problems(imports, _table(), _known_modules()) == []
    oracle_in_emulator = imports_of(
        "tcbatch_contract.emulator.app", "from ..oracle import evaluate\n"
    )
    assert problems(oracle_in_emulator, _table(), _known_modules())


def test_every_import_keeps_to_the_layer_table() -> None:
    layers, known = _table(), _known_modules()
    found = []
    for module, path in _modules():
        found += problems(imports_of(module, path.read_text(encoding="utf-8")), layers, known)
    assert found == [], "\n".join(found)


def test_no_test_module_imports_another() -> None:
    """Tests share helpers through ``support`` and fixtures through ``conftest.py``."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                last = name.split(".")[-1]
                if last.startswith("test_") or last == "conftest":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert found == [], "\n".join(found)

"""Where the run options come from: command line, environment, files, defaults.

``resolve`` takes, per option, the command line, then the environment, then the file, then
the default, checks each value, and keeps its source for ``run --show-config``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._table import (
    COMMAND_LINE,
    CONFIG_TABLE,
    DEFAULT,
    MAX_DEFAULT_WORKERS,
    PYPROJECT_TABLE,
    RunOptions,
    Spec,
    coerce,
    default_of,
    env_name,
    file_key,
    problems,
    quoted,
    table,
)
from ._values import UsageError

# ---- resolution: command line > environment > file > default ---------------------------


@dataclass(frozen=True)
class FileValues:
    """The options one config file sets, and how its messages name it."""

    path: str
    values: Mapping[str, Any]
    label: str = ""  # "[tool.tcbatch-contract] in pyproject.toml"


def read_config_file(path: str | Path, section: tuple[str, ...] = CONFIG_TABLE) -> FileValues:
    """The options of ``path``'s ``[tcbatch-contract]`` table (``[tool.tcbatch-contract]``
    for a pyproject.toml); a ``UsageError`` naming the file for anything wrong in it."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--config {path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not TOML ({exc})") from None
    found: Any = document
    for part in section:
        found = found.get(part) if isinstance(found, dict) else None
    label = "[" + ".".join(section) + "]"
    if found is None:
        return FileValues(str(path), {}, label)
    if not isinstance(found, dict):
        raise UsageError(f"{path}: {label} must be a table of options")
    items = {file_key(f.name): f for f in table()}
    values: dict[str, Any] = {}
    for key, raw in found.items():
        item = items.get(key)
        if item is None or not item.metadata["option"].in_file:
            raise UsageError(f"{path}: {label} {key}: {_not_a_key(item, items)}")
        values[item.name] = _file_value(f"{path}: {label} {key}", item, raw)
    return FileValues(str(path), values, label)


def _not_a_key(item: dataclasses.Field[Any] | None, items: Mapping[str, Any]) -> str:
    if item is not None:
        return (
            "not a key of this table: credentials do not belong in a file; give them on the "
            "command line or in the environment"
        )
    allowed = ", ".join(key for key, f in items.items() if f.metadata["option"].in_file)
    return f"not an option; the keys are: {allowed}"


def _file_value(where: str, item: dataclasses.Field[Any], raw: Any) -> Any:
    """A file's value for ``item``, checked; a ``UsageError`` starting with ``where``."""
    try:
        value = coerce(item, raw)
    except ValueError as exc:
        raise UsageError(f"{where} = {raw!r}: {exc}") from None
    for part, problem in problems(item, value):
        raise UsageError(f"{where} = {part!r}: {problem}")
    return value


def ini_values(getini: Callable[[str], Any], path: str) -> FileValues:
    """The ``tcbatch_*`` ini options of a pytest configuration (the plugin's twins of the
    file keys); ``path`` names the ini file in messages."""
    values: dict[str, Any] = {}
    for item in table():
        spec: Spec = item.metadata["option"]
        if not (spec.in_file and spec.in_pytest):
            continue
        raw = getini(ini_name(item.name))
        if raw in ("", [], None):
            continue
        values[item.name] = _file_value(f"{path}: {ini_name(item.name)}", item, raw)
    return FileValues(path, values, "ini")


def ini_name(name: str) -> str:
    return "tcbatch_" + name


def project_file(directory: str | Path = ".") -> FileValues | None:
    """``[tool.tcbatch-contract]`` of the ``pyproject.toml`` in ``directory``, if it has one."""
    path = Path(directory) / "pyproject.toml"
    if not path.is_file():
        return None
    found = read_config_file(path, PYPROJECT_TABLE)
    return found if found.values else None


def resolve(
    given: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    files: list[FileValues] | tuple[FileValues, ...] = (),
    prefix: str = "--",
) -> RunOptions:
    """The options from the command line's ``given`` values (None: not given), the
    environment and ``files`` (earlier ones win), each checked; a ``UsageError`` says
    which option, where it came from, and what is allowed."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for item in table():
        spec: Spec = item.metadata["option"]
        name, value = item.name, given.get(item.name)
        where = prefix + file_key(name)
        if value is not None and value != []:
            source = COMMAND_LINE
            if isinstance(value, str) and spec.kind != "list":
                try:
                    value = coerce(item, value)
                except ValueError as exc:
                    raise UsageError(f"{where} {value!r}: {exc}") from None
            for part, problem in problems(item, value):
                raise UsageError(f"{where}{quoted(spec, part)}: {problem}")
        elif (env := env_name(item)) and environ.get(env) not in (None, ""):
            text = environ[env]
            source = f"env {env}"
            try:
                value = coerce(item, text)
            except ValueError as exc:
                raise UsageError(f"env {env}={text!r}: {exc}") from None
            for _part, problem in problems(item, value):
                raise UsageError(f"env {env}={text!r}: {problem}")
        elif found := next((f for f in files if name in f.values), None):
            value, source = found.values[name], found.path
        else:
            value, source = default_of(item), DEFAULT
        values[name] = value
        sources[name] = source
    return RunOptions(**values, option_prefix=prefix, sources=sources)


def check_profile(region: str | None, known_env_ids: Collection[str], prefix: str = "--") -> None:
    """The Region and env-id checks of the table, for the commands that take a profile
    without running (``generate``, ``expect``): the same values pass and fail everywhere."""
    for item in table():
        if item.name in ("region", "known_env_id"):
            value = region if item.name == "region" else list(known_env_ids)
            for part, problem in problems(item, value):
                where = prefix + file_key(item.name)
                raise UsageError(f"{where}{quoted(item.metadata['option'], part)}: {problem}")


def check_together(options: RunOptions) -> None:
    """Options that only make sense as a pair: both or neither."""
    for first, second in (("denied_secret_id", "denied_secret_key"), ("secret_id", "secret_key")):
        if bool(getattr(options, first)) != bool(getattr(options, second)):
            raise UsageError(
                f"give {options.spelling(first)} and {options.spelling(second)} together, "
                "or neither"
            )


def with_workers(options: RunOptions) -> RunOptions:
    """``workers`` made concrete: the usable cores (at most 8) by default; 1 for a recording
    or a replay, which are one sequence of exchanges."""
    if options.record or options.is_replay:
        return options.replace(workers=1)
    if options.workers is not None:
        return options
    from ..harness.workers import usable_cores

    return options.replace(workers=min(usable_cores(), MAX_DEFAULT_WORKERS))


# ---- showing ----------------------------------------------------------------------------


def show(options: RunOptions) -> list[str]:
    """One line per option: name, value (secrets masked), and where the value came from."""
    width = max(len(file_key(f.name)) for f in table())
    lines = []
    for item in table():
        spec: Spec = item.metadata["option"]
        value = getattr(options, item.name)
        if spec.secret and value:
            shown = "****"
        elif value is None and spec.default_text:
            shown = f"({spec.default_text})"
        elif isinstance(value, list):
            shown = ", ".join(value) if value else "(none)"
        else:
            shown = "(none)" if value is None else str(value).lower() if isinstance(
                value, bool) else str(value)  # fmt: skip
        source = options.sources.get(item.name, DEFAULT)
        if spec.secret and item.name in ("secret_id", "secret_key", "token") and not value:
            source += " (URL targets: as the official SDK finds them)"
        lines.append(f"{file_key(item.name):<{width}}  {shown}  [{source}]")
    return lines

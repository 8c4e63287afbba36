"""The run configuration: every option of ``tcbatch-contract run`` in one typed table.

Each field of :class:`RunOptions` is one option, declared once with :func:`option`: its
default, how text becomes a value, what a value must satisfy, its help, and whether it may
come from a file or the pytest plugin. Every face is generated from that table: the
argparse options of ``run`` (``cli/run.py``), the ``--tcbatch-*`` options of the pytest
plugin and their ``tcbatch_*`` ini twins (``plugin.py``), the keys of
``[tool.tcbatch-contract]`` in ``pyproject.toml`` and of ``[tcbatch-contract]`` in a file
given with ``--config``, and the ``TCBATCH_CONTRACT_*`` environment variables. A default or a
check therefore cannot differ between two faces.

Precedence: the command line, then the environment, then the file, then the default.
Credentials never come from a file (a file is committed; a secret must not be): a URL
target finds them as the official SDK does (``TENCENTCLOUD_SECRET_ID`` ...).

This module imports only the standard library and ``profile`` at module level: the pytest
plugin reads it in every pytest session.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .profile import DEFAULT_REGION, is_env_id, is_region

#: Generated cases per generated rule, for every face (``run``, the plugin, ``RunSettings``).
DEFAULT_MAX_EXAMPLES = 60
#: Worker processes by default: the usable cores, at most this many.
MAX_DEFAULT_WORKERS = 8
DEFAULT_TIMEOUT = 35.0
FORMS = ("mixed", "tc3-post", "tc3-get", "v1-get", "v1-post")
ENV_PREFIX = "TCBATCH_CONTRACT_"
PYPROJECT_TABLE = ("tool", "tcbatch-contract")
CONFIG_TABLE = ("tcbatch-contract",)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smh]?)")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class UsageError(Exception):
    """A problem with what the user asked for; shown as one line, exit code 2."""


# ---- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """How one option is spelt, read and checked (the metadata of a :class:`RunOptions` field).

    ``parse`` turns text (command line, environment, ini) into a value; ``check`` returns
    what a value must be when it is wrong, else None; ``shown`` is how a message quotes a
    bad value (``plain``, ``repr``, or ``none``: the option alone).
    """

    help: str
    group: str = "the run"
    metavar: str | None = None
    parse: Callable[[str], Any] = str
    check: Callable[[Any], str | None] | None = None
    choices: tuple[str, ...] | None = None
    kind: str = "value"  # "value", "list" (repeatable) or "flag"
    secret: bool = False
    in_file: bool = True  # a key of the config files and a pytest ini twin
    in_pytest: bool = True  # a --tcbatch-* option of the pytest plugin
    env: str | None = ""  # "": TCBATCH_CONTRACT_<NAME>; None: no environment variable
    shown: str = "plain"
    default_text: str | None = None  # the default as the help says it, when not the value


def option(default: Any = None, **spec: Any) -> Any:
    """One entry of the table: a dataclass field carrying its :class:`Spec`."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"option": Spec(**spec)})
    return field(default=default, metadata={"option": Spec(**spec)})


def _at_least(low: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None or value >= low:
            return None
        return "give a number of 1 or more" if low == 1 else f"give {low} or more"

    return check


def _positive_seconds(value: float) -> str | None:
    return None if value > 0 else "give a positive number of seconds"


def _region(value: str | None) -> str | None:
    return None if value is None or is_region(value) else "a Region looks like ap-guangzhou"


def _env_id(value: str) -> str | None:
    return None if is_env_id(value) else "an env id looks like env-xxxxxxxx"


def _address(value: str | None) -> str | None:
    if value is None:
        return None
    address, _, port = value.rpartition(":")
    if address and port.isdigit() and 0 < int(port) < 65536:
        return None
    return "give ADDRESS:PORT, e.g. 127.0.0.1:9000"


def _duration_problem(value: str | None) -> str | None:
    try:
        duration_seconds(value)
    except ValueError as exc:
        return str(exc)
    return None


def _rules_problem(value: str | None) -> str | None:
    if not value:
        return None
    try:
        rule_set(value, known_rules())
    except ValueError as exc:
        return str(exc)
    return None


def _report_problem(value: str) -> str | None:
    if value.lower().endswith((".md", ".html")):
        return None
    return "the report file must end in .md or .html"


def _flag(text: str) -> bool:
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise ValueError("give true or false")


CREDENTIALS = "credentials (URL targets)"
CREDENTIALS_HELP = (
    "Default: as the official SDK finds them: env TENCENTCLOUD_SECRET_ID and "
    "TENCENTCLOUD_SECRET_KEY, then ~/.tencentcloud/credentials [default]."
)
PROFILE = "target configuration"
REPORTS = "reports"


@dataclass(frozen=True)
class RunOptions:
    """Every option of a run, typed and checked; a new value is a new object.

    To add an option: one field here, declared with :func:`option`. The command line,
    the pytest plugin, the config files and the environment then all know it.
    """

    target: str = option(
        "emulator",
        group="",
        metavar="TARGET",
        help="emulator (in-process, default), emulator+http (served on loopback), a URL, "
        "or replay:DIR (a recorded run, offline)",
        default_text="",
    )
    region: str | None = option(
        None, group="", check=_region, shown="repr", help="Region of the requests",
        default_text=DEFAULT_REGION,
    )  # fmt: skip
    known_env_id: list[str] = option(  # noqa: RUF009 (a field, as field() is)
        [], group="", kind="list", metavar="ID", check=_env_id, shown="repr",
        help="a compute environment the target has (repeatable)",
    )  # fmt: skip
    secret_id: str | None = option(
        None, group=CREDENTIALS, secret=True, in_file=False, env=None,
        help="give with --secret-key",
    )  # fmt: skip
    secret_key: str | None = option(
        None, group=CREDENTIALS, secret=True, in_file=False, env=None,
        help="give with --secret-id",
    )  # fmt: skip
    token: str | None = option(
        None, group=CREDENTIALS, secret=True, in_file=False, env=None,
        help="a temporary credential's token, sent as X-TC-Token",
        default_text="env TENCENTCLOUD_SESSION_TOKEN",
    )  # fmt: skip
    denied_secret_id: str | None = option(
        None, group=CREDENTIALS, secret=True, in_file=False,
        help="a credential the target denies Batch to (B31)",
    )  # fmt: skip
    denied_secret_key: str | None = option(
        None, group=CREDENTIALS, secret=True, in_file=False, help="give with --denied-secret-id"
    )  # fmt: skip
    job_quota: int | None = option(
        None, group=PROFILE, metavar="N", parse=int, check=_at_least(1),
        help="the target's job quota (B30)",
    )  # fmt: skip
    rate_limit: int | None = option(
        None, group=PROFILE, metavar="N", parse=int, check=_at_least(1),
        help="the target's requests/s per action (P9)",
    )  # fmt: skip
    max_examples: int = option(
        DEFAULT_MAX_EXAMPLES, metavar="N", parse=int, check=_at_least(1),
        help="generated cases per rule",
    )  # fmt: skip
    seed: int = option(0, parse=int, help="the run's seed")
    workers: int | None = option(
        None, metavar="N", parse=int, check=_at_least(1), in_pytest=False,
        help="worker processes running checks side by side (1 runs everything in this "
        "process; a recording or a replay uses 1)",
        default_text="the usable cores",
    )  # fmt: skip
    max_time: str | None = option(
        None, metavar="DURATION", check=_duration_problem, shown="repr", in_pytest=False,
        help="keep drawing new cases, round after round, until DURATION is spent (90s, 10m, "
        "1h, or seconds), then report",
    )  # fmt: skip
    rules: str | None = option(
        None, metavar="ID,...", check=_rules_problem, shown="none",
        help="check only these rules (ids in any case)",
    )  # fmt: skip
    form: str = option(
        "mixed", choices=FORMS, help="request form of generated cases (mixed: mostly tc3-post)"
    )
    live: bool = option(
        False, kind="flag",
        help="the URL is the real Tencent Cloud service (or a proxy to it): failing rules "
        "whose basis is assumed are reported as contract drift to review, not as failures "
        "(implied for *.tencentcloudapi.com)",
    )  # fmt: skip
    allow_billable: int | None = option(
        None, metavar="N", parse=int, check=_at_least(0),
        help="valid submissions allowed against a non-loopback URL",
        default_text="0: none",
    )  # fmt: skip
    timeout: float = option(
        DEFAULT_TIMEOUT, metavar="S", parse=float, check=_positive_seconds,
        help="per-request time limit in seconds",
    )  # fmt: skip
    connect_to: str | None = option(
        None, metavar="ADDRESS:PORT", check=_address, shown="repr",
        help="open connections there instead of at the URL's host, which is still the Host "
        "sent and signed and what decides whether the target is loopback (as curl's "
        "--connect-to)",
    )  # fmt: skip
    expectations: str | None = option(
        None, metavar="FILE",
        help="rules the target declares it does not meet (YAML): reported as unsupported",
    )  # fmt: skip
    record: str | None = option(
        None, metavar="DIR", in_pytest=False, in_file=False,
        help="record the run into DIR (a vcrpy cassette, secrets scrubbed) for "
        "--target replay:DIR",
    )  # fmt: skip
    junit_xml: str | None = option(
        None, group=REPORTS, metavar="FILE", in_pytest=False,
        help="write JUnit XML, one testcase per rule",
    )  # fmt: skip
    report: list[str] = option(  # noqa: RUF009 (a field, as field() is)
        [], group=REPORTS, kind="list", metavar="FILE", in_pytest=False, check=_report_problem,
        help="write a report: FILE.md or FILE.html (repeatable)",
    )  # fmt: skip

    # Not options: how the user spells them, where each value came from, the recording.
    option_prefix: str = field(default="--", compare=False)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    recording: Any = field(default=None, compare=False, repr=False)

    # ---- derived values ---------------------------------------------------------------

    @property
    def max_seconds(self) -> float | None:
        """``--max-time`` in seconds (None: no time limit)."""
        return duration_seconds(self.max_time)

    @property
    def is_replay(self) -> bool:
        return self.target.startswith("replay:")

    @property
    def selected_rules(self) -> set[str] | None:
        """The rule ids ``--rules`` names, spelt as the catalogue does (None: every rule)."""
        return rule_set(self.rules, known_rules()) if self.rules else None

    def spelling(self, name: str) -> str:
        """How the user spells option ``name``: ``--name``, or ``--tcbatch-name`` under pytest."""
        return self.option_prefix + name.replace("_", "-")

    def given(self, *sources: str) -> set[str]:
        """The options whose value came from one of ``sources`` (all but defaults if none)."""
        return {
            name
            for name, source in self.sources.items()
            if (source in sources if sources else source != DEFAULT)
        }

    def replace(self, **changes: Any) -> RunOptions:
        return dataclasses.replace(self, **changes)

    def from_recording(self, record: Any, given: Collection[str]) -> RunOptions:
        """These options for replaying ``record``: what decides the requests is the recording's.

        ``given`` names the options the user gave explicitly; one that contradicts the
        recording, or one of the target profile and credentials (the recording's), is
        refused with a ``UsageError``. Options from a file or the environment yield to it.
        """
        from .recording.session import PROFILE_OPTIONS, RECORDED_OPTIONS

        refused = [name for name in PROFILE_OPTIONS if name in given and getattr(self, name)]
        if refused:
            names = ", ".join(self.spelling(name) for name in refused)
            raise UsageError(
                f"{self.spelling('target')} {self.target}: {names}: a replay takes the target "
                "profile and credentials from the recording; leave these options out"
            )
        changes: dict[str, Any] = {}
        sources = dict(self.sources)
        for name, key in RECORDED_OPTIONS.items():
            recorded = record.settings.get(key)
            value = getattr(self, name)
            if name == "rules":
                recorded_set = sorted(recorded) if recorded is not None else None
                mine = sorted(self.selected_rules or ()) or None
                if name in given and mine != recorded_set:
                    was = "--rules " + ",".join(recorded_set) if recorded_set else "every rule"
                    raise UsageError(
                        f"{self.spelling('target')} {self.target}: --rules {self.rules}: the "
                        f"run was recorded with {was}; a replay sends what was recorded, so "
                        "leave --rules out"
                    )
                recorded = ",".join(recorded_set) if recorded_set else None
            elif name in given and value is not None and value != recorded:
                raise UsageError(
                    f"{self.spelling('target')} {self.target}: {self.spelling(name)} {value}: "
                    f"the run was recorded with {recorded}; leave the option out to replay it"
                )
            changes[name] = recorded
            sources[name] = f"recording {self.target[len('replay:') :]}"
        return dataclasses.replace(self, **changes, sources=sources, recording=record)


DEFAULT = "default"
COMMAND_LINE = "command line"


def table() -> tuple[dataclasses.Field[Any], ...]:
    """The options, in the order ``--help`` lists them."""
    return tuple(f for f in dataclasses.fields(RunOptions) if "option" in f.metadata)


def spec_of(name: str) -> Spec:
    return next(f.metadata["option"] for f in table() if f.name == name)


def default_of(item: dataclasses.Field[Any]) -> Any:
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return item.default


def env_name(item: dataclasses.Field[Any]) -> str | None:
    spec: Spec = item.metadata["option"]
    if spec.env is None:
        return None
    return spec.env or ENV_PREFIX + item.name.upper()


def file_key(name: str) -> str:
    return name.replace("_", "-")


def help_text(item: dataclasses.Field[Any]) -> str:
    """The option's help, its default said the same way on every face."""
    spec: Spec = item.metadata["option"]
    default = spec.default_text
    if default is None:
        value = default_of(item)
        default = "" if value is None or value is False or value == [] else f"{value:g}" if isinstance(
            value, float) else str(value)  # fmt: skip
    return f"{spec.help} (default: {default})" if default else spec.help


# ---- values: parsing, checking ----------------------------------------------------------


def duration_seconds(text: str | None) -> float | None:
    """``90s``, ``10m``, ``1h``, ``1.5h`` or plain seconds, as seconds (None stays None)."""
    if text is None:
        return None
    match = _DURATION.fullmatch(str(text).strip().lower())
    if match is None:
        raise ValueError("give a duration such as 90s, 10m, 1h or a number of seconds")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds <= 0:
        raise ValueError("give a duration longer than zero")
    return seconds


def parse_id_list(value: str | Collection[str] | None) -> list[str]:
    """The ids of a comma-separated list (``B1,b2``) or of a list, stripped, as given."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else value
    return [part.strip() for part in parts if part and part.strip()]


def rule_set(value: str | Collection[str] | None, known: Collection[str]) -> set[str]:
    """The catalogue's spelling of each rule id in ``value`` (any case); ValueError if unknown."""
    wanted = parse_id_list(value)
    lookup = {rule.upper(): rule for rule in known}
    unknown = [w for w in wanted if w.upper() not in lookup]
    if unknown or not wanted:
        raise ValueError(
            f"unknown rule id(s) {', '.join(unknown) or '(none given)'}; "
            f"valid ids: {', '.join(known)}"
        )
    return {lookup[w.upper()] for w in wanted}


def known_rules() -> list[str]:
    """Every rule id a run knows (the catalogue's and the harness's own)."""
    from .harness.runner import all_checks, catalogue_rules, known_rule_ids

    return known_rule_ids(all_checks(), catalogue_rules())


def _coerce(item: dataclasses.Field[Any], value: Any) -> Any:
    """A value from text or TOML as the option's type; ValueError saying what is allowed."""
    spec: Spec = item.metadata["option"]
    if spec.kind == "list":
        values = value if isinstance(value, list) else parse_id_list(value)
        if not all(isinstance(v, str) for v in values):
            raise ValueError("give a list of strings")
        return list(values)
    if spec.kind == "flag":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return _flag(value)
        raise ValueError("give true or false")
    if isinstance(value, str):
        try:
            value = spec.parse(value)
        except ValueError:
            kind = {int: "a whole number", float: "a number"}.get(spec.parse, "a string")
            raise ValueError(f"give {kind}") from None
    expected = {int: (int,), float: (int, float)}.get(spec.parse, (str,))
    if isinstance(value, bool) or not isinstance(value, expected):
        kind = {int: "a whole number", float: "a number"}.get(spec.parse, "a string")
        raise ValueError(f"give {kind}")
    value = float(value) if spec.parse is float else value
    if spec.choices and value not in spec.choices:
        raise ValueError(f"give one of {', '.join(spec.choices)}")
    return value


def problems(item: dataclasses.Field[Any], value: Any) -> Iterator[tuple[Any, str]]:
    """(bad value, what is allowed) for each part of ``value`` its check refuses."""
    spec: Spec = item.metadata["option"]
    if spec.check is None or value is None:
        return
    for part in value if spec.kind == "list" else [value]:
        problem = spec.check(part)
        if problem:
            yield part, problem


def _quoted(spec: Spec, value: Any) -> str:
    if spec.shown == "none":
        return ""
    return " " + (repr(value) if spec.shown == "repr" else str(value))


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
        value = _coerce(item, raw)
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
                    value = _coerce(item, value)
                except ValueError as exc:
                    raise UsageError(f"{where} {value!r}: {exc}") from None
            for part, problem in problems(item, value):
                raise UsageError(f"{where}{_quoted(spec, part)}: {problem}")
        elif (env := env_name(item)) and environ.get(env) not in (None, ""):
            text = environ[env]
            source = f"env {env}"
            try:
                value = _coerce(item, text)
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
                raise UsageError(f"{where}{_quoted(item.metadata['option'], part)}: {problem}")


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
    from .harness.workers import usable_cores

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

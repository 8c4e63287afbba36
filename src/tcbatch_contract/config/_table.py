"""The table: :class:`RunOptions`, one field per option, each declared with :func:`option`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..harness.model import DEFAULT_MAX_EXAMPLES, DEFAULT_TIMEOUT
from ..profile import DEFAULT_REGION
from ._values import (
    UsageError,
    check_address,
    check_at_least,
    check_duration,
    check_env_id,
    check_min_coverage,
    check_positive_seconds,
    check_region,
    check_report,
    check_rules,
    check_shard,
    duration_seconds,
    known_rules,
    parse_flag,
    parse_id_list,
    rule_set,
)

#: Worker processes by default: the usable cores, at most this many.
MAX_DEFAULT_WORKERS = 8
FORMS = ("mixed", "tc3-post", "tc3-get", "v1-get", "v1-post")
ENV_PREFIX = "TCBATCH_CONTRACT_"
PYPROJECT_TABLE = ("tool", "tcbatch-contract")
CONFIG_TABLE = ("tcbatch-contract",)


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
        None, group="", check=check_region, shown="repr", help="Region of the requests",
        default_text=DEFAULT_REGION,
    )  # fmt: skip
    known_env_id: list[str] = option(  # noqa: RUF009 (a field, as field() is)
        [], group="", kind="list", metavar="ID", check=check_env_id, shown="repr",
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
        None, group=PROFILE, metavar="N", parse=int, check=check_at_least(1),
        help="the target's job quota (B30)",
    )  # fmt: skip
    rate_limit: int | None = option(
        None, group=PROFILE, metavar="N", parse=int, check=check_at_least(1),
        help="the target's requests/s per action (P9)",
    )  # fmt: skip
    max_examples: int = option(
        DEFAULT_MAX_EXAMPLES, metavar="N", parse=int, check=check_at_least(1),
        help="generated cases per rule",
    )  # fmt: skip
    seed: int = option(0, parse=int, help="the run's seed")
    workers: int | None = option(
        None, metavar="N", parse=int, check=check_at_least(1), in_pytest=False,
        help="worker processes running checks side by side (1 runs everything in this "
        "process; a recording or a replay uses 1)",
        default_text="the usable cores",
    )  # fmt: skip
    max_time: str | None = option(
        None, metavar="DURATION", check=check_duration, shown="repr", in_pytest=False,
        help="keep drawing new cases, round after round, until DURATION is spent (90s, 10m, "
        "1h, or seconds), then report",
    )  # fmt: skip
    rules: str | None = option(
        None, metavar="ID,...", check=check_rules, shown="none",
        help="check only these rules (ids in any case)",
    )  # fmt: skip
    shard: str | None = option(
        None, metavar="K/N", check=check_shard, shown="repr", in_pytest=False, in_file=False,
        help="run the K-th of N deterministic parts of the work (rules, and the cases of the "
        "big rules); merge the N results with tcbatch-contract merge",
    )  # fmt: skip
    database: str | None = option(
        None, metavar="LOCATION",
        help="save failures to, and replay them first from, a Hypothesis example database: "
        "a DIR or redis://HOST:PORT/N; ro: before one reads it only; several, comma-separated "
        "(docs/fleet.md)",
        default_text="none: the seed alone",
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
        None, metavar="N", parse=int, check=check_at_least(0),
        help="valid submissions allowed against a non-loopback URL",
        default_text="0: none",
    )  # fmt: skip
    timeout: float = option(
        DEFAULT_TIMEOUT, metavar="S", parse=float, check=check_positive_seconds,
        help="per-request time limit in seconds",
    )  # fmt: skip
    connect_to: str | None = option(
        None, metavar="ADDRESS:PORT", check=check_address, shown="repr",
        help="open connections there instead of at the URL's host, which is still the Host "
        "sent and signed and what decides whether the target is loopback (as curl's "
        "--connect-to)",
    )  # fmt: skip
    expectations: str | None = option(
        None, metavar="FILE",
        help="rules the target declares it does not meet (YAML): reported as unsupported",
    )  # fmt: skip
    min_coverage: str | None = option(
        None, metavar="PCT|DIM=PCT,...", check=check_min_coverage, shown="repr",
        help="fail (exit 1, status insufficient-coverage) when the run exercised less of the "
        "contract: one percentage for every dimension, or pairs of rules, fields, enums, "
        "forms, boundaries, transitions (e.g. boundaries=80,enums=100)",
        default_text="not judged",
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
    result: str | None = option(
        None, group=REPORTS, metavar="FILE", in_pytest=False,
        help="write the run's result as JSON (versioned schema; tcbatch-contract merge reads it)",
    )  # fmt: skip
    report: list[str] = option(  # noqa: RUF009 (a field, as field() is)
        [], group=REPORTS, kind="list", metavar="FILE", in_pytest=False, check=check_report,
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
    def shard_parts(self) -> Any:
        """``--shard`` as a ``harness.shard.Shard`` (None: the whole run)."""
        from ..harness.shard import parse_shard

        return parse_shard(self.shard)

    @property
    def coverage_minimum(self) -> dict[str, float]:
        """``--min-coverage`` per dimension ({}: not judged)."""
        from ..harness.coverage_map import parse_minimum

        return parse_minimum(self.min_coverage) if self.min_coverage else {}

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
        from ..recording.session import PROFILE_OPTIONS, RECORDED_OPTIONS

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


def argparse_keywords(item: dataclasses.Field[Any]) -> dict[str, Any]:
    """How argparse (and pytest's ``addoption``) declares the option, default None: what
    the user gave is then told apart from the rest, which ``resolve`` fills in."""
    spec: Spec = item.metadata["option"]
    if spec.kind == "flag":
        return {"action": "store_true", "default": None, "help": help_text(item)}
    keywords: dict[str, Any] = {
        "action": "append" if spec.kind == "list" else "store",
        "default": None,
        "help": help_text(item),
    }
    if spec.parse is not str:
        keywords["type"] = spec.parse
    if spec.choices:
        keywords["choices"] = spec.choices
    else:
        keywords["metavar"] = spec.metavar
    return keywords


def coerce(item: dataclasses.Field[Any], value: Any) -> Any:
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
            return parse_flag(value)
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


def quoted(spec: Spec, value: Any) -> str:
    if spec.shown == "none":
        return ""
    return " " + (repr(value) if spec.shown == "repr" else str(value))

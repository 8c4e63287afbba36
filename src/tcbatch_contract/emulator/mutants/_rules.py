"""Mutants of the schema and business rules: limits, paths, value forms, swapped codes,
missing checks.

Most are the emulator's own check with one slip, written as what the slip does to the
check's verdicts: a *lax* mutant forgives some of the findings the right check finds (a
scheme compared case-blind forgives ``COS://``), a *strict* one adds findings the right
check would not (a length counted in UTF-8 bytes refuses 30 CJK characters), a *recoded*
one answers a finding with a neighbouring rule's code, and a missing check finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ... import codes
from ..validate._model import Finding, Node, Subject, objects, strings
from ..validate.env import PASSWORD_SPECIALS
from . import mutant

if TYPE_CHECKING:
    from ..app import EmulatorApp

Forgives = Callable[[Subject, Finding, Any], bool]


def value_at(params: Any, path: str) -> Any:
    """The value at a dotted parameter path (``Job.Tasks.0.TaskName``); None when absent."""
    node = params
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def lax(rule: str, forgives: Forgives) -> Callable[[EmulatorApp], None]:
    """The check of ``rule`` minus the findings ``forgives(subject, finding, value)`` lets go."""

    def apply(app: EmulatorApp) -> None:
        original = app.checks[rule]

        def check(subject: Subject) -> Iterator[Finding]:
            for finding in original(subject):
                if not forgives(subject, finding, value_at(subject.params, finding.path)):
                    yield finding

        app.checks[rule] = check

    return apply


def strict(
    rule: str, extra: Callable[[Subject], Iterable[Finding]]
) -> Callable[[EmulatorApp], None]:
    """The check of ``rule``, then the findings ``extra`` finds as well."""

    def apply(app: EmulatorApp) -> None:
        original = app.checks[rule]

        def check(subject: Subject) -> Iterator[Finding]:
            yield from original(subject)
            yield from extra(subject)

        app.checks[rule] = check

    return apply


def recode(rule: str, code: str) -> Callable[[EmulatorApp], None]:
    """The check of ``rule``, answering ``code`` instead of the rule's own."""

    def apply(app: EmulatorApp) -> None:
        original = app.checks[rule]
        app.checks[rule] = lambda subject: (replace(f, code=code) for f in original(subject))

    return apply


def off(rule: str) -> Callable[[EmulatorApp], None]:
    def apply(app: EmulatorApp) -> None:
        app.checks[rule] = lambda subject: iter(())

    return apply


def _node(subject: Subject, path: str) -> Node | None:
    return next((n for n in subject.walk[1] if n.path == path), None)


# ---- limits ---------------------------------------------------------------------------


def _longer(rule: str, code: str, limit: int, measure: Callable[[str], int], texts):
    def extra(subject: Subject) -> Iterator[Finding]:
        for path, text in texts(subject):
            if len(text) <= limit < measure(text):
                yield Finding(rule, code, path, f"`{path}` is too long; at most {limit} allowed.")

    return extra


def _job_name(subject: Subject) -> Iterator[tuple[str, str]]:
    return strings(subject.job, "JobName", "Job")


def _utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


mutant("b1-job-name-off-by-one", "limit", "a JobName of exactly 60 characters is refused")(
    strict("B1", _longer("B1", codes.JOB_NAME_TOO_LONG, 60, lambda t: len(t) + 1, _job_name))
)
mutant("b1-job-name-utf8-bytes", "limit", "JobName length counted in UTF-8 bytes")(
    strict("B1", _longer("B1", codes.JOB_NAME_TOO_LONG, 60, _utf8_bytes, _job_name))
)
mutant("b2-description-utf16", "limit", "JobDescription length counted in UTF-16 code units")(
    strict(
        "B2",
        _longer(
            "B2",
            codes.JOB_DESCRIPTION_TOO_LONG,
            200,
            _utf16_units,
            lambda s: strings(s.job, "JobDescription", "Job"),
        ),
    )
)
mutant("b3-task-name-limit-64", "limit", "TaskName allowed up to 64 characters, not 60")(
    lax("B3", lambda s, f, v: isinstance(v, str) and len(v) <= 64)
)
mutant("b15-eleven-allowed", "limit", "11 InstanceTypes or 11 Tags are accepted (> 11 refused)")(
    lax("B15", lambda s, f, v: isinstance(v, list) and len(v) == 11)
)
mutant("b16-task-retry-limit-10", "limit", "Task.MaxRetryCount allowed up to 10 (Docker's limit)")(
    lax("B16", lambda s, f, v: bool(re.search(r"Tasks\.\d+\.MaxRetryCount$", f.path)) and v <= 10)
)
mutant("b17-delay-on-retry-zero", "limit", "Docker.DelayOnRetry of 0 is accepted (range 0-360)")(
    lax("B17", lambda s, f, v: f.path.endswith(".DelayOnRetry") and v == 0)
)
mutant("b23-topic-name-65", "limit", "a TopicName of 65 characters is accepted")(
    lax("B23", lambda s, f, v: isinstance(v, str) and len(v) == 65)
)

# ---- paths ----------------------------------------------------------------------------

_SCHEMES = ("cos", "cfs", "nfs")
_ASCII_SPACE = " \t\n\r\f\v"
_ASCII_FORM = re.compile(r"(cos|cfs|nfs)://[^/ \t\n\r\f\v]+/[^ \t\n\r\f\v]*")


def _is_directory(path: str) -> bool:
    return ".RedirectInfo." in path or (
        ".OutputMappings." in path and path.endswith(".DestinationPath")
    )


def _scheme(value: str) -> str:
    return value.partition("://")[0]


mutant("b19-scheme-case-blind", "path", "the scheme is compared case-blind: COS:// passes")(
    lax("B19", lambda s, f, v: _scheme(v).lower() in _SCHEMES)
)
mutant("b19-scheme-prefix", "path", "the scheme is checked by prefix: cosn:// and cfsx:// pass")(
    lax("B19", lambda s, f, v: v.startswith(_SCHEMES))
)
mutant("b19-skips-package-path", "path", "Application.PackagePath is left out of the scheme check")(
    lax("B19", lambda s, f, v: f.path.endswith(".PackagePath"))
)
mutant("b20-no-trailing-slash", "path", "directory paths are not required to end with /")(
    lax("B20", lambda s, f, v: bool(_ASCII_FORM.fullmatch(v)) and not any(c.isspace() for c in v))
)
mutant("b20-ascii-whitespace-only", "path", "only ASCII whitespace is refused in remote paths")(
    lax(
        "B20",
        lambda s, f, v: (
            bool(_ASCII_FORM.fullmatch(v)) and (v.endswith("/") or not _is_directory(f.path))
        ),
    )
)
mutant("b21-skips-redirect-local", "path", "RedirectLocalInfo paths are not checked")(
    lax("B21", lambda s, f, v: ".RedirectLocalInfo." in f.path)
)
mutant("b21-c0-controls-only", "path", "only C0 controls are refused: DEL and C1 pass")(
    lax(
        "B21",
        lambda s, f, v: (
            (v.startswith("/") or bool(re.match(r"[A-Za-z]:\\", v)))
            and not any(c < "\x20" for c in v)
        ),
    )
)
mutant("b26-zone-leading-zero", "path", "zone numbers with a leading zero (-02, -0) pass")(
    lax("B26", lambda s, f, v: bool(re.fullmatch(re.escape(s.region) + r"-[0-9]{1,2}", v)))
)
mutant("b26-skips-env-zones", "path", "only Placement.Zone is checked, not EnvData.Zones")(
    lax("B26", lambda s, f, v: f.path != "Placement.Zone")
)

# ---- value forms ----------------------------------------------------------------------

_PASSWORD_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
) | frozenset(PASSWORD_SPECIALS)


def _parses_as_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _previous_differs(subject: Subject, finding: Finding, value: Any) -> bool:
    items = value_at(subject.params, _parent(finding.path))
    index = int(finding.path.rpartition(".")[2])
    return items[index - 1] != value


mutant("b8-env-id-case-blind", "value", "EnvId matched case-blind: env-ABCD1234 is well-formed")(
    lax("B8", lambda s, f, v: bool(re.fullmatch(r"env-[a-z0-9]{8}", v, re.IGNORECASE)))
)
mutant("b10-image-id-prefix", "value", "ImageId matched as a prefix: img-abcd1234x passes")(
    lax("B10", lambda s, f, v: bool(re.match(r"img-[a-z0-9]{8}", v)))
)
mutant("b22-price-float-parse", "value", "MaxPrice checked with float(): 1e3, -1, nan pass")(
    lax("B22", lambda s, f, v: _parses_as_float(v))
)
mutant("b24-topic-underscore", "value", "TopicName may hold _")(
    lax("B24", lambda s, f, v: bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", v)))
)
mutant("b27-password-one-class", "value", "a password of one character class passes")(
    lax(
        "B27",
        lambda s, f, v: (
            f.path.endswith(".Password") and 8 <= len(v) <= 16 and set(v) <= _PASSWORD_CHARS
        ),
    )
)
mutant("b29-token-allows-space", "value", "ClientToken may hold spaces (0x20 allowed)")(
    lax("B29", lambda s, f, v: 1 <= len(v) <= 64 and all(" " <= c <= "~" for c in v))
)
mutant("b4-empty-name-accepted", "value", "an empty TaskName passes (checked as `if name and`)")(
    lax("B4", lambda s, f, v: v == "")
)
mutant("b7-both-allowed", "value", "a task with both EnvId and ComputeEnv passes")(
    lax("B7", lambda s, f, v: "EnvId" in v and "ComputeEnv" in v)
)
mutant("b11-env-type-case-blind", "value", "ComputeEnv.EnvType compared case-blind")(
    lax("B11", lambda s, f, v: f.path.endswith(".EnvType") and v.upper() == "MANAGED")
)
mutant("b13-empty-commands-given", "value", "Commands: [] counts as a command")(
    lax(
        "B13",
        lambda s, f, v: (
            f.path.endswith(".Command")
            and "Commands" in (value_at(s.params, _parent(f.path)) or {})
        ),
    )
)
mutant("b14-adjacent-only", "value", "InstanceTypes duplicates looked for only side by side")(
    lax("B14", _previous_differs)
)


def _truthy(value: Any) -> Any:
    """``value`` with every member whose value is falsy ("", [], {}, 0, false) left out."""
    if isinstance(value, dict):
        return {k: _truthy(v) for k, v in value.items() if v}
    if isinstance(value, list):
        return [_truthy(v) for v in value]
    return value


@mutant("b12-truthiness", "value", "exclusive members count as given only when truthy: [] and ''")
def _b12_truthiness(app: EmulatorApp) -> None:
    original = app.checks["B12"]
    app.checks["B12"] = lambda subject: original(replace(subject, params=_truthy(subject.params)))


def _across_notifications(subject: Subject) -> Iterator[Finding]:
    seen: set[str] = set()
    for note_path, note in objects(subject.job.get("Notifications"), "Job.Notifications"):
        here: set[str] = set()
        for config_path, config in objects(note.get("EventConfigs"), f"{note_path}.EventConfigs"):
            for path, name in strings(config, "EventName", config_path):
                if name in seen and name not in here:
                    yield Finding(
                        "B25",
                        codes.NOTIFICATION_EVENT_NAME_DUPLICATE,
                        path,
                        f"The event `{name}` appears twice.",
                    )
                here.add(name)
        seen |= here


mutant("b25-across-notifications", "value", "an EventName in two Notifications is a duplicate")(
    strict("B25", _across_notifications)
)

# ---- swapped codes --------------------------------------------------------------------

for _name, _rule, _code, _what in (
    ("b19-answers-b20", "B19", codes.REMOTE_STORAGE_PATH, "a wrong scheme"),
    ("b3-answers-b4", "B3", codes.TASK_NAME, "a TaskName over 60"),
    ("s5-answers-s4", "S5", codes.INVALID_PARAMETER, "a negative uint64"),
    ("b9-answers-b8", "B9", codes.ENV_ID_MALFORMED, "an unknown EnvId"),
    ("s3-answers-s4", "S3", codes.INVALID_PARAMETER, "an unknown member"),
    ("b30-answers-b15", "B30", codes.LIMIT_EXCEEDED_VALUE, "the job quota"),
):
    mutant(_name, "code-swap", f"{_what} is answered {_code}")(recode(_rule, _code))

# ---- missing checks -------------------------------------------------------------------


def _int_member(node: Node | None) -> bool:
    return node is not None and node.member.elem in ("int64", "uint64")


def _scalar(node: Node | None) -> bool:
    return node is not None and (node.item or not node.member.is_list)


mutant("s3-unknown-ignored", "missing-check", "unknown members are ignored")(off("S3"))
mutant("b18-unchecked", "missing-check", "TaskInstanceNum 0 is accepted")(off("B18"))
mutant("b31-unchecked", "missing-check", "the denied credential may use Batch")(off("B31"))
mutant(
    "s1-nested-unchecked",
    "missing-check",
    "required members are checked in Placement and Job only, not deeper",
)(lax("S1", lambda s, f, v: f.path.count(".") >= 2))
mutant("s4-bool-as-integer", "missing-check", "true/false pass as integers (bool is an int)")(
    lax(
        "S4",
        lambda s, f, v: isinstance(v, bool) and _int_member(n := _node(s, f.path)) and _scalar(n),
    )
)
mutant("s4-integral-float", "missing-check", "an integral float (1.0) passes as an integer")(
    lax(
        "S4",
        lambda s, f, v: (
            isinstance(v, float)
            and v.is_integer()
            and _int_member(n := _node(s, f.path))
            and _scalar(n)
        ),
    )
)
mutant("s6-list-items-unchecked", "missing-check", "enumerations are not applied to list items")(
    lax("S6", lambda s, f, v: bool((n := _node(s, f.path)) and n.item))
)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@mutant("s4-null-as-absent", "missing-check", "a member given as null counts as absent")
def _null_as_absent(app: EmulatorApp) -> None:
    for rule in ("S1", "S4"):
        original = app.checks[rule]
        app.checks[rule] = lambda subject, original=original: original(
            replace(subject, params=_without_nulls(subject.params))
        )

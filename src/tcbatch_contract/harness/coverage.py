"""The contract-coverage map: what a run actually exercised, measured on the wire.

A verdict of "pass" says nothing of what was not sent. A short CI run may never put a
JobName of exactly 60 characters on the wire, never send a V1 GET, never terminate a job
twice; such a target passes for lack of asking. So every answered request of a run is
tallied here, from the request as it was sent (the JSON body, or the flattened query or
form read back by the type table) and the answer that came:

* **rules**: the catalogue rules the request broke, by the oracle's reading of what was
  sent (for the rules a body alone cannot show, P1-P11, B30 and B31: the rule of the check
  that sent it), and for each rule the fields (list indices as ``*``) it was broken in;
* **enums**: each value of each enumeration of the contract that was sent;
* **forms**: the request forms used (TC3 POST and GET, V1 GET and POST);
* **boundaries**: for each limit of the contract, whether limit - 1, limit and limit + 1
  were sent (for a lower bound: bound - 1, bound, bound + 1);
* **transitions**: (state of the job, action) pairs seen: a job submitted, terminated or
  deleted by the run, then described, terminated, deleted or submitted again with its
  ClientToken, and ids the run never created.

The denominators come from the contract data (the catalogue's rules and their constraints:
``maxLength``, ``maxItems``, ``minItems``, ``minimum``, ``maximum``, ``enum``; the
strategies' field table), never from a target. A :class:`Tally` is
filled per check (in whatever process ran it) and merged; :class:`CoverageMap` is the
run's, with ``to_dict()`` for machine-readable results. ``--min-coverage`` is judged by
:mod:`.coverage_minimum`.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .. import codes

FORMS = ("tc3-post", "tc3-get", "v1-get", "v1-post")

#: (params, oracle context, outcome) of the request the check in this thread is sending.
_judged: ContextVar[tuple[Mapping[str, Any], Any, Any] | None] = ContextVar("judged", default=None)


@contextmanager
def judged(params: Mapping[str, Any], context: Any, outcome: Any) -> Iterator[None]:
    """While a check sends ``params``, whose outcome under ``context`` it has just had from
    the oracle: the tally of that request, when the request reads back as the very same
    params (in whatever form it went), takes that outcome instead of asking the oracle
    again."""
    token = _judged.set((params, context, outcome))
    try:
        yield
    finally:
        _judged.reset(token)


DIMENSIONS = ("rules", "fields", "enums", "forms", "boundaries", "transitions")
JOB_ACTIONS = ("DescribeJob", "DescribeJobSubmitInfo", "TerminateJob", "DeleteJob")
STATES = ("unknown", "submitted", "terminated", "deleted")
#: Every (state, action) pair the contract defines an answer for (§6, §7).
TRANSITIONS: tuple[tuple[str, str], ...] = (
    ("new", "SubmitJob"),
    ("submitted", "SubmitJob"),  # the same ClientToken again: the first JobId back
    ("deleted", "SubmitJob"),  # the token of a deleted job: still the first JobId
    *((state, action) for state in STATES for action in JOB_ACTIONS),
)
#: Requests larger than this (bytes of body and query) are tallied by their form only.
MAX_READ = 2 * 1024 * 1024
#: Answers that refuse a request before its parameters are read (protocol.md, P1-P11).
_REFUSED_UNREAD = frozenset(
    {
        codes.AUTH_INVALID_AUTHORIZATION, codes.AUTH_SECRET_ID_NOT_FOUND,
        codes.AUTH_SIGNATURE_EXPIRE, codes.AUTH_SIGNATURE_FAILURE, codes.INVALID_ACTION,
        codes.NO_SUCH_VERSION, codes.REQUEST_LIMIT_EXCEEDED, codes.REQUEST_SIZE_LIMIT_EXCEEDED,
        codes.UNSUPPORTED_PROTOCOL, codes.UNSUPPORTED_REGION,
    }
)  # fmt: skip
#: Rules a request body cannot show: credited to the check that sent the request.
_CONTEXT_RULES = frozenset({"B30", "B31"})
_V1_COMMON = frozenset(
    ("Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod",
     "Signature", "Token", "Language", "RequestClient")
)  # fmt: skip
#: The answers that show a job action reached the job (or its absence).
_JOB_ANSWERS = frozenset({"ResourceNotFound.Job", "InvalidParameter.JobIdMalformed"})
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


@dataclass(frozen=True)
class Boundary:
    """One limit of the catalogue on one field (a path template): ``kind`` is ``length``
    (code points), ``count`` (list items) or ``value``; ``side`` is ``max`` or ``min``."""

    rule: str
    field: str
    kind: str
    side: str
    limit: int

    @property
    def name(self) -> str:
        what = {"length": "length of ", "count": "items in ", "value": ""}[self.kind]
        return f"{what}{self.field} ({self.side} {self.limit}, {self.rule})"

    @property
    def points(self) -> tuple[int, int, int]:
        return (self.limit - 1, self.limit, self.limit + 1)


_KEYWORDS = {
    "maxLength": ("length", "max"),
    "maxItems": ("count", "max"),
    "minItems": ("count", "min"),
    "maximum": ("value", "max"),
    "minimum": ("value", "min"),
}
#: Integer ranges of the type table (int64, uint64): limits of a type, not of the contract.
_TYPE_RANGE_RULES = frozenset({"S4", "S5"})


@functools.cache
def boundaries() -> tuple[Boundary, ...]:
    """The limits of the catalogue's constraints (§2-§3), in catalogue order."""
    from .. import catalogue

    out = []
    for rule in catalogue.rules():
        if rule.id in _TYPE_RANGE_RULES:
            continue
        for constraint in rule.constraints:
            keywords = constraint.keywords
            for keyword, (kind, side) in _KEYWORDS.items():
                limit = keywords.get(keyword)
                if isinstance(limit, int) and not isinstance(limit, bool):
                    out += [Boundary(rule.id, f, kind, side, limit) for f in constraint.fields]
    return tuple(out)


@functools.cache
def enumerations() -> dict[str, frozenset[str]]:
    """Field template -> its values, from the catalogue's ``enum`` constraints."""
    from .. import catalogue

    out: dict[str, frozenset[str]] = {}
    for rule in catalogue.rules():
        for constraint in rule.constraints:
            values = constraint.keywords.get("enum")
            if isinstance(values, list):
                for name in constraint.fields:
                    out[name] = out.get(name, frozenset()) | frozenset(map(str, values))
    return out


@dataclass
class Tally:
    """What the answered requests of one check exercised (mergeable, picklable)."""

    requests: int = 0
    rule_fields: dict[str, set[str]] = field(default_factory=dict)
    enum_values: set[tuple[str, str]] = field(default_factory=set)
    forms: set[str] = field(default_factory=set)
    boundary_points: set[tuple[int, int]] = field(default_factory=set)  # (boundary, point)
    transitions: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # -> answers
    jobs: dict[str, str] = field(default_factory=dict)  # JobId -> state, as this check saw it
    unreadable: int = 0  # requests whose parameters could not be walked

    def to_dict(self) -> dict[str, Any]:
        """The tally as plain data (what ``merge`` of shard results unites)."""
        return {
            "requests": self.requests,
            "unreadable": self.unreadable,
            "rule_fields": {rule: sorted(fields) for rule, fields in self.rule_fields.items()},
            "enum_values": sorted([k, v] for k, v in self.enum_values),
            "forms": sorted(self.forms),
            "boundary_points": sorted([i, p] for i, p in self.boundary_points),
            "transitions": [
                [s, a, sorted(answers)] for (s, a), answers in self.transitions.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tally:
        return cls(
            requests=data["requests"],
            unreadable=data["unreadable"],
            rule_fields={rule: set(fields) for rule, fields in data["rule_fields"].items()},
            enum_values={(k, v) for k, v in data["enum_values"]},
            forms=set(data["forms"]),
            boundary_points={(i, p) for i, p in data["boundary_points"]},
            transitions={(s, a): set(answers) for s, a, answers in data["transitions"]},
        )

    def merge(self, other: Tally | None) -> Tally:
        if other is None or other is self:
            return self
        self.requests += other.requests
        self.unreadable += other.unreadable
        for rule, fields in other.rule_fields.items():
            self.rule_fields.setdefault(rule, set()).update(fields)
        self.enum_values |= other.enum_values
        self.forms |= other.forms
        self.boundary_points |= other.boundary_points
        for pair, answers in other.transitions.items():
            self.transitions.setdefault(pair, set()).update(answers)
        return self

    def note(
        self,
        check_rule: str,
        form: str,
        action: str | None,
        request: Any,
        response: Any,
        profile: Any,
    ) -> None:
        """Count one answered request (``request``/``response``: the wire objects)."""
        self.requests += 1
        self.forms.add(form)
        if check_rule.startswith("P") or check_rule in _CONTEXT_RULES:
            self.rule_fields.setdefault(check_rule, set())
        if len(request.body) + len(request.query) > MAX_READ:
            return  # a size probe (P10, robustness): its form is all it exercises
        if check_rule.startswith("P") or response.code in _REFUSED_UNREAD:
            return  # refused before its parameters were read: they exercised nothing
        try:
            region, params = read_params(form, request)
            if params is None or action is None:
                return
            answer = response.response if isinstance(response.response, dict) else {}
            code = response.code
            if action == "SubmitJob":
                self._submitted(params, region, profile, answer, code)
            elif action in JOB_ACTIONS and isinstance(params.get("JobId"), str):
                self._job_action(action, params["JobId"], code)
        except (RecursionError, ValueError, TypeError, AttributeError):
            # A request no reading of the contract can walk (nesting deeper than the
            # interpreter allows, a hostile body): tallied by its form only, never a crash
            # of the check that sent it.
            self.unreadable += 1

    def _submitted(
        self,
        params: dict[str, Any],
        region: str | None,
        profile: Any,
        answer: dict,
        code: Any,
    ) -> None:
        from ..oracle import Context, evaluate

        context = Context.from_profile(profile, region=region or profile.region)
        hint = _judged.get()
        if hint is not None and hint[1] == context and hint[0] == params:
            outcome = hint[2]  # the check's own verdict on these very params
        else:
            outcome = evaluate("SubmitJob", params, context)
        for violation in outcome.violations:
            if not violation.alternative:
                fields = self.rule_fields.setdefault(violation.rule, set())
                fields.update(fields_of(violation.rule, violation.path, params))
        _walk(params, "", self)
        job_id = answer.get("JobId")
        if code is None and isinstance(job_id, str):
            state = self.jobs.get(job_id)
            pair = ("new", "SubmitJob") if state is None else (state, "SubmitJob")
            self.transitions.setdefault(pair, set()).add("success")
            self.jobs.setdefault(job_id, "submitted")

    def _job_action(self, action: str, job_id: str, code: str | None) -> None:
        if code is not None and code not in _JOB_ANSWERS:
            return  # refused before the job was looked at (a protocol or parameter fault)
        state = self.jobs.get(job_id, "unknown")
        self.transitions.setdefault((state, action), set()).add(code or "success")
        if code is None and action == "TerminateJob" and state == "submitted":
            self.jobs[job_id] = "terminated"
        elif code is None and action == "DeleteJob" and state in ("submitted", "terminated"):
            self.jobs[job_id] = "deleted"


def fields_of(rule: str, path: str, params: dict[str, Any]) -> set[str]:
    """The rule's fields (its field table's templates) a violation at ``path`` covers.

    The field the oracle locates the fault at, when the table has it; with it the table's
    members right below it that the request lacks (B11 at an ``EnvData`` without any
    instance type: their absence is the fault) and those beside it that the request holds
    (B13 at a missing ``PackagePath``: the ``DeliveryForm`` that asks for one). Where the
    table does not have the place (B6 at ``Job.Dependences``, B12 at the ``EnvData``
    holding the conflicting members, B14 at the repeated item), the table's fields below
    it, beside it or holding it that the request holds there, so that B12 covers exactly
    the members given together. S3's
    table names the object that got the unknown member.
    """
    from ..strategies import rule_fields

    template = _INDEX.sub("*", path)
    if rule == "S3":
        return {template.rpartition(".")[0]}
    table = rule_fields(rule) if rule in _field_rules() else ()
    if not table:
        return {template}
    parts, known = path.split("."), template in table
    out = {template} if known else set()
    for candidate in table:
        wanted, mine = candidate.split("."), template.split(".")
        below = wanted[: len(parts)] == mine and len(wanted) > len(parts)
        beside = len(wanted) == len(parts) and wanted[:-1] == mine[:-1]
        above = wanted == mine[:-1]  # the list holding a repeated item (B14)
        if candidate == template or not (below or beside or above):
            continue
        held = _holds(params, wanted, parts)
        if known:
            lacking = below and len(wanted) == len(parts) + 1 and not held
            chosen = lacking or (beside and held)
        else:
            chosen = held
        if chosen:
            out.add(candidate)
    return out or {template}


def _holds(value: Any, wanted: list[str], concrete: list[str]) -> bool:
    """Whether ``value`` holds the member ``wanted`` (a template), its list indices taken
    from ``concrete`` as far as it goes, any element beyond."""
    for depth, part in enumerate(wanted):
        if part == "*":
            if not isinstance(value, list):
                return False
            if depth < len(concrete) and concrete[depth].isdigit():
                index = int(concrete[depth])
                if index >= len(value):
                    return False
                value = value[index]
                continue
            return any(_holds(item, wanted[depth + 1 :], []) for item in value)
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


@functools.cache
def _field_rules() -> frozenset[str]:
    from ..strategies import single_fault_rules

    return frozenset(single_fault_rules())


def _walk(value: Any, template: str, tally: Tally, depth: int = 0) -> None:
    """Tally the enumerated values and the boundary points of one request tree.

    Only the members on the way to a limited or enumerated field are visited: a request
    has hundreds of members and a few dozen templates matter, and walking all of them
    was a twentieth of a worker's time. Any member whose template could still lead to
    one (a dotted prefix of it, whatever dots its names hold) is visited, so the tally
    is the same as a walk of the whole tree; never deeper than the deepest such field,
    so that a hostile nesting costs nothing."""
    prefixes, checks = _interest()
    deepest = _deepest()

    def visit(value: Any, template: str, depth: int) -> None:
        found = checks.get(template)
        if found is not None:
            bounds, values = found
            for index, bound in bounds:
                measured = _measure(bound.kind, value)
                if measured is not None and measured in bound.points:
                    tally.boundary_points.add((index, measured))
            if values is not None and isinstance(value, str) and value in values:
                tally.enum_values.add((template, value))
        if depth >= deepest:
            return
        if isinstance(value, dict):
            for name, item in value.items():
                below = f"{template}.{name}" if template else str(name)
                if below in prefixes:
                    visit(item, below, depth + 1)
        elif isinstance(value, list):
            below = f"{template}.*"
            if below in prefixes:
                for item in value:
                    visit(item, below, depth + 1)

    if not template or template in prefixes:
        visit(value, template, depth)


@functools.cache
def _interest() -> tuple[frozenset[str], dict[str, tuple[list[tuple[int, Boundary]], Any]]]:
    """The dotted prefixes of every limited or enumerated field's template (the fields
    themselves among them), and for each field its limits and its enumerated values."""
    bounds, values = _bounds_of(), enumerations()
    prefixes: set[str] = set()
    for template in {*bounds, *values}:
        prefixes.update(template[:i] for i, c in enumerate(template) if c == ".")
        prefixes.add(template)
    checks = {t: (bounds.get(t, []), values.get(t)) for t in {*bounds, *values}}
    return frozenset(prefixes), checks


@functools.cache
def _deepest() -> int:
    return max(len(t.split(".")) for t in [*_bounds_of(), *enumerations()])


@functools.cache
def _bounds_of() -> dict[str, list[tuple[int, Boundary]]]:
    out: dict[str, list[tuple[int, Boundary]]] = {}
    for index, bound in enumerate(boundaries()):
        out.setdefault(bound.field, []).append((index, bound))
    return out


def _measure(kind: str, value: Any) -> int | None:
    if kind == "length":
        return len(value) if isinstance(value, str) else None
    if kind == "count":
        return len(value) if isinstance(value, list) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def read_params(form: str, request: Any) -> tuple[str | None, dict[str, Any] | None]:
    """(Region, params) of a request as a target reads them; params None when unreadable."""
    if form == "tc3-post":
        try:
            params = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return request.header("X-TC-Region"), None
        return request.header("X-TC-Region"), params if isinstance(params, dict) else None
    if form == "tc3-get":
        return request.header("X-TC-Region"), _unflatten(parse_qsl(request.query, True))
    text = request.query if form == "v1-get" else request.body.decode("utf-8", "replace")
    pairs = parse_qsl(text, keep_blank_values=True)
    region = next((v for k, v in pairs if k == "Region"), None)
    return region, _unflatten([(k, v) for k, v in pairs if k not in _V1_COMMON])


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any] | None:
    """``Job.Tasks.0.TaskName=x`` pairs as nested params, values coerced by the type table
    (None for what no target could read: a gap in a list, a name both leaf and parent)."""
    root: dict[str, Any] = {}
    try:
        for name, text in pairs:
            parts = name.split(".")
            node: Any = root
            for part, after in itertools.pairwise(parts):
                node = _child(node, part, [] if after.isdigit() else {})
            _set(node, parts[-1], text)
        return _coerce(_lists(root), "SubmitJobRequest")  # type: ignore[return-value]
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _child(node: Any, part: str, empty: Any) -> Any:
    if isinstance(node, dict):
        return node.setdefault(part, empty) if part not in node else node[part]
    index = int(part)
    while len(node) <= index:
        node.append(None)
    if node[index] is None:
        node[index] = empty
    return node[index]


def _set(node: Any, part: str, text: str) -> None:
    if isinstance(node, dict):
        node[part] = text
        return
    index = int(part)
    while len(node) <= index:
        node.append(None)
    node[index] = text


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list):
        if any(v is None for v in value):
            raise ValueError("a gap in a list")
        return [_lists(v) for v in value]
    return value


def _coerce(value: Any, type_name: str | None) -> Any:
    from ..typetable import SCALARS, types

    if not isinstance(value, dict):
        return value
    members = types().get(type_name or "", {})
    out: dict[str, Any] = {}
    for name, item in value.items():
        member = members.get(name)
        if member is None:
            out[name] = item
            continue
        elem = member.elem
        items = item if member.is_list and isinstance(item, list) else None
        if items is not None:
            out[name] = [
                _coerce(x, elem) if elem not in SCALARS else _scalar(x, elem) for x in items
            ]
        else:
            out[name] = _coerce(item, elem) if elem not in SCALARS else _scalar(item, elem)
    return out


def _scalar(text: Any, elem: str) -> Any:
    if not isinstance(text, str):
        return text
    if elem == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if elem in ("int64", "uint64") and re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return text

"""Cassettes on disk: vcrpy's own data model and YAML format, scrubbed before writing.

A recorded run is a directory holding ``cassette.yaml`` (the exchanges, as vcrpy writes
and reads them: ``vcr.request.Request`` objects and vcrpy response dicts, saved through
``FilesystemPersister`` and vcrpy's YAML serializer, so ``vcr.use_cassette`` and
``Cassette.load`` open it) and ``run.json`` (what was run against what: the target
profile, the options, the verdicts, and a label saying where the answers came from).

Each recorded request carries its match key in the header ``x-tcbatch-match`` (see
``matching``): a replay matches on that header only, so the stored request itself can be
scrubbed freely. Nothing leaves this module unscrubbed: credential headers and parameters
are masked structurally, every string is cleaned of the run's secret values and of
signature-shaped text, and the written files are read back and refused if a secret is
still in them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from vcr.cassette import Cassette
from vcr.persisters.filesystem import FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request
from vcr.serializers import yamlserializer

from ..harness.report.masking import MASK, is_secret_name, mask_params, mask_wire
from ..transport import WireRequest, WireResponse

CASSETTE_FILE = "cassette.yaml"
RUN_FILE = "run.json"
FORMAT = 1
MATCH_HEADER = "x-tcbatch-match"
CLOCK_HEADER = "x-tcbatch-clock-offset"  # the target's Date minus the time of sending
ERROR_HEADER = "x-tcbatch-transport-error"  # kind of a TransportError recorded as an answer
TRANSPORT_ERROR_STATUS = 599
BODY_KEPT = 8192  # request bodies longer than this are stored shortened (the key matches)

#: What decides the requests a run sends: their code and data make the fingerprint.
GENERATOR_PACKAGES = (
    "tcbatch_contract.strategies",
    "tcbatch_contract.strategies._internal",
    "tcbatch_contract.harness",
    "tcbatch_contract.oracle",
    "tcbatch_contract.transport",
    "tcbatch_contract.wire",
    "tcbatch_contract.contracts",
)


class CassetteError(Exception):
    """A cassette directory that cannot be read, or a write that would leak a secret."""


@dataclass
class RunRecord:
    """``run.json``: what a cassette recorded, against what, and with which verdicts."""

    label: str
    source: str  # "emulator" | "loopback" | "remote" | "live": where the answers came from
    target: str
    base_url: str
    host: str
    scheme: str
    recorded: str
    tool_version: str
    profile: dict[str, Any]
    settings: dict[str, Any]
    verdicts: dict[str, str] = field(default_factory=dict)
    interactions: int = 0
    generator: str = ""  # fingerprint of the code and data that decide what a run sends
    format: int = FORMAT

    @property
    def is_live(self) -> bool:
        """Answers of a service other than a local stand-in (where contract drift is read)."""
        return self.source == "live"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=True, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> RunRecord:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise CassetteError(
                    f"{where}: format {data.get('format')!r} is not {FORMAT}; re-record it"
                )
            return cls(**data)
        except (ValueError, TypeError, AttributeError) as exc:
            raise CassetteError(f"{where} is not a run record ({exc}); re-record it") from None


def generator_fingerprint() -> str:
    """A digest of the strategies, checks, oracle, transports and contract data, and of
    the Hypothesis version (another version draws other cases from the same seed)."""
    import hypothesis

    digest = hashlib.sha256()
    digest.update(f"hypothesis {hypothesis.__version__}\0".encode())
    for package in GENERATOR_PACKAGES:
        root = resources.files(package)
        for item in sorted(root.iterdir(), key=lambda i: i.name):
            if item.is_file() and item.name.endswith((".py", ".yaml", ".json")):
                digest.update(f"{package}/{item.name}\0".encode())
                digest.update(item.read_bytes())
    return digest.hexdigest()[:16]


def vcr_request(
    request: WireRequest, base_url: str, key: str, scrub: Callable[[str], str]
) -> Request:
    """The scrubbed vcrpy request for ``request``, carrying its match key."""
    wire = mask_wire(request.to_dict(max_body=BODY_KEPT)) or {}
    query = _mask_flat(wire["query"])
    if "x-www-form-urlencoded" in (request.header("Content-Type") or "").lower():
        wire["body"] = _mask_flat(wire["body"])
    if len(query) > BODY_KEPT:
        query = query[:BODY_KEPT] + f"…({len(request.query)}-byte query)"
    uri = base_url + wire["path"] + (f"?{query}" if query else "")
    headers: dict[str, str] = {}
    for name, value in wire["headers"]:
        headers.setdefault(name, scrub(value))
    headers[MATCH_HEADER] = scrub(key)
    return Request(request.method, scrub(uri), scrub(_masked_json(wire["body"])), headers)


def vcr_response(response: WireResponse, clock_offset: float | None, scrub) -> dict[str, Any]:
    """The scrubbed vcrpy response dict for ``response``."""
    headers = {name: [scrub(value)] for name, value in response.headers.items()}
    if clock_offset is not None:
        headers[CLOCK_HEADER] = [f"{clock_offset:.3f}"]
    return {
        "status": {"code": response.status, "message": _reason(response.status)},
        "headers": headers,
        "body": {"string": _scrub_body(response.body, scrub)},
    }


def vcr_transport_error(kind: str, detail: str, scrub: Callable[[str], str]) -> dict[str, Any]:
    """A response dict standing for "no answer" (a TransportError of ``kind``)."""
    return {
        "status": {"code": TRANSPORT_ERROR_STATUS, "message": "no answer"},
        "headers": {ERROR_HEADER: [kind]},
        "body": {"string": scrub(detail)},
    }


def save(
    directory: Path,
    interactions: Iterable[tuple[Request, dict[str, Any]]],
    record: RunRecord,
    secrets: Iterable[str],
    scrub: Any = None,
) -> Path:
    """Write ``cassette.yaml`` and ``run.json`` into ``directory``; refuse to leak ``secrets``.

    ``scrub`` (a ``Scrubber`` that learned the run's signatures) cleans every exchange
    here, once, as it is written, and then checks the written files.
    """
    directory.mkdir(parents=True, exist_ok=True)
    hidden = [s for s in secrets if s and len(s) >= 4]  # shorter ones: no secret to find
    pairs = list(interactions)
    if scrub is not None:
        pairs = [(_scrubbed_request(r, scrub), _scrubbed_response(a, scrub)) for r, a in pairs]
        record = RunRecord.from_json(scrub(record.to_json()), RUN_FILE)
    record.interactions = len(pairs)
    path = directory / CASSETTE_FILE
    FilesystemPersister.save_cassette(
        str(path),
        {"requests": [r for r, _ in pairs], "responses": [r for _, r in pairs]},
        serializer=yamlserializer,
    )
    label = f"# tcbatch-contract cassette: {record.label}\n# See {RUN_FILE} beside it.\n"
    path.write_text(label + path.read_text(encoding="utf-8"), encoding="utf-8")
    (directory / RUN_FILE).write_text(record.to_json(), encoding="utf-8")
    leaked = [
        name
        for name in (CASSETTE_FILE, RUN_FILE)
        if any(s in (text := (directory / name).read_text(encoding="utf-8")) for s in hidden)
        or (scrub is not None and scrub.leaks(text))
    ]
    if leaked:
        for name in leaked:
            (directory / name).unlink()
        raise CassetteError(f"refused to keep {', '.join(leaked)}: a secret survived scrubbing")
    return path


def load_record(directory: Path) -> RunRecord:
    """The run record of a recorded run, without reading its cassette."""
    path = directory / CASSETTE_FILE
    if not path.is_file() or not (directory / RUN_FILE).is_file():
        raise CassetteError(
            f"{directory} holds no recorded run ({CASSETTE_FILE} and {RUN_FILE}); "
            "record one with `tcbatch-contract run --record DIR`"
        )
    return RunRecord.from_json((directory / RUN_FILE).read_text(encoding="utf-8"), str(path))


def load(directory: Path) -> tuple[Cassette, RunRecord]:
    """The cassette (vcrpy, read-only) and run record of a recorded run."""
    path = directory / CASSETTE_FILE
    record = load_record(directory)
    try:
        cassette = Cassette.load(
            path=str(path),
            serializer=yamlserializer,
            persister=FilesystemPersister,
            record_mode=RecordMode.NONE,
            match_on=(tcbatch_match,),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CassetteError(f"{path} is not a readable vcrpy cassette ({exc})") from None
    if len(cassette) != record.interactions:
        raise CassetteError(
            f"{path} holds {len(cassette)} interactions, {RUN_FILE} says {record.interactions}: "
            "the directory was edited or half written; re-record it"
        )
    return cassette, record


def tcbatch_match(r1: Request, r2: Request) -> bool:
    """A vcrpy matcher: two requests match when their match keys are equal."""
    return r1.headers.get(MATCH_HEADER) == r2.headers.get(MATCH_HEADER)


def match_key_of(request: Request) -> str:
    return request.headers.get(MATCH_HEADER, "")


def wire_response(response: dict[str, Any]) -> tuple[WireResponse | None, tuple[str, str] | None]:
    """A stored vcrpy response as a WireResponse, or the (kind, detail) of a TransportError."""
    status = int(response["status"]["code"])
    headers = {
        name.lower(): values[0] if isinstance(values, list) else str(values)
        for name, values in (response.get("headers") or {}).items()
    }
    body = response.get("body", {}).get("string") or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if status == TRANSPORT_ERROR_STATUS and ERROR_HEADER in headers:
        return None, (headers[ERROR_HEADER], body.decode("utf-8", errors="replace"))
    return WireResponse(status, headers, body), None


def _mask_flat(text: str) -> str:
    """Flattened parameters with every ``...SecretId``/``...SecretKey``/``...Token`` masked."""
    if not text or "=" not in text:
        return text
    pairs = parse_qsl(text, keep_blank_values=True)
    if not any(is_secret_name(name.rsplit(".", 1)[-1]) for name, _ in pairs):
        return text
    return urlencode(
        [(n, MASK if is_secret_name(n.rsplit(".", 1)[-1]) else v) for n, v in pairs], safe="*"
    )


def _masked_json(body: str) -> str:
    try:
        document = json.loads(body)
        masked = mask_params(document)
    except (ValueError, RecursionError):  # no JSON a reader could walk: kept as sent
        return body
    return body if masked == document else json.dumps(masked, ensure_ascii=True)


def _scrub_body(body: bytes, scrub: Callable[[str], str]) -> str | bytes:
    try:
        return scrub(body.decode("utf-8"))
    except UnicodeDecodeError:
        return scrub(body.decode("latin-1")).encode("latin-1", errors="replace")


def _scrubbed_request(request: Request, scrub: Callable[[str], str]) -> Request:
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    headers = {name: scrub(value) for name, value in request.headers.items()}
    return Request(request.method, scrub(request.uri), scrub(body or ""), headers)


def _scrubbed_response(response: dict[str, Any], scrub: Callable[[str], str]) -> dict[str, Any]:
    headers = {name: [scrub(v) for v in values] for name, values in response["headers"].items()}
    body = response["body"]["string"]
    body = _scrub_body(body, scrub) if isinstance(body, bytes) else scrub(body)
    return {**response, "headers": headers, "body": {"string": body}}


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""

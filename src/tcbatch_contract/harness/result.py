"""The run's machine-readable result (``run --result FILE.json``), and reading it back.

A CI runner keeps the result of its shard as an artifact; ``tcbatch-contract merge`` reads
the shards' results back into one :class:`RunReport`, from which the usual table, JUnit
file and report are written. So the file holds everything a report needs (every rule's
status, cases, requests, failures with their masked payloads and a reproduction) and what
the merge must check before combining (format, tool and strategy versions, seed, options,
shard). Its JSON Schema ships in the package (``tcbatch_contract/schemas/result-v1.json``,
:func:`schema`); ``format`` names it, and a reader refuses a format it does not know.

Nothing secret is written: payloads and wire records are masked by the checks, the
profile's denied credential is reduced to whether one was given, and every string goes
through the run's scrubber. A top-level ``coverage`` object is allowed for a contract
coverage map; the merge unites the shards' maps (each carries its raw tally).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from .model import Failure, RuleResult, RunReport, RunSettings, Status

FORMAT = "tcbatch-contract/result-v1"
SCHEMA_FILE = "result-v1.json"


class ResultError(ValueError):
    """A result file that cannot be read back: what is wrong with it."""


def schema() -> dict[str, Any]:
    """The JSON Schema of the result file (draft 2020-12), as shipped in the package."""
    text = resources.files("tcbatch_contract.schemas").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


def result_document(
    report: RunReport,
    *,
    exit_code: int,
    scrub: Callable[[str], str] = lambda text: text,
    rules: list[str] | None = None,
) -> dict[str, Any]:
    """``report`` as a result document (a dict matching :func:`schema`)."""
    from .. import __version__
    from .database import strategy_version

    settings = report.settings
    profile = report.profile
    shard = settings.shard
    document = {
        "format": FORMAT,
        "tool_version": __version__,
        "strategy_version": strategy_version(),
        "target": report.target,
        "endpoint": report.endpoint,
        "started": report.started,
        "seconds": round(report.seconds, 3),
        "exit_code": exit_code,
        "settings": {
            "seed": settings.seed,
            "max_examples": settings.max_examples,
            "form": settings.form,
            "rules": rules,
            "timed": settings.deadline is not None,
        },
        "shard": None if shard is None else {"index": shard.index, "count": shard.count},
        "profile": {
            "region": profile.region,
            "regions": list(profile.regions),
            "known_env_ids": list(profile.known_env_ids),
            "job_quota": profile.job_quota,
            "rate_limit": profile.rate_limit,
            "denied_credential": profile.has_denied_credential,
        },
        "totals": {
            "cases": report.cases,
            "requests": report.requests,
            **{status.value: report.count(status) for status in Status},
        },
        "results": [_rule(result, report) for result in report.results],
        "notes": list(report.notes),
    }
    if report.coverage is not None:
        document["coverage"] = report.coverage.to_dict()
    return _scrubbed(document, scrub)


def write_result(report: RunReport, path: str | Path, **kwargs: Any) -> None:
    """Write ``report``'s result document to ``path`` (UTF-8 JSON)."""
    document = result_document(report, **kwargs)
    Path(path).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", "utf-8")


def _rule(result: RuleResult, report: RunReport) -> dict[str, Any]:
    first = result.failures[0] if result.failures else None
    return {
        "rule": result.rule,
        "status": result.status.value,
        "code": result.code,
        "cases": result.cases,
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
        "reason": result.reason,
        "requests_to_first_failure": result.requests_to_first_failure,
        "digest": result.digest,
        "failures": [dataclasses.asdict(f) for f in result.failures],
        "harness_errors": [dataclasses.asdict(f) for f in result.harness_errors],
        "reproduction": None if first is None else reproduction(first, report),
    }


def reproduction(failure: Failure, report: RunReport) -> str | None:
    """The copy-paste reproduction of ``failure`` that the report shows (None: none)."""
    from .report.reproduction import curl_line, sdk_snippet

    if failure.wire is not None:
        return curl_line(failure.wire, report.endpoint)
    if failure.params is None:
        return None
    return sdk_snippet(
        failure.action,
        failure.params,
        region=failure.region or report.profile.region,
        endpoint=report.endpoint or "127.0.0.1:9000",
        form=failure.form,
    )


def _scrubbed(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item, scrub) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, scrub) for item in value]
    return value


# ---- reading back -----------------------------------------------------------------------


def load_result(path: str | Path) -> dict[str, Any]:
    """A result document read and validated against the schema (ResultError if it is not one)."""
    import jsonschema

    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise ResultError(f"cannot read it ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultError(f"not JSON ({exc})") from None
    if not isinstance(document, dict) or "format" not in document:
        raise ResultError("not a tcbatch-contract result (no format)")
    if document["format"] != FORMAT:
        raise ResultError(
            f"format {document['format']!r}; this version reads {FORMAT!r}: merge with the "
            "version that wrote it"
        )
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema()).iter_errors(document)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ResultError(f"does not match the result schema at {where}: {error.message}")
    return document


def report_of(document: dict[str, Any], results: list[RuleResult] | None = None) -> RunReport:
    """The :class:`RunReport` a result document describes (``results`` instead of its own)."""
    from ..profile import TargetProfile

    profile = document["profile"]
    settings = document["settings"]
    return RunReport(
        target=document["target"],
        profile=TargetProfile(
            region=profile["region"],
            regions=tuple(profile["regions"]),
            known_env_ids=tuple(profile["known_env_ids"]),
            job_quota=profile["job_quota"],
            rate_limit=profile["rate_limit"],
        ),
        settings=RunSettings(
            max_examples=settings["max_examples"], seed=settings["seed"], form=settings["form"]
        ),
        results=results if results is not None else rule_results(document),
        seconds=document["seconds"],
        started=document["started"],
        endpoint=document["endpoint"],
        notes=list(document["notes"]),
    )


def rule_results(document: dict[str, Any]) -> list[RuleResult]:
    """The document's rule results as :class:`RuleResult` objects."""
    out = []
    for item in document["results"]:
        out.append(
            RuleResult(
                rule=item["rule"],
                status=Status(item["status"]),
                code=item["code"],
                cases=item["cases"],
                requests=item["requests"],
                seconds=item["seconds"],
                failures=[Failure(**f) for f in item["failures"]],
                reason=item["reason"],
                requests_to_first_failure=item["requests_to_first_failure"],
                harness_errors=[Failure(**f) for f in item["harness_errors"]],
                digest=item["digest"],
            )
        )
    return out

"""The human report: a self-contained Markdown or HTML file, chosen by extension.

It is written for the person who has to fix the target: the summary table first, then
every failing rule with its smallest known failing request, what the contract expected,
what came back, and a reproduction to paste into a shell. The report is built once as a
list of blocks and rendered to either format, so the two never disagree. Every text goes
through the run's scrubber before it is written.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import Failure, RuleResult, RunReport, Status
from .masking import mask_params, mask_wire
from .reproduction import curl_line, sdk_sequence, sdk_snippet

FAILURES_PER_RULE = 3
FORMATS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


@dataclass(frozen=True)
class Block:
    kind: str  # h1 | h2 | h3 | p | table | code
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()  # a table's header row, then its rows
    lang: str = ""
    #: A table's column holding a rule status: HTML rows are classed by it (colouring).
    status_column: int | None = None


def report_format(path: str | Path) -> str | None:
    """``markdown`` or ``html`` for a report path, None for an extension neither uses."""
    return FORMATS.get(Path(path).suffix.lower())


def write_report(report: RunReport, path: str | Path, scrub: Callable[[str], str]) -> None:
    fmt = report_format(path)
    if fmt is None:
        raise ValueError(f"{path}: a report ends in .md or .html")
    blocks = report_blocks(report)
    text = render_html(blocks) if fmt == "html" else render_markdown(blocks)
    Path(path).write_text(scrub(text), encoding="utf-8")


def verdict_line(report: RunReport) -> str:
    failed = report.count(Status.FAIL)
    parts = [
        f"{report.count(Status.PASS)} pass",
        f"{failed} fail",
        f"{report.count(Status.SKIP)} skip",
        f"{report.count(Status.ERROR)} error",
    ]
    if report.count(Status.INCONCLUSIVE):
        parts.insert(3, f"{report.count(Status.INCONCLUSIVE)} inconclusive")
    for status in _DECLARED:
        if report.count(status):
            parts.append(f"{report.count(status)} {status.value}")
    head = "NOT CONFORMANT" if failed else "CONFORMANT"
    if report.coverage is not None and report.coverage.shortfall():
        head += " but INSUFFICIENT COVERAGE"  # a status of its own: exit 1, no rule failed
    return f"{head}: {len(report.results)} rules: {', '.join(parts)}"


def report_blocks(report: RunReport) -> list[Block]:
    rate = report.cases / report.seconds if report.seconds else 0.0
    blocks = [
        Block("h1", f"tcbatch-contract: {report.target}"),
        Block("p", verdict_line(report)),
        Block(
            "table",
            rows=(
                ("run", "value"),
                ("started", report.started),
                ("target", report.target),
                ("region", report.profile.region),
                ("seed", str(report.settings.seed)),
                ("max examples per rule", str(report.settings.max_examples)),
                ("duration", f"{report.seconds:.1f} s"),
                ("cases / requests", f"{report.cases} / {report.requests} ({rate:.0f} cases/s)"),
            ),
        ),
        Block("h2", "Rules"),
        Block(
            "table",
            rows=(_SUMMARY_HEAD, *(_summary_row(r) for r in report.results)),
            status_column=1,
        ),
    ]
    failing = [r for r in report.results if r.status is Status.FAIL]
    if failing:
        blocks.append(Block("h2", "Failures"))
        for result in failing:
            blocks.extend(_rule_failures(result, report))
    erring = [r for r in report.results if r.status is Status.ERROR or r.harness_errors]
    if erring:
        blocks.append(Block("h2", "Harness errors (no verdict on the target)"))
        for result in erring:
            blocks.append(Block("h3", result.rule))
            blocks.append(Block("p", result.reason or "see below"))
            for failure in result.harness_errors[:FAILURES_PER_RULE]:
                blocks.append(Block("p", failure.summary))
                if failure.params is not None:
                    blocks.append(Block("code", _json(mask_params(failure.params)), lang="json"))
    blocks.extend(_declared_blocks(report))
    blocks.extend(
        _reasons(
            report,
            Status.INCONCLUSIVE,
            "Inconclusive (not judged)",
            "What these rules' verdicts rest on did not hold when they ran (the measured "
            "reason is given): neither a pass nor a failure.",
        )
    )
    blocks.extend(_reasons(report, Status.SKIP, "Skipped"))
    blocks.extend(_digest_blocks(report))
    if report.coverage is not None:
        from ..coverage_map import coverage_blocks

        blocks.extend(coverage_blocks(report.coverage, Block))
    if report.notes:
        blocks.append(Block("h2", "Notes"))
        blocks.extend(Block("p", note) for note in report.notes)
    return blocks


def _reasons(report: RunReport, status: Status, title: str, intro: str = "") -> list[Block]:
    """A section listing the rules of ``status`` with their reasons (none if there are none)."""
    chosen = [r for r in report.results if r.status is status]
    if not chosen:
        return []
    blocks = [Block("h2", title)]
    if intro:
        blocks.append(Block("p", intro))
    blocks.append(Block("table", rows=(("rule", "reason"), *((r.rule, r.reason) for r in chosen))))
    return blocks


_SUMMARY_HEAD = ("rule", "status", "cases", "requests", "seconds", "first failure")
#: Statuses set after the run from an expectations file or a live recording.
_DECLARED = (Status.UNSUPPORTED, Status.UNEXPECTED_PASS, Status.DRIFT)


def _declared_blocks(report: RunReport) -> list[Block]:
    """Contract drift (rule, recorded answer, the contract's answer) and declared rules."""
    from ..drift import DRIFT_REASON, contract, recorded

    blocks: list[Block] = []
    drifting = [r for r in report.results if r.status is Status.DRIFT]
    if drifting:
        blocks.append(Block("h2", "Contract drift to review"))
        blocks.append(
            Block(
                "p",
                "The live service answered these rules otherwise than the contract, whose "
                "basis for them is (partly) assumed: review the contract's reading. They are "
                "not counted as failures.",
            )
        )
        head = ("rule", "recorded answer", "the contract's answer", "case", "basis")
        rows = [
            (
                r.rule,
                recorded(f.actual),
                contract(f.expected),
                f.summary,
                r.reason.removeprefix(DRIFT_REASON),
            )
            for r in drifting
            for f in r.failures[:FAILURES_PER_RULE]
        ]
        blocks.append(Block("table", rows=(head, *rows)))
    declared = [r for r in report.results if r.status in _DECLARED[:2]]
    if declared:
        blocks.append(Block("h2", "Declared unsupported (expectations file)"))
        rows = [(r.rule, r.status.value, r.reason) for r in declared]
        rows = (("rule", "status", "declaration"), *rows)
        blocks.append(Block("table", rows=rows, status_column=1))
    return blocks


def _digest_blocks(report: RunReport) -> list[Block]:
    """Each rule's digest of its drawn cases: equal digests, the same cases in the same order."""
    rows = [(r.rule, r.digest[:16]) for r in report.results if r.digest]
    if not rows:
        return []
    return [
        Block("h2", "Drawn cases"),
        Block(
            "p",
            "A digest of the cases each rule drew and judged, in order: two runs with the "
            "same digest for a rule sent it the same drawn cases, whatever their --workers.",
        ),
        Block("table", rows=(("rule", "digest"), *rows)),
    ]


def _summary_row(result: RuleResult) -> tuple[str, ...]:
    first = ""
    if result.failures:
        first = result.failures[0].summary
    elif result.status in (Status.SKIP, Status.ERROR, Status.INCONCLUSIVE):
        first = result.reason
    if result.status in _DECLARED:
        first = result.reason
    return (
        result.rule,
        result.status.value.upper(),
        str(result.cases),
        str(result.requests),
        f"{result.seconds:.1f}",
        shorten(first, 140),
    )


def _rule_failures(result: RuleResult, report: RunReport) -> list[Block]:
    title = result.rule + (f" ({result.code})" if result.code else "")
    blocks = [Block("h3", title)]
    found = f"{len(result.failures)} failing case(s) in {result.cases} cases"
    if result.requests_to_first_failure is not None:
        found += f"; first failure after {result.requests_to_first_failure} requests"
    blocks.append(Block("p", found))
    for failure in result.failures[:FAILURES_PER_RULE]:
        blocks.extend(_failure_blocks(failure, report))
    return blocks


def _failure_blocks(failure: Failure, report: RunReport) -> list[Block]:
    facts = [f"{failure.action}, sent as {failure.form}"]
    if failure.field:
        facts.append(f"fault at {failure.field}")
    if failure.region:
        facts.append(f"region {failure.region}")
    blocks = [
        Block("p", failure.summary),
        Block("p", "; ".join(facts)),
        Block("p", "expected"),
        Block("code", _json(failure.expected), lang="json"),
        Block("p", "actual"),
        Block("code", _json(failure.actual), lang="json"),
    ]
    if failure.steps:
        where = "" if report.endpoint else "; start `tcbatch-contract emulator` first"
        blocks.append(Block("p", f"the sequence ({len(failure.steps)} requests, shrunk), as a "
                                 f"script for the official SDK (credentials from the "
                                 f"environment{where})"))  # fmt: skip
        blocks.append(Block("code", sdk_sequence(failure.steps, endpoint=report.endpoint),
                            lang="python"))  # fmt: skip
        return blocks
    if failure.params is not None:
        blocks.append(Block("p", "payload (shrunk where the check could shrink it)"))
        blocks.append(Block("code", _json(mask_params(failure.params)), lang="json"))
    if failure.wire is not None:
        blocks.append(Block("p", "wire request"))
        blocks.append(Block("code", _http_text(mask_wire(failure.wire) or {}), lang="http"))
        blocks.append(Block("p", "reproduce with curl"))
        blocks.append(Block("code", curl_line(failure.wire, report.endpoint), lang="sh"))
    elif failure.params is not None:
        where = report.endpoint
        how = (
            "reproduce with the official SDK (credentials from the environment"
            + ("" if where else "; start `tcbatch-contract emulator` first")
            + ")"
        )
        blocks.append(Block("p", how))
        snippet = sdk_snippet(
            failure.action,
            failure.params,
            region=failure.region or report.profile.region,
            endpoint=where or "127.0.0.1:9000",
            form=failure.form,
        )
        blocks.append(Block("code", snippet, lang="python"))
    return blocks


def render_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind in ("h1", "h2", "h3"):
            out.append("#" * int(block.kind[1]) + " " + block.text)
        elif block.kind == "p":
            out.append(block.text)
        elif block.kind == "code":
            fence = "````" if "```" in block.text else "```"
            out.append(f"{fence}{block.lang}\n{block.text}\n{fence}")
        elif block.kind == "table":
            head, *rows = block.rows
            out.append(_md_row(head))
            out.append("|" + "|".join("---" for _ in head) + "|")
            out.extend(_md_row(row) for row in rows)
        out.append("")
    return "\n".join(out)


def render_html(blocks: list[Block]) -> str:
    body: list[str] = []
    for block in blocks:
        if block.kind in ("h1", "h2", "h3"):
            body.append(f"<{block.kind}>{html.escape(block.text)}</{block.kind}>")
        elif block.kind == "p":
            body.append(f"<p>{html.escape(block.text)}</p>")
        elif block.kind == "code":
            body.append(f'<pre class="{block.lang}"><code>{html.escape(block.text)}</code></pre>')
        elif block.kind == "table":
            head, *rows = block.rows
            cells = "".join(f"<th>{html.escape(c)}</th>" for c in head)
            lines = [f"<table><thead><tr>{cells}</tr></thead><tbody>"]
            for row in rows:
                tds = "".join(f"<td>{html.escape(c)}</td>" for c in row)
                lines.append(f"<tr{_status_class(block, row)}>{tds}</tr>")
            lines.append("</tbody></table>")
            body.append("\n".join(lines))
    return _HTML_PAGE.format(body="\n".join(body))


def _status_class(block: Block, row: tuple[str, ...]) -> str:
    """`` class="fail"`` for a row of a status column, nothing for any other row."""
    if block.status_column is None or block.status_column >= len(row):
        return ""
    status = row[block.status_column].lower()
    return f' class="{status}"' if status in _STATUS_CLASSES else ""


_STATUS_CLASSES = frozenset(status.value for status in Status)
_HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tcbatch-contract report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 72em; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }}
tr.fail td:nth-child(2) {{ color: #b00; font-weight: bold; }}
tr.pass td:nth-child(2) {{ color: #070; }}
tr.skip td:nth-child(2), tr.error td:nth-child(2) {{ color: #a60; }}
tr.inconclusive td:nth-child(2) {{ color: #46a; }}
pre {{ background: #f6f6f6; padding: 0.6em; overflow-x: auto; }}
</style></head><body>
{body}
</body></html>
"""


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_md_cell(c) for c in cells) + " |"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _http_text(wire: dict[str, Any]) -> str:
    """A wire record as the HTTP request it was: request line, headers, body."""
    target = (wire.get("path") or "/") + (f"?{wire['query']}" if wire.get("query") else "")
    lines = [f"{wire.get('method', '?')} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in wire.get("headers") or []]
    body = wire.get("body") or ""
    if len(body) > 4000:
        body = body[:4000] + f"… ({len(body)} characters in all)"
    return "\n".join(lines) + ("\n\n" + body if body else "")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, indent=2)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""JUnit XML: one ``testcase`` per rule, for CI systems that draw test dashboards.

Every rule gets a test case, whatever happened to it, so that a dashboard shows the same
list on every run: a failing rule has a ``failure`` element (its first failure's summary
as the message, every failure in the text), a skipped rule a ``skipped`` element with the
reason, a rule the harness could not judge an ``error`` element.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from ..model import Failure, RunReport, Status
from .masking import mask_params

MAX_FAILURES_SHOWN = 5


def junit_xml(report: RunReport, scrub: Callable[[str], str] = lambda text: text) -> str:
    """The JUnit XML document for ``report``, every text passed through ``scrub``."""
    suite = ET.Element(
        "testsuite",
        {
            "name": "tcbatch-contract",
            "tests": str(len(report.results)),
            "failures": str(report.count(Status.FAIL)),
            "errors": str(report.count(Status.ERROR)),
            "skipped": str(
                report.count(Status.SKIP)
                + report.count(Status.UNSUPPORTED)
                + report.count(Status.DRIFT)
                + report.count(Status.INCONCLUSIVE)
            ),
            "time": f"{report.seconds:.3f}",
            "timestamp": report.started,
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("target", report.target),
        ("region", report.profile.region),
        ("seed", str(report.settings.seed)),
        ("max_examples", str(report.settings.max_examples)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": scrub(value)})
    for result in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"tcbatch_contract.{_family(result.rule)}",
                "name": result.rule,
                "time": f"{result.seconds:.3f}",
            },
        )
        if result.status is Status.FAIL:
            first = result.failures[0] if result.failures else None
            element = ET.SubElement(
                case,
                "failure",
                {
                    "message": scrub(first.summary if first else result.reason),
                    "type": result.code or result.rule,
                },
            )
            element.text = scrub(_failures_text(result.failures))
        elif result.status is Status.ERROR:
            element = ET.SubElement(case, "error", {"message": scrub(result.reason)})
            element.text = scrub(_failures_text(result.harness_errors))
        elif result.status is Status.SKIP:
            ET.SubElement(case, "skipped", {"message": scrub(result.reason)})
        elif result.status is Status.INCONCLUSIVE:
            # Not judged: a skip that says why, typed apart from a skip for lack of profile.
            ET.SubElement(
                case,
                "skipped",
                {"message": scrub(f"inconclusive: {result.reason}"), "type": "inconclusive"},
            )
        elif result.status in (Status.UNSUPPORTED, Status.DRIFT):
            # Declared unsupported, or contract drift to review: listed, not failed.
            element = ET.SubElement(
                case, "skipped", {"message": scrub(result.reason), "type": result.status.value}
            )
            element.text = scrub(_failures_text(result.failures))
        out = ET.SubElement(case, "system-out")
        out.text = f"cases={result.cases} requests={result.requests}"
        if result.status is Status.UNEXPECTED_PASS:
            out.text += f"\n{scrub(result.reason)}"
    root = ET.Element("testsuites", {"name": "tcbatch-contract"})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def write_junit(report: RunReport, path: str | Path, scrub: Callable[[str], str]) -> None:
    Path(path).write_text(junit_xml(report, scrub) + "\n", encoding="utf-8")


def _failures_text(failures: list[Failure]) -> str:
    parts = []
    for failure in failures[:MAX_FAILURES_SHOWN]:
        lines = [failure.summary, f"expected: {json.dumps(failure.expected, ensure_ascii=True)}"]
        lines.append(f"actual: {json.dumps(failure.actual, ensure_ascii=True)}")
        if failure.params is not None:
            payload = json.dumps(mask_params(failure.params), ensure_ascii=True)
            lines.append(f"payload ({failure.form}): {payload}")
        parts.append("\n".join(lines))
    if len(failures) > MAX_FAILURES_SHOWN:
        parts.append(f"... and {len(failures) - MAX_FAILURES_SHOWN} more")
    return "\n\n".join(parts)


def _family(rule: str) -> str:
    if rule[:1] in "SBP" and rule[1:2].isdigit():
        return {"S": "schema", "B": "business", "P": "protocol"}[rule[0]]
    return rule.split("-")[0].lower()

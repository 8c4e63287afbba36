"""``tcbatch-contract merge``: the shards of one run (``run --shard K/N --result``) as one.

Prints the results table, writes the merged result, JUnit file and report as ``run``
would have, and exits with the status one unsharded run would have had. Files that are
not shards 1..N of one run (another seed, version, target or profile; a shard missing or
given twice) are refused before anything is written.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import UsageError, check_output_file


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "merge",
        help="combine the result files of a sharded run into one",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
        epilog="exit status: 0 no rule failed, 1 a rule failed, 2 files that are not the "
        "shards of one run, 130 a shard was interrupted",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE.json", help="run --result files")
    parser.add_argument("--result", metavar="FILE", help="write the merged result (JSON)")
    parser.add_argument(
        "--junit-xml", metavar="FILE", help="write JUnit XML, one testcase per rule"
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        action="append",
        default=[],
        help="write a report: FILE.md or FILE.html (repeatable)",
    )
    parser.set_defaults(func=merge_command)


def merge_command(args: argparse.Namespace) -> int:
    from ..harness.merging import MergeError, merge_documents
    from ..harness.report.console import results_table, summary_lines
    from ..harness.report.document import report_format, write_report
    from ..harness.report.junit import write_junit
    from ..harness.result import ResultError, load_result, write_result

    for path in args.report:
        if report_format(path) is None:
            raise UsageError(f"--report {path}: the report file must end in .md or .html")
        check_output_file("--report", path)
    for name in ("result", "junit_xml"):
        if getattr(args, name):
            check_output_file("--" + name.replace("_", "-"), getattr(args, name))
    documents = []
    for path in args.files:
        try:
            documents.append((path, load_result(path)))
        except ResultError as exc:
            raise UsageError(f"{path}: {exc}") from None
    try:
        report, exit_code = merge_documents(documents)
    except MergeError as exc:
        raise UsageError(str(exc)) from None
    print(results_table(report))
    print()
    for line in summary_lines(report):
        print(line)
    if args.result:
        first = documents[0][1]
        write_result(report, args.result, exit_code=exit_code, rules=first["settings"]["rules"])
        _carry(args.result, first, documents)
        print(f"result written to {args.result}")
    if args.junit_xml:
        write_junit(report, args.junit_xml, lambda text: text)
        print(f"JUnit XML written to {args.junit_xml}")
    for path in args.report:
        write_report(report, path, lambda text: text)
        print(f"report written to {path}")
    return exit_code


def _carry(path: str, first: dict[str, Any], documents: list[tuple[str, dict[str, Any]]]) -> None:
    """What the merged document keeps of the shards as they were: the settings (the
    ``timed`` flag)."""
    import json
    from pathlib import Path

    merged = json.loads(Path(path).read_text("utf-8"))
    for key in ("settings", "tool_version", "strategy_version"):
        merged[key] = first[key]
    merged["shard"] = None
    Path(path).write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n", "utf-8")

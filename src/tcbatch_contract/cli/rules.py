"""``tcbatch-contract rules``: list the rules of the catalogue.

The catalogue is the reference a conformance report points to; this command prints its
index (id, level, code or codes, basis) so that a reader can look a rule up without
opening the YAML, and so that other tools can read it as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="list the contract's rules (id, level, codes, basis)",
        description="List every rule of the catalogue: id, level, error code(s) and basis.",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="an aligned table (default) or a JSON list",
    )
    parser.set_defaults(func=run)


def rows() -> list[dict[str, Any]]:
    """One entry per rule of the spec, then the action rules, in catalogue order."""
    from ..catalogue import load

    cat = load()
    return [
        {
            "id": rule.id,
            "level": rule.level,
            "codes": list(rule.codes),
            "basis": rule.basis.kind,
            "basis_text": rule.basis.text,
            "needs": list(rule.needs),
        }
        for rule in (*cat.rules, *cat.action_rules)
    ]


def run(args: argparse.Namespace) -> int:
    entries = rows()
    if args.format == "json":
        json.dump(entries, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    table = [("ID", "LEVEL", "CODE", "BASIS")]
    table += [(e["id"], e["level"], " | ".join(e["codes"]), e["basis_text"]) for e in entries]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        sys.stdout.write("  ".join([*cells, row[3]]).rstrip() + "\n")
    return 0

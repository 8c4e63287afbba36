"""The two request examples of the public SubmitJob reference, as valid cases.

They come from ``contracts/examples.yaml`` (the same data the catalogue and the OpenAPI
description carry), each with the Region its zone belongs to. They are the first thing a
target must accept, so the tests use them as explicit Hypothesis examples and the valid
strategy offers them whenever the profile's Region matches.
"""

from __future__ import annotations

import copy
from typing import Any

from tcbatch_contract._resources import contract_yaml

from .case import Case


def _entries() -> list[dict[str, Any]]:
    return [e for e in contract_yaml("examples.yaml")["examples"] if e["action"] == "SubmitJob"]


def documented_examples() -> list[Case]:
    """The reference page's examples as valid cases (a fresh copy on every call)."""
    return [
        Case("valid", None, None, copy.deepcopy(e["params"]), e["region"], note=e["id"])
        for e in _entries()
    ]


def examples_for(region: str) -> list[dict[str, Any]]:
    """The params of the documented examples whose Region is ``region``."""
    return [copy.deepcopy(e["params"]) for e in _entries() if e["region"] == region]

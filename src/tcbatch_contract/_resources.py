"""Read the data files the package ships (contract catalogue, type table, OpenAPI description).

Everything is read through ``importlib.resources`` so that a wheel install, an editable
install and a source checkout behave the same.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import yaml

# The C loader when PyYAML was built with libyaml: the catalogue is large enough to notice.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


@cache
def openapi() -> dict[str, Any]:
    """The parsed ``openapi.yaml``."""
    return yaml.load(read_text("tcbatch_contract.contracts", "openapi.yaml"), Loader=_LOADER)


def openapi_text() -> str:
    return read_text("tcbatch_contract.contracts", "openapi.yaml")


@cache
def contract_yaml(name: str) -> Any:
    """A YAML document of ``contracts/`` (for example ``catalogue.yaml``)."""
    return yaml.load(read_text("tcbatch_contract.contracts", name), Loader=_LOADER)


@cache
def contract_json(name: str) -> Any:
    return json.loads(read_text("tcbatch_contract.contracts", name))

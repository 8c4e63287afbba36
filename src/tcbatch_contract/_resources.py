"""Read the data files the package ships (contract catalogue, type table, OpenAPI description).

Everything is read through ``importlib.resources`` so that a wheel install, an editable
install and a source checkout behave the same. The one exception is the OpenAPI
description: its home is the checkout's top-level ``openapi.yaml`` (no copy, no symbolic
link, which a checkout without links would turn into a one-line text file); the build copies
it into the wheel's ``tcbatch_contract/contracts/`` (see ``setup.py``), and an editable
install, whose ``tcbatch_contract.contracts`` *is* the checkout's ``contracts/`` directory,
finds it beside that directory.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

CONTRACTS = "tcbatch_contract.contracts"
OPENAPI = "openapi.yaml"
# The C loader when PyYAML was built with libyaml: the catalogue is large enough to notice.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


@contextlib.contextmanager
def openapi_file() -> Iterator[Path]:
    """A file system path of ``openapi.yaml``, for tools that want a file."""
    shipped = resources.files(CONTRACTS).joinpath(OPENAPI)
    if shipped.is_file():  # a wheel install
        with resources.as_file(shipped) as path:
            yield path
        return
    beside = Path(str(resources.files(CONTRACTS))).parent / OPENAPI
    if not beside.is_file():
        raise FileNotFoundError(f"{OPENAPI} is neither in {CONTRACTS} nor at {beside}")
    yield beside


def openapi_text() -> str:
    with openapi_file() as path:
        return path.read_text(encoding="utf-8")


@cache
def openapi() -> dict[str, Any]:
    """The parsed ``openapi.yaml``."""
    return yaml.load(openapi_text(), Loader=_LOADER)


@cache
def contract_yaml(name: str) -> Any:
    """A YAML document of ``contracts/`` (for example ``catalogue.yaml``)."""
    return yaml.load(read_text(CONTRACTS, name), Loader=_LOADER)


@cache
def contract_json(name: str) -> Any:
    return json.loads(read_text(CONTRACTS, name))

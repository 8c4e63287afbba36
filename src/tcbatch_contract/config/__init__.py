"""The run configuration: every option of ``tcbatch-contract run`` in one typed table.

Each field of :class:`RunOptions` is one option, declared once with :func:`option`: its
default, how text becomes a value, what a value must satisfy, its help, and whether it may
come from a file or the pytest plugin. Every face is generated from that table: the
argparse options of ``run`` (``cli/run.py``), the ``--tcbatch-*`` options of the pytest
plugin and their ``tcbatch_*`` ini twins (``plugin.py``), the keys of
``[tool.tcbatch-contract]`` in ``pyproject.toml`` and of ``[tcbatch-contract]`` in a file
given with ``--config``, and the ``TCBATCH_CONTRACT_*`` environment variables. A default or a
check therefore cannot differ between two faces.

Precedence: the command line, then the environment, then the file, then the default.
Credentials never come from a file (a file is committed; a secret must not be): a URL
target finds them as the official SDK does (``TENCENTCLOUD_SECRET_ID`` ...).

This package imports only the standard library and ``profile`` at module level: the pytest
plugin reads it in every pytest session. ``_table`` holds the table, ``_values`` the checks
and parsers it shares, ``_sources`` the command line, environment, files and ini.
"""

from ._sources import (
    FileValues,
    check_profile,
    check_together,
    ini_name,
    ini_values,
    project_file,
    read_config_file,
    resolve,
    show,
    with_workers,
)
from ._table import (
    COMMAND_LINE,
    CONFIG_TABLE,
    CREDENTIALS,
    CREDENTIALS_HELP,
    DEFAULT,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_TIMEOUT,
    ENV_PREFIX,
    FORMS,
    MAX_DEFAULT_WORKERS,
    PYPROJECT_TABLE,
    RunOptions,
    Spec,
    argparse_keywords,
    default_of,
    env_name,
    file_key,
    help_text,
    option,
    problems,
    spec_of,
    table,
)
from ._values import UsageError, duration_seconds, known_rules, parse_id_list, rule_set

__all__ = [
    "COMMAND_LINE",
    "CONFIG_TABLE",
    "CREDENTIALS",
    "CREDENTIALS_HELP",
    "DEFAULT",
    "DEFAULT_MAX_EXAMPLES",
    "DEFAULT_TIMEOUT",
    "ENV_PREFIX",
    "FORMS",
    "MAX_DEFAULT_WORKERS",
    "PYPROJECT_TABLE",
    "FileValues",
    "RunOptions",
    "Spec",
    "UsageError",
    "argparse_keywords",
    "check_profile",
    "check_together",
    "default_of",
    "duration_seconds",
    "env_name",
    "file_key",
    "help_text",
    "ini_name",
    "ini_values",
    "known_rules",
    "option",
    "parse_id_list",
    "problems",
    "project_file",
    "read_config_file",
    "resolve",
    "rule_set",
    "show",
    "spec_of",
    "table",
    "with_workers",
]

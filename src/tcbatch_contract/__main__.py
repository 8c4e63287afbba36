"""``python -m tcbatch_contract``: the ``tcbatch-contract`` command, for when its script is
not on PATH (a venv not activated, a user install)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

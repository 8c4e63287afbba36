"""One build step beyond pyproject.toml: the wheel carries the top-level ``openapi.yaml``.

Its home is the checkout's top level (the layout every reader expects); the package reads
it as ``tcbatch_contract/contracts/openapi.yaml``, so ``build_py`` copies it there. An
editable install needs no copy: see ``tcbatch_contract._resources``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_openapi(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib, "tcbatch_contract", "contracts", "openapi.yaml")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(__file__).parent / "openapi.yaml", target)


setup(cmdclass={"build_py": build_py_with_openapi})

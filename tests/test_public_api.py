"""zaitaku/ uses pandas, ipykernel, nbconvert, nbclient, jupyter_client, matplotlib and the standard library
through their public doors: no ``_name`` attribute, import or trait of theirs (python-pptx's element tree only
in zaitaku/report/deck/xml.py). The walk is over the syntax tree, so a new reach fails here before review."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "zaitaku"
XML_HELPERS = PACKAGE / "report" / "deck" / "xml.py"
LIBRARIES = {"pandas", "ipykernel", "nbconvert", "nbclient", "jupyter_client", "matplotlib", "papermill",
             "IPython", "numpy", "pyarrow", "pptx", "lxml", "traitlets", *sys.stdlib_module_names}
_TRAIT = re.compile(r"--\w+\._\w+")  # a private trait set on a command line (--IPythonKernel._execute_sleep=0)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _reaches(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.append(f"{line}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] in LIBRARIES and (any(map(_private, parts)) or any(_private(a.name) for a in node.names)):
                found.append(f"{line}: from {node.module} import {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Import):
            found += [f"{line}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] in LIBRARIES and any(map(_private, a.name.split(".")))]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "hasattr", "setattr", "delattr") and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str) \
                and _private(node.args[1].value):
            found.append(f"{line}: {node.func.id}(…, {node.args[1].value!r})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _TRAIT.search(node.value):
            found.append(f"{line}: {_TRAIT.search(node.value).group(0)}")
    return found


def test_no_private_member_of_another_library_in_zaitaku():
    reaches = {str(p.relative_to(PACKAGE)): r for p in sorted(PACKAGE.rglob("*.py"))
               if p != XML_HELPERS and (r := _reaches(p))}
    assert reaches == {}, "use the library's public API (or python-pptx's element tree in report/deck/xml.py)"


def test_the_walk_sees_each_kind_of_reach(tmp_path):
    """The checker itself: each kind of reach the issue listed is found, public code is not."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import warnings\nfrom pandas._config import config\nimport pandas as pd\n"
        "def f(df, stream, rc, v):\n"
        "    df._mgr.blocks\n    warnings._filters_mutated()\n    stream._flush_pending\n"
        "    getattr(stream, '_buffers', None)\n    args = ['--IPythonKernel._execute_sleep=0']\n",
        encoding="utf-8")
    found = " ".join(_reaches(bad))
    for reach in ("._mgr", "._filters_mutated", "._flush_pending", "pandas._config", "'_buffers'",
                  "--IPythonKernel._execute_sleep"):
        assert reach in found, reach
    good = tmp_path / "good.py"
    good.write_text("import pandas as pd\nclass A:\n    def __init__(self):\n        self._x = 1\n"
                    "def f(df):\n    return pd.util.hash_pandas_object(df), df.__class__\n", encoding="utf-8")
    assert _reaches(good) == []

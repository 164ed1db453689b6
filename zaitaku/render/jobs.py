"""What travels between the renderer and its workers: a job (one report), its result, the worker settings,
and the modules a notebook imports (preloaded before the kernel's reference snapshot)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Job:
    """One report (a notebook executed with one set of parameters) or one scope's deck (``kind="deck"``)."""

    key: str  # HTML path relative to reports/<year>, POSIX separators
    group: str
    notebook: str  # absolute path
    parameters: dict[str, Any]
    code: str  # 6-digit municipality code; "" in prefecture mode
    name: str
    pref_code: str
    prefecture: str
    input_hash: str = ""
    footer: tuple[tuple[str, str], ...] = ()
    title: str = ""  # page title when the notebook shows no heading
    kind: str = "report"  # "report" (a notebook) or "deck" (the scope's slides, zaitaku.render.decks)

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        who = f"{self.code} {self.name}" if self.code else f"{self.pref_code} {self.prefecture}（都道府県）"
        return f"{who} / {self.group}"


@dataclass
class Result:
    key: str
    status: str  # "ok" | "failed"
    seconds: float = 0.0
    html: str | None = None
    figures_csv: bytes | None = None
    failed_notebook: str | None = None  # executed notebook (JSON) of a failed report
    title: str = ""
    toc_entries: int = 0
    ename: str = ""
    evalue: str = ""
    cell_index: int | None = None  # index in the source notebook (0-based)
    execution_count: int | None = None
    stderr: str = ""  # first lines of dropped stderr output (warnings)
    worker: str = ""
    kernel_starts: int = 0
    input_hash: str = ""
    content: bytes | None = None  # a deck's .pptx


@dataclass(frozen=True)
class WorkerSettings:
    kernel_name: str = "python3"
    cell_timeout: float | None = 300.0
    start_timeout: float = 60.0
    kernel_cwd: str = ""  # "" = the worker's cwd
    preload: tuple[str, ...] = ()  # modules imported before the reference snapshot
    data_dir: str = ""  # processed data the kernel loads during its setup ("" = none)
    env: tuple[tuple[str, str], ...] = ()
    execution: str = "cells"  # "cells": one request per report (zaitaku.render.cells); "papermill": a request per cell


def python_lines(source: str) -> str:
    """A cell's source without its IPython magic (``%``) and shell (``!``) lines, for ``ast``."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def notebook_imports(nb) -> list[str]:
    """Modules a notebook imports (in order), for preloading before the reset snapshot.

    ``nb`` is a notebook node, a notebook as plain JSON (dict), or a path.
    """
    if isinstance(nb, (str, Path)):
        import json

        nb = json.loads(Path(nb).read_text(encoding="utf-8"))
    names: list[str] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        try:
            tree = ast.parse(python_lines(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module == "__future__":
                    continue
                names.append(node.module)
                names += [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
    seen: dict[str, None] = {}
    for n in names:
        seen.setdefault(n, None)
    return list(seen)

"""Workshop notebooks from one source each: the student version and the answers version.

A tutorial in ``notebooks/tutorial/`` holds, after each exercise prompt (a code cell tagged
``exercise``), its example answer (cells tagged ``solution``). The participants' copy drops the
``solution`` cells; the facilitator's answers copy drops the empty ``exercise`` cells. Both are
generated, never edited::

    python -m zaitaku.explore.tutorials            # -> notebooks/workshop/ and notebooks/workshop/solutions/
    make tutorials                                 # the same
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import nbformat

from zaitaku.files import atomic
from zaitaku.paths import NOTEBOOKS_DIR

SOURCE_DIR = NOTEBOOKS_DIR / "tutorial"
WORKSHOP_DIR = NOTEBOOKS_DIR / "workshop"
SOLUTION = "solution"
EXERCISE = "exercise"


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def sources() -> list[Path]:
    """The tutorials, in order (``NN_名前.ipynb``)."""
    return sorted(SOURCE_DIR.glob("[0-9][0-9]_*.ipynb"))


def _without(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if tag not in tags(c)]
    return out


def student_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The participants' notebook: every cell tagged ``solution`` removed."""
    return _without(nb, SOLUTION)


def solution_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The answers notebook: the empty ``exercise`` prompts removed, the solutions kept."""
    return _without(nb, EXERCISE)


def write_versions(out_dir: Path | str = WORKSHOP_DIR, source_dir: Path | str = SOURCE_DIR) -> list[Path]:
    """Write each tutorial's student version to ``out_dir`` and its answers to ``out_dir/solutions``."""
    out = Path(out_dir)
    written = []
    for src in sorted(Path(source_dir).glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(src, as_version=4)
        for version, folder in ((student_version(nb), out), (solution_version(nb), out / "solutions")):
            path = folder / src.name
            atomic.write_text(path, nbformat.writes(version) + "\n")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m zaitaku.explore.tutorials",
                                 description="ワークショップ用の教材（参加者用・答えの例）を作ります。")
    ap.add_argument("--out", type=Path, default=WORKSHOP_DIR, help=f"出力先（既定：{WORKSHOP_DIR}）")
    args = ap.parse_args(argv)
    for path in write_versions(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

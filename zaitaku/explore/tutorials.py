"""Workshop notebooks from one source each: the student version and the answers version.

A tutorial in ``notebooks/tutorial/`` holds, after each exercise prompt (a code cell tagged
``exercise``), its example answer (cells tagged ``solution``). The participants' copy drops the
``solution`` cells; the facilitator's answers copy drops the empty ``exercise`` cells. Both are
generated, never edited::

    python -m zaitaku.explore.tutorials            # -> notebooks/workshop/ and notebooks/workshop/solutions/
    make tutorials                                 # the same

Exercises with one right number are checked in the notebook by a helper here (:func:`check_change`):
it says 「正解です」 with the figures behind the answer, or what to try again, without giving the answer.
"""

from __future__ import annotations

import argparse
import copy
import math
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from zaitaku.files import atomic
from zaitaku.paths import NOTEBOOKS_DIR

if TYPE_CHECKING:
    from zaitaku.explore.trend_view import TrendView

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


TOLERANCE = 0.1
"""Points an answer may differ by (shares rounded to 0.1 before or after subtracting)."""


def check_change(tv: TrendView, answer: object, scope: str = "prefecture") -> bool:
    """Check a participant's change in points of ``scope`` between the last two compared years of ``tv``.

    Prints 「正解です」 with the change in the deck's manner (and the crosswalk's caution), or a hint
    without the answer; returns whether the answer is right."""
    from zaitaku.analysis.trend import change_sentence

    found = [c for c in tv.changes if tv.frame.loc[tv.frame["scope"] == scope, "scope_label"].eq(c.scope_label).any()]
    if not found:
        print(f"この設問・選択肢には、比べられる2つの年度がありません（{'、'.join(tv.notes) or tv.option_label}）。")
        return False
    c = found[0]
    try:
        value = float(answer)  # type: ignore[arg-type]  # a number as typed: int, float, numpy, "5.2"
    except (TypeError, ValueError):
        print(f"数で答えてください（例：5.2 や -3.1）。入っていたのは {answer!r} です。")
        return False
    if math.isnan(value):
        print("答えが数になっていません（NaN）。割合（%）の列から引き算をしてください。")
        return False
    if abs(value - c.points) <= TOLERANCE + 1e-9:
        text = f"正解です：{change_sentence(c)}"
        if c.comparability == "caution":  # the caution on its own line
            text = text.replace("（比較に注意：", "\n  ただし比較に注意：").removesuffix("）。") + "。"
        print(text)
        return True
    if abs(value + c.points) <= TOLERANCE + 1e-9 and c.points:
        print("もう一度：符号が逆です。新しい年度の割合から前の年度の割合を引きます（増えたらプラス）。")
    elif abs(value) < 1 and abs(c.points) >= 1:
        print("もう一度：割合（%）どうしを引いてください（0.05 ではなく 5.0 のように、パーセントの数で答えます）。")
    else:
        print(f"もう一度：{value:+.1f} ポイントではありません。{c.scope_label}の行の「割合（%）」で、"
              "新しい年度から前の年度を引きます。")
    return False


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

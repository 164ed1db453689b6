"""Write the four report notebooks from the codebook (``python -m zaitaku.report.notebook_builder``).

The notebooks are committed, without outputs; rebuild them when the codebook's questions or the
deck's blocks change (``tests/test_notebooks.py`` fails when they differ from what this writes).
Each reads like the prefectural deck: an introduction (not part of the rendered report), a
``parameters`` cell (papermill), a set-up cell, まとめ, then for each deck block a markdown heading
with its number and question(s) (JupyterLab's table of contents and the report's come from these)
and one code cell per question that shows it and keeps its :class:`~zaitaku.report.section.Section`.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import nbformat

from zaitaku.paths import NOTEBOOKS_DIR
from zaitaku.reference.codebook import Codebook, load_codebook
from zaitaku.report.blocks import Block, deck_blocks, is_paired

INTRO = """\
# {label}

在宅医療・介護連携推進事業の実施状況調査の回答を、市区町村（または都道府県）ごとに振り返るレポートです。
見出しの番号は県の説明資料（スライド）の番号です。

- 下の「パラメータ」のセルで市区町村コードなどを書き換え、メニューの Run → Run All Cells で実行します。
  `zaitaku render` はこのノートブックを市区町村ごとに実行して HTML にします。
- 各設問のセルは `s = rep.section(...)` の形です。実行後、`s.figures` でグラフの数値（表）を、
  `fig = s.chart()` でグラフ（matplotlib の Figure。`ax = fig.axes[0]` の棒・目盛り・凡例）を取り出して、
  題（`fig.suptitle("…")`）や色を変えられます。作り替えた `s` は `rep.section(s)` でレポートと同じ形に表示します。
- 自分で描く図に同じ体裁と日本語フォントを使うには `from zaitaku.report.charts import use_house_style` の後
  `use_house_style()`（1つの図だけなら `with house_style():`）。
- 作業は `make lab` が作る `lab/` のコピーで行います（git に入りません。元のノートブックは変わりません）。
- このセル（説明）はレポートには出ません。"""

PARAMETERS = '''\
# パラメータ（papermill が上書きします。JupyterLab では手で書き換えて「すべて実行」）
municipality_code = "322016"  # 市区町村コード6桁（例: 322016 松江市）。"" にすると都道府県全体のレポート
prefecture = "島根県"          # 都道府県全体のレポートで使う都道府県（名前または2桁コード）
survey_year = "R3"            # 調査年度（コードブック zaitaku/reference/codebooks/r3.yaml）
data_dir = ""                 # zaitaku ingest の出力フォルダ。"" はプロジェクトの data/processed
national = "auto"             # 全国の値: "auto"（公表値があれば公表値）、"computed"（データから集計）、"published"（公表値）
figures_csv = ""              # 指定するとグラフの数値をこの CSV に書き出します
codebook = ""                 # コードブック（YAML）。"" は取り込んだときのもの（zaitaku ingest --codebook）
'''

SETUP = '''\
from zaitaku.report.report import Report

rep = Report("{group}", municipality_code, prefecture, survey_year, data_dir, national, figures_csv, codebook)
rep.header()'''


def block_markdown(block: Block) -> str:
    """The block's heading: deck number, title and question number(s), with a stable anchor."""
    return f'## {html.escape(block.heading, quote=False)} <a id="{block.anchor}"></a>'


def section_code(block: Block, question_id: str, codebook: Codebook) -> str:
    q = codebook[question_id]
    split = any(p.is_subset for p in block.parts)
    args = f'"{question_id}", block="{block.number}"' if split else f'"{question_id}"'
    return f"s = rep.section({args})  # {q.number} {q.title}"


def build(group: str, survey_year: str = "R3") -> nbformat.NotebookNode:
    cb = load_codebook(survey_year)
    nb = nbformat.v4.new_notebook()
    intro = nbformat.v4.new_markdown_cell(INTRO.format(label=cb.groups[group]))
    intro.metadata["tags"] = ["remove-cell"]
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    cells = [intro, params, nbformat.v4.new_code_cell(SETUP.format(group=group)),
             nbformat.v4.new_markdown_cell('## まとめ <a id="summary"></a>'),
             nbformat.v4.new_code_cell("summary = rep.summary()  # まとめ（summary.ahead, summary.behind, summary.learn_from）")]
    for block in deck_blocks(cb, group):
        md = nbformat.v4.new_markdown_cell(block_markdown(block))
        md.metadata["zaitaku"] = {"deck_block": block.number, "anchor": block.anchor}
        cells.append(md)
        for qid in block.question_ids:
            cells.append(nbformat.v4.new_code_cell(section_code(block, qid, cb)))
        if is_paired(block, cb):
            cells.append(nbformat.v4.new_code_cell(f'table = rep.side_by_side("{block.number}")  # 並べて比べる表'))
    cells.append(nbformat.v4.new_markdown_cell('## このレポートについて <a id="about"></a>'))
    cells.append(nbformat.v4.new_code_cell("rep.footer()"))
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["zaitaku"] = {"group": group, "generated_by": "zaitaku.report.notebook_builder"}
    for i, c in enumerate(nb.cells):
        c["id"] = f"{group[:12]}-{i:02d}"
    return nb


def main(out_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    cb = load_codebook("R3")
    paths = []
    for group in cb.groups:
        path = out_dir / f"{group}.ipynb"
        nbformat.write(build(group), str(path))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else NOTEBOOKS_DIR):
        print(f"wrote {p}")

"""Write the four report notebooks from the codebook (``python -m zaitaku.report.notebook_builder``).

The notebooks are committed; rebuild them when the codebook's questions change. Each is thin: a
``parameters`` cell (papermill), a set-up cell, one cell per question, a footer cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from zaitaku.paths import NOTEBOOKS_DIR
from zaitaku.reference.codebook import load_codebook

PARAMETERS = '''\
# パラメータ（papermill が上書きします。JupyterLab では手で書き換えて「すべて実行」）
municipality_code = "322016"  # 市区町村コード6桁（例: 322016 松江市）。"" にすると都道府県モード
prefecture = "島根県"          # 都道府県モードで使う都道府県（名前または2桁コード）
survey_year = "R3"            # 調査年度（コードブック zaitaku/reference/codebooks/r3.yaml）
data_dir = "../data/processed"  # zaitaku ingest の出力フォルダ
national = "computed"         # 全国の値: "computed"（データから集計）または "published"（公表値）
figures_csv = ""              # 指定するとグラフの数値をこの CSV に書き出します
'''

SETUP = '''\
from zaitaku.report.report import Report

rep = Report("{group}", municipality_code, prefecture, survey_year, data_dir, national, figures_csv)
rep.header()'''


def build(group: str, survey_year: str = "R3") -> nbformat.NotebookNode:
    cb = load_codebook(survey_year)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    cells = [params, nbformat.v4.new_code_cell(SETUP.format(group=group))]
    for q in cb.in_group(group):
        cells.append(nbformat.v4.new_code_cell(f'rep.section("{q.id}")  # {q.number} {q.title}'))
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

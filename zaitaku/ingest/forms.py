"""One questionnaire workbook (調査票) per municipality, read as a one-row table.

A form has questions down the rows: a heading row per question (問1 …, 担当部署), then answer
rows — an option label with ○ beside it, or a label (回答, a matrix row) with the answer in the
cell beside it. Matrix multi-select questions have a sub-heading row per matrix row. Each answer
row becomes one "column" whose header is ``heading | sub-heading | label``, so the same drafted
map (``zaitaku draft-map FOLDER``) and the same parser serve a whole folder of forms. The
municipality is the value beside a 市町村名 label near the top, else a name in the first rows,
else the file name. Problems name the form's cell (``B12``).
"""

from __future__ import annotations

import re
import unicodedata

from zaitaku.ingest.header import Table, part_text
from zaitaku.ingest.qmatch import fold, question_by_number
from zaitaku.ingest.workbook import Grid, ReadError, col_letter
from zaitaku.reference.codebook import Codebook
from zaitaku.reference.municipalities import looks_like_municipality

NAME_LABEL = re.compile(r"(市区?町村|自治体|保険者)名")
_OPTION_ROW = re.compile(r"^\s*(\d+|[A-Ea-e]|[①-⑳])\s*[\.．:：)）\s]|^\s*[①-⑳]")
MAX_FORM_WIDTH = 8


def looks_like_form(grid: Grid) -> bool:
    """Narrow and long, with a municipality name label near the top."""
    if grid.width > MAX_FORM_WIDTH or len(grid.cells) < 10:
        return False
    top = [part_text(v) for row in grid.cells[:40] for v in row]
    return any(NAME_LABEL.search(t) for t in top[:80]) or sum(bool(re.match(r"問\s*\d", t)) for t in top) >= 2


def _name_of(grid: Grid) -> tuple[str, int, int]:
    """The municipality written in the form (value, row, column), else its file name."""
    for r, row in enumerate(grid.cells[:12]):
        for c, v in enumerate(row):
            if NAME_LABEL.search(part_text(v)):
                for c2 in range(c + 1, len(row)):
                    if part_text(row[c2]):
                        return part_text(row[c2]), r, c2
    for r, row in enumerate(grid.cells[:12]):
        for c, v in enumerate(row):
            if looks_like_municipality(v) == "name":
                return part_text(v), r, c
    stem = unicodedata.normalize("NFKC", grid.path.stem)
    for token in re.split(r"[_\-\s・()（）]+", stem):
        if looks_like_municipality(token):
            return token, -1, -1
    raise ReadError(f"{grid.path}: 調査票の市区町村名が見つかりません（上の方に「市町村名」欄を置くか、ファイル名に市区町村名を入れてください）")


def form_table(grid: Grid, codebook: Codebook) -> Table:
    """The form as a one-row table: column 0 the municipality, then one column per answer row."""
    name, nr, nc = _name_of(grid)
    parts: list[list[str]] = [["市区町村名"]]
    values: list[object] = [name]
    cells: list[str] = [f"{col_letter(nc)}{nr + 1}" if nr >= 0 else "ファイル名"]
    heading = sub = ""
    q = None
    for r, row in enumerate(grid.cells):
        texts = [part_text(v) for v in row]
        filled = [c for c, t in enumerate(texts) if t]
        if not filled or r == nr:
            continue
        label_c = filled[0]
        label = texts[label_c]
        found = question_by_number(codebook, label)
        if found is not None and (fold(label).startswith(fold(found.number)[:2]) or label.startswith("問")):
            heading, sub, q = label, "", found
            continue
        if q is None:
            continue  # title rows above the first question
        answer_c = next((c for c in filled if c > label_c), None)
        if q.type == "matrix-multi" and not _OPTION_ROW.match(label):
            sub = label
            continue
        parts.append([heading, sub, label] if sub else [heading, label])
        values.append(row[answer_c] if answer_c is not None else None)
        cells.append(f"{col_letter(answer_c if answer_c is not None else label_c + 1)}{r + 1}")
    if len(parts) == 1:
        raise ReadError(f"{grid.path}: 調査票の設問（問1 など）が見つかりません")
    one_row = Grid(grid.path, [values], sheet=grid.sheet, encoding=grid.encoding)
    t = Table(one_row, [], parts, [0], [], 0)
    t.cell_names = cells
    return t

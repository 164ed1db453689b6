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
    names_down = [sum(1 for row in grid.cells[:60] if c < len(row) and row[c] not in (None, "")
                      and looks_like_municipality(row[c])) for c in range(grid.width)]
    if max(names_down, default=0) >= 3:  # municipalities down a column: a table (long or compiled), not a form
        return False
    top = [part_text(v) for row in grid.cells[:40] for v in row]
    return any(NAME_LABEL.search(t) for t in top[:80]) or sum(bool(re.match(r"問\s*\d", t)) for t in top) >= 2


_FIELDS = {"都道府県名": re.compile(r"^都道府県名?$"), "市区町村コード": re.compile(r"(市区?町村|団体)コード")}
MARKS = {"○", "◯", "〇", "●", "◎", "✓", "✔", "☑", "✅", "■", "レ", "v", "V", "1"}
EMPTY_MARKS = {"□", "☐", "×", "0"}
_BOX = re.compile(r"^\s*([□■☑☐✅✓✔○●◯〇])\s*(.+)$")


def _field(grid: Grid, pattern: re.Pattern[str]) -> tuple[str, int, int] | None:
    """The value beside a label near the top (都道府県名, 市区町村コード)."""
    for r, row in enumerate(grid.cells[:12]):
        for c, v in enumerate(row):
            if pattern.search(part_text(v)):
                for c2 in range(c + 1, len(row)):
                    if part_text(row[c2]):
                        return part_text(row[c2]), r, c2
    return None


def _name_of(grid: Grid) -> tuple[str, int, int]:
    """The municipality written in the form (value, row, column), else its file name."""
    found = _field(grid, NAME_LABEL)
    if found:
        return found
    for r, row in enumerate(grid.cells[:12]):
        for c, v in enumerate(row):
            if looks_like_municipality(v) == "name":
                return part_text(v), r, c
    stem = unicodedata.normalize("NFKC", grid.path.stem)
    for token in re.split(r"[_\-\s・()（）]+", stem):
        if looks_like_municipality(token):
            return token, -1, -1
    raise ReadError(f"{grid.path}: 調査票の市区町村名が見つかりません（上の方に「市町村名」欄を置くか、ファイル名に市区町村名を入れてください）")


def _split_row(texts: list[str]) -> tuple[str, str, list[tuple[int, str]], int, int] | None:
    """(label, mark or answer, other filled cells, label column, answer column) of one answer row."""
    filled = [(c, t) for c, t in enumerate(texts) if t]
    if not filled:
        return None
    (c0, t0), rest = filled[0], filled[1:]
    if t0 in MARKS | EMPTY_MARKS and rest:  # ○ left of the label
        (c1, label) = rest[0]
        return label, t0, rest[1:], c1, c0
    box = _BOX.match(t0)
    if box and _OPTION_ROW.match(box.group(2)):  # 「■ 1. 設置している」
        return box.group(2), box.group(1), rest, c0, c0
    if rest:
        return t0, rest[0][1], rest[1:], c0, rest[0][0]
    return t0, "", [], c0, c0 + 1


_PRINTED = re.compile(r"^\s*(\d{1,2}|[A-Ea-e])\s*[\.:)]\s*(\S.*)$")


def _option_code(q, label: str) -> str | None:
    m = re.match(r"^\s*(\d+|[A-Ea-e])\s*[\.．:：)）\s]", unicodedata.normalize("NFKC", label))
    code = m.group(1).upper() if m else None
    return code if code in q.option_ids else None


class _Block:
    """The answer rows of one question (or one matrix row of a matrix multi-select)."""

    def __init__(self, heading: str, sub: str, q) -> None:
        self.heading, self.sub, self.q = heading, sub, q
        self.chosen: list[str] = []
        self.cell = ""
        self.not_asked = False
        self.texts: list[tuple[str, str]] = []  # (text, cell)
        self.printed: dict[str, str] = {}  # the options the form prints, number → label (checked by labels)

    def add(self, code: str, mark: str, extras: list[tuple[int, str]], cell: str, row: int) -> None:
        from zaitaku.ingest.values import is_not_asked

        if mark and is_not_asked(mark):
            self.not_asked = True
        elif mark in MARKS and code:
            self.chosen.append(code)
            self.cell = self.cell or cell
        elif mark and mark not in EMPTY_MARKS:
            self.chosen.append(mark)  # the code (or wording) of the answer written in the 回答欄
            self.cell = self.cell or cell
        for c, t in extras:
            if is_not_asked(t):
                self.not_asked = True
            elif code in {o.id for o in self.q.options if o.free_text}:
                self.texts.append((t.strip("（）()"), f"{col_letter(c)}{row + 1}"))


def form_table(grid: Grid, codebook: Codebook) -> Table:
    """The form as a one-row table: the municipality (and prefecture, code), then one column per answer."""
    name, nr, nc = _name_of(grid)
    parts: list[list[str]] = [["市区町村名"]]
    values: list[object] = [name]
    cells: list[str] = [f"{col_letter(nc)}{nr + 1}" if nr >= 0 else "ファイル名"]
    for label, pattern in _FIELDS.items():
        f = _field(grid, pattern)
        if f:
            parts.append([label])
            values.append(f[0])
            cells.append(f"{col_letter(f[2])}{f[1] + 1}")
    heading = sub = ""
    q = None
    block: _Block | None = None
    printed: dict[int, dict[str, str]] = {}  # column -> options printed beside its answer rows

    def flush() -> None:
        if block is None or (not block.chosen and not block.not_asked and not block.cell and block.q.is_matrix
                             and not block.sub):
            return
        base = [block.heading, block.sub] if block.sub else [block.heading]
        parts.append([*base, "回答"])
        if len(block.printed) >= 2:
            printed[len(parts) - 1] = dict(block.printed)
        values.append("非該当" if block.not_asked and not block.chosen else ",".join(block.chosen))
        cells.append(block.cell or "回答欄")
        for text, cell in block.texts:
            parts.append([*base, "その他の内容"])
            values.append(text)
            cells.append(cell)

    for r, row in enumerate(grid.cells):
        texts = [part_text(v) for v in row]
        filled = [c for c, t in enumerate(texts) if t]
        if not filled or r == nr:
            continue
        label = texts[filled[0]]
        found = question_by_number(codebook, label)
        if found is not None and (fold(label).startswith(fold(found.number)[:2]) or label.startswith("問")):
            flush()
            heading, sub, q = label, "", found
            block = None if found.type == "matrix-single" else _Block(heading, "", found)
            continue
        if q is None:
            continue  # title rows above the first question
        split = _split_row(texts)
        if split is None:
            continue
        label, mark, extras, _label_c, answer_c = split
        code = _option_code(q, label)
        shown = _PRINTED.match(unicodedata.normalize("NFKC", label))
        if shown and block is not None and shown.group(1).upper() not in block.printed:
            block.printed[shown.group(1).upper()] = shown.group(2).strip()
        if q.type == "matrix-single":
            if code is not None or (not mark and len(re.findall(r"\d[\.．]|[A-E][\.．]", label)) >= 2):
                continue  # the printed option list
            parts.append([heading, label])
            values.append(mark or None)
            cells.append(f"{col_letter(answer_c)}{r + 1}")
            continue
        if code is None and mark and block is not None and not (q.type == "matrix-multi" and not block.sub):
            block.add("", mark, extras, f"{col_letter(answer_c)}{r + 1}", r)  # 「回答」 and the answer beside it
            continue
        if code is None:
            if q.type == "matrix-multi":  # a matrix row's sub-heading
                flush()
                sub = label
                block = _Block(heading, sub, q)
            continue
        if block is not None:
            block.add(code, mark, extras, f"{col_letter(answer_c)}{r + 1}", r)
    flush()
    if len(parts) <= 3:
        raise ReadError(f"{grid.path}: 調査票の設問（問1 など）が見つかりません")
    one_row = Grid(grid.path, [values], sheet=grid.sheet, encoding=grid.encoding, skipped_sheets=grid.skipped_sheets)
    t = Table(one_row, [], parts, [0], [], 0)
    t.cell_names = cells
    t.printed = printed
    return t

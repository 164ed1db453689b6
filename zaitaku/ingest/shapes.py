"""Layouts detected, not assumed: a sheet turned sideways, a long table, one sheet per question group.

Each is brought to the one shape the map and the parser read — one row per municipality under a
header — so ``zaitaku draft-map`` and ``zaitaku ingest`` treat every layout alike:

* **transposed** (市町村別一覧): municipalities across a row (names or codes in ≥ 3 columns) and
  questions down the rows; read with rows and columns swapped (problems name the swapped cell).
* **long**: one row per municipality × question (× matrix row) × option, found by its shape (a column of
  question numbers, municipalities repeated over many rows, a column of option numbers); pivoted to one ``設問 | 項目 | 回答`` column per question and row
  (options joined by ``,``; 未回答 and 非該当 as written), その他 text in ``… | その他の内容``.
* **multi-sheet**: the sheets whose header holds question numbers or question wording (≥ 3 such
  columns) are joined by municipality; cover, notes and summary sheets (formulas, percentages, no
  municipality rows) are skipped and named.
"""

from __future__ import annotations

import re
from pathlib import Path

import python_calamine

from zaitaku.ingest import qmatch
from zaitaku.ingest.header import Table, find_table, part_text
from zaitaku.ingest.values import is_blank, is_not_asked, normalize_cell
from zaitaku.ingest.workbook import EXCEL_SUFFIXES, Grid, ReadError, col_letter, read_grid
from zaitaku.reference.codebook import Codebook
from zaitaku.reference.municipalities import CodeError, looks_like_municipality, resolve

MIN_ACROSS = 3  # municipalities in one row that make a sheet transposed
MIN_QUESTION_COLUMNS = 3  # header cells naming a question that make a sheet a question group


def _known(v: object) -> bool:
    return v not in (None, "") and looks_like_municipality(v) is not None


def is_transposed(grid: Grid) -> bool:
    """More municipalities across one of the first 15 rows than down any of the first 8 columns."""
    across = max((sum(_known(v) for v in row) for row in grid.cells[:15]), default=0)
    if across < MIN_ACROSS:
        return False
    down = max((sum(_known(row[c]) for row in grid.cells if c < len(row)) for c in range(min(8, grid.width))),
               default=0)
    return across > down


def locate_transposed(r: int, c: int) -> tuple[int | str, str]:
    """A cell of the swapped sheet as delivered: its row is the sheet's column and the other way round."""
    return c + 1, f"{col_letter(r)}列"


def transpose(grid: Grid) -> Grid:
    width = grid.width
    cells = [[row[c] if c < len(row) else None for row in grid.cells] for c in range(width)]
    return Grid(grid.path, cells, sheet=grid.sheet, encoding=grid.encoding)


# ------------------------------------------------------------------ long tables

_Q_HEAD = re.compile(r"設問(番号)?|問番号|質問")
_OPT_HEAD = re.compile(r"選択肢|回答番号|選択")
_ROW_HEAD = re.compile(r"項目|行|設問項目|対象")
_VAL_HEAD = re.compile(r"回答|値|該当")


def _long_columns(table: Table, cb: Codebook) -> tuple[int, int, int | None, int | None] | None:
    """(question, option, row label, value) columns of a long table, or None.

    Found by shape, header words only breaking ties: a column of question numbers, municipalities repeated
    over many rows, a column of option numbers valid for each row's question, a column naming the matrix
    row, a column of 1/○, 未回答/非該当 or free text."""
    heads = [qmatch.fold(" ".join(p)) for p in table.parts]
    rows = table.data_rows[:400]
    q_cands = [j for j in range(len(table.parts)) if _mostly_questions(table, j, cb)]
    if not q_cands:
        return None
    q_col = next((j for j in q_cands if _Q_HEAD.search(heads[j])), q_cands[0])
    keys = _key_columns(table, exclude={q_col})
    if not keys:
        return None
    municipalities = {tuple(part_text(table.cell(r, j)) for j in keys) for r in rows}
    if len(rows) < 2 * max(1, len(municipalities)):  # one row per municipality: not long
        return None
    free = [j for j in range(len(table.parts)) if j != q_col and j not in keys]
    questions = [qmatch.question_by_number(cb, part_text(table.cell(r, q_col))) for r in rows]
    opt_cands = [j for j in free if _mostly_options(table, j, rows, questions)]
    opt_col = next((j for j in opt_cands if _OPT_HEAD.search(heads[j])), opt_cands[0] if opt_cands else None)
    if opt_col is None:
        return None
    free = [j for j in free if j != opt_col]
    row_cands = [j for j in free if _mostly_rows(table, j, rows, questions)]
    row_col = next((j for j in row_cands if _ROW_HEAD.search(heads[j])), row_cands[0] if row_cands else None)
    free = [j for j in free if j != row_col]
    val_cands = [j for j in free if _mostly_values(table, j, rows)]
    val_col = next((j for j in val_cands if _VAL_HEAD.search(heads[j])), val_cands[0] if val_cands else None)
    return q_col, opt_col, row_col, val_col


def _key_columns(table: Table, exclude: set[int]) -> list[int]:
    """Columns of municipality names or codes (≥ 80% of the first 50 rows)."""
    n = min(50, len(table.data_rows))
    return [j for j in range(len(table.parts)) if j not in exclude and n and sum(
        _known(table.cell(r, j)) for r in table.data_rows[:50]) >= 0.8 * n]


def _mostly_options(table: Table, j: int, rows: list[int], questions: list) -> bool:
    """≥ 90% of the filled cells are an option of their row's question (and ≥ 30% of the cells are filled)."""
    filled = [(normalize_cell(table.cell(r, j)), q) for r, q in zip(rows, questions, strict=True)]
    filled = [(v, q) for v, q in filled if v and q is not None and not is_not_asked(v) and v != "未回答"]
    if len(filled) < 0.3 * len(rows):
        return False
    return sum(v.upper() in q.option_ids for v, q in filled) >= 0.9 * len(filled)


def _mostly_rows(table: Table, j: int, rows: list[int], questions: list) -> bool:
    """The cells of matrix questions' rows name a row of their question (≥ 80%)."""
    pairs = [(part_text(table.cell(r, j)), q) for r, q in zip(rows, questions, strict=True) if q is not None and q.is_matrix]
    pairs = [(v, q) for v, q in pairs if v]
    if not pairs:
        return False
    return sum(bool((hit := qmatch.row_of(q, [v])) and hit.score >= 80) for v, q in pairs) >= 0.8 * len(pairs)


_VALUE_WORDS = {"1", "○", "◯", "〇", "●", "✓", "未回答", "無回答"}


def _mostly_values(table: Table, j: int, rows: list[int]) -> bool:
    """A value column: 1/○ for a chosen option, 未回答/非該当, or some free text (≥ 60% marks or words)."""
    vals = [normalize_cell(table.cell(r, j)) for r in rows]
    vals = [v for v in vals if v]
    return bool(vals) and sum(v in _VALUE_WORDS or is_not_asked(v) for v in vals) >= 0.6 * len(vals)


def _mostly_questions(table: Table, j: int, cb: Codebook) -> bool:
    vals = [part_text(table.cell(r, j)) for r in table.data_rows[:200]]
    vals = [v for v in vals if v]
    return bool(vals) and sum(qmatch.question_by_number(cb, v) is not None for v in vals) >= 0.8 * len(vals)


def long_table(table: Table, cb: Codebook) -> Table | None:
    """The long table pivoted to one row per municipality; None if ``table`` is not long."""
    cols = _long_columns(table, cb)
    if cols is None:
        return None
    q_col, opt_col, row_col, val_col = cols
    keys = _key_columns(table, exclude={c for c in cols if c is not None}) or [table.key_col]
    answers: dict[tuple, dict[tuple[str, ...], list[str]]] = {}
    first_row: dict[tuple, int] = {}
    source: dict[tuple, int] = {}  # (municipality key, column head) → first row as delivered
    order: list[tuple[str, ...]] = []
    for r in table.data_rows:
        key = tuple(part_text(table.cell(r, j)) for j in keys)
        first_row.setdefault(key, r)
        qnum = part_text(table.cell(r, q_col))
        item = part_text(table.cell(r, row_col)) if row_col is not None else ""
        opt = normalize_cell(table.cell(r, opt_col))
        val = normalize_cell(table.cell(r, val_col)) if val_col is not None else "1"
        head = (qnum, item) if item else (qnum,)
        cells = answers.setdefault(key, {})
        answer_head = (*head, "回答")
        if answer_head not in order:
            order.append(answer_head)
        chosen = cells.setdefault(answer_head, [])
        source.setdefault((key, answer_head), r)
        if not opt:
            chosen.append(val if (is_not_asked(val) or not is_blank(val)) else "")
            continue
        chosen.append(opt)
        if val and val not in ("1", "○") and not is_not_asked(val):  # free text of the option
            text_head = (*head, "その他の内容")
            cells.setdefault(text_head, []).append(val)
            source.setdefault((key, text_head), r)
            if text_head not in order:
                order.append(text_head)
    parts = [[" | ".join(table.parts[j]) or "市区町村"] for j in keys] + [list(h) for h in order]
    rows: list[list[object]] = []
    for key, cells in answers.items():
        row: list[object] = list(key)
        for h in order:
            vals = [v for v in cells.get(h, []) if v]
            row.append(",".join(vals) if vals else None)
        rows.append(row)
    grid = Grid(table.grid.path, rows, sheet=table.grid.sheet, encoding=table.grid.encoding)
    keys_in_order = list(answers)
    text_letter = col_letter(val_col if val_col is not None else opt_col)

    def locate(r: int, c: int) -> tuple[int | str, str]:
        key = keys_in_order[r]
        if c < len(keys):
            return first_row[key] + 1, f"{col_letter(keys[c])}列"
        head = order[c - len(keys)]
        at = source.get((key, head))
        letter = text_letter if head[-1] == "その他の内容" else col_letter(opt_col)
        return (at + 1 if at is not None else first_row[key] + 1), f"{letter}列"

    out = Table(grid, [], parts, list(range(len(rows))), list(table.skipped), 0)
    out.locate = locate
    return out


# ------------------------------------------------------------------ one sheet per question group


def _question_columns(table: Table, cb: Codebook) -> int:
    n = 0
    for p in table.parts:
        text = " | ".join(x for x in p if x)
        if text and (qmatch.question_by_number(cb, text) is not None or qmatch.best_question(cb, p[0] if p else "")):
            n += 1
    return n


def _key_of(v: object) -> str:
    try:
        return resolve(v) if isinstance(v, (str, int, float)) else str(v)
    except (CodeError, ValueError, TypeError):
        return part_text(v)


def sheet_names(path: Path) -> list[str]:
    try:
        return list(python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # an unreadable workbook is reported by read_grid
        return []


def first_table(path: Path, cb: Codebook) -> Table:
    """The first sheet holding a municipality table; :class:`ReadError` naming the sheets if none."""
    names = sheet_names(path)
    for name in names:
        try:
            return find_table(read_grid(path, sheet=name))
        except ReadError:
            continue
    raise ReadError(f"{path}: どのシート（{'、'.join(names)}）にも市区町村の行がありません。処理済みデータは変更していません")


def multi_sheet_table(path: Path, first: Table, cb: Codebook) -> Table:
    """``first`` joined with the workbook's other question-group sheets (by municipality); else ``first``."""
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        return first
    names = sheet_names(path)
    if len(names) < 2:
        return first
    tables: list[Table] = []
    skipped: list[str] = []
    for name in names:
        try:
            t = first if name == first.grid.sheet else find_table(read_grid(path, sheet=name))
        except ReadError:
            skipped.append(name)
            continue
        if _question_columns(t, cb) >= MIN_QUESTION_COLUMNS:
            tables.append(t)
        else:
            skipped.append(name)
    if len(tables) < 2:
        return first
    key_cols = [[j for j in range(len(t.parts)) if sum(_known(t.cell(r, j)) for r in t.data_rows[:50])
                 >= 0.8 * min(50, len(t.data_rows))] or [t.key_col] for t in tables]
    base = tables[0]
    parts = [list(p) for p in base.parts]
    rows: dict[str, list[object]] = {}
    order: list[str] = []
    origin: list[dict[str, int]] = [{} for _ in tables]  # per sheet: municipality → row
    colsrc: list[tuple[int, int]] = [(0, j) for j in range(len(base.parts))]  # column → (sheet, column)
    for r in base.data_rows:
        k = _key_of(base.cell(r, base.key_col))
        rows[k] = [base.cell(r, j) for j in range(len(base.parts))]
        order.append(k)
        origin[0].setdefault(k, r)
    for ti, (t, keys) in enumerate(zip(tables[1:], key_cols[1:], strict=True), start=1):
        keep = [j for j in range(len(t.parts)) if j not in keys]
        offset = len(parts)
        parts += [list(t.parts[j]) for j in keep]
        colsrc += [(ti, j) for j in keep]
        for r in t.data_rows:
            k = _key_of(t.cell(r, t.key_col))
            origin[ti].setdefault(k, r)
            if k not in rows:
                rows[k] = [t.cell(r, j) if j in keys else None for j in range(len(base.parts))]
                order.append(k)
            row = rows[k]
            row += [None] * (offset - len(row))
            row += [t.cell(r, j) for j in keep]
    cells = [rows[k] for k in order]
    grid = Grid(path, cells, sheet="・".join(t.grid.sheet for t in tables), encoding=base.grid.encoding)
    notes = [(0, f"シート「{s}」", "設問の表ではないシート") for s in skipped]

    def locate(r: int, c: int) -> tuple[int | str, str]:
        ti, j = colsrc[c] if c < len(colsrc) else (0, c)
        at = origin[ti].get(order[r])
        return (at + 1 if at is not None else ""), f"シート「{tables[ti].grid.sheet}」 {col_letter(j)}列"

    out = Table(grid, [], parts, list(range(len(cells))), [*base.skipped, *notes], base.key_col)
    out.locate = locate
    for r, k in enumerate(order):  # a municipality missing from a sheet: said per municipality, never silent
        missing = [t.grid.sheet for ti, t in enumerate(tables) if k not in origin[ti]]
        if missing:
            out.absent[r] = missing
    return out

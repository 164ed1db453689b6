"""Find the table in a sheet as delivered: title rows, a header block of any depth, data, totals, notes.

The first data row is the first row holding a registered municipality code or name; the header
block is the run of rows directly above it, up to a blank row or a title row (a row with a single
distinct text). Merged cells are copied over their whole range; a blank upper header cell takes
the text on its left when both columns carry sub-headers under the same parent (CSV exports leave
a repeated group header blank). Header text keeps ①②… (question numbers) but line breaks and
runs of spaces become one space and full-width letters and digits half-width.

Below the header, total rows (県計・合計・全体…) and footnote rows (※…, 注…) are skipped with a
note; every other non-blank row is a data row (an unknown name is reported by the parser).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from zaitaku.ingest.workbook import Grid, ReadError
from zaitaku.reference.municipalities import looks_like_municipality

SEP = " | "
MAX_HEADER_ROWS = 6
_CIRCLED = re.compile("[\u2460-\u2473\u3251-\u325f\u24ea]")
_TOTAL = re.compile(r"^(?:.{0,6}[県都道府]計|合計|総計|小計|全体|計|平均|全国|県全体|県内計|市町村計)")
_NOTE = re.compile(r"^(?:※|＊|\*|注|（注|\(注|出典|資料|備考[:：]|注記)")


def part_text(value: object) -> str:
    """Header cell text: NFKC except circled numbers, one line, single spaces."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer():
            value = int(value)
    text = str(value)
    text = "".join(ch if _CIRCLED.match(ch) else unicodedata.normalize("NFKC", ch) for ch in text)
    return " ".join(text.split())


def clean_header(text: object) -> str:
    """Key for matching a header with a map row: NFKC (①→1), one line, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", part_text(text)).split())


def join_parts(parts: list[str]) -> str:
    out: list[str] = []
    for p in parts:
        if p and (not out or out[-1] != p):
            out.append(p)
    return SEP.join(out)


@dataclass
class Table:
    """The table found in a grid; row numbers are 0-based grid rows (Excel row = r + 1)."""

    grid: Grid
    header_rows: list[int]
    parts: list[list[str]]
    data_rows: list[int]
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (row, text, 合計行/注記行)
    key_col: int = 0
    cell_names: list[str] | None = None  # questionnaire forms: the form's cell of each column (B12)
    # reshaped layouts (transposed, long, multi-sheet): (row, column) → (row as delivered, "シート D列")
    locate: Callable[[int, int], tuple[int | str, str]] | None = None
    # data row → sheets of a joined workbook that have no row for that municipality (their questions read as 未回答)
    absent: dict[int, list[str]] = field(default_factory=dict)
    printed: dict[int, dict[str, str]] | None = None  # forms: column -> the options printed beside it (ingest.labels)
    # forms: cells a reader could not place, (row as delivered, cell, value, "q1: why", what was read as 未回答)
    unplaced: list[tuple[int, str, str, str, str]] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        """The header of each column as shown (parts joined with `` | ``)."""
        return [join_parts(p) for p in self.parts]

    @property
    def keys(self) -> list[str]:
        """The header of each column as matched against a map (NFKC)."""
        return [clean_header(h) for h in self.headers]

    def cell(self, r: int, c: int) -> object:
        row = self.grid.cells[r] if r < len(self.grid.cells) else []
        return row[c] if c < len(row) else None


def _text(v: object) -> str:
    return part_text(v)


def _filled_rows(grid: Grid, rows: range) -> list[list[str]]:
    width = grid.width
    out = {r: [_text(grid.cells[r][c]) if c < len(grid.cells[r]) else "" for c in range(width)] for r in rows}
    for r0, c0, r1, c1 in grid.merged:
        if r0 not in out and not any(r in out for r in range(r0, r1 + 1)):
            continue
        v = _text(grid.cells[r0][c0]) if r0 < len(grid.cells) and c0 < len(grid.cells[r0]) else ""
        for r in range(r0, r1 + 1):
            if r in out:
                for c in range(c0, min(c1 + 1, width)):
                    out[r][c] = v
    return [out[r] for r in rows]


_DATA_CELL = re.compile(r"[0-9０-９\s,，、.．○◯〇●✓✔レ×\-−―ー－①-⑳]+|#N/A|#DIV/0!|#VALUE!")


def _data_like(row: list[object]) -> bool:
    """More than half of the filled cells are numbers, marks or code lists: an answer row, not a header."""
    filled = [v for v in row if v not in (None, "")]
    if len(filled) < 2:
        return False
    data = sum(isinstance(v, (int, float)) or bool(_DATA_CELL.fullmatch(str(v).strip())) for v in filled)
    return data > len(filled) / 2


_KNOWN: dict[object, bool] = {}


def _known(value: object) -> bool:
    """looks_like_municipality, memoised per cell value (a file repeats few distinct names)."""
    try:
        return _KNOWN[value]
    except KeyError:
        if len(_KNOWN) > 100_000:
            _KNOWN.clear()
        return _KNOWN.setdefault(value, looks_like_municipality(value) is not None)
    except TypeError:
        return looks_like_municipality(value) is not None


def _is_blank_row(row: list[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _first_municipality_cell(cells: list[list[object]]) -> tuple[int, int] | None:
    """(row, column) of the first registered name or code among a row's first 8 filled cells."""
    for r, row in enumerate(cells):
        filled = [c for c, v in enumerate(row) if v not in (None, "")]
        if len(filled) < 2:
            continue
        for c in filled[:8]:
            if looks_like_municipality(row[c]):
                return r, c
    return None


def find_table(grid: Grid) -> Table:
    """Locate header block and data rows; :class:`ReadError` if no municipality can be found."""
    cells = grid.cells
    found = _first_municipality_cell(cells)
    if found is None:
        where = f"（シート {grid.sheet}）" if grid.sheet else ""
        raise ReadError(f"{grid.path}{where}: 市区町村名・コードとして読めるデータ行がありません（見出しだけのファイルか、"
                        "市区町村の列がありません）。処理済みデータは変更していません")
    first, key_col = found
    # rows right above the first recognised one that look like data (an unknown name) are data too
    while first > 0 and _data_like(cells[first - 1]):
        first -= 1
    # header block: rows right above the data, up to a blank or a title row
    top = first
    while top > 0 and first - top < MAX_HEADER_ROWS:
        r = top - 1
        texts = _filled_rows(grid, range(r, r + 1))[0]
        values = {v for v in texts if v}
        raw_filled = sum(v not in (None, "") for v in cells[r])
        if len(values) <= 1 and raw_filled <= 1:  # a title (one cell, maybe merged across); 「回答」 repeated is a header
            break
        top = r
    header_rows = list(range(top, first))
    rows = _filled_rows(grid, range(top, first)) if header_rows else []
    width = grid.width
    merged_cells = {(r, c) for r0, c0, r1, c1 in grid.merged for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
                    if top <= r < first}
    if rows:
        last = rows[-1]
        for i in range(len(rows) - 1):
            texts = rows[i]
            for c in range(1, width):
                if (texts[c] or not texts[c - 1] or not last[c] or not last[c - 1]
                        or (header_rows[i], c) in merged_cells):
                    continue
                if i == 0 or rows[i - 1][c] == rows[i - 1][c - 1]:
                    texts[c] = texts[c - 1]
    parts = [[rows[i][c] for i in range(len(rows))] for c in range(width)]
    data_rows, skipped = [], []
    for r in range(first, len(cells)):
        row = cells[r]
        if _is_blank_row(row):
            continue
        key_value = row[key_col] if key_col < len(row) else None
        if _known(key_value):
            data_rows.append(r)
            continue
        key = _text(key_value)
        firsts = [_text(v) for v in row[:key_col + 3] if v not in (None, "")] or [
            _text(v) for v in row if v not in (None, "")][:2]
        if key and _TOTAL.match(key) and not looks_like_municipality(row[key_col]):
            skipped.append((r, key, "合計行"))
        elif firsts and _NOTE.match(firsts[0]) and not looks_like_municipality(row[key_col] if key_col < len(row) else None):
            skipped.append((r, firsts[0][:40], "注記行"))
        elif not key and len(firsts) <= 1:
            skipped.append((r, firsts[0][:40] if firsts else "", "注記行"))
        else:
            data_rows.append(r)
    if not data_rows:
        raise ReadError(f"{grid.path}: データ行がありません。処理済みデータは変更していません")
    return Table(grid, header_rows, parts, data_rows, skipped, key_col)

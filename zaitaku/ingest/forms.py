"""One questionnaire workbook (調査票) per municipality, read as a one-row table.

A form has questions down the rows: a heading row per question (問1 …, 担当部署, or 「問1　設問文」 in one cell),
then the rows of its answer, read by their shape, not by a fixed layout:

* an option row — 「1.label」 (or 「□ １．label」, or 番号｜選択肢 in two cells) with its mark (○ ● ■ ☑ ✓ レ)
  in a cell beside it or in front of the label; a 番号｜選択肢｜回答（○） header row names the columns;
* a number written beside the first option (a 回答欄 column: the answer's code), or 1/0 down the option rows;
* a 回答欄 row 「回答欄｜2」, a matrix row with its answer beside it 「（1）郡市区医師会｜E」;
* a ○ grid: a row printing the options across the columns (「項目｜1.…｜2.…」), then one row per matrix row
  with the marks in the option columns (a blank row ends the grid);
* a matrix row's sub-heading (「・郡市区医師会」, 「【日常の療養支援】」) followed by its own option rows.

Options are kept as the form numbers them, with the labels it prints beside them (``Table.printed``), so
:mod:`zaitaku.ingest.labels` reads them by label when the form prints them in another order than the codebook.
Each answer becomes one "column" whose header is ``heading | row | 回答``, so the same drafted map
(``zaitaku draft-map FOLDER``) and the same parser serve a whole folder of forms. A cell that cannot be placed
(a mark outside the grid's option columns, a number beside an option that is neither the answer's code nor a
1/0 mark) makes that answer 未回答 with a problem row naming the form's row, cell and value (``Table.unplaced``)
and what was read as 未回答 (the question, or one matrix row by its printed label); it is never guessed. The municipality is the value beside a 市町村名 label near the top, else a name in the
first rows, else the file name. Problems name the form's cell (``B12``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from zaitaku.ingest.header import Table, part_text
from zaitaku.ingest.labels import label_to_option
from zaitaku.ingest.qmatch import fold, number_key, question_by_number, row_of
from zaitaku.ingest.records import row_as_na
from zaitaku.ingest.values import is_not_asked
from zaitaku.ingest.workbook import Grid, ReadError, col_letter
from zaitaku.reference.codebook import Codebook, Question
from zaitaku.reference.codebook_form import printed_listing
from zaitaku.reference.municipalities import looks_like_municipality

NAME_LABEL = re.compile(r"(市区?町村|自治体|保険者)名")
MAX_FORM_WIDTH = 16


def looks_like_form(grid: Grid) -> bool:
    """Long and not wide (a ○ grid adds a column per option), one municipality, and a municipality name label
    near the top or questions (問1 …) down the first filled column."""
    if grid.width > MAX_FORM_WIDTH or len(grid.cells) < 10:
        return False
    names_down = [sum(1 for row in grid.cells[:60] if c < len(row) and row[c] not in (None, "")
                      and looks_like_municipality(row[c])) for c in range(grid.width)]
    if max(names_down, default=0) >= 3:  # municipalities down a column: a table (long or compiled), not a form
        return False
    names_across = [sum(1 for v in row if v not in (None, "") and looks_like_municipality(v)) for row in grid.cells[:12]]
    if max(names_across, default=0) >= 3:  # municipalities across a row: a transposed table
        return False
    top = [part_text(v) for row in grid.cells[:40] for v in row]
    firsts = [next((part_text(v) for v in row if v not in (None, "")), "") for row in grid.cells[:200]]
    return any(NAME_LABEL.search(t) for t in top[:80]) or sum(bool(re.match(r"問\s*\d", t)) for t in firsts) >= 2


_FIELDS = {"都道府県名": re.compile(r"^都道府県名?$"), "市区町村コード": re.compile(r"(市区?町村|団体)コード")}


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


# ---------------------------------------------------------------- the answers


MARKS = {"○", "◯", "〇", "●", "◎", "✓", "✔", "☑", "✅", "■", "レ", "v", "V"}
EMPTY_MARKS = {"□", "☐", "×"}
_LEAD_MARK = re.compile(r"^\s*([□■☑☐✅✓✔○●◯〇◎])\s*(.*)$")
_NUMBERED = re.compile(r"^\s*(\d{1,2}|[A-Ea-e])\s*[.:)）]\s*(\S.*)$")
_BARE_ID = re.compile(r"^\s*(\d{1,2}|[A-Ea-e])\s*[.]?\s*$")
_WRITTEN = re.compile(r"^\s*[0-9A-Ea-e]{1,2}(\s*[,、，]\s*[0-9A-Ea-e]{1,2})*\s*$")
_ROW_LEAD = re.compile(r"^\s*(・|[(（]\s*\d{1,2}\s*[)）]|[①-⑳]|\d{1,2}\))\s*")
_SKIP = re.compile(r"^\s*(※|【|\(注|（注|注[)）:：])")
_ANSWER_HEAD = re.compile(r"^(回答(欄)?|記入欄|番号記入欄)(\s*[(（].*[)）])?$")
_TABLE_HEAD = re.compile(r"^(番号|No\.?|選択肢|項目|回答(欄)?(\s*[(（].*[)）])?)$")


def _mark(text: str) -> bool | None:
    """True for a mark (○ ■ ☑ ✓ …), False for an empty box, None for anything else."""
    return True if text in MARKS else False if text in EMPTY_MARKS else None


@dataclass
class _Block:
    """The answer of one question, or of one matrix row: the printed numbers marked or written, and where."""

    row_label: str
    cell: str = ""
    row: int = 0
    label_row: int = 0  # the form row (1-based) that starts the block: its matrix row label, else the heading
    chosen: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # the answer written in a 回答欄 (codes or wording)
    printed: dict[str, str] = field(default_factory=dict)
    texts: list[tuple[str, str]] = field(default_factory=list)  # その他 free text, its cell
    not_asked: bool = False
    unplaced: list[tuple[int, str, str, str]] = field(default_factory=list)
    options: int = 0  # option rows seen
    tentative: bool = False  # a 【…】 row read as a matrix row's sub-heading: kept only if options follow
    beside: list[tuple[str, str, int, int, bool]] = field(default_factory=list)  # (option, value, r, c, first row)

    def at(self, r: int, c: int) -> None:
        if not self.cell:
            self.cell, self.row = f"{col_letter(c)}{r + 1}", r + 1

    def resolve(self, qid: str) -> None:
        """Numbers written beside the options: the answer's code in a 回答欄 beside the first option
        (「1. ある｜1」), or 1/0 marks down the rows; anything else cannot be placed."""
        if not self.beside:
            return
        if len(self.beside) == 1 and self.beside[0][4]:
            _pid, value, r, c, _first = self.beside[0]
            self.written.append(value)
            self.at(r, c)
        elif len(self.beside) >= 2 and all(v in ("1", "0") for _p, v, *_ in self.beside):
            for pid, value, r, c, _first in self.beside:
                if value == "1":
                    self.chosen.append(pid)
                    self.at(r, c)
        else:
            for _pid, value, r, c, _first in self.beside:
                self.unplaced.append((r + 1, f"セル {col_letter(c)}{r + 1}", value,
                                      f"{qid}: 選択肢の行に書かれた番号「{value}」が、回答の番号（最初の選択肢の横の回答欄）"
                                      "とも選択の印（1/0）とも読めません"))


class _Question:
    """Reads the rows of one question of a form into blocks (see :func:`form_table`)."""

    def __init__(self, q: Question, heading: str, fname: str, row: int = 0) -> None:
        self.q, self.heading, self.fname = q, heading, fname
        self.row = row  # 0-based grid row of the heading
        self.listing: dict[str, str] = {}  # options printed for the whole question (a list, a grid's header)
        self.blocks: dict[str, _Block] = {}
        self.current: _Block | None = None if q.is_matrix else self._block("", row)
        self.grid: dict[int, str] = {}  # column → printed option number of a ○ grid
        self.grid_label_col = -1
        self.answer_col = -1  # 「回答（○）」 column of a 番号｜選択肢｜回答 table
        self.number_col = -1
        self.label_col = -1

    def _block(self, label: str, r: int) -> _Block:
        if label not in self.blocks:
            self.blocks[label] = _Block(label, label_row=r + 1)
        return self.blocks[label]

    def _unplaced(self, r: int, c: int, value: str, why: str) -> None:
        block = self.current or self._block("", r)
        block.unplaced.append((r + 1, f"セル {col_letter(c)}{r + 1}", value, f"{self.q.id}: {why}"))

    def _option_number(self, number: str | None, label: str, printed: dict[str, str]) -> str:
        """The printed number of an option row; an unnumbered option is numbered by its place in the list."""
        if number is not None:
            number = number.upper()
            printed.setdefault(number, label)
            return number
        for k, lab in printed.items():
            if lab == label:
                return k
        oid = label_to_option(self.q, label)[0]  # printed without a number: the label says which option
        if oid is not None and oid not in printed:
            printed[oid] = label
            return oid
        k = str(len(printed) + 1)
        while k in printed:
            k += "'"
        printed[k] = label
        return k

    def feed(self, r: int, texts: list[str]) -> None:
        filled = [(c, t) for c, t in enumerate(texts) if t]
        if not filled:  # a blank row ends a table (a ○ grid, a 番号｜選択肢｜回答 table)
            self.grid, self.answer_col, self.number_col, self.label_col = {}, -1, -1, -1
            return
        if _SKIP.match(filled[0][1]):
            if self.q.is_matrix and len(filled) == 1 and self._is_row(filled[0][1].strip("【】 ")):
                self.current = self._block(filled[0][1], r)  # 「【日常の療養支援】」 heads a matrix row…
                self.current.tentative = True  # …when option rows follow it (else a section title)
            return
        heads = [(c, t) for c, t in filled if _TABLE_HEAD.match(t)]
        if len(heads) >= 2 and len(heads) == len(filled):  # 番号｜選択肢｜回答（○）
            for c, t in heads:
                if t.startswith("回答"):
                    self.answer_col = c
                elif t == "選択肢":
                    self.label_col = c
                elif t.startswith(("番号", "No")):
                    self.number_col = c
            return
        if self._grid_header(filled):
            return
        if self.grid and self._grid_row(r, filled):
            return
        if len(filled) == 1 and len(printed_listing(filled[0][1])) >= 2:  # 「1.… 2.… 3.…」 in one cell
            self.listing.update(printed_listing(filled[0][1]))
            return
        if self._option_row(r, filled):
            return
        self._other_row(r, filled)

    def _grid_header(self, filled: list[tuple[int, str]]) -> bool:
        """A row printing the options across the columns (「項目｜1.…｜2.…」): a ○ grid follows."""
        if not self.q.is_matrix:
            return False
        opts = [(c, _NUMBERED.match(t)) for c, t in filled]
        numbered = [(c, m) for c, m in opts if m]
        if len(numbered) >= 2 and len(numbered) >= len(filled) - 1:
            self.grid = {c: m.group(1).upper() for c, m in numbered}
            self.listing.update({m.group(1).upper(): m.group(2).strip() for _, m in numbered})
            rest = [c for c, _ in filled if c not in self.grid]
            self.grid_label_col = rest[0] if rest else min(self.grid) - 1
            return True
        ids = {c: label_to_option(self.q, t)[0] for c, t in filled}
        labelled = [(c, t) for c, t in filled if ids[c] is not None]
        if len(labelled) >= 2 and len(labelled) >= len(filled) - 1 and len({ids[c] for c, _ in labelled}) == len(labelled):
            self.grid = {}  # labels printed without numbers: the label says which option (never the place)
            for c, t in labelled:
                self.grid[c] = str(ids[c])
                self.listing[str(ids[c])] = t
            rest = [c for c, _ in filled if c not in self.grid]
            self.grid_label_col = rest[0] if rest else min(self.grid) - 1
            return True
        return False

    def _grid_row(self, r: int, filled: list[tuple[int, str]]) -> bool:
        label = next((t for c, t in filled if c not in self.grid and _mark(t) is None and not is_not_asked(t)
                      and t not in ("1", "0")), "")
        if not label:
            return False
        block = self._block(label, r)
        block.printed = self.listing
        self.current = block
        for c, t in filled:
            if t == label and c not in self.grid:
                continue
            if is_not_asked(t):
                block.not_asked = True
                block.at(r, c)
            elif c in self.grid and (_mark(t) is not None or t in ("1", "0")):  # ○ or 1/0 in an option's cell
                if _mark(t) or t == "1":
                    block.chosen.append(self.grid[c])
                    block.at(r, c)
            elif c in self.grid:
                self._unplaced(r, c, t, f"「{label}」の行の「{self.listing.get(self.grid[c], '')}」の欄に、印でない値があります")
            else:
                self._unplaced(r, c, t, f"「{label}」の行の値が、○の表のどの選択肢の欄でもない列（{col_letter(c)}列）に書かれています")
        if not block.cell:
            block.cell, block.row = f"{col_letter(min(self.grid))}{r + 1}", r + 1
        return True

    def _option_row(self, r: int, filled: list[tuple[int, str]]) -> bool:
        """A row printing one option, with its mark in a cell beside it or in front of its label (□ 1.…)."""
        number = label = None
        label_c = -1
        marks: list[tuple[int, bool]] = []
        others: list[tuple[int, str]] = []
        for c, t in filled:
            lead = _LEAD_MARK.match(t)
            m = _NUMBERED.match(lead.group(2) if lead and lead.group(2) else t)
            if label is None and m:
                number, label, label_c = m.group(1), m.group(2).strip(), c
                if lead and lead.group(2):
                    marks.append((c, _mark(lead.group(1)) is True))
                continue
            if label is None and c == self.number_col and _BARE_ID.match(t):
                number = _BARE_ID.match(t).group(1)  # type: ignore[union-attr]
                continue
            if label is None and number is not None and _mark(t) is None and not is_not_asked(t):
                label, label_c = t, c
                continue
            if _mark(t) is not None:
                marks.append((c, bool(_mark(t))))
            else:
                others.append((c, t))
        if label is None and self.label_col >= 0:
            cand = [(c, t) for c, t in others if c == self.label_col]
            if cand:
                label, label_c = cand[0][1], cand[0][0]
                others = [o for o in others if o[0] != label_c]
        if label is None:
            return False
        if self.q.is_matrix and self.current is None:
            self.listing[number.upper() if number else str(len(self.listing) + 1)] = label
            for c, t in others:
                self._unplaced(r, c, t, "行の分からない回答です")
            return True
        block = self.current or self._block("", r)
        printed = block.printed if self.q.is_matrix else self.listing
        if self.q.is_matrix and not block.printed:
            block.printed = printed = {}
        pid = self._option_number(number, label, printed)
        if not self.q.is_matrix:
            block.printed = self.listing
        for c, on in marks:
            if on:
                block.chosen.append(pid)
                block.at(r, c)
        free = "その他" in label or any(o.free_text and label_to_option(self.q, label)[0] == o.id for o in self.q.options)
        block.options += 1
        for c, t in others:
            if is_not_asked(t):
                block.not_asked = True
                block.at(r, c)
            elif c == self.answer_col and t in ("1", "0"):  # 1/0 typed in a 番号｜選択肢｜回答 table
                if t == "1":
                    block.chosen.append(pid)
                    block.at(r, c)
            elif _WRITTEN.match(t) and c > label_c:  # a code in a 回答欄 column, or a 1/0 mark
                block.beside.append((pid, t, r, c, block.options == 1))
            elif free:
                block.texts.append((t.strip("（）() "), f"{col_letter(c)}{r + 1}"))
            elif c > label_c:
                self._unplaced(r, c, t, f"「{label}」の行に、印でも自由記述でもない値があります")
        return True

    def _other_row(self, r: int, filled: list[tuple[int, str]]) -> None:
        """A 回答欄 row, a matrix row with its answer beside it, a matrix row's sub-heading, or text."""
        (c0, t0), rest = filled[0], filled[1:]
        if rest and _ANSWER_HEAD.match(t0):  # 「回答欄｜2」
            block = self.current or self._block("", r)
            self._written(block, r, rest)
            return
        if self.q.is_matrix and (_ROW_LEAD.match(t0) or self._is_row(t0.strip("【】 "))):
            block = self._block(t0, r)
            if not self.q.is_matrix or self.listing:
                block.printed = block.printed or self.listing
            self.current = block
            if rest:
                self._written(block, r, rest)
            return
        for c, t in rest:
            if _mark(t) or (c > c0 and len(t) <= 3 and not is_not_asked(t)):
                self._unplaced(r, c, t, f"「{t0}」の行の値をどの選択肢・行にも対応付けられません")

    def _is_row(self, text: str) -> bool:
        hit = row_of(self.q, [text])
        return hit is not None and hit.score >= 80

    def _written(self, block: _Block, r: int, cells: list[tuple[int, str]]) -> None:
        for c, t in cells:
            if is_not_asked(t):
                block.not_asked = True
            else:
                block.written.append(t)
            block.at(r, c)


def _heading(codebook: Codebook, texts: list[str]) -> tuple[Question, str] | None:
    """The question a row starts (「問1」, 「問４　①－７．１」, 「担当部署」, 「問1　貴市区町村では…」), and its heading:
    the number as printed when the question's text follows it in the same cell."""
    label = next((t for t in texts if t), "")
    tokens = label.split()
    best: tuple[Question, str] | None = None
    for k in range(1, min(4, len(tokens)) + 1):  # 「問4 ①-3.1 4つの場面…」: the number ends before the text
        prefix = " ".join(tokens[:k])
        found = question_by_number(codebook, prefix)
        key = number_key(prefix)
        if found is not None and (key is None or key == number_key(found.number)) and (
                best is None or best[0] is not found):  # the shortest prefix naming the question
            best = (found, prefix)
    if best is not None:
        return best
    found = question_by_number(codebook, label)
    if found is not None and (fold(label).startswith(fold(found.number)[:2]) or label.startswith("問")):
        return found, label
    return None


def treated_as_blank(q: Question, label: str) -> str:
    """What a cell that cannot be placed made 未回答: the question, one matrix row (by its printed label), or,
    for a value before any matrix row, nothing but the value itself."""
    number = "".join(q.number.split())
    if not q.is_matrix:
        return f"{number}を未回答として扱いました"
    row = label.strip("【】 \u3000")
    if not row:
        return f"どの行の回答か分からないため、この値は読みませんでした（{number}の各行はそのまま読みました）"
    return row_as_na(q, row)


def form_table(grid: Grid, codebook: Codebook) -> Table:
    """The form as a one-row table: the municipality (and prefecture, code), then one column per answer."""
    name, nr, nc = _name_of(grid)
    parts: list[list[str]] = [["市区町村名"]]
    values: list[object] = [name]
    cells: list[str] = [f"{col_letter(nc)}{nr + 1}" if nr >= 0 else "ファイル名"]
    rows: list[int] = [nr + 1 if nr >= 0 else 1]
    for label, pattern in _FIELDS.items():
        f = _field(grid, pattern)
        if f:
            parts.append([label])
            values.append(f[0])
            cells.append(f"{col_letter(f[2])}{f[1] + 1}")
            rows.append(f[1] + 1)
    questions: list[_Question] = []
    fname = grid.path.name
    for r, row in enumerate(grid.cells):
        if r == nr:
            continue
        texts = [part_text(v) for v in row]
        found = _heading(codebook, texts)
        if found is not None:
            questions.append(_Question(found[0], found[1], fname, r))
        elif questions:
            questions[-1].feed(r, texts)
    printed: dict[int, dict[str, str]] = {}
    unplaced: list[tuple[int, str, str, str, str]] = []
    for qr in questions:
        for label, block in qr.blocks.items():
            block.resolve(qr.q.id)
            if block.tentative and not (block.options or block.written or block.unplaced):
                continue
            if qr.q.is_matrix and not label:
                base = [qr.heading]
            else:
                base = [qr.heading, label] if label else [qr.heading]
            parts.append([*base, "回答"])
            listed = block.printed if len(block.printed) >= 2 else qr.listing
            if len(listed) >= 2:
                printed[len(parts) - 1] = dict(listed)
            answer = [*block.chosen, *block.written]
            if block.unplaced:
                action = treated_as_blank(qr.q, label)
                unplaced += [(*u, action) for u in block.unplaced]
                answer = []  # a cell that cannot be placed makes this answer (question or matrix row) 未回答
            values.append("非該当" if block.not_asked and not answer else ",".join(answer))
            cells.append(block.cell or "回答欄")
            rows.append(block.row or block.label_row or qr.row + 1)
            for text, cell in block.texts:
                parts.append([*base, "その他の内容"])
                values.append(text)
                cells.append(cell)
                rows.append(int(re.sub(r"\D", "", cell)))
    if len(questions) < 2:
        raise ReadError(f"{grid.path}: 調査票の設問（問1 など）が見つかりません")
    one_row = Grid(grid.path, [values], sheet=grid.sheet, encoding=grid.encoding, skipped_sheets=grid.skipped_sheets)
    t = Table(one_row, [], parts, [0], [], 0)
    t.cell_names = cells
    t.printed = printed
    t.unplaced = unplaced
    t.locate = lambda _r, j: (rows[j], f"セル {cells[j]}")
    return t

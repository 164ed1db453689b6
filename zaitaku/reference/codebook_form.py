"""Read the questions a 調査票 prints: number, wording, type hint, options, matrix rows and conditions.

Forms are read line by line (one line = one sheet row's non-empty cells). A question starts at a cell
「問4 ①-7.1」 (with its wording in the next cell, or after a space in the same cell) or 「担当部署」; options are
numbered lines 「1.…」「□ １．…」「■ A．…」, or a number cell beside a label (○ columns), or option labels
across a header row (○ grid: matrix rows down); matrix rows are 「（1）…」「・…」 lines or labels down a grid.
Hints 「１つ選択」「複数回答」「全て選択」 give the type; 「…と回答した方に伺います」 the condition (resolved by
:mod:`zaitaku.reference.codebook_draft`). Compiled workbooks print 「問1 …（1.設置している　2.設置していない）」 in
their headers: :func:`read_header_questions` reads those.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

NUMBER = re.compile(
    r"^\s*(?P<n>問\s*[0-9０-９]+(?:\s*[①-⑳](?:\s*[-‐－ー][0-9０-９]+(?:[.．][0-9０-９]+)*)?"
    r"(?:\s*[-‐－][0-9０-９]+)?)?(?:\s*付問)?|担当部署)(?:[\s　:：.．]+(?P<rest>.*))?$",
    re.S,
)
OPTION = re.compile(r"^\s*[□■☐☑✓○●]?\s*(?P<id>[0-9０-９]{1,2}|[A-EＡ-Ｅ])\s*[.．、:：)）]\s*(?P<label>\S.*)$", re.S)
BARE_ID = re.compile(r"^\s*([0-9０-９]{1,2}|[A-EＡ-Ｅ])\s*$")
ROW_NUMBERED = re.compile(r"^\s*[（(][0-9０-９]{1,2}[）)]\s*(?P<label>\S.*)$")
ROW_BULLET = re.compile(r"^\s*[・■◆●]\s*(?P<label>\S.*)$")
HINT = re.compile(r"[（(]([^（）()]*(?:選択|回答|○|〇)[^（）()]*)[）)]\s*$")
MULTI_HINT = re.compile(r"複数|全て|すべて|全部|いくつでも")
SINGLE_HINT = re.compile(r"[1１一]つ")
FREE_TEXT = re.compile(r"[（(]\s*(?:具体的に|内容|自由記述)[^）)]*[）)]\s*$")
CONDITION = re.compile(r"伺います|お答えください|回答してください")
HEADER_WORDS = {"番号", "選択肢", "回答", "回答欄", "項目", "回答（○）", "○", "記入欄"}
TITLE_ROW = re.compile(r"^(令和|平成)\s*[0-9０-９元]+\s*年度.*(調査|調査票)|（市町村票）\s*$")
NAME_ROW = re.compile(r"(都道府県|市区?町村|自治体|保険者)名|記入者|担当者|電話|メール")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


WIDTH = str.maketrans("０１２３４５６７８９．－‐ー　", "0123456789.--- ")


def fold_number(raw: str) -> str:
    """「問４　①－５．１」→ 「問4 ①-5.1」 (circled numbers kept: NFKC would make ① a 1)."""
    return re.sub(r"\s+", " ", raw.translate(WIDTH)).strip()


def option_id(raw: str) -> str:
    """「１」→ "1", 「Ａ」→ "A"."""
    return nfkc(raw).strip().upper()


@dataclass
class FormOption:
    id: str
    label: str
    free_text: bool = False
    line: int = 0


@dataclass
class FormQuestion:
    """One question as printed, before ids are carried over."""

    number: str
    text: str
    line: int
    hint: str = ""
    condition: str = ""
    options: list[FormOption] = field(default_factory=list)
    rows: list[tuple[str, int]] = field(default_factory=list)  # (label, line)
    grid: bool = False  # options printed across a header row
    notes: list[str] = field(default_factory=list)
    from_header: bool = False  # read from a compiled workbook's header (no wording, no condition printed)

    @property
    def hinted_type(self) -> str | None:
        if not self.hint:
            return None
        multi = bool(MULTI_HINT.search(self.hint))
        single = bool(SINGLE_HINT.search(nfkc(self.hint))) and not multi
        if not (multi or single):
            return None
        if self.rows:
            return "matrix-multi" if multi else "matrix-single"
        return "multi" if multi else "single"


def split_hint(text: str) -> tuple[str, str]:
    """(wording without the trailing hint, hint) — 「…ください。（１つ選択）」."""
    text = text.strip()
    m = HINT.search(text)
    if not m:
        return text, ""
    return text[: m.start()].strip(), m.group(1).strip()


def clean_option(label: str) -> tuple[str, bool]:
    """Option label without the write-in blank 「（具体的に：　）」; free text when it has one or is その他."""
    label = label.strip()
    m = FREE_TEXT.search(label)
    if m:
        return label[: m.start()].strip(), True
    return label, label.startswith("その他")


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def open_workbook(path: Path) -> openpyxl.Workbook:
    """The workbook read-only, values only; a Japanese :class:`ValueError` when it is not an .xlsx/.xlsm file."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise ValueError(f"{path.name}: 調査票は Excel の .xlsx ファイルで指定してください"
                         "（.xls・.csv は Excel で開いて「Excel ブック（.xlsx）」として保存し直してください）")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, zipfile.BadZipFile, InvalidFileException) as exc:
        raise ValueError(f"{path.name}: Excel ファイルとして開けません（{exc}）") from None


def sheet_lines(path: Path) -> list[tuple[int, list[tuple[int, str]]]]:
    """The form sheet's non-empty rows: (1-based row, [(column, text)]); the sheet with the most 問 cells."""
    wb = open_workbook(path)
    try:
        best: list[tuple[int, list[tuple[int, str]]]] = []
        best_score = -1
        for ws in wb.worksheets:
            lines = []
            for r, row in enumerate(ws.iter_rows(values_only=True), 1):
                cells = [(c, _text(v)) for c, v in enumerate(row) if _text(v)]
                if cells:
                    lines.append((r, cells))
            score = sum(1 for _, cells in lines if NUMBER.match(cells[0][1]))
            if score > best_score:
                best, best_score = lines, score
        return best
    finally:
        wb.close()


def read_form(path: Path) -> list[FormQuestion]:
    """The questions a blank or filled 調査票 prints, in order (「※」 notes, 【section】 headings, the title
    repeated at page breaks and the 市区町村名 fields are skipped)."""
    questions: list[FormQuestion] = []
    pending_condition = ""
    q: FormQuestion | None = None
    for r, cells in sheet_lines(path):
        first = cells[0][1]
        texts = [t for _, t in cells]
        m = NUMBER.match(first)
        if m and (m.group("rest") or len(cells) > 1):
            rest = m.group("rest") or " ".join(texts[1:2])
            text, hint = split_hint(rest.replace("\n", ""))
            q = FormQuestion(fold_number(m.group("n")), text, r, hint, pending_condition)
            pending_condition = ""
            questions.append(q)
            continue
        if first.startswith(("※", "＊", "*")):
            if CONDITION.search(first):
                pending_condition = first.lstrip("※＊* 　")
            continue  # otherwise a note to the respondent
        if q is None or NAME_ROW.search(first) or first.startswith("【") or TITLE_ROW.search(first):
            continue
        _option_line(q, r, cells)
    for fq in questions:
        _finish(fq)
    return questions


def _option_line(q: FormQuestion, r: int, cells: list[tuple[int, str]]) -> None:
    texts = [t for _, t in cells]
    if all(t in HEADER_WORDS for t in texts):
        return
    across = [OPTION.match(t) for t in texts]
    if len(texts) >= 2 and sum(bool(m) for m in across) >= 2 and not q.options:
        # a ○ grid's header: options across, matrix rows below
        q.grid = True
        for m in across:
            if m:
                label, free = clean_option(m.group("label"))
                q.options.append(FormOption(option_id(m.group("id")), label, free, r))
        return
    first = texts[0]
    if first in HEADER_WORDS:
        return  # 回答欄 and what is written in it
    if len(texts) >= 2 and BARE_ID.match(first):  # 番号 | 選択肢 | ○
        label, free = clean_option(texts[1])
        q.options.append(FormOption(option_id(first), label, free, r))
        return
    m = OPTION.match(first)
    if m and not q.grid:
        label, free = clean_option(m.group("label"))
        oid = option_id(m.group("id"))
        if q.rows and any(o.id == oid for o in q.options):
            return  # the same options printed again under each matrix row
        q.options.append(FormOption(oid, label, free, r))
        return
    for pattern in (ROW_NUMBERED, ROW_BULLET):
        mr = pattern.match(first)
        if mr:
            q.rows.append((mr.group("label").strip(), r))
            return
    if q.grid:
        q.rows.append((first, r))
        return
    if not q.options and not q.rows:
        q.text = (q.text + first).strip()  # wording on a second line
        return
    q.notes.append(f"{r}行目の「{first[:30]}」を読めませんでした")


def _finish(q: FormQuestion) -> None:
    if not q.hint:
        q.text, q.hint = split_hint(q.text)


# ------------------------------------------------------------------ compiled workbooks

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_TOKEN = re.compile(r"(?:^|(?<=[\s(、,/|｜]))(\d{1,2}|[A-E])\s*[.:]\s*(?=\S)")


def printed_listing(header: str) -> dict[str, str]:
    """Options a header lists, printed id → label as printed (empty unless two or more numbered in order 1, 2…
    or A, B…): 「（1.設置していない　2.協議会を設置している）」; 「①…②…」 when there is no 「1.」 listing
    (a row label 「①現状分析…」 is not a listing)."""
    found = _listing(header.replace("\n", " "))
    if not found:
        circled = "".join(f" {_CIRCLED.index(ch) + 1}." if ch in _CIRCLED and nxt not in "-－‐" else ch
                          for ch, nxt in zip(header, header[1:] + " ", strict=True))
        found = _listing(circled.replace("\n", " "))
    return found


_HALF = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}  # full-width ASCII, one char for one


def _listing(original: str) -> dict[str, str]:
    text = original.translate(_HALF)  # same length: positions found here cut the printed text
    tokens = list(_TOKEN.finditer(text))
    if len(tokens) < 2:
        return {}
    start = tokens[0].start()
    if start > 0 and text[start - 1] == "(":  # the listing ends where its bracket closes
        depth = 0
        for k in range(start, len(text)):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            if depth < 0:
                text = text[:k]
                break
    tokens = [t for t in tokens if t.start() < len(text)]
    found: dict[str, str] = {}
    for k, m in enumerate(tokens):
        end = tokens[k + 1].start() if k + 1 < len(tokens) else len(text)
        label = original[m.end():end].strip(" 　、,，/|｜")
        if label and m.group(1) not in found:
            found[m.group(1)] = label
    ids = list(found)
    expected = [str(i + 1) for i in range(len(ids))] if ids and ids[0].isdigit() else [chr(65 + i) for i in range(len(ids))]
    return found if len(found) >= 2 and ids == expected else {}




def _is_data_row(row: list[object]) -> bool:
    """Mostly numbers, codes and ○ marks: a municipality's answers, not a header."""
    texts = [_text(v) for v in row if _text(v)]
    short = sum(bool(re.fullmatch(r"[0-9０-９.,，]+|[A-EＡ-Ｅ]|[○●◯✓]", t)) for t in texts)
    return len(texts) >= 3 and short >= len(texts) / 2


def read_header_questions(path: Path, header_rows: int = 8) -> list[FormQuestion]:
    """Questions a compiled workbook prints in its headers: 「問1 協議会の設置\\n（1.設置している　2.設置していない）」.

    One question per header that names a question number and lists at least two options; a question whose
    options are spread over one column each (「問6 ①｜1.…」) is gathered by its number.
    """
    wb = open_workbook(path)
    try:
        ws = max(wb.worksheets, key=lambda w: w.max_row or 0)
        rows = []
        for _, r in zip(range(header_rows), ws.iter_rows(values_only=True), strict=False):
            if _is_data_row(list(r)):
                break  # the header block ends where the answers begin
            rows.append(list(r))
    finally:
        wb.close()
    width = max((len(r) for r in rows), default=0)
    by_number: dict[str, FormQuestion] = {}
    current = ""
    for c in range(width):
        parts = [_text(r[c]) for r in rows if c < len(r) and _text(r[c])]
        lines = [x.strip() for p in parts for x in p.split("\n") if x.strip()]
        m = NUMBER.match(lines[0]) if lines else None
        if m:
            current = fold_number(m.group("n"))
        if not current or not lines:
            continue
        q = by_number.get(current)
        if q is None:
            rest = (m.group("rest") or "") if m else ""
            q = by_number[current] = FormQuestion(current, rest.strip(), 1, from_header=True)
        row_label = ""
        for line in lines[1:] if m else lines:
            listed = printed_listing(line)
            single = OPTION.match(line) if not listed else None
            if single:  # one column per option: 「1. 年度による推移を比較している」
                listed = {option_id(single.group("id")): single.group("label")}
            if listed:
                for oid, label in listed.items():
                    lab, free = clean_option(label)
                    if all(o.id != oid for o in q.options):
                        q.options.append(FormOption(oid, lab, free, 1))
                hint = split_hint(line)[1]
                if hint:
                    q.hint = hint
            elif not row_label and line not in HEADER_WORDS and not re.search(r"自由記述|具体的に", line):
                row_label = line
        if row_label and all(label != row_label for label, _ in q.rows):
            q.rows.append((row_label, c + 1))
    for q in by_number.values():
        if len(q.rows) == 1:  # one column per question: the line under the title is not a matrix row
            q.rows = []
    return [q for q in by_number.values() if len(q.options) >= 2]

"""One file's table read against a header map: which column holds what, then one Record per row.

Two columns mapped to the same target (duplicate headers, a hidden copy of a visible column) are
never resolved in silence: the visible column is used, and a problem names both columns and the
one used. A file where fewer than half of the codebook's questions have a column is refused with
a message saying which are missing and what to do (never everything 未回答).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal

from zaitaku.ingest.header import Table
from zaitaku.ingest.labels import (
    PrintedOptions,
    check_option_column,
    match_printed,
    printed_options,
    read_by_label,
)
from zaitaku.ingest.layout import ColumnSpec, HeaderMap, value_key
from zaitaku.ingest.prefecture import infer as infer_prefecture
from zaitaku.ingest.problems import Problem, ProblemKind
from zaitaku.ingest.records import BLANK, INVALID, NOT_ASKED, Record, as_na
from zaitaku.ingest.values import (
    CellError,
    is_not_asked,
    normalize_cell,
    parse_code,
    parse_flag,
    parse_list,
)
from zaitaku.ingest.workbook import ReadError, col_letter
from zaitaku.reference.codebook import Codebook, Question
from zaitaku.reference.municipalities import (
    CodeError,
    check_digit,
    load_registry,
    normalize_prefecture,
    resolve,
)

# what one answer cell says (see Parser._read)
CellReading = (
    tuple[Literal["na", "blank"], None]
    | tuple[Literal["set"], frozenset[str]]
    | tuple[Literal["mark"], bool | None]
    | tuple[Literal["text"], str]
    | tuple[Literal["error"], CellError]
)

ANSWER_KINDS = ("answer", "choice", "flag", "list")
MIN_COVERED = 0.5  # share of codebook questions that must have a column


@dataclass(frozen=True)
class Column:
    index: int
    letter: str
    header: str
    spec: ColumnSpec
    hidden: bool

    form_cell: str = ""  # questionnaire forms: the answer's cell (B12)
    guessed: bool = False  # its map row is marked 要確認: read under a guess

    @property
    def label(self) -> str:
        if self.form_cell:
            return f"セル {self.form_cell}「{self.header}」"
        return f"{self.letter}列「{self.header}」" + ("（非表示）" if self.hidden else "")


_JA = [  # the registry's messages (English, shared with developers' tools) as staff read them
    (re.compile(r"is ambiguous: (.*?); pass prefecture= or prefix the prefecture"),
     lambda m: f"同じ名前の市区町村が複数あります（{m.group(1)}）"),
    (re.compile(r"is ambiguous: (\d+) \((.*?)\) as a 6-digit code.*?or (\d+) \((.*?)\) as a 5-digit"),
     lambda m: f"コードが 2 通りに読めます（{m.group(1)} {m.group(2)} / {m.group(3)} {m.group(4)}）"),
    (re.compile(r"no municipality named '(.*?)'(?: in (\S+))?(?:; found (.*)|; did you mean (.*)\?)?$"),
     lambda m: f"「{m.group(1)}」という市区町村は{m.group(2) + 'に' if m.group(2) else ''}ありません"
               + (f"（{m.group(3)} ならあります）" if m.group(3) else f"（もしかして {m.group(4)}）" if m.group(4) else "")),
    (re.compile(r"wrong check digit (\d) \(expected (\d) for (\d+)\)"),
     lambda m: f"検査数字 {m.group(1)} が合いません（{m.group(3)} なら {m.group(2)}）"),
    (re.compile(r"(\d+) has a valid check digit but is not a current municipality code"),
     lambda m: f"{m.group(1)} は現在の市区町村コードではありません"),
    (re.compile(r"(\d+) is the code of (\S+), a prefecture"), lambda m: f"{m.group(1)} は都道府県（{m.group(2)}）のコードです"),
    (re.compile(r"is a prefecture \(pref_code (\d+)\)"), lambda m: "都道府県の名前で、市区町村ではありません"),
    (re.compile(r"is a ward of the 政令指定都市 (.*?); wards"), lambda m: f"{m.group(1)} の区です（区ではなく市で集計します）"),
]


def japanese(exc: Exception) -> str:
    """A registry error as one Japanese sentence (the English original where no rule fits)."""
    text = str(exc)
    for pattern, say in _JA:
        m = pattern.search(text)
        if m:
            return say(m)
    return text


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(load_registry()["code"])


def _resolve_code_cell(value: str, name: str, pref: str | None) -> str:
    """A code cell; up to 5 digits may be a code that lost its leading zero or a 5-digit code
    without check digit: the registered reading wins, and the name in the same row decides between two."""
    if not (value.isascii() and value.isdigit() and len(value) < 6):
        return resolve(value, prefecture=pref)
    known = _known_codes()
    c6 = value.zfill(6)
    c5 = value.zfill(5) + check_digit(value.zfill(5)) if int(value.zfill(5)[:2] or 0) >= 1 else ""
    found = [c for c in (c6, c5) if c in known and (pref is None or c[:2] == pref)]
    if len(found) == 2 and name:
        try:
            hint = resolve(name, prefecture=pref)
        except CodeError:
            hint = None
        found = [c for c in found if c == hint] or found
    return found[0] if len(found) == 1 else resolve(int(value), prefecture=pref)  # raises: unknown/ambiguous


class FileParser:
    def __init__(self, table: Table, spec_map: HeaderMap, codebook: Codebook, problems: list[Problem],
                 prefecture: str | None = None) -> None:
        self.t, self.cb, self.problems, self.map = table, codebook, problems, spec_map
        self.fname = table.grid.path.name
        self.pref = normalize_prefecture(prefecture) if prefecture else None
        self.clashes = 0  # columns dropped because another column had the same target
        header_row = self.header_row = (table.header_rows[-1] + 1) if table.header_rows else 1
        cols: list[Column] = []
        for j, (shown, key) in enumerate(zip(table.headers, table.keys, strict=True)):
            letter = col_letter(j)
            spec = spec_map.spec(key, letter)
            if spec is None:
                if key:
                    where = (f"セル {table.cell_names[j]}「{shown}」" if table.cell_names else f"{letter}列「{shown}」")
                    self.report(self._head_row(j), where, "", "対応表にない列", "この列は読みませんでした",
                                ProblemKind.COLUMN_IGNORED)
                continue
            if spec.kind != "ignore":
                cell = table.cell_names[j] if table.cell_names else ""
                cols.append(Column(j, letter, shown, spec, j in table.grid.hidden_cols, cell, key in spec_map.guessed))
        self.columns = self._check_labels(self._drop_duplicates(cols))
        for r, text, what in table.skipped:
            self.report(r + 1, "", text, f"{what}を読み飛ばしました", "集計に含めていません",
                        ProblemKind.SHEET_SKIPPED if what.endswith("シート") else ProblemKind.ROW_SKIPPED)
        covered = {c.spec.question_id for c in self.columns if c.spec.kind in ANSWER_KINDS}
        missing = [q for q in codebook if q.id not in covered]
        if len(covered) < MIN_COVERED * len(codebook):
            names = "、".join(q.number for q in missing[:8]) + ("…" if len(missing) > 8 else "")
            raise ReadError(
                f"{table.grid.path}: 回答の列が {len(covered)} 問分しか対応付けられませんでした（全 {len(codebook)} 問、"
                f"未対応: {names}）。このまま取り込むと大半が未回答になるため中止しました。"
                f"`zaitaku draft-map {table.grid.path.name} --out 対応表.csv` で対応表を作って確認し、"
                "`--header-map 対応表.csv` で指定してください")
        keys = [c for c in self.columns if c.spec.kind in ("code", "name")]
        if not keys:
            raise ReadError(f"{table.grid.path}: 対応表で市区町村コード（kind code）か市区町村名（kind name）に"
                            "対応付けた列がありません")
        self.key_label = keys[0].label
        self.key_col_index = keys[0].index
        self.key_letter = f"{keys[0].letter}列"  # short: a duplicate row is reported once per repeat
        self.code_cols = [c for c in self.columns if c.spec.kind == "code"]
        self.name_cols = [c for c in self.columns if c.spec.kind == "name"]
        self.pref_cols = [c for c in self.columns if c.spec.kind == "prefecture"]
        self.answer_cols = [c for c in self.columns if c.spec.kind in ("answer", "list", "flag", "choice", "text")]
        self.inferred: str | None = None
        self.inferred_how = ""
        if self.pref is None and not self.pref_cols:
            self.inferred, self.inferred_how = infer_prefecture(table, [c.index for c in (*self.code_cols,
                                                                                          *self.name_cols)])
        self._cells: dict[tuple[int, str], CellReading] = {}
        self.reads: Counter[tuple[str, str, bool]] = Counter()  # (question, kind, under a guess) → cells read
        self._codes: dict[tuple[str, ...], str | None] = {}
        self._form_missing: list[Problem] = []  # a form's absent questions: its municipality's, once read
        for q in missing:  # a form has no row of its own for an absent question: the whole file ("")
            if table.cell_names:
                self.report("", f"{q.number} {q.title}", "", f"{q.id}: 調査票にこの設問の欄がありません",
                            "この市区町村はこの設問を未回答として扱いました", ProblemKind.QUESTION_MISSING)
                self._form_missing.append(self.problems[-1])
            else:
                self.report(header_row, f"{q.number} {q.title}", "", f"設問 {q.id} の列がありません",
                            "このファイルの市区町村はこの設問を未回答として扱いました", ProblemKind.QUESTION_MISSING)

    def _head_row(self, j: int) -> int | str:
        """The row to name for a problem with column ``j``'s header: a form names the form's row of that answer
        (its cell), a table its (last) header row."""
        if self.t.cell_names and self.t.locate is not None:
            return self.t.locate(0, j)[0]
        return self.header_row

    def _check_labels(self, cols: list[Column]) -> list[Column]:
        """Options the headers print, matched to the codebook by label (see :mod:`zaitaku.ingest.labels`)."""
        self.printed: dict[int, PrintedOptions] = {}
        self._label_notes: dict[tuple[int, str], str] = {}
        out = []
        for c in cols:
            q = self.cb[c.spec.question_id] if c.spec.question_id else None
            if q is not None and c.spec.kind in ("answer", "list"):
                listed = (self.t.printed or {}).get(c.index) or printed_options(c.header)
                if listed:
                    po = match_printed(q, listed, f"{self.fname} {c.label}")
                    self.printed[c.index] = po
                    if po.note:
                        self.report(self._head_row(c.index), c.label, "", f"{q.id}: {po.note}",
                                    "番号ではなく選択肢の文言で対応付けて読みました",
                                    ProblemKind.READ_BY_LABEL)
            elif q is not None and c.spec.kind in ("flag", "choice") and c.spec.option_id:
                oid, note = check_option_column(q, c.header, c.spec.option_id, f"{self.fname} {c.label}")
                if oid != c.spec.option_id:
                    self.report(self._head_row(c.index), c.label, "", f"{q.id}: {note}", "見出しの選択肢の文言で対応付けて読みました",
                                ProblemKind.READ_BY_LABEL)
                    c = Column(c.index, c.letter, c.header, replace(c.spec, option_id=oid), c.hidden, c.form_cell)
            out.append(c)
        return out

    def report(self, row: int | str, column: str, value: object, problem: str, action: str,
               kind: ProblemKind, code: str = "") -> None:
        self.problems.append(Problem(self.fname, row, column, str(value), problem, action, kind, code))

    def _drop_duplicates(self, cols: list[Column]) -> list[Column]:
        """One column per target; a hidden copy loses to a visible column; each clash is a problem."""
        groups: dict[tuple, list[Column]] = {}
        for c in cols:
            s = c.spec
            key: tuple[str | bool, ...]
            if s.kind in ("answer", "list"):
                key = (s.question_id, s.row_id, "")
            elif s.kind in ("choice", "flag", "text"):
                key = (s.question_id, s.row_id, s.option_id, s.kind == "text")
            else:
                key = (s.kind,)
            groups.setdefault(key, []).append(c)
        # a whole-answer column and option columns for the same (question, row) also clash
        by_row: dict[tuple[str | bool, ...], list[tuple]] = {}
        for key in groups:
            if len(key) >= 3 and not (len(key) == 4 and key[3]):
                by_row.setdefault(key[:2], []).append(key)
        drop: set[int] = set()
        for key, group in groups.items():
            if len(group) > 1 and key[0] not in ("code", "name", "prefecture", "synthetic"):
                drop |= self._pick(group)
        for keys in by_row.values():
            whole = [k for k in keys if k[2] == ""]
            opts = [k for k in keys if k[2] != ""]
            if whole and opts:
                w = [c for c in groups[whole[0]] if c.index not in drop]
                o = [c for k in opts for c in groups[k] if c.index not in drop]
                loser, winner = (w, o) if all(c.hidden for c in w) and not all(c.hidden for c in o) else (o, w)
                for c in loser:
                    self.report(self._head_row(c.index), c.label, "", f"{winner[0].label} と同じ設問（{c.spec.question_id}）に対応しています",
                                f"{winner[0].letter}列を使い、{c.letter}列は読みませんでした", ProblemKind.COLUMN_IGNORED)
                drop |= {c.index for c in loser}
                self.clashes += len(loser)
        return [c for c in cols if c.index not in drop]

    def _pick(self, group: list[Column]) -> set[int]:
        visible = [c for c in group if not c.hidden]
        used = (visible or group)[0]
        others = [c for c in group if c is not used]
        where = f"{used.spec.question_id}" + (f" 行 {used.spec.row_id}" if used.spec.row_id else "") + (
            f" 選択肢 {used.spec.option_id}" if used.spec.option_id else "")
        for c in others:
            self.report(self._head_row(c.index), c.label, "", f"{used.label} と同じ対応先（{where}）の列が 2 つあります",
                        f"{used.letter}列を使い、{c.letter}列は読みませんでした。違う場合は対応表の column 列で指定してください",
                        ProblemKind.COLUMN_IGNORED)
        self.clashes += len(others)
        return {c.index for c in others}

    # ------------------------------------------------------------------ rows

    def code_of(self, r: int, row: list[str]) -> str | None:
        excel_row: int | str = r + 1 if self.t.locate is None else self.t.locate(r, self.key_col_index)[0]
        name = row[self.name_cols[0].index] if self.name_cols else ""
        pref = row[self.pref_cols[0].index] if self.pref_cols else ""
        value = row[self.code_cols[0].index] if self.code_cols else ""
        try:
            pref_code = normalize_prefecture(pref) if pref else self.pref
        except CodeError as exc:
            self.report(*self._at(r, self.pref_cols[0]), pref, f"都道府県名が読めません: {japanese(exc)}", "行を除外しました",
                        ProblemKind.ROW_EXCLUDED)
            return None
        try:
            if value:
                code = _resolve_code_cell(value, name, pref_code)
                if name:
                    try:
                        named = resolve(name, prefecture=pref_code or code[:2])
                    except CodeError:
                        named = None
                    if named != code:
                        self.report(*self._at(r, self.code_cols[0]), value,
                                    f"コード {code} と市区町村名「{name}」（{named}）が一致しません",
                                    "行を除外しました。元のファイルのコードか名前を直してください",
                                    ProblemKind.ROW_EXCLUDED, code)
                        return None
                return code
            if name:
                return self._resolve_name(name, pref_code)
        except CodeError as exc:
            col = self.code_cols[0] if value and self.code_cols else self.name_cols[0]
            self.report(*self._at(r, col), value or name, f"市区町村を特定できません: {japanese(exc)}",
                        "行を除外しました（同じ名前が複数あるときは --prefecture を指定してください）",
                        ProblemKind.ROW_EXCLUDED)
            return None
        self.report(excel_row, self.key_label, "", "市区町村コードも名前もありません", "行を除外しました",
                    ProblemKind.ROW_EXCLUDED)
        return None

    def _resolve_name(self, name: str, pref_code: str | None) -> str:
        """A name; one shared by several prefectures is read in the prefecture the file holds (inferred)."""
        try:
            return resolve(name, prefecture=pref_code)
        except CodeError:
            if pref_code is not None or self.inferred is None:
                raise
            return resolve(name, prefecture=self.inferred)

    def parse(self) -> list[Record]:
        records = []
        width = max((c.index for c in self.columns), default=0) + 1
        norm: dict[object, str] = {}
        for r in self.t.data_rows:
            raw = self.t.grid.cells[r]
            row = []
            for j in range(width):
                v = raw[j] if j < len(raw) else None
                try:
                    row.append(norm[v])
                except KeyError:
                    row.append(norm.setdefault(v, normalize_cell(v)))
                except TypeError:  # unhashable: never from a grid, but stay safe
                    row.append(normalize_cell(v))
            key = tuple(row[c.index] for c in (*self.code_cols, *self.name_cols, *self.pref_cols))
            if key not in self._codes:
                n = len(self.problems)
                self._codes[key] = self.code_of(r, row)
                if len(self.problems) > n:  # a reported row: report each occurrence, not only the first
                    del self._codes[key]
                    code = None
                else:
                    code = self._codes[key]
            else:
                code = self._codes[key]
            if code is not None:
                records.append(self.parse_row(r, row, code))
        codes = {rec.code for rec in records}
        if len(codes) == 1:  # a form is one municipality's: so are the questions it lacks
            for problem in self._form_missing:
                problem.code = next(iter(codes))
        return records

    def _read(self, c: Column, value: str) -> CellReading:
        """What one cell says, cached per (column, text): ("na", None) · ("set", options) · ("mark", bool|None)
        · ("text", str) · ("blank", None) · ("error", CellError)."""
        k = (c.index, value)
        cached = self._cells.get(k)
        if cached is not None:
            return cached
        hit: CellReading
        try:
            hit = self._interpret(c, value)
        except CellError as exc:
            hit = ("error", exc)
        self._cells[k] = hit
        return hit

    def _interpret(self, c: Column, value: str) -> CellReading:
        spec, q = c.spec, self.cb[c.spec.question_id]
        if spec.kind != "text" and value and is_not_asked(value):
            return ("na", None)
        if spec.kind == "answer":
            values = self.map.values.get(q.id)
            if not (values and "".join(value.split()) in values):
                oid, note = read_by_label(value, q, self.printed.get(c.index))
                if oid is not None:
                    if note:
                        self._label_notes[(c.index, value)] = note
                    return ("set", frozenset({oid}))
            opt = parse_code(value, q.option_ids, {o.id: o.label for o in q.options}, self.map.values.get(q.id))
            return ("blank", None) if opt is None else ("set", frozenset({opt}))
        if spec.kind == "list":
            printed = self.printed.get(c.index)
            if printed is not None:  # numbers as the header prints them, translated by label
                got = parse_list(value, tuple(printed.to_codebook))
                return ("blank", None) if got is None else ("set", frozenset(printed.to_codebook[p] for p in got))
            sel = parse_list(value, q.option_ids)
            return ("blank", None) if sel is None else ("set", sel)
        if spec.kind in ("flag", "choice"):
            return ("mark", parse_flag(value))
        return ("text", value)

    def _at(self, r: int, c: Column) -> tuple[int | str, str]:
        """(row, column label) of a cell as delivered (reshaped layouts name the original cell)."""
        if self.t.locate is None:
            return r + 1, c.label
        row, col = self.t.locate(r, c.index)
        return row, f"{col}「{c.header}」"

    def _questions_on(self, r: int, sheet: str) -> list[Question]:
        """The questions whose answer columns a joined workbook takes from ``sheet``, in codebook order."""
        on = {c.spec.question_id for c in self.answer_cols if self._at(r, c)[1].startswith(f"シート「{sheet}」 ")}
        return [q for q in self.cb if q.id in on]

    def parse_row(self, r: int, row: list[str], code: str) -> Record:
        rec = Record(code, self.fname, r + 1, self.key_letter)
        for at_row, cell, value, why, action in self.t.unplaced:
            self.report(at_row, cell, value, why, action, ProblemKind.READ_AS_BLANK, rec.code)
        for sheet in self.t.absent.get(r, []):  # one row per question of that sheet: each is read as 未回答
            on_sheet: list[Question | None] = [*self._questions_on(r, sheet)] or [None]
            for q in on_sheet:
                self.report(rec.row, f"シート「{sheet}」", "",
                            (f"{q.id}: " if q else "") + f"シート「{sheet}」にこの市区町村の行がありません",
                            f"{''.join(q.number.split())}を未回答として扱いました" if q else
                            "このシートの設問は未回答として扱いました", ProblemKind.READ_AS_BLANK, code)
        if self.t.locate is not None and self.columns:
            at = self.t.locate(r, self.key_col_index)
            rec.row, rec.code_column = at[0] if isinstance(at[0], int) else r + 1, at[1]
        marks: dict[tuple[str, str], dict[str, bool | None]] = {}
        na_marks: dict[tuple[str, str], int] = {}
        for c in self.answer_cols:
            spec, value = c.spec, row[c.index]
            key = (spec.question_id, spec.row_id)
            if rec.answers.get(key) == INVALID:
                continue
            hit = self._read(c, value)
            wording_guess = (self.map.guessed_values.get(spec.question_id, {}).get(value_key(value))
                             if spec.kind == "answer" and hit[0] == "set" else None)
            self.reads[(spec.question_id, spec.kind, c.guessed or wording_guess is not None)] += 1
            if hit[0] == "error":
                self.report(*self._at(r, c), value, f"{spec.question_id}: {hit[1]}", as_na(self.cb[key[0]], key[1]),
                            ProblemKind.READ_AS_BLANK, rec.code)
                rec.answers[key] = INVALID
            elif hit[0] == "na":
                if spec.kind in ("answer", "list"):
                    rec.answers[key] = NOT_ASKED
                else:
                    na_marks[key] = na_marks.get(key, 0) + 1
                    marks.setdefault(key, {})[spec.option_id] = None
            elif hit[0] == "set":
                rec.answers[key] = hit[1]
                note = self._label_notes.get((c.index, value))
                if note:
                    self.report(*self._at(r, c), value, f"{spec.question_id}: {note}", "選択肢の文言で読みました",
                                ProblemKind.READ_BY_LABEL, rec.code)
                if wording_guess is not None:
                    guessed_as = ",".join(sorted(hit[1]))
                    self.report(*self._at(r, c), value,
                                f"{spec.question_id}: 対応表の要確認の行（{wording_guess}）で選択肢 {guessed_as} と推定しました",
                                "推定のまま集計しました。対応表の value 行を確かめてください",
                                ProblemKind.READ_UNDER_GUESS, rec.code)
            elif hit[0] == "blank":
                rec.answers[key] = BLANK
            elif hit[0] == "mark":
                marks.setdefault(key, {})[spec.option_id] = hit[1]
            elif value:
                rec.texts[(spec.question_id, spec.row_id, spec.option_id)] = value
        for key, opts in marks.items():
            if rec.answers.get(key) == INVALID:
                continue
            chosen = frozenset(o for o, m in opts.items() if m)
            if not chosen and na_marks.get(key):
                rec.answers[key] = NOT_ASKED
                continue
            q = self.cb[key[0]]
            if len(chosen) > 1 and not q.is_multi:
                cols = [c for c in self.columns if (c.spec.question_id, c.spec.row_id) == key
                        and c.spec.option_id in chosen]
                row_at: int | str = rec.row
                where = "・".join(f"{c.letter}列" for c in cols)
                if self.t.locate is not None:  # reshaped layouts: the cells as delivered
                    ats = [self._at(r, c) for c in cols]
                    rows_at = list(dict.fromkeys(str(a[0]) for a in ats))
                    row_at = ats[0][0] if len(rows_at) == 1 else "・".join(rows_at)
                    where = "・".join(a[1] for a in ats)
                self.report(row_at, where, ",".join(sorted(chosen)),
                            f"{q.id}{'（' + key[1] + '）' if key[1] else ''}: 単一回答の行に印が {len(chosen)} つあります",
                            as_na(q, key[1]), ProblemKind.READ_AS_BLANK, rec.code)
                rec.answers[key] = INVALID
                continue
            rec.answers[key] = chosen if chosen else BLANK
        return rec

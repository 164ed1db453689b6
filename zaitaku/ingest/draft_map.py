"""Draft the column map of files in any layout: ``zaitaku draft-map RAW... --out MAP.csv``.

Every column (every answer cell for questionnaire files) gets a proposed kind, question, row and
option from the question number in its header (問1, ①-2.1, ②-3.2) and the wording of questions,
rows and options (rapidfuzz on NFKC text), with a confidence (0–100) and the reason. Answers
written as text get ``value`` rows (the prefecture's wording → option code). Rows below 80 are
marked 要確認 in the ``review`` column and listed on screen: a person checks those, edits the CSV
in Excel if needed, and passes it to ``zaitaku ingest --header-map``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from zaitaku.files import atomic
from zaitaku.ingest import qmatch
from zaitaku.ingest.header import Table, clean_header
from zaitaku.ingest.layout import HeaderMapError
from zaitaku.ingest.values import CellError, is_blank, is_not_asked, normalize_cell, parse_code
from zaitaku.ingest.workbook import ReadError, col_letter
from zaitaku.reference.codebook import Codebook, Question, load_codebook
from zaitaku.reference.codebook_source import add_codebook_argument
from zaitaku.reference.municipalities import load_registry, looks_like_municipality

REVIEW_BELOW = 80
MAP_COLUMNS = ["header", "kind", "question_id", "row_id", "option_id", "column", "confidence", "review", "reason",
               "file"]
_IGNORE = re.compile(r"備考|メモ|コメント|記入者|担当者|電話|メール|連絡先|回答日|^No\.?$|^番号$|^通し番号$")
_FREE = re.compile(r"自由記述|具体的|内容を|記述|記入|その他の内容")


@dataclass
class MapRow:
    header: str
    kind: str
    question_id: str = ""
    row_id: str = ""
    option_id: str = ""
    column: str = ""
    confidence: int = 100
    review: str = ""
    reason: str = ""
    file: str = ""


def _values(table: Table, j: int, limit: int = 400) -> list[str]:
    out = []
    for r in table.data_rows[:limit]:
        v = normalize_cell(table.cell(r, j))
        if v and not is_blank(v) and not is_not_asked(v):
            out.append(v)
    return out


@cache
def _prefecture_names() -> frozenset[str]:
    return frozenset(load_registry()["prefecture"])


def _key_kind(header: str, values: list[str], numbered: bool) -> tuple[str, str] | None:
    h = clean_header(header)
    if "データ区分" in h:
        return "synthetic", "デモデータの区分列"
    if values:
        kinds = Counter(looks_like_municipality(v) for v in values)
        n = len(values)
        if kinds["code"] >= 0.8 * n:
            return "code", f"値の {kinds['code']}/{n} が市区町村コード"
        if kinds["name"] >= 0.8 * n:
            return "name", f"値の {kinds['name']}/{n} が市区町村名"
    if numbered:
        return None
    if re.fullmatch(r"(都道府県|県)名?", h) or (values and sum(v in _prefecture_names() for v in values)
                                              >= 0.8 * len(values)):
        return "prefecture", "見出しが都道府県" if "県" in h else "値が都道府県名"
    if re.search(r"(市区?町村|自治体|保険者).*コード|団体コード", h):
        return "code", "見出しが市区町村コード"
    if re.search(r"(市区?町村|自治体|保険者)名?$", h):
        return "name", "見出しが市区町村名"
    if _IGNORE.search(h):
        return "ignore", "回答ではない列（備考など）"
    return None


_MARKS = ("1", "0", "○", "◯", "〇", "●", "◎", "✓", "✔", "レ", "×", "☑", "■", "□", "☐", "✅")


def _is_mark(v: str) -> bool:
    return v.lower() in _MARKS


def _positional_row(header: str, parts: list[str], pos: qmatch.Positional, values: list[str]) -> MapRow:
    """A short positional header (``問4①-3.1_2_選択肢3``) read by its numbers, checked against its values."""
    q = pos.question
    reasons = [f"設問番号 {q.number}", "見出しの番号を行・選択肢の順番と読みました（位置の規則）"]
    conf = 90
    row_id = ""
    if q.is_matrix:
        if pos.row_index and 1 <= pos.row_index <= len(q.row_ids):
            row_id = q.row_ids[pos.row_index - 1]
            reasons.append(f"{pos.row_index} 番目の行「{q.row(row_id).label}」")
        elif (hit := qmatch.row_of(q, list(pos.words))) is not None:
            row_id, conf = hit.id, min(conf, round(hit.score))
            reasons.append(hit.reason)
        else:
            row_id, conf = q.row_ids[0], 40
            reasons.append("行の番号がありません（最初の行と仮定）")
    free = [o.id for o in q.options if o.free_text]
    if pos.free_text:
        return MapRow(header, "text", q.id, row_id, free[0] if free else "", confidence=conf if free else 30,
                      reason="、".join([*reasons, "その他の内容（自由記述）"]))
    if q.is_multi and pos.option and not pos.as_list:
        kind, opt = "flag", pos.option
        if opt not in q.option_ids:
            conf = 30
            reasons.append(f"選択肢 {opt} はこの設問にありません")
            opt = q.option_ids[0]
        odd = [v for v in values if not _is_mark(v)]
        if odd:
            conf = min(conf, 60)
            reasons.append(f"印ではない値がある（{odd[0]}）")
    elif q.is_multi:
        kind, opt = "list", ""
    else:
        kind, opt = "answer", ""
        odd = [v for v in values if not _code_like(v, q)]
        if odd:
            conf = min(conf, 60)
            reasons.append(f"選択肢の番号ではない値がある（{odd[0]}）")
    return MapRow(header, kind, q.id, row_id, opt, confidence=conf, reason="、".join(reasons))


def _code_like(v: str, q: Question) -> bool:
    head = re.match(r"^([0-9]+|[A-Za-z])", v)
    if head is not None and head.group(1).upper() in q.option_ids:
        return True
    return any(qmatch.score(v, o.label) >= 90 for o in q.options)


def _without(part: str, text: str) -> str:
    """``part`` without the question's text when it holds the text and more."""
    f, t = qmatch.fold(part), qmatch.fold(text)
    return f.replace(t, "") if t and t in f and len(f) > len(t) else part


def draft_column(cb: Codebook, parts: list[str], values: list[str]) -> MapRow:
    header = " | ".join(p for i, p in enumerate(parts) if p and (i == 0 or p != parts[i - 1]))
    nonempty = [p for p in parts if p]
    if len(nonempty) == 1:
        pos = qmatch.positional(cb, nonempty[0])
        if pos is not None:
            return _positional_row(header, parts, pos, values)
    q = qmatch.question_by_number(cb, header)
    key = _key_kind(header, values, q is not None)
    if key:
        return MapRow(header, key[0], reason=key[1])
    reasons: list[str] = []
    conf = 100.0
    if q is not None:
        reasons.append(f"設問番号 {q.number}")
        rest_parts = [_without(p, q.text) for p in nonempty]
        rest_parts = [qmatch.number_span(p) if qmatch.number_key(p) and qmatch.fold(p).startswith("問") else
                      ("" if qmatch.fold(p) == qmatch.fold(q.number) else p) for p in rest_parts]
    elif not values:
        return MapRow(header, "ignore", confidence=90, reason="値も設問番号もない列（表題・注記）")
    else:
        hit = None
        for p in nonempty:
            h = qmatch.best_question(cb, p)
            if h and (hit is None or h.score > hit.score):
                hit = h
        if hit is None:
            return MapRow(header, "ignore", confidence=30, reason="設問に対応付けられません（回答の列なら設問を記入）")
        q = cb[hit.id]
        conf = min(conf, hit.score)
        reasons.append(hit.reason)
        rest_parts = nonempty
    rest_parts = [_without(p, q.text) for p in rest_parts]  # 「設問文\n行の文言」 in one cell: the row's wording
    rest_parts = [p for p in rest_parts if p and qmatch.score(p, q.title) < 80 and qmatch.score(p, q.text) < 80]
    listing = next((p for p in rest_parts if qmatch.listed_options(q, p)), "")
    if listing:
        rest_parts = [p for p in rest_parts if p != listing]
        if not values:
            return MapRow(header, "ignore", q.id, confidence=90, reason=f"設問番号 {q.number}、選択肢の一覧（回答欄なし）")
        row_hit = qmatch.row_of(q, rest_parts) if q.is_matrix else None
        row_id = row_hit.id if row_hit else (q.row_ids[0] if q.is_matrix else "")
        conf = min(conf, row_hit.score if row_hit else (40 if q.is_matrix else 100))
        reasons.append("見出しが選択肢の一覧: 回答（番号・番号.文言・文言）の列")
        if row_hit:
            reasons.append(row_hit.reason)
        elif q.is_matrix:
            reasons.append("行が分かりません（最初の行と仮定）")
        kind = "list" if q.is_multi else "answer"
        odd = [v for v in values if not _code_like(v, q)] if kind == "answer" else []
        if odd:
            conf = min(conf, 70)
            reasons.append(f"選択肢として読めない値がある（{odd[0]}）")
        return MapRow(header, kind, q.id, row_id, confidence=round(conf), reason="、".join(reasons))
    row_hit = qmatch.row_of(q, rest_parts) if q.is_matrix else None
    last = rest_parts[-1] if rest_parts else ""
    if row_hit and last and qmatch.score(last, q.row(row_hit.id).label) >= 80:
        last = ""  # the last part names the row: no option part
    if last and _FREE.search(last):
        free = [o.id for o in q.options if o.free_text]
        kind, opt = "text", (free[0] if free else "")
        conf = min(conf, 95 if free else 40)
        reasons.append("自由記述の列")
    else:
        opt_hit = qmatch.option_of(q, last) if last else None
        if opt_hit is not None and opt_hit.score >= 60:
            kind, opt = ("flag" if q.is_multi else "choice"), opt_hit.id
            conf = min(conf, opt_hit.score)
            reasons.append(opt_hit.reason)
        else:
            kind, opt = ("list" if q.is_multi else "answer"), ""
            if q.is_multi and values and not any(re.search(r"[,、，;・\s]", v) or len(v) > 1 for v in values):
                pass
            if last and len(last) > 1 and not re.fullmatch(r"回答|番号|選択肢|コード|\(?番号\)?|回答\(?複数回答\)?", last):
                conf = min(conf, 75)
                reasons.append(f"「{last}」を選択肢と読めません")
    if kind in ("flag", "choice"):
        odd = [v for v in values if not _is_mark(v)]
        if odd and kind == "choice" and all(_code_like(v, q) for v in odd):
            kind, opt = "answer", ""  # a form's 回答欄 beside the first option: the code of the answer
            reasons.append(f"値が選択肢の番号（{odd[0]}）: 回答の列")
        elif odd:
            conf = min(conf, 60)
            reasons.append(f"印ではない値がある（{odd[0]}）")
    row_id = ""
    if q.is_matrix:
        if row_hit is None:
            conf = min(conf, 40)
            reasons.append("行が分かりません（row_id を記入）")
        else:
            row_id = row_hit.id
            conf = min(conf, row_hit.score)
            reasons.append(row_hit.reason)
    return MapRow(header, kind, q.id, row_id, opt, confidence=round(conf), reason="、".join(reasons))


def draft_values(cb: Codebook, row: MapRow, values: list[str]) -> list[MapRow]:
    """Value rows for an answer column whose cells are the option's wording, not its code."""
    if row.kind != "answer":
        return []
    q: Question = cb[row.question_id]
    labels = {o.id: o.label for o in q.options}
    out = []
    for text in dict.fromkeys(values):
        try:
            parse_code(text, q.option_ids, labels)
            continue
        except CellError:
            pass
        hit = qmatch.value_option(q, text)
        if hit is None:
            out.append(MapRow(text, "value", q.id, confidence=0, reason="どの選択肢か分かりません（option_id を記入）"))
        else:
            out.append(MapRow(text, "value", q.id, option_id=hit.id, confidence=round(hit.score),
                              reason=f"{hit.reason}（「{q.option(hit.id).label}」）"))
    return out


def draft_table(table: Table, cb: Codebook) -> list[MapRow]:
    name = table.grid.path.name
    rows: list[MapRow] = []
    for j, parts in enumerate(table.parts):
        if not any(parts):
            continue
        values = _values(table, j)
        r = draft_column(cb, parts, values)
        r.file, r.column = name, col_letter(j)
        if j in table.grid.hidden_cols:
            r.reason += "（非表示の列）"
        rows.append(r)
        for v in draft_values(cb, r, values):
            v.file = name
            rows.append(v)
    _answer_beats_empty_options(rows, table)
    _mark_duplicates([r for r in rows if r.kind != "value"], table)
    for r in rows:
        _repair(r, cb)
    for r in rows:
        if r.kind != "value" and r.column and not r.review.startswith("列指定"):
            r.column = ""  # the header alone identifies the column
    return rows


def _answer_beats_empty_options(rows: list[MapRow], table: Table) -> None:
    """A (question, row) read from an answer column: its option columns without any value are not used."""
    answered = {(r.question_id, r.row_id) for r in rows if r.kind == "answer"}
    for r in rows:
        if r.kind == "choice" and (r.question_id, r.row_id) in answered and "値なし" not in r.reason:
            col = next((j for j, p in enumerate(table.parts) if col_letter(j) == r.column), None)
            if col is not None and not _values(table, col):
                r.kind, r.option_id = "ignore", ""
                r.reason += "。同じ設問の回答は回答欄の列から読むため使いません（値なし）"


def _repair(r: MapRow, cb: Codebook) -> None:
    """Every drafted row usable by ingest: a missing row or option becomes a best guess marked for review."""
    if r.kind not in ("answer", "choice", "flag", "list", "text") or r.question_id not in {q.id for q in cb}:
        return
    q = cb[r.question_id]
    if q.is_matrix and r.row_id not in q.row_ids:
        r.row_id = q.row_ids[0]
        r.confidence = min(r.confidence, 40)
        r.reason += "。行は推定です（最初の行と仮定）"
    if r.kind == "choice" and r.option_id not in q.option_ids:
        r.kind, r.option_id = "answer", ""
    if r.kind == "flag" and r.option_id not in q.option_ids:
        r.kind, r.option_id = "list", ""
    if r.kind == "text" and r.option_id not in q.option_ids:
        free = [o.id for o in q.options if o.free_text]
        r.option_id = free[0] if free else q.option_ids[-1]
        r.confidence = min(r.confidence, 40)
    if r.kind in ("answer", "choice") and q.is_multi:
        r.kind, r.option_id = "list", ""
    if r.kind in ("flag", "list") and not q.is_multi:
        r.kind, r.option_id = "answer", ""


def _target(r: MapRow) -> tuple:
    if r.kind in ("answer", "list"):
        return (r.question_id, r.row_id)
    return (r.question_id, r.row_id, r.option_id, r.kind)


def _mark_duplicates(rows: list[MapRow], table: Table) -> None:
    """Same header or same target twice: a hidden copy is ignored, visible clashes go to review."""
    hidden = {col_letter(j) for j in table.grid.hidden_cols}
    by_header: dict[str, list[MapRow]] = {}
    by_target: dict[tuple, list[MapRow]] = {}
    for r in rows:
        by_header.setdefault(clean_header(r.header), []).append(r)
        if r.question_id:
            by_target.setdefault(_target(r), []).append(r)
    for group in [*by_header.values(), *by_target.values()]:
        if len(group) < 2:
            continue
        visible = [r for r in group if r.column not in hidden]
        letters = "・".join(f"{r.column}列" for r in group)
        for r in group:
            r.review = "列指定"
            if r.column in hidden and visible:
                r.kind, r.question_id, r.row_id, r.option_id = "ignore", "", "", ""
                r.reason = f"非表示の列。{letters} が同じ対応先のため、表示されている {visible[0].column}列を使用"
                r.confidence = 90
            elif len(visible) > 1:
                r.confidence = min(r.confidence, 40)
                r.reason += f"。{letters} が同じ対応先です。どれを使うか決め、他は kind を ignore に"


def draft(paths: list[Path], year: str = "R3", *, sheet: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The drafted map of all files (rows merged by header) and messages for files that failed."""
    from zaitaku.ingest.pipeline import expand_inputs, read_table

    cb = load_codebook(year)
    rows: list[MapRow] = []
    failed = []
    for p in expand_inputs(paths):
        try:
            rows += draft_table(read_table(p, sheet=sheet, survey_year=year), cb)
        except ReadError as exc:
            failed.append(str(exc))
    merged: dict[tuple[str, ...], MapRow] = {}
    for r in rows:
        k = (clean_header(r.header), r.column) if r.kind != "value" else ("value", r.question_id, clean_header(r.header))
        old = merged.get(k)
        if old is None:
            merged[k] = r
        elif (old.kind, old.question_id, old.row_id, old.option_id) != (r.kind, r.question_id, r.row_id, r.option_id):
            old.confidence = min(old.confidence, 40)
            old.reason += f"。{r.file} では {r.kind} {r.question_id} {r.row_id} {r.option_id} と読めました"
    out = list(merged.values())
    for r in out:
        r.review = "要確認" if r.confidence < REVIEW_BELOW else ""
    return pd.DataFrame([asdict(r) for r in out], columns=MAP_COLUMNS), failed



def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("raw", nargs="+", type=Path, help="調査結果のファイルまたはフォルダ（複数可）")
    parser.add_argument("--out", type=Path, required=True, help="書き出す対応表 CSV")
    parser.add_argument("--year", default="R3", help="調査年度（既定 R3）")
    add_codebook_argument(parser)
    parser.add_argument("--sheet", help="読むシート名（既定: データの最も多いシート）")


def run(args: argparse.Namespace) -> int:
    from zaitaku.ingest.pipeline import expand_inputs
    from zaitaku.reference.codebook_source import apply_codebook_argument, use_codebook

    if apply_codebook_argument(args, "draft-map"):
        return 2
    try:
        return _run(args, expand_inputs)
    finally:
        use_codebook(None)


def _run(args: argparse.Namespace, expand_inputs: Callable[[list[Path]], list[Path]]) -> int:

    try:
        if Path(args.out).resolve() in {p.resolve() for p in expand_inputs(args.raw)}:
            raise HeaderMapError(f"{args.out}: 入力ファイルと同じです。別の名前を指定してください")
        df, failed = draft(args.raw, args.year, sheet=args.sheet)
    except (ReadError, HeaderMapError) as exc:
        print(f"zaitaku draft-map: {exc}", file=sys.stderr)
        return 2
    for m in failed:
        print(f"zaitaku draft-map: {m}", file=sys.stderr)
    if df.empty:
        print("zaitaku draft-map: 対応表を作れる列がありません", file=sys.stderr)
        return 2
    atomic.write_csv(df, args.out, excel=True)
    review = df[df["review"] == "要確認"]
    print(f"{args.out} に {len(df)} 行の対応表を書きました（要確認 {len(review)} 行）")
    for r in review.itertuples():
        print(f"  要確認: {r.file} 「{r.header}」→ {r.kind} {r.question_id} {r.row_id} {r.option_id}"
              f"（{r.confidence}: {r.reason}）")
    if len(review):
        print("要確認の行を Excel で確かめ、必要なら kind・question_id・row_id・option_id を直してから "
              f"`zaitaku ingest ... --header-map {args.out}` を実行してください")
    return 1 if failed else 0

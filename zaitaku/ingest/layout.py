"""The survey export's column layout and the editable header-mapping table.

A raw export has a header block of one or more rows (found by :mod:`zaitaku.ingest.header`). Every
column is mapped to what it holds through a header map (CSV; UTF-8 with or without BOM, or cp932)
with the columns:

===========  ==================================================================================
header       the column's header as it appears, header rows joined by ``" | "`` (merged cells
             repeat over their range); for ``value`` rows the answer text as written
kind         ``code`` municipality code · ``name`` municipality name · ``prefecture`` prefecture
             name · ``answer`` a single answer (code, ``1.label``, ①, or text via ``value`` rows)
             · ``choice`` one option column of a single-choice question marked ○ (a ○ grid) ·
             ``flag`` one option of a multi-select marked 1/0 or ○/●/✓ · ``list`` a multi-select
             as a list such as "1,3,5" · ``text`` free text of an その他 option · ``value`` the
             prefecture's wording of an option (value map) · ``synthetic`` marks demo data ·
             ``ignore``
question_id  codebook question id
row_id       matrix row id (matrix questions only)
option_id    option id (``choice``, ``flag``, ``text``, ``value``)
column       optional Excel column letter: the row applies to that column only (two columns
             with the same header, e.g. a hidden copy)
confidence,  written by ``zaitaku draft-map`` for the reviewer; ignored when reading
reason
===========  ==================================================================================

``default_header_map`` writes the map of the standard layout (the one ``zaitaku demo`` writes);
``zaitaku draft-map RAW --out MAP.csv`` drafts one for any other layout.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zaitaku.reference.codebook import Codebook

KINDS = ("code", "name", "prefecture", "answer", "choice", "flag", "list", "text", "value", "synthetic", "ignore")
HEADER_MAP_COLUMNS = ("header", "kind", "question_id", "row_id", "option_id")
OPTIONAL_COLUMNS = ("column", "confidence", "reason")
MAP_ENCODINGS = ("utf-8-sig", "cp932")
SEP = " | "
CODE_HEADER = "市区町村コード"
PREF_HEADER = "都道府県名"
NAME_HEADER = "市区町村名"
SYNTHETIC_HEADER = "データ区分"
SYNTHETIC_LABEL = "デモ用の架空データ（synthetic）"


class HeaderMapError(ValueError):
    """The header map is inconsistent with the codebook; the message names file, row and value."""


@dataclass(frozen=True)
class ColumnSpec:
    kind: str
    question_id: str = ""
    row_id: str = ""
    option_id: str = ""


@dataclass
class HeaderMap:
    """A validated map: specs by header, by (header, Excel column) and the value map."""

    by_header: dict[str, ColumnSpec] = field(default_factory=dict)
    by_column: dict[tuple[str, str], ColumnSpec] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # question_id -> {text: option}
    unusable: list[tuple[str, int, str, str]] = field(default_factory=list)  # (map, line, header, why) not used
    guessed: set[str] = field(default_factory=set)  # headers whose row is marked 要確認 (read under a guess)
    # question → wording → draft-map's reason, for value rows marked 要確認 (each cell they read is a problem row)
    guessed_values: dict[str, dict[str, str]] = field(default_factory=dict)

    def spec(self, header: str, column: str) -> ColumnSpec | None:
        return self.by_column.get((header, column)) or self.by_header.get(header)

    def __contains__(self, header: str) -> bool:
        return header in self.by_header

    def __getitem__(self, header: str) -> ColumnSpec:
        return self.by_header[header]

    def __len__(self) -> int:
        return len(self.by_header) + len(self.by_column)


def clean_header(text: object) -> str:
    """Normalize a header cell for matching: NFKC, collapsed whitespace."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    return " ".join(unicodedata.normalize("NFKC", str(text)).split())


def value_key(text: object) -> str:
    """Key of an answer written as text, for the value map: NFKC without spaces."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def standard_columns(codebook: Codebook) -> list[tuple[str, str, ColumnSpec]]:
    """The standard layout: (top header, second header, spec) for every column, in order."""
    cols: list[tuple[str, str, ColumnSpec]] = [
        (CODE_HEADER, "", ColumnSpec("code")),
        (PREF_HEADER, "", ColumnSpec("prefecture")),
        (NAME_HEADER, "", ColumnSpec("name")),
        (SYNTHETIC_HEADER, "", ColumnSpec("synthetic")),
    ]
    for q in codebook:
        top = f"{q.number} {q.title}"
        if q.type == "single":
            cols.append((top, "回答", ColumnSpec("answer", q.id)))
        elif q.type == "matrix-single":
            cols += [(top, r.label, ColumnSpec("answer", q.id, r.id)) for r in q.rows]
        elif q.type in ("multi", "matrix-multi"):
            for row_id in q.row_ids:
                row_top = f"{top}：{q.row(row_id).label}" if row_id else top
                cols += [
                    (row_top, f"{o.id}. {o.label}", ColumnSpec("flag", q.id, row_id, o.id))
                    for o in q.options
                ]
        for o in q.options:
            if o.free_text:
                for row_id in q.row_ids:
                    row_top = f"{top}：{q.row(row_id).label}" if row_id else top
                    cols.append((row_top, f"{o.id}. {o.label}（自由記述）", ColumnSpec("text", q.id, row_id, o.id)))
    return cols


def joined_header(top: str, sub: str) -> str:
    top, sub = clean_header(top), clean_header(sub)
    return f"{top}{SEP}{sub}" if sub else top


def default_header_map(codebook: Codebook) -> pd.DataFrame:
    rows = [
        {"header": joined_header(t, s), "kind": c.kind, "question_id": c.question_id,
         "row_id": c.row_id, "option_id": c.option_id}
        for t, s, c in standard_columns(codebook)
    ]
    return pd.DataFrame(rows, columns=list(HEADER_MAP_COLUMNS))


def validate_header_map(df: pd.DataFrame, codebook: Codebook, source: str) -> HeaderMap:
    """Check a header map against the codebook (messages in Japanese naming file, row and value)."""
    missing = [c for c in HEADER_MAP_COLUMNS if c not in df.columns]
    if missing:
        raise HeaderMapError(f"{source}: 対応表に列 {', '.join(missing)} がありません"
                             f"（必要な列: {', '.join(HEADER_MAP_COLUMNS)}）")
    df = df.fillna("").astype(str)
    out = HeaderMap()
    has_col = "column" in df.columns
    for i, rec in enumerate(df.to_dict("records"), start=2):  # row 1 is the CSV header
        where = f"{source} {i} 行目"
        r = {str(k): str(v) for k, v in rec.items()}
        try:
            _add_row(out, r, codebook, where, has_col)
        except HeaderMapError as exc:  # one unusable row: named as a problem, the others still read
            out.unusable.append((source, i, str(r.get("header", "")), str(exc).removeprefix(where).lstrip(" :：")))
    return out


def _add_row(out: HeaderMap, r: dict[str, str], codebook: Codebook, where: str, has_col: bool) -> None:
    """Add one map row to ``out``; :class:`HeaderMapError` names what makes it unusable."""
    if r["header"][:1] == "'" and r["header"][1:2] in ("=", "+", "-", "@"):
        r["header"] = r["header"][1:]  # written Excel-safe by draft-map (formula characters as text)
    header = clean_header(r["header"])
    kind = r["kind"].strip()
    if not header and not kind:
        return
    if not header:
        raise HeaderMapError(f"{where}: header 列が空です")
    if kind not in KINDS:
        raise HeaderMapError(f"{where} kind 列: 「{kind}」は使えません（使える値: {', '.join(KINDS)}）")
    spec = ColumnSpec(kind, r["question_id"].strip(), r["row_id"].strip(), r["option_id"].strip())
    if kind == "value" and not spec.option_id:
        # a wording nobody could place (draft-map leaves option_id empty): nothing to map; each of its cells
        # is listed in problems.csv as read as 未回答, which is what a person would be told anyway
        return
    if kind in ("answer", "choice", "flag", "list", "text", "value"):
        try:
            q = codebook[spec.question_id]
        except KeyError:
            raise HeaderMapError(f"{where} question_id 列: 設問「{spec.question_id}」は調査票にありません") from None
        if kind != "value" and spec.row_id not in q.row_ids:
            raise HeaderMapError(f"{where} row_id 列: 「{spec.row_id}」は {q.id} の行ではありません"
                                 f"（行: {', '.join(q.row_ids) or 'なし'}）")
        if kind in ("flag", "text", "choice", "value") and spec.option_id not in q.option_ids:
            raise HeaderMapError(f"{where} option_id 列: 「{spec.option_id}」は {q.id} の選択肢ではありません"
                                 f"（選択肢: {', '.join(q.option_ids)}）")
        if kind in ("answer", "choice") and q.is_multi:
            raise HeaderMapError(f"{where}: kind {kind} は単一回答の設問用です。{q.id} は {q.type} です")
        if kind in ("flag", "list") and not q.is_multi:
            raise HeaderMapError(f"{where}: kind {kind} は複数回答の設問用です。{q.id} は {q.type} です")
    if kind == "value":
        out.values.setdefault(spec.question_id, {})[value_key(r["header"])] = spec.option_id
        if r.get("review", "").strip() == "要確認":  # a drafted guess nobody confirmed: each cell read by it is listed
            out.guessed_values.setdefault(spec.question_id, {})[value_key(r["header"])] = r.get("reason", "")
        return
    if r.get("review", "").strip() == "要確認" and kind not in ("ignore",):
        out.guessed.add(header)
    column = r.get("column", "").strip().upper() if has_col else ""
    if column:
        if (header, column) in out.by_column:
            raise HeaderMapError(f"{where}: 見出し「{header}」（列 {column}）が 2 回あります")
        out.by_column[(header, column)] = spec
        return
    if header in out.by_header:
        raise HeaderMapError(f"{where}: 見出し「{header}」が 2 回あります（同じ見出しの列を分けるには column 列に Excel の列名を書きます）")
    out.by_header[header] = spec


def read_header_map(path: Path, codebook: Codebook) -> HeaderMap:
    """Read a map CSV saved as UTF-8 (with or without BOM) or cp932 (Excel's 「CSV」)."""
    path = Path(path)
    if not path.exists():
        raise HeaderMapError(f"{path}: 対応表のファイルがありません")
    if path.is_dir():
        raise HeaderMapError(f"{path}: フォルダです。対応表の CSV ファイルを指定してください")
    data = path.read_bytes()
    for enc in MAP_ENCODINGS:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise HeaderMapError(f"{path}: 対応表を UTF-8 としても cp932 としても読めません。CSV で保存し直してください")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except Exception as exc:  # any parser failure is a map error
        raise HeaderMapError(f"{path}: 対応表を CSV として読めません（{str(exc).splitlines()[0]}）") from None
    return validate_header_map(df, codebook, str(path))

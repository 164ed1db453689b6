"""The survey export's column layout and the editable header-mapping table.

A raw export has a one- or two-row header. Every column is mapped to what it holds through a
header map (CSV, UTF-8) with the columns:

===========  ==================================================================================
header       the column's header as it appears; for a two-row header the two cells joined by
             ``" | "`` (a merged top cell repeats over the columns below it)
kind         ``code`` municipality code · ``name`` municipality name · ``prefecture`` prefecture
             name · ``answer`` a single answer as an option code · ``flag`` one option of a
             multi-select as 1/0 or ○/●/✓ · ``list`` a multi-select as a list such as "1,3,5" ·
             ``text`` free text of an その他 option · ``synthetic`` marks demo data · ``ignore``
question_id  codebook question id (``answer``, ``flag``, ``list``, ``text``)
row_id       matrix row id (matrix questions only)
option_id    option id (``flag`` and ``text`` only)
===========  ==================================================================================

``default_header_map`` writes the map of the standard layout (the one ``zaitaku demo`` writes);
copy it with ``zaitaku ingest --write-header-map my_map.csv``, edit the ``header`` cells to match
another export, and pass it with ``--header-map my_map.csv``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zaitaku.reference.codebook import Codebook

KINDS = ("code", "name", "prefecture", "answer", "flag", "list", "text", "synthetic", "ignore")
HEADER_MAP_COLUMNS = ("header", "kind", "question_id", "row_id", "option_id")
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


def clean_header(text: object) -> str:
    """Normalize a header cell for matching: NFKC, collapsed whitespace."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    return " ".join(unicodedata.normalize("NFKC", str(text)).split())


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


def validate_header_map(df: pd.DataFrame, codebook: Codebook, source: str) -> dict[str, ColumnSpec]:
    """Check a header map against the codebook; return {normalized header: spec}."""
    missing = [c for c in HEADER_MAP_COLUMNS if c not in df.columns]
    if missing:
        raise HeaderMapError(f"{source}: header map lacks column(s) {missing}; needs {list(HEADER_MAP_COLUMNS)}")
    df = df.fillna("").astype(str)
    out: dict[str, ColumnSpec] = {}
    for i, r in enumerate(df.itertuples(index=False), start=2):  # row 1 is the CSV header
        where = f"{source}, row {i}"
        header = clean_header(r.header)
        if not header:
            raise HeaderMapError(f"{where}: empty header")
        if header in out:
            raise HeaderMapError(f"{where}: header {header!r} mapped twice")
        if r.kind not in KINDS:
            raise HeaderMapError(f"{where}, column kind: unknown kind {r.kind!r} (kinds: {', '.join(KINDS)})")
        spec = ColumnSpec(r.kind, r.question_id.strip(), r.row_id.strip(), r.option_id.strip())
        if r.kind in ("answer", "flag", "list", "text"):
            try:
                q = codebook[spec.question_id]
            except KeyError:
                raise HeaderMapError(f"{where}, column question_id: unknown question {spec.question_id!r}") from None
            if spec.row_id not in q.row_ids:
                raise HeaderMapError(
                    f"{where}, column row_id: {spec.row_id!r} is not a row of {q.id} ({', '.join(q.row_ids) or 'none'})"
                )
            if r.kind in ("flag", "text") and spec.option_id not in q.option_ids:
                raise HeaderMapError(f"{where}, column option_id: {spec.option_id!r} is not an option of {q.id}")
            if r.kind == "answer" and q.is_multi:
                raise HeaderMapError(f"{where}: kind 'answer' needs a single-choice question; {q.id} is {q.type}")
            if r.kind in ("flag", "list") and not q.is_multi:
                raise HeaderMapError(f"{where}: kind {r.kind!r} needs a multi-select question; {q.id} is {q.type}")
        out[header] = spec
    return out


def read_header_map(path: Path, codebook: Codebook) -> dict[str, ColumnSpec]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return validate_header_map(df, codebook, str(path))

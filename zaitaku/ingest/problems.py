"""``problems.csv``: what ingest could not take as delivered, written and read in one place.

One row per problem. The columns are a typed schema shared by the writer (:func:`problems_frame`,
:func:`to_excel_columns`) and the reader (:func:`read_problems`): staff open the file in Excel, so it is
written with Japanese headers; code reads it back under the English names. What happened to the
answer is a code in the ``kind`` column (:class:`ProblemKind`), never guessed from the Japanese text,
and ``code`` names the municipality whenever ingest knew it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

import pandas as pd

from zaitaku.files.atomic import FORMULA_START


class ProblemKind(str, Enum):
    """What happened to the data a problem concerns (the ``kind`` column of problems.csv)."""

    ROW_EXCLUDED = "row_excluded"            # a row / municipality left out (unknown, mismatch, conflicting duplicate)
    DUPLICATE_DROPPED = "duplicate_dropped"  # an identical repeat of a municipality's row
    ROW_SKIPPED = "row_skipped"              # not a municipality: a total, note or blank-key row
    READ_AS_BLANK = "read_as_blank"          # the cell could not be read: the answer counts as 未回答
    READ_AS_NOT_ASKED = "read_as_not_asked"  # the answer counts as not asked (非該当)
    KEPT = "kept"                            # kept as delivered, listed for a person to look at
    TEXT_SET_ASIDE = "text_set_aside"        # free text kept only in this list
    COLUMN_IGNORED = "column_ignored"        # a column of the file was not read
    QUESTION_MISSING = "question_missing"    # the file has no column for a question: 未回答 for its municipalities
    FILE_FAILED = "file_failed"              # the whole file was not read
    SHEET_SKIPPED = "sheet_skipped"          # another sheet of a file was not read (over a limit, unreadable)
    READ_UNDER_GUESS = "read_under_guess"    # read through a drafted value row nobody confirmed (要確認)
    READ_BY_LABEL = "read_by_label"          # a column read by the option labels it prints, not its numbers
    MAP_ROW_UNUSED = "map_row_unused"        # a row of the header map could not be used (its column not read)


KIND_JA = {
    ProblemKind.ROW_EXCLUDED: "除外",
    ProblemKind.DUPLICATE_DROPPED: "重複行を除外",
    ProblemKind.ROW_SKIPPED: "市区町村の行ではないため読み飛ばし",
    ProblemKind.READ_AS_BLANK: "未回答として集計",
    ProblemKind.READ_AS_NOT_ASKED: "非該当（対象外）として集計",
    ProblemKind.KEPT: "そのまま集計",
    ProblemKind.TEXT_SET_ASIDE: "自由記述はこの一覧にだけ記録",
    ProblemKind.COLUMN_IGNORED: "列を読まず",
    ProblemKind.QUESTION_MISSING: "設問の列がなく未回答として集計",
    ProblemKind.FILE_FAILED: "ファイルを読まず",
    ProblemKind.SHEET_SKIPPED: "シートを読まず",
    ProblemKind.READ_UNDER_GUESS: "推定のまま集計",
    ProblemKind.READ_BY_LABEL: "選択肢の文言で対応付けて集計",
    ProblemKind.MAP_ROW_UNUSED: "対応表の行を使わず",
}
# kinds that concern every municipality read from the file, not one row
FILE_KINDS = frozenset({ProblemKind.COLUMN_IGNORED, ProblemKind.QUESTION_MISSING})

# kinds that mean part of the delivered data was left out: ingest exits 1 when any is found
LEFT_OUT = frozenset({ProblemKind.ROW_EXCLUDED, ProblemKind.FILE_FAILED, ProblemKind.SHEET_SKIPPED,
                      ProblemKind.COLUMN_IGNORED, ProblemKind.MAP_ROW_UNUSED})

# English name → Japanese header of problems.csv, in file order
COLUMNS_JA = {"file": "ファイル", "row": "行", "column": "列", "value": "値", "problem": "問題", "action": "対応",
              "kind": "種類", "code": "市区町村コード"}
COLUMNS = list(COLUMNS_JA)


@dataclass
class Problem:
    """One problem as ingest records it (row: the file's 1-based row, or "" for the whole file)."""

    file: str
    row: int | str
    column: str
    value: str
    problem: str
    action: str
    kind: ProblemKind
    code: str = ""


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """The problems as a frame under the English column names (``kind`` as its code string)."""
    rows = [asdict(p) | {"kind": ProblemKind(p.kind).value, "row": str(p.row)} for p in problems]
    return pd.DataFrame(rows, columns=COLUMNS).astype(str)


def to_excel_columns(problems: pd.DataFrame) -> pd.DataFrame:
    """The frame as staff read it in problems.csv (Japanese headers, same order)."""
    return problems[COLUMNS].rename(columns=COLUMNS_JA)


def _delivered(value: str) -> str:
    """The value as delivered (undo the CSV writer's protection against Excel formulas)."""
    return value[1:] if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_START) else value


class ProblemsFileError(ValueError):
    """problems.csv is not one this version of zaitaku writes."""


def read_problems(path: Path) -> pd.DataFrame:
    """problems.csv under the English column names, every column a string, values as delivered.

    Raises :class:`ProblemsFileError` (Japanese) when a column or a kind code is not the schema's.
    """
    p = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    by_ja = {ja: en for en, ja in COLUMNS_JA.items()}
    missing = [ja for ja in COLUMNS_JA.values() if ja not in p.columns]
    if missing:
        raise ProblemsFileError(f"{path}: 列 {'・'.join(missing)} がありません（古い版の zaitaku で取り込んだデータです）。"
                                "`zaitaku ingest` をやり直してください")
    p = p.rename(columns=by_ja)[COLUMNS]
    known = {k.value for k in ProblemKind}
    bad = sorted(set(p["kind"]) - known)
    if bad:
        raise ProblemsFileError(f"{path}: 種類の列に知らない値があります（{'、'.join(bad)}）")
    p["value"] = p["value"].map(_delivered)
    return p

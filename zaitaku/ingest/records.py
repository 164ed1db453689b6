"""Parsed answers per municipality, the questionnaire's logic checks, duplicates, tidy output.

A :class:`Record` holds, per (question, row), a set of chosen options or one of ``BLANK``
(未回答), ``NOT_ASKED`` (非該当) or ``INVALID`` (an unreadable cell, reported, then 未回答).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zaitaku.ingest.problems import Problem, ProblemKind
from zaitaku.reference.codebook import NO_ANSWER, Codebook, Question

BLANK, NOT_ASKED, INVALID = "blank", "not_asked", "invalid"
# chosen options (a frozenset from parsing; hand-built records may use a set) or BLANK/NOT_ASKED/INVALID
Answer = AbstractSet[str] | str
AS_NA = "この設問は未回答として扱いました"


def as_na(q: Question, row_id: str = "") -> str:
    """The 対応 of an answer read as 未回答: the question (:data:`AS_NA`), or for a matrix the one row, by its label
    (「問2の『歯科医師会』の行を未回答として扱いました」)."""
    if not row_id:
        return AS_NA
    try:
        label = q.row(row_id).label
    except KeyError:
        label = row_id
    return row_as_na(q, label)


def row_as_na(q: Question, label: str) -> str:
    """「問2の『歯科医師会』の行を未回答として扱いました」: one matrix row, by the label given."""
    return f"{''.join(q.number.split())}の『{label}』の行を未回答として扱いました"


@dataclass
class Record:
    code: str
    file: str
    row: int
    code_column: str = ""
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    texts: dict[tuple[str, str, str], str] = field(default_factory=dict)


Report = Callable[[Record, Question, str, str, str, str, ProblemKind], None]


def check_logic(rec: Record, codebook: Codebook, report: Report) -> None:
    """Exclusive options, conditions (asked_if) and subset rules, in questionnaire order."""
    for q in codebook:
        for row in q.row_ids:
            key = (q.id, row)
            val = rec.answers.get(key, BLANK)
            if isinstance(val, frozenset) and len(val) > 1:
                excl = [o.id for o in q.options if o.exclusive and o.id in val]
                if excl:
                    report(rec, q, row, ",".join(sorted(val)),
                           f"排他的な選択肢 {excl[0]} が他の選択肢と同時に選ばれています", as_na(q, row),
                           ProblemKind.READ_AS_BLANK)
                    val = INVALID
            if q.asked_if is not None and not _condition_met(q, rec):
                if isinstance(val, frozenset):
                    report(rec, q, row, ",".join(sorted(val)),
                           f"回答の条件（{q.asked_if.question}）を満たさないのに回答があります",
                           "非該当として扱いました（回答はこの一覧にだけ残ります）", ProblemKind.READ_AS_NOT_ASKED)
                val = NOT_ASKED
            if q.subset_of and isinstance(val, frozenset):
                parent = rec.answers.get((q.subset_of, row))
                extra = sorted(val - parent) if isinstance(parent, frozenset) else sorted(val)
                if extra:
                    report(rec, q, row, ",".join(sorted(val)),
                           f"選択肢 {','.join(extra)} が {q.subset_of} で選ばれていません", "回答のまま残しました",
                           ProblemKind.KEPT)
            rec.answers[key] = BLANK if val == INVALID else val
        for (qid, row, opt), text in list(rec.texts.items()):
            if qid == q.id:
                chosen = rec.answers.get((qid, row))
                if not (isinstance(chosen, frozenset) and opt in chosen):
                    report(rec, q, row, text, f"選ばれていない選択肢 {opt} の自由記述があります",
                           "自由記述はこの一覧にだけ残しました", ProblemKind.TEXT_SET_ASIDE)
                    del rec.texts[(qid, row, opt)]


def _condition_met(q: Question, rec: Record) -> bool:
    c = q.asked_if
    if c is None:  # an unconditional question is always asked
        return True
    parent = rec.answers.get((c.question, c.row or ""))
    return isinstance(parent, frozenset) and bool(parent & set(c.values))


def dedupe(records: list[Record], problems: list[Problem]) -> list[Record]:
    """Keep one record per municipality, in linear time: one problem row per repeat, naming the first."""
    first: dict[str, Record] = {}
    conflicting: set[str] = set()
    for r in records:
        f = first.setdefault(r.code, r)
        if f is r:
            continue
        same = r.answers == f.answers and r.texts == f.texts
        if not same:
            conflicting.add(r.code)
        first_at = f"{f.row} 行目" if f.file == r.file else f"{f.file} {f.row} 行目"
        problems.append(Problem(
            r.file, r.row, r.code_column, r.code, f"重複（最初は {first_at}）" + ("" if same else "、回答が異なる"),
            "同じ回答のため除外" if same else "回答が食い違うため、この市区町村を除外",
            ProblemKind.DUPLICATE_DROPPED if same else ProblemKind.ROW_EXCLUDED, r.code))
    for code in conflicting:
        f = first[code]
        problems.append(Problem(f.file, f.row, f.code_column, code, f"市区町村 {code} が重複し、回答が食い違います",
                                "この市区町村は除外しました。元のファイルで重複を解消してください",
                                ProblemKind.ROW_EXCLUDED, code))
    return [r for c, r in first.items() if c not in conflicting]


def to_tidy(records: list[Record], codebook: Codebook) -> pd.DataFrame:
    """One row per municipality × question × row × option (plus ``na`` = 未回答); value NA = not asked."""
    codes = np.array([r.code for r in records], dtype=object)
    n = len(records)
    frames = []
    for q in codebook:
        opts = [*q.option_ids, NO_ANSWER]
        for row in q.row_ids:
            sel = np.zeros((n, len(opts)), dtype="float64")
            for i, r in enumerate(records):
                v = r.answers.get((q.id, row), BLANK)
                if v == NOT_ASKED:
                    sel[i, :] = np.nan
                elif v == BLANK:
                    sel[i, -1] = 1
                else:
                    for k, o in enumerate(q.option_ids):
                        if o in v:
                            sel[i, k] = 1
            text = np.full((n, len(opts)), None, dtype=object)
            for k, o in enumerate(opts):
                for i, r in enumerate(records):
                    t = r.texts.get((q.id, row, o))
                    if t:
                        text[i, k] = t
            frames.append(pd.DataFrame({
                "municipality_code": np.repeat(codes, len(opts)),
                "question_id": q.id,
                "row_id": row,
                "option_id": np.tile(np.array(opts, dtype=object), n),
                "value": pd.array(sel.reshape(-1), dtype="Float64").astype("Int8"),
                "free_text": pd.array(text.reshape(-1), dtype="string"),
            }))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    df.insert(0, "survey_year", codebook.survey_year)
    return df.sort_values(["municipality_code"], kind="stable").reset_index(drop=True)



"""The figures as CSV frames for Excel users (Japanese headers, percentages as percentages).

- :func:`figures_frame`: one row per chart figure (scope × matrix row × option, option groups
  included) of the sections of a report.
- :func:`municipality_matrix`: the prefecture's municipalities × questions, each cell the answer
  in words (for the prefecture's CSV).

Write them with :func:`zaitaku.files.atomic.write_csv` (``excel=True``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from zaitaku.analysis.index import data_index
from zaitaku.analysis.processed import ProcessedData
from zaitaku.reference.codebook import NO_ANSWER, NO_ANSWER_LABEL, Question
from zaitaku.report import format as fmt

HEADERS = ["設問番号", "設問", "項目", "選択肢", "集計範囲", "該当数", "分母", "割合(%)", "種別", "出典"]


def figures_frame(sections: Iterable) -> pd.DataFrame:
    """The figures of ``sections`` (:class:`~zaitaku.report.section.Section`) with Japanese headers.

    割合(%) is a percentage rounded to 0.1; it is empty where the base is under the small-n rule
    (:data:`zaitaku.report.format.SMALL_N`: read 該当数/分母 instead) or there is no figure. 種別 is
    選択肢 or 選択肢のまとめ (an option group of the codebook); 出典 is 集計 or 公表値.
    """
    frames = []
    for s in sections:
        q, df = s.question, s.figures
        if df.empty:
            continue
        pct = [None if pd.isna(sh) or fmt.is_small(b) else round(float(sh) * 100, 1)
               for sh, b in zip(df["share"], df["n_base"], strict=True)]
        frames.append(pd.DataFrame({
            "設問番号": q.number,
            "設問": q.title,
            "項目": df["row_label"].to_numpy(),
            "選択肢": df["option_label"].to_numpy(),
            "集計範囲": df["scope_label"].to_numpy(),
            "該当数": pd.array(df["n_selected"], dtype="Int64"),
            "分母": pd.array(df["n_base"], dtype="Int64"),
            "割合(%)": pd.array(pct, dtype="Float64"),
            "種別": ["選択肢のまとめ" if g else "選択肢" for g in df.get("is_group", pd.Series(False, index=df.index))],
            "出典": ["公表値" if src == "published" else "集計" for src in df["source"]],
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=HEADERS)


def _answer_words(q: Question, chosen: list[str] | None, responded: bool) -> str:
    if not responded:
        return "回答なし"
    if chosen is None:
        return "対象外"
    if chosen == [NO_ANSWER]:
        return NO_ANSWER_LABEL
    return "・".join(q.option_label(o) for o in chosen)


def municipality_matrix(data: ProcessedData, pref_code: str, questions: Iterable[str] | None = None) -> pd.DataFrame:
    """Municipalities of a prefecture (rows: コード, 市町村) × questions (columns 「問1 協議会の設置」,
    matrix rows as 「問2 各団体との関係：郡市区医師会」), each cell the answer in words; 回答なし for a
    municipality without data, 対象外 where it was not asked."""
    idx = data_index(data)
    m = data.municipalities
    members = m[m["pref_code"] == pref_code].sort_values("code")
    qs = [data.codebook[q] for q in questions] if questions is not None else list(data.codebook)
    out: dict[str, list[str]] = {"コード": members["code"].tolist(), "市町村": members["name"].tolist()}
    for q in qs:
        for row in q.row_ids:
            col = f"{q.number} {q.title}" + (f"：{q.row(row).label}" if row else "")
            out[col] = [_answer_words(q, idx.selected(c, q.id, row), bool(r))
                        for c, r in zip(members["code"], members["responded"], strict=True)]
    return pd.DataFrame(out)

"""Small tables for the tutorials: a question with its options, and each municipality's answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from zaitaku.analysis.aggregate import ProcessedData
from zaitaku.explore import html
from zaitaku.explore.views import find_code, responded
from zaitaku.lookup import find_question
from zaitaku.reference.codebook import NO_ANSWER, NO_ANSWER_LABEL, Question
from zaitaku.reference.municipalities import normalize_prefecture


@dataclass
class QuestionInfo:
    """A question with its options; displays as a small table."""

    question: Question
    options: pd.DataFrame
    condition: str = ""

    KINDS: ClassVar[dict[str, str]] = {
        "single": "単一回答", "multi": "複数回答", "matrix-single": "表形式（各行で1つ）",
        "matrix-multi": "表形式（各行で複数）", "free": "自由記述"}

    def __repr__(self) -> str:
        return f"QuestionInfo({self.question.id}: {self.question.number} {self.question.title})"

    def _repr_html_(self) -> str:
        return html.render("question_info.html.j2", q=self.question, kind=self.KINDS[self.question.type],
                           condition=self.condition, options=html.frame_html(self.options, index=False))


def question_info(data: ProcessedData, question_id: str) -> QuestionInfo:
    """The question's text, type and options (番号・選択肢) as a table."""
    q = find_question(data.codebook, question_id)
    opts = pd.DataFrame({"番号": [*q.option_ids, NO_ANSWER], "選択肢": [*(o.label for o in q.options), NO_ANSWER_LABEL]})
    if q.is_matrix:
        opts = pd.concat([pd.DataFrame({"番号": ["（行）"] * len(q.rows), "選択肢": [r.label for r in q.rows]}), opts],
                         ignore_index=True)
    return QuestionInfo(q, opts, q.asked_if.describe(data.codebook) if q.asked_if else "")


def _answer_text(q: Question, chosen: list[str] | None) -> str:
    if chosen is None:
        return "対象外"
    return "・".join(q.option_label(o) for o in chosen)


def answers(data: ProcessedData, question_id: str, prefecture: str | int | None = None,
            type: str | None = None, municipality: str | int | None = None) -> pd.DataFrame:
    """Each answering municipality's answer to one question (選択肢 in words; 対象外 = not asked).

    Narrow down with ``prefecture`` (name or code), ``type`` (市, 町, 村, 特別区, 政令市) or
    ``municipality`` (name or code, as typed). Matrix questions get one column per row.
    """
    q = find_question(data.codebook, question_id)
    m = responded(data)
    if prefecture:
        m = m[m["pref_code"] == normalize_prefecture(prefecture)]
    if type:
        m = m[m["type"] == type]
    if municipality is not None:
        m = m[m["code"] == find_code(data, municipality)]
    r = data.responses
    r = r[(r["question_id"] == q.id) & r["municipality_code"].isin(m["code"])]
    out = m.rename(columns={"code": "コード", "prefecture": "都道府県", "name": "市町村", "type": "類型"})
    out = out[["コード", "都道府県", "市町村", "類型"]].set_index("コード")
    for row in q.row_ids:
        rr = r[r["row_id"] == row]
        asked = rr[rr["value"].notna()]
        chosen = asked[asked["value"] == 1].groupby("municipality_code")["option_id"].agg(list)
        col = q.row(row).label if row else "回答"
        texts = {c: _answer_text(q, chosen.get(c, [NO_ANSWER])) for c in asked["municipality_code"].unique()}
        out[col] = [texts.get(c, "対象外") for c in out.index]
    return out.reset_index()

"""Small tables for the tutorials: a question with its options, each municipality's answer, one municipality's
answers over the years, and the crosswalk between two years."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from zaitaku.analysis.aggregate import ProcessedData
from zaitaku.analysis.processed import year_order
from zaitaku.explore import html
from zaitaku.explore.views import find_code, responded
from zaitaku.lookup import InputError, find_question
from zaitaku.reference.codebook import NO_ANSWER, NO_ANSWER_LABEL, Codebook, Question, load_codebook
from zaitaku.reference.crosswalk import Link, load_crosswalk
from zaitaku.reference.municipalities import normalize_prefecture
from zaitaku.reference.published import year_ja


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


def answers_over_years(years: Mapping[str, ProcessedData], question_id: str, municipality: str | int) -> pd.DataFrame:
    """One municipality's answer to a question in each held year (年度, 設問番号, 回答); 「この年度の調査票にない設問」
    where the question is not in that year's codebook, 「回答なし」 where the municipality did not answer that year."""
    rows = []
    for year in sorted(years, key=year_order):
        data = years[year]
        ids = {q.id for q in data.codebook}
        if question_id not in ids:
            rows.append({"年度": year_ja(year), "設問番号": "", "回答": "この年度の調査票にない設問"})
            continue
        q = data.codebook[question_id]
        try:
            a = answers(data, question_id, municipality=municipality)
        except InputError:
            a = pd.DataFrame()
        cols = [c for c in a.columns if c not in ("コード", "都道府県", "市町村", "類型")]
        text = "／".join(f"{c}：{a[c].iloc[0]}" if c != "回答" else str(a[c].iloc[0]) for c in cols) if len(a) else "回答なし"
        rows.append({"年度": year_ja(year), "設問番号": q.number, "回答": text})
    return pd.DataFrame(rows, columns=["年度", "設問番号", "回答"])


def crosswalk_table(year_a: str, year_b: str) -> pd.DataFrame:
    """The crosswalk from ``year_a`` to ``year_b`` as a readable table: 設問番号, 設問, 行, 選択肢, 比較 (比較可・
    比較に注意・比較しない), 理由. The first row is the rule for everything not listed."""
    cw = load_crosswalk(year_a, year_b)
    a, b = load_codebook(year_a), load_codebook(year_b)

    def row(book: Codebook, qid: str, row_id: str, option: str, link: Link) -> dict[str, str]:
        q = book[qid]
        return {"設問番号": q.number, "設問": q.title, "行": q.row(row_id).label if row_id else "",
                "選択肢": f"{option} {q.option_label(option)}" if option else "", "比較": link.label, "理由": link.reason}

    rows = [{"設問番号": "（ほかの設問すべて）", "設問": "", "行": "", "選択肢": "", "比較": cw.default.label,
             "理由": cw.default.reason}]
    rows += [row(a, qid, "", "", link) for qid, link in cw.removed.items()]
    rows += [row(b, qid, "", "", link) for qid, link in cw.questions.items()]
    rows += [row(b, qid, r, "", link) for (qid, r), link in cw.rows.items()]
    rows += [row(b, qid, r, o, link) for (qid, r, o), link in cw.options.items()]
    return pd.DataFrame(rows, columns=["設問番号", "設問", "行", "選択肢", "比較", "理由"])

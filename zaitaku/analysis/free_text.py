"""その他 answers (free text) as data: per municipality or per prefecture, for one question.

The responses table holds the text in ``free_text`` on the option row that carries it. The text is
returned as delivered: escaping is the job of whatever writes HTML.
"""

from __future__ import annotations

import pandas as pd

from zaitaku.analysis.index import data_index
from zaitaku.analysis.processed import ProcessedData

COLUMNS = ["code", "name", "question_id", "row_id", "row_label", "option_id", "option_label", "text"]


def _all_texts(data: ProcessedData) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        r = data.responses
        t = r[r["free_text"].notna() & (r["free_text"].astype(str).str.strip() != "")]
        m = data.municipalities.set_index("code")
        return pd.DataFrame({
            "code": t["municipality_code"].astype(str).to_numpy(),
            "pref_code": m["pref_code"].reindex(t["municipality_code"]).to_numpy(),
            "name": m["name"].reindex(t["municipality_code"]).to_numpy(),
            "question_id": t["question_id"].astype(str).to_numpy(),
            "row_id": t["row_id"].astype(str).to_numpy(),
            "option_id": t["option_id"].astype(str).to_numpy(),
            "text": t["free_text"].astype(str).to_numpy(),
        })

    return data_index(data).memo("free-text", build)


def _texts_by_question(data: ProcessedData) -> dict[str, pd.DataFrame]:
    """The free texts split by question once per data set (a report asks for every section)."""
    def build() -> dict[str, pd.DataFrame]:
        t = _all_texts(data)
        return {str(k): t.iloc[v] for k, v in t.groupby("question_id", sort=False).indices.items()}

    return data_index(data).memo("free-text-by-question", build)


def free_text_for(data: ProcessedData, question_id: str, code: str | None = None,
                  pref_code: str | None = None) -> pd.DataFrame:
    """Free-text answers of one question: of a municipality (``code``) or of a prefecture (``pref_code``).

    Ordered by municipality code, matrix row and option; columns :data:`COLUMNS`.
    """
    q = data.codebook[question_id]
    t = _texts_by_question(data).get(q.id)
    if t is None:
        t = _all_texts(data).iloc[0:0]
    if code:
        t = t[t["code"] == code]
    if pref_code:
        t = t[t["pref_code"] == pref_code]
    t = t.assign(row_label=[q.row(r).label if r else "" for r in t["row_id"]],
                 option_label=[q.option_label(o) for o in t["option_id"]])
    return t.sort_values(["code", "row_id", "option_id"])[COLUMNS].reset_index(drop=True)

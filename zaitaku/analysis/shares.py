"""Shares of each option by scope (municipality, prefecture, nation, peer group), computed at ingest.

Rules: the base of a question is the municipalities that were asked it (conditional questions)
and responded; 未回答 is an option of its own (``na``) so the shares of a single-choice question
add to 100%; a multi-select share is the share of asked municipalities that selected the option.
An option group declared in the codebook (``grp:<id>``, e.g. 協力している = A+B+C) counts a
municipality once when it selected any member. The ``type`` scope is the peer group
(:func:`peer_group`): 政令指定都市 and 中核市 are their own kind. This module depends on the
reference data only: the processed set (:mod:`zaitaku.analysis.processed`) and the comparisons
(:mod:`zaitaku.analysis.aggregate`) both build on it.
"""

from __future__ import annotations

import pandas as pd

from zaitaku.analysis.schema import shares_schema
from zaitaku.reference.codebook import GROUP_PREFIX, Codebook, load_codebook

KEYS = ["question_id", "row_id", "option_id"]
NATION_LABEL = "全国"


def peer_group(type_: str, core_city: bool = False) -> str:
    """A municipality's own kind: 政令指定都市, 中核市, 市 (other cities), 町, 村 or 特別区."""
    return "中核市" if type_ == "市" and bool(core_city) else type_


def peers_of(municipalities: pd.DataFrame) -> pd.Series:
    core = municipalities.get("core_city", False)
    return pd.Series([peer_group(t, c) for t, c in zip(municipalities["type"], pd.Series(core, index=municipalities.index),
                                                       strict=True)], index=municipalities.index)


def with_option_groups(responses: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The responses plus one virtual option ``grp:<id>`` per declared option group.

    Its value is 1 when any member was selected, 0 when none, NA when the question was not asked.
    """
    parts = [responses]
    ids = ["survey_year", "municipality_code", "question_id", "row_id"]
    for q in codebook:
        for g in q.option_groups:
            r = responses[(responses["question_id"] == q.id) & responses["option_id"].isin(g.options)]
            if r.empty:
                continue
            v = r.groupby(ids, observed=True, sort=False)["value"].max(min_count=1).reset_index()
            parts.append(v.assign(option_id=g.option_id, free_text=pd.NA)[responses.columns])
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"value": "Int8", "free_text": "string"})


def compute_shares(responses: pd.DataFrame, municipalities: pd.DataFrame) -> pd.DataFrame:
    """All scopes and option groups at once, validated against :data:`zaitaku.analysis.schema.shares_schema`."""
    year = responses["survey_year"].iloc[0] if len(responses) else ""
    if len(responses):
        responses = with_option_groups(responses, load_codebook(str(year)))
    attrs = municipalities.set_index("code")[["pref_code"]].assign(peer=peers_of(municipalities).to_numpy())
    df = responses.join(attrs, on="municipality_code")
    asked = df["value"].notna()
    df = df.assign(n_selected=df["value"].fillna(0).astype("int64"), n_base=asked.astype("int64"))
    parts = [
        df.assign(scope="municipality", scope_code=df["municipality_code"])[
            ["scope", "scope_code", *KEYS, "n_selected", "n_base"]
        ]
    ]
    for scope, col in (("prefecture", "pref_code"), ("type", "peer")):
        g = df.groupby([col, *KEYS], observed=True, sort=False)[["n_selected", "n_base"]].sum().reset_index()
        parts.append(g.rename(columns={col: "scope_code"}).assign(scope=scope))
    g = df.groupby(KEYS, observed=True, sort=False)[["n_selected", "n_base"]].sum().reset_index()
    parts.append(g.assign(scope="nation", scope_code=NATION_LABEL))
    out = pd.concat(parts, ignore_index=True)
    base = out["n_base"].where(out["n_base"] > 0)
    out["share"] = (out["n_selected"] / base).astype("float64")
    out["survey_year"] = year
    out["source"] = "computed"
    cols = ["survey_year", "scope", "scope_code", *KEYS, "n_selected", "n_base", "share", "source"]
    return shares_schema.validate(out[cols])


def check_single_sums(shares: pd.DataFrame, codebook: Codebook, tol: float = 1e-9) -> list[str]:
    """Sanity check (owid/etl style): single-choice shares incl. 未回答 add to 1 wherever n_base > 0."""
    single = [q.id for q in codebook if not q.is_multi]
    s = shares[shares["question_id"].isin(single) & (shares["n_base"] > 0)
               & ~shares["option_id"].str.startswith(GROUP_PREFIX)]
    sums = s.groupby(["scope", "scope_code", "question_id", "row_id"])["share"].sum()
    bad = sums[(sums - 1).abs() > tol]
    return [f"{k}: {v:.6f}" for k, v in bad.items()]

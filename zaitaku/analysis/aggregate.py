"""Shares of each option by scope (municipality, prefecture, nation, municipality type).

Rules: the base of a question is the municipalities that were
asked it (conditional questions) and responded; 未回答 is an option of its own (``na``) so the
shares of a single-choice question add to 100%; a multi-select share is the share of asked
municipalities that selected the option. Small bases are a presentation matter (:mod:`zaitaku.report.format`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from zaitaku.analysis.processed import ProcessedData, load_processed  # noqa: F401  (re-exported)
from zaitaku.analysis.schema import shares_schema
from zaitaku.reference.codebook import NO_ANSWER, Codebook

# ProcessedData and load_processed are re-exported: callers import them from here or from .processed

SCOPES = ("municipality", "prefecture", "nation", "type")
KEYS = ["question_id", "row_id", "option_id"]


def compute_shares(responses: pd.DataFrame, municipalities: pd.DataFrame) -> pd.DataFrame:
    """All scopes at once, validated against :data:`zaitaku.analysis.schema.shares_schema`."""
    attrs = municipalities.set_index("code")[["pref_code", "type"]]
    df = responses.join(attrs, on="municipality_code")
    asked = df["value"].notna()
    df = df.assign(n_selected=df["value"].fillna(0).astype("int64"), n_base=asked.astype("int64"))
    year = df["survey_year"].iloc[0] if len(df) else ""
    parts = [
        df.assign(scope="municipality", scope_code=df["municipality_code"])[
            ["scope", "scope_code", *KEYS, "n_selected", "n_base"]
        ]
    ]
    for scope, col in (("prefecture", "pref_code"), ("type", "type")):
        g = df.groupby([col, *KEYS], observed=True, sort=False)[["n_selected", "n_base"]].sum().reset_index()
        parts.append(g.rename(columns={col: "scope_code"}).assign(scope=scope))
    g = df.groupby(KEYS, observed=True, sort=False)[["n_selected", "n_base"]].sum().reset_index()
    parts.append(g.assign(scope="nation", scope_code="全国"))
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
    s = shares[shares["question_id"].isin(single) & (shares["n_base"] > 0)]
    sums = s.groupby(["scope", "scope_code", "question_id", "row_id"])["share"].sum()
    bad = sums[(sums - 1).abs() > tol]
    return [f"{k}: {v:.6f}" for k, v in bad.items()]


def answer_of(data: ProcessedData, code: str, question_id: str) -> pd.DataFrame:
    """A municipality's answer rows of one question (value NA = not asked)."""
    r = data.municipality_responses(code)
    return r[r["question_id"] == question_id]


def scope_shares(data: ProcessedData, question_id: str, scope: str, scope_code: str) -> pd.DataFrame:
    s = data.question_shares(question_id)
    return s[(s["scope"] == scope) & (s["scope_code"] == scope_code)]


def selected_options(data: ProcessedData, code: str, question_id: str, row_id: str = "") -> list[str] | None:
    """Options a municipality selected (``["na"]`` for 未回答); None when it was not asked."""
    a = answer_of(data, code, question_id)
    a = a[a["row_id"] == row_id]
    if a.empty or a["value"].isna().all():
        return None
    return a.loc[a["value"] == 1, "option_id"].tolist() or [NO_ANSWER]


def covers_nation(data: ProcessedData, fraction: float = 0.9) -> bool:
    """Whether the processed data answers for (nearly) every municipality of the country."""
    m = data.municipalities
    return bool(len(m)) and int(m["responded"].sum()) >= fraction * len(m)


@dataclass(frozen=True)
class Focus:
    """Whom a report is about: a municipality (``code``) or, in prefecture mode, a prefecture."""

    pref_code: str
    pref_name: str
    code: str | None = None
    name: str | None = None
    type: str | None = None

    @property
    def is_prefecture_mode(self) -> bool:
        return self.code is None

    @property
    def label(self) -> str:
        return self.name if self.code else self.pref_name


def focus_of(data: ProcessedData, municipality_code: str = "", prefecture: str = "") -> Focus:
    """Resolve report parameters (code, or prefecture in prefecture mode) against the registry."""
    from zaitaku.reference.municipalities import normalize_code, normalize_prefecture

    m = data.municipalities
    if municipality_code:
        code = normalize_code(municipality_code)
        row = m[m["code"] == code]
        if row.empty:
            raise ValueError(f"municipality_code {municipality_code!r}: not in the municipality registry")
        r = row.iloc[0]
        return Focus(r["pref_code"], r["prefecture"], code, r["name"], r["type"])
    if not prefecture:
        raise ValueError("give municipality_code, or prefecture for prefecture mode")
    pc = normalize_prefecture(prefecture)
    names = m.loc[m["pref_code"] == pc, "prefecture"]
    return Focus(pc, names.iloc[0] if len(names) else pc)


def comparison(data: ProcessedData, question_id: str, focus: Focus, national: str = "computed") -> pd.DataFrame:
    """The figures behind one chart: each scope's n and share per row and option, labelled.

    Scopes in display order: the municipality (if any), its prefecture, municipalities of the same
    type nationwide (if any), the nation. ``national="published"`` swaps in the published national
    figures where they exist (see :mod:`zaitaku.reference.published`); where they do not, the nation computed
    from the data is kept only if the data covers the nation (:func:`covers_nation`).
    """
    q = data.codebook[question_id]
    wanted = []
    if focus.code:
        wanted.append(("municipality", focus.code, focus.name))
    wanted.append(("prefecture", focus.pref_code, focus.pref_name))
    if focus.type and covers_nation(data):  # a same-type bar from one prefecture's data would mislead
        wanted.append(("type", focus.type, f"全国の{focus.type}"))
    wanted.append(("nation", "全国", "全国"))
    s = data.question_shares(question_id)
    parts = []
    for order, (scope, code, label) in enumerate(wanted):
        part = s[(s["scope"] == scope) & (s["scope_code"] == code)]
        if scope == "nation" and national == "published":
            from zaitaku.reference.published import published_comparison

            pub = published_comparison(question_id, data.meta.get("survey_year", "R3"))
            if pub is not None:
                part, label = pub, pub.attrs.get("label", "全国（公表値）")
            elif not covers_nation(data):
                continue  # no published figure, and the data is not the nation: no national bar
        parts.append(part.assign(scope=scope, scope_code=code, scope_label=label, scope_order=order))
    out = pd.concat(parts, ignore_index=True)
    row_order = {r: i for i, r in enumerate(q.row_ids)}
    opt_order = {o: i for i, o in enumerate([*q.option_ids, NO_ANSWER])}
    out["row_label"] = out["row_id"].map(lambda r: q.row(r).label if r else "")
    out["option_label"] = out["option_id"].map(q.option_label)
    out["row_order"] = out["row_id"].map(row_order)
    out["option_order"] = out["option_id"].map(opt_order)
    out = out.sort_values(["row_order", "scope_order", "option_order"]).reset_index(drop=True)
    cols = ["question_id", "row_id", "row_label", "scope", "scope_code", "scope_label", "option_id",
            "option_label", "n_selected", "n_base", "share", "source"]
    return out[cols]

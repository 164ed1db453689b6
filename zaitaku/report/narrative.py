"""One or two generated Japanese sentences under each chart.

Each function takes the :func:`zaitaku.analysis.aggregate.comparison` frame of one question (or one row of
a matrix), the report's :class:`~zaitaku.analysis.aggregate.Focus` and what the municipality selected.
Bases under ``SMALL_N`` are stated as counts, never as percentages.
"""

from __future__ import annotations

import pandas as pd

from zaitaku.analysis.aggregate import Focus
from zaitaku.reference.codebook import NO_ANSWER, Question
from zaitaku.report import format as fmt
from zaitaku.report.format import SMALL_N

fmt_share = fmt.count_share
fmt_pct = fmt.pct


def _nat(nat: pd.DataFrame, oid: str) -> str:
    """The nation's figure for one option: a share, or a count when the base is small."""
    if oid not in nat.index or pd.isna(nat.loc[oid, "n_base"]) or not nat.loc[oid, "n_base"]:
        return "–"
    r = nat.loc[oid]
    if fmt.is_small(r["n_base"]):
        return f"{int(r['n_selected'])}/{int(r['n_base'])}市町村"
    return fmt_pct(r["share"])


def _scope(df: pd.DataFrame, scope: str) -> pd.DataFrame:
    return df[df["scope"] == scope].set_index("option_id")


def _top_option(sub: pd.DataFrame) -> tuple[str, pd.Series] | None:
    real = sub.drop(index=NO_ANSWER, errors="ignore")
    if real.empty or real["n_selected"].fillna(0).max() == 0:
        return None
    oid = real["n_selected"].astype(float).idxmax()
    return oid, real.loc[oid]


def not_asked_sentence(q: Question, focus: Focus, codebook) -> str:
    cond = q.asked_if.describe(codebook) if q.asked_if else ""
    return f"{focus.name}はこの設問の対象外です（{cond}が回答）。比較は回答対象となった市町村で行っています。"


def single_sentence(df: pd.DataFrame, focus: Focus, selected: list[str] | None) -> str:
    pref, nat = _scope(df, "prefecture"), _scope(df, "nation")
    n_pref = pref["n_base"].max()
    nat_label = nat["scope_label"].iloc[0] if len(nat) else "全国"
    if focus.is_prefecture_mode or not selected:
        top = _top_option(pref)
        if top is None:
            return f"{focus.pref_name}には回答対象の市町村がありません。"
        oid, r = top
        lead = f"{focus.name}は未回答です。" if selected == [NO_ANSWER] else ""
        where = "県内" if focus.pref_name.endswith("県") else f"{focus.pref_name}内"
        return (f"{lead}{where}{int(n_pref)}市町村で最も多い回答は『{r['option_label']}』で"
                f"{fmt_share(r['n_selected'], r['n_base'])}、{nat_label}では{_nat(nat, oid)}です。")
    oid = selected[0]
    r = pref.loc[oid]
    where = "県内" if focus.pref_name.endswith("県") else f"{focus.pref_name}内"
    return (f"{focus.name}は『{r['option_label']}』と回答。{where}{int(n_pref)}市町村のうち"
            f"{fmt_share(r['n_selected'], r['n_base'])}、{nat_label}では{_nat(nat, oid)}が同じ回答です。")


def multi_sentence(df: pd.DataFrame, focus: Focus, selected: list[str] | None) -> str:
    pref, nat = _scope(df, "prefecture"), _scope(df, "nation")
    nat_label = nat["scope_label"].iloc[0] if len(nat) else "全国"
    parts = []
    if not focus.is_prefecture_mode:
        if selected == [NO_ANSWER]:
            parts.append(f"{focus.name}は未回答です。")
        elif selected:
            labels = "』『".join(pref.loc[o, "option_label"] for o in selected if o in pref.index)
            parts.append(f"{focus.name}が選んだのは『{labels}』（{len(selected)}項目）。")
    top = _top_option(pref)
    if top:
        oid, r = top
        parts.append(f"{focus.pref_name}で最も多いのは『{r['option_label']}』で"
                     f"{int(r['n_base'])}市町村のうち{fmt_share(r['n_selected'], r['n_base'])}、"
                     f"{nat_label}では{_nat(nat, oid)}です。")
    gaps = []
    if len(nat) and pref["n_base"].max() >= SMALL_N:
        diff = (pref["share"] - nat["share"]).drop(index=NO_ANSWER, errors="ignore").dropna()
        for oid, d in diff.items():
            if abs(d) >= 0.15:
                gaps.append(f"『{pref.loc[oid, 'option_label']}』は{nat_label}より{abs(d) * 100:.0f}ポイント"
                            + ("高く" if d > 0 else "低く"))
    if gaps:
        parts.append("、".join(gaps[:2]) + "なっています。")
    return "".join(parts)


def matrix_sentence(df: pd.DataFrame, q: Question, focus: Focus, selected: dict[str, list[str]] | None) -> str:
    first = q.options[0]
    pref = df[(df["scope"] == "prefecture") & (df["option_id"] == first.id)].set_index("row_id")
    pref = pref[pref["n_base"] > 0]
    parts = []
    if selected and not focus.is_prefecture_mode:
        asked = [r for r, v in selected.items() if v is not None]
        hit = [r for r in asked if first.id in (selected[r] or [])]
        if asked:
            parts.append(f"{focus.name}が『{first.label}』と回答したのは{len(asked)}項目中{len(hit)}項目です。")
    if len(pref) and pref["n_base"].max() >= SMALL_N:
        hi, lo = pref["share"].idxmax(), pref["share"].idxmin()
        parts.append(f"{focus.pref_name}で『{first.label}』の割合が最も高いのは『{pref.loc[hi, 'row_label']}』"
                     f"（{fmt_pct(pref.loc[hi, 'share'])}）、最も低いのは『{pref.loc[lo, 'row_label']}』"
                     f"（{fmt_pct(pref.loc[lo, 'share'])}）です。")
    elif len(pref):
        parts.append(f"{focus.pref_name}の回答対象は{int(pref['n_base'].max())}市町村のため、割合ではなく数で示しています。")
    return "".join(parts)

"""The generated Japanese sentences under each chart.

Each function takes the :func:`zaitaku.analysis.aggregate.comparison` frame of one question, the
report's :class:`~zaitaku.analysis.aggregate.Focus` and what the municipality selected. Rules:

- a base under ``SMALL_N`` is stated as a count, never as a percentage;
- one precision per sentence: whole percents (「15（79%）」, 「42%」);
- ties are named together (『A』と『B』がともに15（79%））;
- gaps are chosen by size (largest first, at least :data:`GAP_MIN`), not by questionnaire order;
- matrix sentences name the items;
- missing data is described as missing (「回答がありません」), never as 対象外;
- the municipality's own answer comes first, set against its prefecture and its own kind.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zaitaku.analysis.aggregate import Focus
from zaitaku.reference.codebook import NO_ANSWER, Question
from zaitaku.report import format as fmt
from zaitaku.report.format import SMALL_N

GAP_MIN = 0.15  # a prefecture–nation difference worth a sentence (15 points)
MAX_NAMED = 4  # items named in one sentence before 「など」


def _pct(share: object) -> str:
    return fmt.pct(share, 0)


def _n(sub: pd.DataFrame) -> int:
    """The base of a scope (0 when it has no figures)."""
    if sub.empty or not sub["n_base"].notna().any():
        return 0
    return int(sub["n_base"].max())


def _fig(r: pd.Series) -> str:
    """One scope's figure in a sentence: 「15（79%）」, 「3/4市町村」 under the small-n rule, or 「42%」."""
    if pd.isna(r["share"]):
        return fmt.MISSING
    if pd.isna(r["n_base"]):
        return _pct(r["share"])
    if r["scope"] == "prefecture":  # its base is named in the sentence: 「19市町村のうち15（79%）」
        return fmt.count_share(r["n_selected"], r["n_base"])
    if fmt.is_small(r["n_base"]):
        return f"{int(r['n_selected'])}/{int(r['n_base'])}市町村"
    return _pct(r["share"])


def _scope(df: pd.DataFrame, scope: str, row: str | None = None, groups: bool = False) -> pd.DataFrame:
    mask = df["scope"].to_numpy() == scope  # one mask, one take: sentences are built for every section
    if row is not None:
        mask &= df["row_id"].to_numpy() == row
    if not groups and "is_group" in df:
        mask &= ~df["is_group"].to_numpy(dtype=bool)
    return df.iloc[np.flatnonzero(mask)].set_index("option_id")


def _quote(labels: list[str]) -> str:
    """『A』と『B』, or 『A』『B』『C』など for long lists."""
    shown = labels[:MAX_NAMED]
    more = "など" if len(labels) > MAX_NAMED else ""
    if len(shown) == 2:
        return f"『{shown[0]}』と『{shown[1]}』{more}"
    return "".join(f"『{x}』" for x in shown) + more


def _top(sub: pd.DataFrame) -> list[str]:
    """Option ids with the largest count (ties together), 未回答 excluded; [] when nobody chose any."""
    real = sub.drop(index=NO_ANSWER, errors="ignore")
    counts = real["n_selected"].astype("Float64").fillna(0)
    if real.empty or counts.max() == 0:
        return []
    return [o for o, c in counts.items() if c == counts.max()]


def _where(focus: Focus) -> str:
    return "県内" if focus.pref_name.endswith("県") else f"{focus.pref_name}内"


def _others(df: pd.DataFrame, oids: list[str], row: str | None = None) -> str:
    """「全国の中核市（n=62）では65%、全国では67%」 for the peer and national scopes present."""
    parts = []
    for scope in ("type", "nation"):
        sub = _scope(df, scope, row, groups=True)
        if sub.empty:
            continue
        label = sub["scope_label"].iloc[0]
        figs = [_fig(sub.loc[o]) if o in sub.index else fmt.MISSING for o in oids]
        parts.append(f"{label}では{'・'.join(figs)}" + ("（順に）" if len(figs) > 1 else ""))
    return "、".join(parts)


def no_data_sentence(focus: Focus) -> str:
    """A municipality without data, or a prefecture without any responding municipality."""
    if focus.code:
        return f"{focus.name}はこの設問に回答がありません。"
    return f"{focus.pref_name}にはこの設問に回答した市町村がありません。"


def not_asked_sentence(q: Question, focus: Focus, codebook) -> str:
    cond = q.asked_if.describe(codebook) if q.asked_if else ""
    return f"{focus.name}はこの設問の対象外です（対象は{cond}）。"


def _responded(df: pd.DataFrame, focus: Focus) -> bool:
    return not focus.code or not df[df["scope"] == "municipality"].empty


def _group_sentence(df: pd.DataFrame, q: Question, focus: Focus, row: str = "") -> str:
    """The declared option groups of a non-matrix question: 『委託している』は県内で…、全国では…."""
    out = []
    for g in q.option_groups:
        pref = _scope(df, "prefecture", row, groups=True)
        if g.option_id not in pref.index or not _n(pref):
            continue
        others = _others(df, [g.option_id], row)
        out.append(f"『{g.label}』は{_where(focus)}では{_fig(pref.loc[g.option_id])}"
                   + (f"、{others}" if others else "") + "です。")
    return "".join(out)


def single_sentence(df: pd.DataFrame, focus: Focus, selected: list[str] | None, q: Question | None = None) -> str:
    pref = _scope(df, "prefecture")
    n_pref = _n(pref)
    if not _responded(df, focus):
        lead = no_data_sentence(focus)
    elif focus.code and selected and selected != [NO_ANSWER] and selected[0] in pref.index:
        oid = selected[0]
        others = _others(df, [oid])
        label = str(pref.loc[oid, "option_label"])
        about = f"「{q.title}」について" if q is not None and len(label) <= 4 else ""  # 『ある』 alone says little
        return (f"{focus.name}は{about}『{label}』と回答。{_where(focus)}{n_pref}市町村のうち"
                f"{_fig(pref.loc[oid])}" + (f"、{others}" if others else "") + "が同じ回答です。"
                + (_group_sentence(df, q, focus) if q is not None else ""))
    else:
        lead = f"{focus.name}は未回答です。" if focus.code and selected == [NO_ANSWER] else ""
    if not n_pref:
        return lead if focus.code else no_data_sentence(focus)
    top = _top(pref)
    if not top:
        return lead + f"{_where(focus)}{n_pref}市町村で選択肢を選んだ市町村はありません。"
    labels = [str(pref.loc[o, "option_label"]) for o in top]
    others = _others(df, top)
    both = "ともに" if len(top) > 1 else ""
    return (lead + f"{_where(focus)}{n_pref}市町村で最も多い回答は{_quote(labels)}で{both}{_fig(pref.loc[top[0]])}"
            + (f"、{others}" if others else "") + "です。" + (_group_sentence(df, q, focus) if q is not None else ""))


def _gaps(pref: pd.DataFrame, nat: pd.DataFrame) -> list[tuple[str, float]]:
    """(option id, prefecture − nation) with |gap| ≥ GAP_MIN, largest first (ties in questionnaire order)."""
    if nat.empty or _n(pref) < SMALL_N:
        return []
    diff = (pref["share"] - nat["share"].reindex(pref.index)).drop(index=NO_ANSWER, errors="ignore").dropna()
    order = {o: i for i, o in enumerate(pref.index)}
    big = [(str(o), float(d)) for o, d in diff.items() if abs(d) >= GAP_MIN]
    return sorted(big, key=lambda t: (-round(abs(t[1]), 9), order[t[0]]))


def multi_sentence(df: pd.DataFrame, focus: Focus, selected: list[str] | None) -> str:
    pref, nat = _scope(df, "prefecture"), _scope(df, "nation")
    parts = []
    if not _responded(df, focus):
        parts.append(no_data_sentence(focus))
    elif focus.code:
        if selected == [NO_ANSWER]:
            parts.append(f"{focus.name}は未回答です。")
        elif selected:
            labels = [str(pref.loc[o, "option_label"]) for o in selected if o in pref.index]
            parts.append(f"{focus.name}が選んだのは{_quote(labels)}（{len(selected)}項目）です。")
    if not _n(pref):
        return "".join(parts) or no_data_sentence(focus)
    top = _top(pref)
    if top:
        labels = [str(pref.loc[o, "option_label"]) for o in top]
        both = "ともに" if len(top) > 1 else ""
        others = _others(df, top)
        parts.append(f"{focus.pref_name}で最も多いのは{_quote(labels)}で{_n(pref)}市町村のうち{both}"
                     f"{_fig(pref.loc[top[0]])}" + (f"、{others}" if others else "") + "です。")
    gaps = _gaps(pref, nat)[:2]
    if gaps:
        nat_label = nat["scope_label"].iloc[0]
        said = [f"『{pref.loc[o, 'option_label']!s}』は{nat_label}より{abs(d) * 100:.0f}ポイント"
                + ("高く" if d > 0 else "低く") for o, d in gaps]
        parts.append("、".join(said) + "なっています。")
    return "".join(parts)


def _row_share(df: pd.DataFrame, q: Question, scope: str) -> pd.DataFrame:
    """Per matrix row: the share (and base) that chose the positive option (group) in one scope."""
    pos = q.positive[0]
    d = df[(df["scope"] == scope) & (df["option_id"] == pos)].set_index("row_id")
    return d[d["n_base"].fillna(0) > 0]


def matrix_sentence(df: pd.DataFrame, q: Question, focus: Focus, selected: dict[str, list[str] | None] | None) -> str:
    _, pos_label, members = q.positive
    parts = []
    if focus.code and not _responded(df, focus):
        parts.append(no_data_sentence(focus))
    elif selected and focus.code:
        asked = [r for r, v in selected.items() if v is not None]
        hit = [r for r in asked if set(selected[r] or []) & set(members)]
        miss = [r for r in asked if r not in hit]
        if asked:
            label = lambda rows: _quote([q.row(r).label for r in rows])  # noqa: E731
            if not hit:
                parts.append(f"{focus.name}は{len(asked)}項目のいずれにも『{pos_label}』と回答していません。")
            elif not miss:
                parts.append(f"{focus.name}は{len(asked)}項目すべてに『{pos_label}』と回答しています。")
            elif len(hit) <= len(miss):
                parts.append(f"{focus.name}が『{pos_label}』と回答したのは{label(hit)}の{len(hit)}項目"
                             f"（{len(asked)}項目中）です。")
            else:
                parts.append(f"{focus.name}は{len(asked)}項目中{len(hit)}項目で『{pos_label}』と回答し、"
                             f"そうでないのは{label(miss)}です。")
    pref = _row_share(df, q, "prefecture")
    if not len(pref):
        if not focus.code:
            return no_data_sentence(focus)
        return "".join(parts)
    n = int(pref["n_base"].max())
    if n < SMALL_N:
        parts.append(f"{focus.pref_name}の回答対象は{n}市町村のため、割合ではなく数で示しています。")
        return "".join(parts)
    shares = pref["share"].round(9)
    hi = [r for r in pref.index if shares[r] == shares.max()]
    lo = [r for r in pref.index if shares[r] == shares.min()]
    rl = lambda rows: _quote([pref.loc[r, "row_label"] for r in rows])  # noqa: E731
    both = lambda rows: "ともに" if len(rows) > 1 else ""  # noqa: E731
    if shares.max() == shares.min():
        parts.append(f"{focus.pref_name}で『{pos_label}』の割合はすべての項目で{_pct(shares.max())}です。")
    else:
        parts.append(f"{focus.pref_name}で『{pos_label}』の割合が最も高いのは{rl(hi)}で{both(hi)}"
                     f"{_pct(shares.max())}、最も低いのは{rl(lo)}で{both(lo)}{_pct(shares.min())}です。")
    return "".join(parts)


# ------------------------------------------------------------------ the page's まとめ (from analysis.standing)

STANDING_NAMED = 3  # items named per list in the まとめ sentences


def _item_list(gaps, focus: Focus) -> str:
    where = "全国" if focus.is_prefecture_mode else None
    parts = []
    for g in gaps[:STANDING_NAMED]:
        if where:
            parts.append(f"『{g.item.label}』（{focus.pref_name}{_pct(g.value)}、全国{_pct(g.share)}）")
        else:
            parts.append(f"『{g.item.label}』（実施{_pct(g.share)}）")
    return "、".join(parts)


def standing_sentences(summary) -> list[str]:
    """The まとめ of a page from :func:`zaitaku.analysis.standing.summary_for`: where the focus stands
    against its prefecture and its own kind (largest gaps first), then who to learn from."""
    f = summary.focus
    out: list[str] = []
    refs = dict.fromkeys(g.reference_label for g in summary.ahead + summary.behind)
    for label in refs:
        ahead = [g for g in summary.ahead if g.reference_label == label]
        behind = [g for g in summary.behind if g.reference_label == label]
        n = max((g.n for g in ahead + behind), default=0)
        who = f"{label}（n={n:,}）" if f.code and "n=" not in label else label
        parts = []
        if ahead:
            parts.append(f"進んでいるのは{_item_list(ahead, f)}")
        if behind:
            parts.append(f"遅れているのは{_item_list(behind, f)}")
        out.append(f"{who}と比べて、" + "、".join(parts) + "です。")
    if not refs and not summary.notes:
        out.append(f"{f.label}は、比べた範囲で大きな差のある項目はありません。")
    out += summary.notes
    for lf in summary.learn_from:
        names = "、".join(e.name if e.same_prefecture else f"{e.name}（{e.pref_name}）" for e in lf.exemplars)
        out.append(f"『{lf.item.label}』は{names}が実施しています。")
    if summary.stand_out:
        names = "、".join(f"{e.name}（{e.asked}項目中{e.related}項目）" for e in summary.stand_out)
        out.append(f"{f.pref_name}で実施している項目の割合が高いのは{names}です。")
    return out

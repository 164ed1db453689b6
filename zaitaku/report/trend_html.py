"""年度の推移 in a report: under each question, the figures of every comparable survey year the
processed folder holds (:mod:`zaitaku.analysis.trend`), the change in the deck's manner, and why a
year is compared with caution or not at all."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from zaitaku.analysis.aggregate import Focus
from zaitaku.analysis.processed import ProcessedData, year_order
from zaitaku.analysis.trend import Change, change_sentence, changes, not_compared, trend
from zaitaku.reference.codebook import NO_ANSWER, Question
from zaitaku.reference.published import year_ja
from zaitaku.report import format as fmt
from zaitaku.report import html as rh

SENTENCES = 3


def headline_options(q: Question) -> list[str]:
    """The options a trend states: the first option group (協力している …), else option 1 of a single
    choice, else every option of a multi-select but the exclusive ones."""
    if q.option_groups:
        return [q.option_groups[0].option_id]
    if q.is_multi:
        return [o.id for o in q.options if not o.exclusive]
    return [q.option_ids[0]]


def _own_answer(df: pd.DataFrame, q: Question, focus: Focus) -> str:
    own = df[(df["scope"] == "municipality") & (df["n_selected"].fillna(0).astype(int) > 0)
             & ~df["option_id"].str.startswith("grp:")]
    if not focus.code or own.empty or q.is_matrix:
        return ""
    parts = []
    for year, g in own.groupby("survey_year", sort=False):
        labels = [q.option_label(o) if o != NO_ANSWER else "未回答" for o in g["option_id"]]
        parts.append(f"{year_ja(str(year))}「{'・'.join(labels)}」")
    return f"{focus.name}の回答：" + " → ".join(parts)


def trend_table(df: pd.DataFrame, q: Question, options: list[str]) -> pd.DataFrame:
    """Scopes (× items/options) down, years across; cells 「42.1%（8/19）」."""
    d = df[df["option_id"].isin(options) & (df["scope"] != "municipality")].copy()
    d["値"] = [fmt.table_cell(s, b, sh) + ("（注意）" if c == "caution" and sc != "reference" else "")
              for s, b, sh, c, sc in zip(d["n_selected"], d["n_base"], d["share"], d["comparability"], d["scope"],
                                         strict=True)]
    d["集計範囲"] = [("参考：全国公表値" if sc == "reference" else str(lab)) for sc, lab in zip(d["scope"], d["scope_label"], strict=True)]
    d["集計範囲"] = d["集計範囲"].str.replace(r"（n=[\d,]+）$", "", regex=True)
    d["項目"] = [(q.row(r).label + "：" if r else "") + q.option_label(o) for r, o in zip(d["row_id"], d["option_id"], strict=True)]
    order = sorted(dict.fromkeys(zip(d["survey_year"], d["year_label"], strict=True)), key=lambda t: year_order(t[0]))
    wide = d.pivot_table(index=["項目", "集計範囲"], columns="year_label", values="値", aggfunc="first", sort=False)
    wide = wide.reindex(columns=[label for _, label in order]).fillna(fmt.MISSING)
    wide.columns.name = None
    return wide


def trend_html(years: Mapping[str, ProcessedData], year: str, q: Question, focus: Focus, national: str) -> str:
    """The 年度の推移 block of one question ("" when the folder holds one year only)."""
    held = [y for y in sorted(years, key=year_order) if year_order(y) <= year_order(year)]
    if len(held) < 2:
        return ""
    df = trend(years, year, q.id, focus, national)
    notes = [f"{year_ja(y)}とは比較しません（{link.reason}）。" for y, link in not_compared(years, year, q.id)]
    compared = [y for y in held if y != year and y in set(df["survey_year"])]
    if df.empty or not compared:
        return rh.render("trend.html.j2", q=q, years="・".join(map(year_ja, held)), sentences=[], own="",
                         table=rh.markup(""), notes=notes or ["比較できる年度がありません。"])
    options = headline_options(q)
    last = compared[-1]
    found: list[Change] = [c for c in changes(df, q, last, year) if any(
        c.option_label.startswith(q.option_label(o)) or c.option_label.endswith(f"{q.option_label(o)}）") for o in options)]
    sentences = [change_sentence(c) for c in found[:SENTENCES]]
    reasons = dict.fromkeys(str(r) for r, c in zip(df["reason"], df["comparability"], strict=True)
                            if c == "caution" and r)
    notes += [f"比較に注意：{r}" for r in reasons]
    table = trend_table(df, q, options).to_html(classes="trend-table", border=0, escape=True)
    return rh.render("trend.html.j2", q=q, years="・".join(map(year_ja, held)), sentences=sentences,
                     own=_own_answer(df, q, focus), table=rh.markup(table), notes=notes)


def largest_changes(years: Mapping[str, ProcessedData], year: str, questions: list[Question], focus: Focus,
                    national: str, scope: str = "prefecture", top: int = 3) -> list[str]:
    """まとめ: the largest changes since the previous comparable year, in the deck's manner."""
    held = [y for y in sorted(years, key=year_order) if year_order(y) < year_order(year)]
    if not held:
        return []
    found: list[tuple[float, str]] = []
    for q in questions:
        df = trend(years, year, q.id, focus, national)
        for prev in reversed(held):
            if prev in set(df["survey_year"]):
                break
        else:
            continue
        options = set(headline_options(q))
        for c in changes(df, q, prev, year, scope):
            if not any(c.option_label.startswith(q.option_label(o)) for o in options):
                continue
            if scope == "municipality":  # one answer: chosen or not, no share to speak of
                if c.share_a != c.share_b:
                    how = "新たに選んでいます" if c.share_b > c.share_a else "選ばなくなりました"
                    found.append((100.0, f"{q.number} {q.title}：{focus.name}は『{c.option_label}』を"
                                         f"{year_ja(year)}に{how}（{year_ja(prev)}との比較）。"))
            elif not c.small:
                found.append((abs(c.points), f"{q.number} {q.title}：{change_sentence(c)}"))
    return [text for _, text in sorted(found, key=lambda t: -t[0])[:top]]

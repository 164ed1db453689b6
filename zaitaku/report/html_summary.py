"""Plain Japanese lines for a report's まとめ, data-problem note and 「その他」 text.

The analysis is :mod:`zaitaku.analysis.standing`, :mod:`zaitaku.analysis.problems` and
:mod:`zaitaku.analysis.free_text`; this module only words it for the templates (which escape it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from zaitaku.analysis.standing import Exemplar, Gap, Summary
from zaitaku.report import format as fmt


@dataclass
class SummaryPart:
    title: str
    entries: list[str] = field(default_factory=list)
    empty: str = "該当する項目はありません。"


@dataclass
class SummaryView:
    parts: list[SummaryPart]
    rules: list[str]
    notes: list[str]


def _gap(g: Gap, who: str, prefecture_mode: bool) -> str:
    item = f"{g.item.number} {g.item.label}"
    if prefecture_mode:
        return (f"{item}：{who} {fmt.pct(g.value)}、{g.reference_label} {fmt.pct(g.share)}"
                f"（差 {g.gap:+.0f}ポイント）")
    did = "実施" if g.value >= 1 else "未実施"
    return (f"{item}：{who}は{did}、{g.reference_label}は {fmt.pct(g.share)}が実施"
            f"（差 {g.gap:+.0f}ポイント）")


def _exemplar(e: Exemplar) -> str:
    """「出雲市（同じ県で実施）」, 「鳥取市（鳥取県・同じ種類の中核市で実施）」."""
    where = "" if e.same_prefecture else f"{e.pref_name}・"
    return f"{e.name}（{where}{e.reason}）" if e.reason else (e.name if e.same_prefecture else f"{e.name}（{e.pref_name}）")


def summary_view(s: Summary, scope_note: str = "") -> SummaryView:
    """The Summary as titled lists (largest gaps first, as :func:`summary_for` ordered them)."""
    f = s.focus
    pref_mode = not f.code
    who = f.pref_name if pref_mode else (f.name or "")
    parts = []
    refs = list(dict.fromkeys(g.reference_label for g in (*s.ahead, *s.behind)))
    for ref in refs or ([] if pref_mode else [f.pref_name]):
        ahead = [_gap(g, who, pref_mode) for g in s.ahead if g.reference_label == ref]
        behind = [_gap(g, who, pref_mode) for g in s.behind if g.reference_label == ref]
        parts.append(SummaryPart(f"{ref}と比べて進んでいる項目", ahead))
        parts.append(SummaryPart(f"{ref}と比べて遅れている項目", behind))
    learn = [f"{lf.item.number} {lf.item.label}：" + "、".join(_exemplar(e) for e in lf.exemplars)
             for lf in s.learn_from]
    title = "参考になる市町村（実施している市町村）" if pref_mode else f"参考になる市町村（{who}が実施していない項目）"
    parts.append(SummaryPart(title, learn, "挙げられる市町村はありません。"))
    if pref_mode:
        parts.append(SummaryPart("取組の多い市町村",
                                 [f"{e.name}（{e.asked}項目中 {e.related}項目を実施）" for e in s.stand_out],
                                 "挙げられる市町村はありません。"))
    notes = ([scope_note] if scope_note else []) + list(s.notes)
    return SummaryView(parts, list(s.rules), notes)


def problem_lines(problems: pd.DataFrame) -> list[str]:
    """One line per ingest problem of the municipality: where, what was delivered, what was done."""
    lines = []
    for p in problems.itertuples(index=False):
        where = f"{p.file}" + (f" {p.row}行目" if str(p.row) else "") + (f"・{p.column}" if str(p.column) else "")
        value = f"（値「{p.value}」）" if str(p.value) else ""
        lines.append(f"{where}{value}：{p.problem} → {p.kind_ja}")
    return lines


def prefecture_problem_lines(counts: pd.DataFrame, pref_code: str) -> list[str]:
    """Prefecture report: how many of its municipalities' data had ingest problems (none: no line)."""
    row = counts[counts["pref_code"] == pref_code]
    if row.empty or not int(row["with_problems"].iloc[0]):
        return []
    r = row.iloc[0]
    excluded = f"、うち{int(r['excluded'])}市町村は回答を除外" if int(r["excluded"]) else ""
    return [f"回答した{int(r['responded'])}市町村のうち{int(r['with_problems'])}市町村のデータに、取り込み時の問題が"
            f"計{int(r['problems'])}件ありました{excluded}。内容は各市町村のレポートの冒頭にあります。"]


FREE_TEXT_MAX = 400  # characters of one free-text answer shown in a report


def shorten_free_text(text: str, limit: int = FREE_TEXT_MAX) -> str:
    """The text, or its first ``limit`` characters with a note saying how long the whole answer is."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…（長いため {limit:,} 文字で省略。全 {len(text):,} 文字は処理済みデータ responses の free_text 列にあります）"


def free_text_lines(texts: pd.DataFrame, rows: tuple[str, ...] | None, options: tuple[str, ...] | None,
                    with_names: bool) -> list[str]:
    """「その他」 text of one question (limited to a part's rows or options), names first in prefecture mode."""
    t = texts
    if rows is not None:
        t = t[t["row_id"].isin(rows)]
    if options is not None:
        t = t[t["option_id"].isin(options)]
    out = []
    for r in t.itertuples(index=False):
        text = shorten_free_text(str(r.text).strip())
        if not text:
            continue
        where = f"{r.row_label!s}：" if r.row_label else ""
        out.append(f"{r.name}：{where}{text}" if with_names else f"{where}{text}")
    return out

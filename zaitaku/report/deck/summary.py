"""まとめ: the summary slide's lines from :func:`zaitaku.analysis.standing.summary_for`.

Left: where the focus stands (ahead of / behind the prefecture, the same kind or the nation, the
largest gaps first, as many per comparison group as a slide holds); right: whom to learn from.
The rules are the ones the reports state (``zaitaku.analysis.standing.RULES``).
"""

from __future__ import annotations

from zaitaku.analysis.aggregate import Focus, ProcessedData
from zaitaku.analysis.standing import Exemplar, Gap, Summary, summary_for
from zaitaku.report import format as fmt

PER_REFERENCE = 3  # まとめ: the largest gaps against each comparison group (the notes have them all)


def _gap_line(g: Gap, municipality: bool) -> str:
    item = g.item
    if municipality:
        return f"・{item.number} {item.label}：{g.reference_label}では{fmt.pct(g.share, 0)}（n={g.n:,}）"
    return (f"・{item.number} {item.label}：{fmt.pct(g.value, 0)}／{g.reference_label} {fmt.pct(g.share, 0)}")


def _exemplar(e: Exemplar) -> str:
    return e.name if e.same_prefecture else f"{e.name}（{e.pref_name}）"


def _per_reference(gaps: list[Gap], limit: int = PER_REFERENCE) -> list[Gap]:
    """The first ``limit`` gaps against each comparison group (a slide holds no more)."""
    seen: dict[str, int] = {}
    out = []
    for g in gaps:
        seen[g.reference] = seen.get(g.reference, 0) + 1
        if seen[g.reference] <= limit:
            out.append(g)
    return out


def standing_text(summary: Summary, focus: Focus) -> tuple[list[str], list[str]]:
    """(left, right) lines of a :class:`zaitaku.analysis.standing.Summary`: where the focus stands,
    and whom to learn from (municipalities that do what the focus does not, or that stand out)."""
    muni = bool(focus.code)
    who = focus.name if muni else f"{focus.pref_name}の市町村"
    ahead, behind = _per_reference(summary.ahead), _per_reference(summary.behind)
    left = [f"{who}が進んでいる項目" if muni else f"全国と比べて{who}で多い取組"]
    left += [_gap_line(g, muni) for g in ahead] or ["・該当する項目はありません。"]
    left.append(f"{who}が遅れている項目" if muni else f"全国と比べて{who}で少ない取組")
    left += [_gap_line(g, muni) for g in behind] or ["・該当する項目はありません。"]
    left += [f"（{n}）" for n in summary.notes]
    right = ["参考になる市町村"]
    for lf in summary.learn_from:
        right.append(f"・{lf.item.label}：{'、'.join(_exemplar(e) for e in lf.exemplars)}")
    if len(right) == 1:
        right.append("・該当する項目はありません。")
    stand_out = list(summary.stand_out)
    if stand_out:
        right.append("取組の多い市町村")
        right += [f"・{e.name}（{e.related}/{e.asked}項目）" for e in stand_out]
    return left, right


def standing_summary(data: ProcessedData, focus: Focus, national: str) -> tuple[list[str], list[str]]:
    """(left, right) lines of the まとめ slide."""
    return standing_text(summary_for(data, focus, national), focus)

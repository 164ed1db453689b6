"""まとめ: the lines of the summary slide, from the block Sections already built for the deck.

Both: :func:`zaitaku.analysis.standing.summary_for` when that module is present (ahead of / behind
the prefecture, the same kind or the nation, and whom to learn from). Without it, a prefecture deck
lists its largest gaps to the nation block by block, a municipality deck its answers that are rare
in its prefecture.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from zaitaku.analysis.aggregate import ProcessedData
from zaitaku.reference.codebook import NO_ANSWER
from zaitaku.report import format as fmt
from zaitaku.report.blocks import Block
from zaitaku.report.section import Section

if TYPE_CHECKING:  # imported where used: the deck works without zaitaku.analysis.standing
    from zaitaku.analysis.standing import Exemplar, Gap

GAP_MIN = 0.10
RARE_MAX = 0.20
MAX_LINES = 5
PER_REFERENCE = 3  # まとめ: the largest gaps against each comparison group (the notes have them all)

BlockSections = Sequence[tuple[Block, Sequence[Section]]]


def _where(row_label: str, option_label: str) -> str:
    return f"{row_label}：『{option_label}』" if row_label else f"『{option_label}』"


def prefecture_gaps(blocks: BlockSections) -> tuple[list[str], list[str]]:
    """(higher, lower): one line per block where the prefecture differs from the nation by ≥ 10 points."""
    found: list[tuple[float, str]] = []
    for block, sections in blocks:
        best: tuple[float, str] | None = None
        for s in sections:
            df = s.figures[s.figures["option_id"] != NO_ANSWER]
            pref = df[df["scope"] == "prefecture"]
            nat = df[df["scope"] == "nation"][["row_id", "option_id", "share", "scope_label"]]
            both = pref.merge(nat, on=["row_id", "option_id"], suffixes=("", "_nation"))
            both = both[(both["n_base"] >= fmt.SMALL_N) & both["share"].notna() & both["share_nation"].notna()]
            for _, r in both.iterrows():
                d = float(r["share"]) - float(r["share_nation"])
                if abs(d) >= GAP_MIN and (best is None or abs(d) > abs(best[0])):
                    text = (f"{block.number} {_where(r['row_label'], r['option_label'])}："
                            f"{r['scope_label']} {fmt.pct(r['share'], 0)}／{r['scope_label_nation']} "
                            f"{fmt.pct(r['share_nation'], 0)}")
                    best = (d, text)
        if best:
            found.append(best)
    higher = [t for d, t in sorted(found, key=lambda x: -x[0]) if d > 0][:MAX_LINES]
    lower = [t for d, t in sorted(found, key=lambda x: x[0]) if d < 0][:MAX_LINES]
    return higher, lower


def prefecture_summary(pref_name: str, blocks: BlockSections) -> list[str]:
    higher, lower = prefecture_gaps(blocks)
    lines = [f"全国と比べて{pref_name}の市町村で多い回答（差の大きい順、資料番号）"]
    lines += [f"・{t}" for t in higher] or ["・10ポイント以上の差はありません。"]
    lines.append(f"全国と比べて{pref_name}の市町村で少ない回答")
    lines += [f"・{t}" for t in lower] or ["・10ポイント以上の差はありません。"]
    lines.append("（この欄は自動作成です。県のまとめに書き換えてください。）")
    return lines


def rare_answers(blocks: BlockSections) -> list[str]:
    """Municipality: blocks where its single-choice answer is given by < 20% of the prefecture."""
    out = []
    for block, sections in blocks:
        for s in sections:
            if s.question.is_multi:
                continue
            pref = s.figures[s.figures["scope"] == "prefecture"].set_index(["row_id", "option_id"])
            for row_id, chosen in s.selected.items():
                if not chosen or chosen == [NO_ANSWER] or (row_id, chosen[0]) not in pref.index:
                    continue
                r = pref.loc[(row_id, chosen[0])]
                if r["n_base"] >= fmt.SMALL_N and float(r["share"]) < RARE_MAX:
                    out.append(f"・{block.number} {_where(r['row_label'], r['option_label'])}："
                               f"県内で同じ回答は{fmt.count_share(r['n_selected'], r['n_base'])}")
    return out


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _gap_line(g: Gap, municipality: bool) -> str:
    item = g.item
    if municipality:
        return f"・{item.number} {item.label}：{g.reference_label}では{_pct(g.share)}（n={g.n:,}）"
    return (f"・{item.number} {item.label}：{_pct(g.value)}／{g.reference_label} {_pct(g.share)}")


def _exemplar(e: Exemplar) -> str:
    return e.name if e.same_prefecture else f"{e.name}（{e.pref_name}）"


def _per_reference(gaps, limit: int = PER_REFERENCE) -> list:
    """The first ``limit`` gaps against each comparison group (a slide holds no more)."""
    seen: dict[str, int] = {}
    out = []
    for g in gaps:
        seen[g.reference] = seen.get(g.reference, 0) + 1
        if seen[g.reference] <= limit:
            out.append(g)
    return out


def standing_text(summary: object, focus) -> tuple[list[str], list[str]]:
    """(left, right) lines of a :class:`zaitaku.analysis.standing.Summary`: where the focus stands,
    and whom to learn from (municipalities that do what the focus does not, or that stand out)."""
    muni = bool(focus.code)
    who = focus.name if muni else f"{focus.pref_name}の市町村"
    ahead, behind = _per_reference(getattr(summary, "ahead", [])), _per_reference(getattr(summary, "behind", []))
    left = [f"{who}が進んでいる項目" if muni else f"全国と比べて{who}で多い取組"]
    left += [_gap_line(g, muni) for g in ahead] or ["・該当する項目はありません。"]
    left.append(f"{who}が遅れている項目" if muni else f"全国と比べて{who}で少ない取組")
    left += [_gap_line(g, muni) for g in behind] or ["・該当する項目はありません。"]
    left += [f"（{n}）" for n in getattr(summary, "notes", [])]
    right = ["参考になる市町村"]
    for lf in getattr(summary, "learn_from", []):
        right.append(f"・{lf.item.label}：{'、'.join(_exemplar(e) for e in lf.exemplars)}")
    if len(right) == 1:
        right.append("・該当する項目はありません。")
    stand_out = list(getattr(summary, "stand_out", []))
    if stand_out:
        right.append("取組の多い市町村")
        right += [f"・{e.name}（{e.related}/{e.asked}項目）" for e in stand_out]
    return left, right


def standing_summary(data: ProcessedData, focus, national: str) -> tuple[list[str], list[str]] | None:
    """まとめ from :func:`zaitaku.analysis.standing.summary_for`, or None where that module is absent."""
    try:
        from zaitaku.analysis.standing import summary_for
    except ImportError:
        return None
    return standing_text(summary_for(data, focus, national), focus)


def municipality_summary(data: ProcessedData, focus, national: str, blocks: BlockSections) -> tuple[list[str], str]:
    """Without zaitaku.analysis.standing: the municipality's answers that are rare in its prefecture."""
    rare = rare_answers(blocks)[: MAX_LINES * 2]
    lines = [f"{focus.name}の回答のうち、{focus.pref_name}内で少ない回答（同じ回答が{int(RARE_MAX * 100)}%未満）"]
    lines += rare or ["・該当する回答はありません。"]
    lines.append("（この欄は自動作成です。自由に書き換えてください。）")
    return lines, "県内で少ない回答（単一回答の設問）"

"""まとめ: the lines of the summary slide, from the block Sections already built for the deck.

Prefecture deck: the blocks where the prefecture's municipalities differ most from the nation
(one line per block, its largest gap; percentages only where n ≥ SMALL_N).
Municipality deck: :func:`zaitaku.analysis.standing.summary_for` when that module is present
(ahead of / behind the prefecture and the same kind, and whom to learn from); otherwise the blocks
where the municipality's answer is rare in its prefecture.
"""

from __future__ import annotations

from collections.abc import Sequence

from zaitaku.analysis.aggregate import ProcessedData
from zaitaku.reference.codebook import NO_ANSWER
from zaitaku.report import format as fmt
from zaitaku.report.blocks import Block
from zaitaku.report.section import Section

GAP_MIN = 0.10
RARE_MAX = 0.20
MAX_LINES = 5

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


def _standing_lines(result: object) -> list[str] | None:
    """Lines of whatever :func:`summary_for` returns (text, lines, or an object with ``lines``)."""
    if result is None:
        return None
    if isinstance(result, str):
        return [x for x in result.splitlines() if x.strip()]
    lines = getattr(result, "lines", None)
    if callable(lines):
        lines = lines()
    if lines is None and isinstance(result, Sequence):
        lines = result
    return [str(x) for x in lines] if lines is not None else [str(result)]


def municipality_summary(data: ProcessedData, focus, national: str, blocks: BlockSections) -> tuple[list[str], str]:
    """(lines, source): from zaitaku.analysis.standing when present, else the rare answers."""
    try:
        from zaitaku.analysis.standing import summary_for  # type: ignore[import-not-found]
    except ImportError:
        summary_for = None
    if summary_for is not None:
        lines = _standing_lines(summary_for(data, focus, national))
        if lines:
            return lines, "zaitaku.analysis.standing.summary_for"
    rare = rare_answers(blocks)[: MAX_LINES * 2]
    lines = [f"{focus.name}の回答のうち、{focus.pref_name}内で少ない回答（同じ回答が{int(RARE_MAX * 100)}%未満）"]
    lines += rare or ["・該当する回答はありません。"]
    lines.append("（この欄は自動作成です。自由に書き換えてください。）")
    return lines, "県内で少ない回答（単一回答の設問）"


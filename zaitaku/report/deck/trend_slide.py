"""The deck's 「前の年度からの変化」 slide (before まとめ) when the processed folder holds more than one year:
the largest changes of the prefecture and, for a municipality, its own answers, in the deck's manner."""

from __future__ import annotations

from pptx.presentation import Presentation
from pptx.util import Inches

from zaitaku.analysis.aggregate import Focus
from zaitaku.analysis.processed import ProcessedData, load_years
from zaitaku.reference.published import year_ja
from zaitaku.report.blocks import deck_blocks
from zaitaku.report.deck.slides import DeckContext, fitting_size, new_slide, notes
from zaitaku.report.deck.style import CONTENT_WIDTH, MARGIN, add_text

TOP = 5


def change_lines(data: ProcessedData, focus: Focus, national: str) -> list[str]:
    """Bulleted lines: the focus's own changes (municipality), then the prefecture's; [] for one year."""
    from zaitaku.report.trend_html import largest_changes

    years = load_years(data.data_dir)
    if len(years) < 2:
        return []
    cb = data.codebook
    qs = list({q: cb[q] for b in deck_blocks(cb) for q in b.question_ids}.values())
    lines: list[str] = []
    if focus.code:
        own = largest_changes(years, cb.survey_year, qs, focus, national, scope="municipality", top=TOP)
        lines += [f"{focus.name}の回答の変化", *(f"・{t}" for t in own)] if own else []
    pref = largest_changes(years, cb.survey_year, qs, focus, national, top=TOP)
    lines += [f"{focus.pref_name}の変化（前の年度から大きく変わったもの）", *(f"・{t}" for t in pref)] if pref else [
        f"{focus.pref_name}：前の年度から 2 市町村分を超える変化はありませんでした"]
    return lines


def changes_slide(prs: Presentation, ctx: DeckContext, data: ProcessedData, focus: Focus, national: str) -> None:
    lines = change_lines(data, focus, national)
    if not lines:
        return
    slide = new_slide(prs, ctx, f"前の年度からの変化（{year_ja(data.codebook.survey_year)}）")
    height = Inches(5.8)
    add_text(slide, MARGIN, Inches(1.15), CONTENT_WIDTH, height, lines, fitting_size(lines, CONTENT_WIDTH, height),
             name="年度の変化", space_after=2)
    notes(slide, ["前の年度からの変化（自動作成：zaitaku.analysis.trend。比較に注意の設問は理由つき、比較しない設問は除外）",
                  *lines])

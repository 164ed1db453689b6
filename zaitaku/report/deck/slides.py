"""The deck's slides, one function each: title, 調査の概要, a deck block, まとめ, closing page.

Every slide uses a layout with a title placeholder (so outlines, accessibility checkers and the
tests find its title) and ordinary text boxes that staff overwrite. Speaker notes carry the
figures behind each chart and where they come from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.presentation import Presentation
from pptx.slide import Slide
from pptx.util import Emu, Inches

from zaitaku.analysis.aggregate import Focus
from zaitaku.analysis.records import records
from zaitaku.report import format as fmt
from zaitaku.report.blocks import Block
from zaitaku.report.deck.accessibility import chart_alt_text
from zaitaku.report.deck.charts import add_chart, chart_spec, largest_base
from zaitaku.report.deck.style import (
    CONTENT_WIDTH,
    MARGIN,
    MUTED_RGB,
    PINK_RGB,
    accent_bar,
    add_text,
    set_title,
    synthetic_banner,
    synthetic_footer,
)
from zaitaku.report.deck.xml import set_alt_text
from zaitaku.report.section import Section

LAYOUT_TITLE = 0  # default template: Title Slide
LAYOUT_TITLE_ONLY = 5
FOCUS_HINT = "※特に、ピンク色のグラフに注目してご覧ください。"
SOURCE_JA = {"computed": "手元の調査データから集計", "published": "厚生労働省資料等の公表値"}


@dataclass(frozen=True)
class DeckContext:
    """What every slide needs to know: whom the deck is about, and whether the data is synthetic."""

    focus: Focus
    survey_title: str
    survey_year: str
    synthetic: bool
    data_hash: str
    national: str
    codebook: str = ""  # the codebook in use: file, version, md5 and source (codebook_source.describe)


def new_slide(prs: Presentation, ctx: DeckContext, title: str, layout: int = LAYOUT_TITLE_ONLY) -> Slide:
    slide = prs.slides.add_slide(prs.slide_layouts[layout])
    if layout == LAYOUT_TITLE_ONLY:
        set_title(slide, title)
        accent_bar(slide, Inches(0.35), Inches(0.55))
    if ctx.synthetic:
        synthetic_footer(slide)
    return slide


def notes(slide: Slide, lines: Sequence[str]) -> None:
    frame = slide.notes_slide.notes_text_frame
    if frame is None:
        raise ValueError("notes slide has no body placeholder")
    frame.text = "\n".join(lines)


# --------------------------------------------------------------------------------------------
# title and overview


def who(focus: Focus) -> str:
    return f"{focus.name}（{focus.pref_name}）" if focus.code else f"{focus.pref_name}内市町村"


def title_slide(prs: Presentation, ctx: DeckContext) -> Slide:
    slide = new_slide(prs, ctx, "", LAYOUT_TITLE)
    f = ctx.focus
    title = set_title(slide, ctx.survey_title, top=Inches(1.5), height=Inches(1.6), size=34)
    title.text_frame.paragraphs[0].alignment = PP_ALIGN.CENTER
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = MARGIN, Inches(3.2), CONTENT_WIDTH, Inches(1.3)
    from zaitaku.report.deck.style import write_paragraphs

    subtitle.text_frame.clear()
    lines = [f"{who(f)}の回答結果", f"（{ctx.survey_year}・{'比較：' + f.pref_name + '・全国の' + str(f.type) + '・全国' if f.code else '比較：全国'}）"]
    write_paragraphs(subtitle, lines, 22, bold=False)
    subtitle.text_frame.paragraphs[0].runs[0].font.bold = True
    for p in subtitle.text_frame.paragraphs:
        p.alignment = PP_ALIGN.CENTER
    add_text(slide, MARGIN, Inches(4.7), CONTENT_WIDTH, Inches(0.5), FOCUS_HINT, 16, colour=PINK_RGB,
             name="ピンク色の説明", align=PP_ALIGN.CENTER)
    if ctx.synthetic:
        synthetic_banner(slide, Inches(5.5))
    notes(slide, [f"{ctx.survey_title}（{ctx.survey_year}）", f"対象：{who(f)}",
                  f"処理済みデータ md5 {ctx.data_hash}", *([ctx.codebook] if ctx.codebook else [])])
    return slide


def overview_slide(prs: Presentation, ctx: DeckContext, respondents: Sequence[str],
                   how_to_read: Sequence[str]) -> Slide:
    slide = new_slide(prs, ctx, "調査の概要")
    background = (
        "医療と介護の両方を必要とする高齢者が住み慣れた地域で暮らし続けられるよう、介護保険の地域支援事業として"
        "在宅医療・介護連携推進事業が位置付けられ、市町村が主体となって取り組んでいます。"
        f"本調査（{ctx.survey_title}）は、その取組状況を把握するため厚生労働省が毎年実施しているものです。"
    )
    top = Inches(1.2)
    add_text(slide, MARGIN, top, CONTENT_WIDTH, Inches(1.3), background, 15, name="調査の説明")
    add_text(slide, MARGIN, Inches(2.55), CONTENT_WIDTH, Inches(0.4), "回答", 16, bold=True, name="回答の見出し")
    add_text(slide, MARGIN, Inches(2.95), CONTENT_WIDTH, Inches(0.9), respondents, 14, name="回答",
             bullet="・")
    add_text(slide, MARGIN, Inches(3.95), CONTENT_WIDTH, Inches(0.4), "グラフの見方", 16, bold=True,
             name="グラフの見方の見出し")
    add_text(slide, MARGIN, Inches(4.35), CONTENT_WIDTH, Inches(2.6), how_to_read, 13, name="グラフの見方",
             bullet="・")
    notes(slide, ["調査の概要（自由に書き換えてください）。", *respondents])
    return slide


# --------------------------------------------------------------------------------------------
# block slides


def _question_line(s: Section) -> str:
    q = s.question
    return f"{q.number}　{q.text}"


def _scope_source(sub: list[dict]) -> str:
    source = str(sub[0]["source"]) if sub else "computed"
    return SOURCE_JA.get(source, source)


def by_row_and_scope(figures: pd.DataFrame | list[dict]) -> list[tuple[str, str, list[dict], Any]]:
    """The figures (a frame, or its :func:`records`) as (row id, scope label, its records, its largest n),
    in the frame's order: what notes and alternative texts walk through (plain records: a deck asks for
    thousands of cells)."""
    recs = records(figures) if isinstance(figures, pd.DataFrame) else figures
    groups: dict[tuple[Any, Any], list[dict]] = {}
    for r in recs:
        groups.setdefault((r["row_id"], r["scope_label"]), []).append(r)
    base = largest_base(recs, ["row_id", "scope_label"])
    first = {row: i for i, row in enumerate(dict.fromkeys(row for row, _ in groups))}  # rows in first-seen order
    return sorted(((row, label, group, base[(row, label)]) for (row, label), group in groups.items()),
                  key=lambda g: first[g[0]])


def figure_notes(s: Section, figures: list[dict] | None = None) -> list[str]:
    """The figures behind one chart as speaker-note lines: scope, n, source, each option's value
    (``figures``: the Section's figures as records, read from it when None)."""
    q = s.question
    lines = [f"■ {q.number} {q.title}（設問ID {q.id}）", q.text]
    lines += [n.text for n in s.notes]
    previous = None
    for row_id, label, sub, n in by_row_and_scope(s.figures if figures is None else figures):
        if row_id and row_id != previous:
            lines.append(f"［{sub[0]['row_label']}］")
        previous = row_id
        values = "、".join(f"{r['option_label']}: {fmt.table_cell(r['n_selected'], r['n_base'], r['share'])}"
                          for r in sub)
        lines.append(f"{label}（n={fmt.n_label(n)}、{_scope_source(sub)}）: {values}")
    return lines


def block_slide(prs: Presentation, ctx: DeckContext, block: Block, sections: Sequence[Section]) -> Slide:
    """One numbered block: title, the question wording, its chart(s), commentary, notes."""
    slide = new_slide(prs, ctx, block.label)
    questions = list(dict.fromkeys(_question_line(s) for s in sections))
    q_box = add_text(slide, MARGIN, Inches(1.0), CONTENT_WIDTH, Inches(0.75), questions,
                     12 if len(questions) == 1 else 11, colour=MUTED_RGB, name="設問文", space_after=1)
    q_box.text_frame.vertical_anchor = MSO_ANCHOR.TOP
    chart_top, chart_height = Inches(1.8), Inches(4.05)
    figures = {id(s): records(s.figures) for s in sections}  # read once: chart, alternative text, notes
    shown = [s for s in sections if s.has_figures]
    gap = Inches(0.2)
    width = Emu(int((CONTENT_WIDTH - gap * (len(shown) - 1)) / max(len(shown), 1)))
    for i, s in enumerate(shown):
        left = Emu(MARGIN + i * (width + gap))
        top, height = Emu(chart_top), Emu(chart_height)
        if len(shown) > 1:
            add_text(slide, left, chart_top, width, Inches(0.35), f"{s.question.number} {s.question.title}", 12,
                     bold=True, name=f"グラフ見出し{i + 1}")
            top, height = Emu(chart_top + Inches(0.35)), Emu(chart_height - Inches(0.35))
        frame = add_chart(slide, chart_spec(s, figures[id(s)]), left, top, width, height,
                          name=f"グラフ {s.question.id}")
        set_alt_text(frame, f"{s.question.number} {s.question.title}", chart_alt_text(s, figures[id(s)]))
    if not shown:
        add_text(slide, MARGIN, chart_top, CONTENT_WIDTH, Inches(1), "この設問には表示できる数値がありません。", 14,
                 name="数値なし")
    sentences = [t for s in sections for t in s.sentences]
    size = 14 if len(" ".join(sentences)) <= 110 else 12 if len(" ".join(sentences)) <= 220 else 11
    accent_bar(slide, Inches(5.95), Inches(0.8))
    add_text(slide, MARGIN, Inches(5.92), CONTENT_WIDTH, Inches(0.85), sentences or ["（コメントを記入）"], size,
             bold=False, name="コメント", space_after=2)
    small = list(dict.fromkeys(n.text for s in sections for n in s.notes if n.kind == "condition"))
    if any(n.kind != "condition" for s in sections for n in s.notes):
        small.append("※ 選択肢の文言（推定を含む）と全国値の出典は、スライドのノートに記載しています。")
    if small:
        add_text(slide, MARGIN, Inches(6.78), Emu(CONTENT_WIDTH - Inches(4.3)), Inches(0.6), small, 8,
                 colour=MUTED_RGB, name="注記", space_after=0)
    lines = [f"資料 {block.label}", f"集計：{ctx.survey_title}（{ctx.survey_year}）、処理済みデータ md5 {ctx.data_hash}"]
    if ctx.synthetic:
        lines.append("※ デモ用の架空データ（synthetic）です。")
    for s in sections:
        lines += ["", *figure_notes(s, figures[id(s)])]
    notes(slide, lines)
    return slide


# --------------------------------------------------------------------------------------------
# summary and closing


def fitting_size(lines: Sequence[str], width: int, height: int, sizes=(13, 12, 11, 10, 9, 8)) -> float:
    """The largest font size (pt) at which the wrapped lines fit the box (full-width characters)."""
    width_pt, height_pt = width / 12700 - 10, height / 12700 - 10
    for size in sizes:
        per_line = max(int(width_pt / size), 1)
        rows = sum(-(-max(len(x), 1) // per_line) for x in lines)
        if rows * size * 1.45 <= height_pt:
            return size
    return sizes[-1]


def _summary_box(slide: Slide, left: int, width: int, lines: Sequence[str], name: str) -> None:
    height = Inches(5.8)
    size = fitting_size(lines, width, height)
    box = add_text(slide, left, Inches(1.15), width, height, lines, size, name=name, space_after=2)
    for p in box.text_frame.paragraphs:  # headings: lines that are not bullets or remarks
        if p.runs and not p.runs[0].text.startswith(("・", "（")):
            p.runs[0].font.bold = True


def summary_slide(prs: Presentation, ctx: DeckContext, lines: Sequence[str], note_lines: Sequence[str],
                  right: Sequence[str] = ()) -> Slide:
    """まとめ: one editable box, or two side by side (where the focus stands | whom to learn from)."""
    slide = new_slide(prs, ctx, "まとめ")
    if right:
        half = Emu(int((CONTENT_WIDTH - Inches(0.3)) / 2))
        _summary_box(slide, MARGIN, half, lines, "まとめ本文")
        _summary_box(slide, Emu(MARGIN + half + Inches(0.3)), half, right, "参考になる市町村")
    else:
        _summary_box(slide, MARGIN, CONTENT_WIDTH, lines, "まとめ本文")
    notes(slide, ["まとめ（自動作成。自由に書き換えてください）", *note_lines, *lines, *right])
    return slide


def closing_slide(prs: Presentation, ctx: DeckContext, title: str, body: Sequence[str]) -> Slide:
    slide = new_slide(prs, ctx, title)
    add_text(slide, Inches(1.2), Inches(1.5), Inches(10.9), Inches(5.2), body, 18, name="結びの言葉",
             space_after=10)
    notes(slide, ["結びのページ（zaitaku/report/deck/templates/closing.txt.j2、または --closing で指定したファイル）。"])
    return slide

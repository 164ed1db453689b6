"""What makes a deck readable with a screen reader: alternative text, unique titles, reading order.

* Every chart carries alternative text: the sentence the HTML report gives its chart
  (:attr:`Section.chart_description`) followed by the figures it draws (:func:`chart_alt_text`);
  tables and shapes with meaning carry a description; ornaments are marked decorative.
* :func:`finish_deck` runs once a deck is assembled: slide titles made unique (「（2）」 on a repeat),
  and each slide's shapes put in reading order — the title first, then the content in the order
  it was placed (question, chart, commentary, notes), then the synthetic-data footer; decorative
  shapes last.

The XML itself is written by :mod:`zaitaku.report.deck.xml`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.presentation import Presentation
from pptx.slide import Slide

from zaitaku.report import format as fmt
from zaitaku.report.deck.style import SYNTHETIC_FOOTER_NAME
from zaitaku.report.deck.xml import is_decorative, move_to_end
from zaitaku.report.section import Section

TITLE_TYPES = (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)


def _scope_figures(sub: list[dict], label: str, n_base: Any, focus_name: str | None) -> str:
    """One scope's figures: 「島根県（n=19）：設置している 73.7%、…」; the municipality's own answer as chosen."""
    if str(sub[0]["scope"]) == "municipality":
        chosen = [str(r["option_label"]) for r in sub if r["n_selected"] == 1]
        return f"{focus_name}の回答：{'、'.join(chosen) if chosen else '対象外'}"
    head = label if "n=" in label else f"{label}（n={fmt.n_label(n_base)}）"
    values = "、".join(f"{r['option_label']} {fmt.cell(r['n_selected'], r['n_base'], r['share'])}" for r in sub)
    return f"{head}：{values}"


def chart_alt_text(section: Section, figures: list[dict] | None = None) -> str:
    """The chart's alternative text: the report's sentence about the chart, then every figure it draws
    (per matrix row, per comparison scope, per option; small bases as 「該当数/分母」). ``figures``: the
    Section's figures as records (read from the Section when None)."""
    from zaitaku.report.deck.charts import drawn_figures
    from zaitaku.report.deck.slides import by_row_and_scope

    drawn = by_row_and_scope(drawn_figures(section, figures))  # options, not their named sums
    parts = [section.chart_description]
    rows: dict[Any, list[str]] = {}
    for row_id, label, sub, n in drawn:
        if row_id not in rows:
            rows[row_id] = [f"［{sub[0]['row_label']}］" if row_id else ""]
        rows[row_id].append(_scope_figures(sub, str(label), n, section.focus.name))
    parts += [prefix + "。".join(scopes) + "。" for prefix, *scopes in rows.values()]
    return "".join(parts)


def table_alt_text(title: str, header: Sequence[str], n_rows: int) -> str:
    """A native table's description: what it shows and its shape (the cells are read as they are)."""
    return f"{title}の表（{n_rows}行、列：{'、'.join(str(h) for h in header)}）。"


def _is_title(shape) -> bool:
    return bool(shape.is_placeholder and shape.placeholder_format.type in TITLE_TYPES)


def reading_order(slide: Slide) -> None:
    """Title first, content as placed, then the synthetic footer and decorative shapes."""
    shapes = list(slide.shapes)
    titles = [s for s in shapes if _is_title(s)]
    footer = [s for s in shapes if s.name == SYNTHETIC_FOOTER_NAME]
    decorative = [s for s in shapes if is_decorative(s)]
    rest = [s for s in shapes if s not in titles and s not in footer and s not in decorative]
    for shape in [*titles, *rest, *footer, *decorative]:
        move_to_end(shape)


def unique_titles(prs: Presentation) -> None:
    """Give a repeated slide title 「（2）」, 「（3）」 …, so every slide is found by its title."""
    seen: dict[str, int] = {}
    for slide in prs.slides:
        title = slide.shapes.title
        if title is None:
            continue
        text = title.text_frame.text
        seen[text] = seen.get(text, 0) + 1
        if seen[text] > 1:
            runs = title.text_frame.paragraphs[-1].runs
            if runs:
                runs[-1].text += f"（{seen[text]}）"
            else:
                title.text_frame.text = f"{text}（{seen[text]}）"


def finish_deck(prs: Presentation) -> None:
    """Unique titles and reading order on every slide (run after the last slide is added)."""
    unique_titles(prs)
    for slide in prs.slides:
        reading_order(slide)

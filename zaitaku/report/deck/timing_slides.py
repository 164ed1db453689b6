"""The implementation-timing tables (one prefecture's 156 insurers, 平成27–28年) as slides.

In the ministry's form: the programme's start period at three snapshots; for each item snapshot
(平成28年1月, 平成28年7月) the insurers per start period and item as a native table beside the
start-period shares as a native 100% stacked chart; and the 増減 between the two snapshots
(▲ for a decrease, as printed). Figures come from :mod:`zaitaku.reference.timing` only.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.presentation import Presentation
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from zaitaku.reference.timing import (
    DEADLINE,
    ITEM_SNAPSHOTS,
    ITEMS,
    PROGRAMME_SNAPSHOTS,
    TOTAL_INSURERS,
    TimingTables,
    change_between_snapshots,
    load_timing,
    shares_by_snapshot,
)
from zaitaku.report import format as fmt
from zaitaku.report.deck.accessibility import table_alt_text
from zaitaku.report.deck.charts import ChartSpec, SeriesSpec, add_chart
from zaitaku.report.deck.slides import DeckContext, new_slide, notes
from zaitaku.report.deck.style import CONTENT_WIDTH, MARGIN, MUTED_RGB, TEXT_RGB, add_text, set_font
from zaitaku.report.deck.xml import set_alt_text
from zaitaku.report.timing_charts import PERIOD_COLOURS, fmt_change, item_labels

SOURCE = ("出典：「在宅医療介護連携推進事業の実施状況調査結果」（ある1県の保険者156、平成27年4月・平成28年1月・"
          "平成28年7月現在）。全国の値ではありません。事業項目（ア）～（ク）は平成27年度からの旧事業項目です。")
HEADER_FILL = RGBColor(0xEE, 0xEE, 0xEE)


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#"))


def add_table(slide: Slide, header: Sequence[str], rows: Sequence[Sequence[object]], left: int, top: int,
              width: int, height: int, *, size: float = 11, first_width: float = 0.22, name: str = "表",
              what: str = "") -> None:
    """A native table: header row shaded, numbers right-aligned, house font; ``what`` it shows is its alt text."""
    frame = slide.shapes.add_table(len(rows) + 1, len(header), Emu(left), Emu(top), Emu(width), Emu(height))
    frame.name = name
    set_alt_text(frame, name, table_alt_text(what or name, header, len(rows)))
    table = frame.table
    first = int(width * first_width)
    table.columns[0].width = first
    for j in range(1, len(header)):
        table.columns[j].width = int((width - first) / (len(header) - 1))
    for i, row in enumerate([header, *rows]):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = str(value)
            cell.margin_left = cell.margin_right = Inches(0.04)
            for p in cell.text_frame.paragraphs:
                p.alignment = PP_ALIGN.RIGHT if (j and i) else PP_ALIGN.CENTER if i == 0 else PP_ALIGN.LEFT
                for run in p.runs:
                    set_font(run.font, size, bold=i == 0, colour=TEXT_RGB)
            if i == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = HEADER_FILL


def timing_alt_text(what: str, spec: ChartSpec) -> str:
    """A timing chart's alternative text: what it shows, then each bar's shares by period."""
    bars = []
    for i, label in enumerate(spec.labels):
        values = "、".join(f"{s.name} {fmt.pct((s.values[i] or 0) / 100)}" for s in spec.series)
        bars.append(f"{label}：{values}")
    return f"{what}の帯グラフ（保険者数 n={TOTAL_INSURERS}、合計100%）。" + "。".join(bars) + "。"


def _stacked(counts: pd.DataFrame, labels: Sequence[str]) -> ChartSpec:
    """counts: rows = bars, columns = periods (in order) -> a 100% stacked ChartSpec of shares."""
    shares = counts.div(counts.sum(axis=1), axis=0)
    series = []
    for period in counts.columns:
        colour = _rgb(PERIOD_COLOURS[str(period)])
        name = f"{period}（期限）" if str(period) in (DEADLINE, "平成30年度") else str(period)
        spec = SeriesSpec(name, [round(float(v) * 100, 6) for v in shares[period]], colour)
        spec.labels = {i: "" for i, v in enumerate(shares[period]) if v < 0.04}
        series.append(spec)
    return ChartSpec("stacked", [("", x) for x in labels], series, [("", str(x)) for x in counts.index])


def _programme_slide(prs: Presentation, ctx: DeckContext, t: TimingTables) -> Slide:
    slide = new_slide(prs, ctx, "参考：在宅医療介護連携推進事業の実施（予定）時期（事業全体）")
    wide = t.programme_start.pivot_table(index="period", columns="snapshot", values="insurers",
                                         observed=True).astype(int)
    wide = wide[list(PROGRAMME_SNAPSHOTS)]
    rows = [[str(p), *[int(v) for v in r]] for p, r in wide.iterrows()]
    rows.append(["合計", *[int(v) for v in wide.sum()]])
    add_table(slide, ["実施予定年度", *[f"{s}現在" for s in PROGRAMME_SNAPSHOTS]], rows, MARGIN, Inches(1.3),
              Inches(5.4), Inches(3.2), size=12, first_width=0.28, name="表 事業全体",
              what="事業全体の実施（予定）時期別の保険者数")
    spec = _stacked(wide.T, [f"{s}現在（n={TOTAL_INSURERS}）" for s in PROGRAMME_SNAPSHOTS])
    chart = add_chart(slide, spec, Inches(6.1), Inches(1.2), Inches(6.8), Inches(4.6), name="グラフ 事業全体")
    set_alt_text(chart, "グラフ 事業全体", timing_alt_text("事業全体の実施（予定）時期の割合", spec))
    add_text(slide, MARGIN, Inches(6.2), CONTENT_WIDTH, Inches(0.8), [SOURCE], 9, colour=MUTED_RGB, name="出典")
    notes(slide, [SOURCE, *[", ".join(str(x) for x in r) for r in rows]])
    return slide


def _snapshot_slide(prs: Presentation, ctx: DeckContext, t: TimingTables, snapshot: str) -> Slide:
    slide = new_slide(prs, ctx, f"参考：事業項目別の実施（予定）時期（{snapshot}現在）")
    df = t.item_start[t.item_start["snapshot"] == snapshot]
    wide = df.pivot_table(index="period", columns="item", values="insurers", observed=True).astype(int)
    wide = wide[list(ITEMS)]
    rows = [[str(p), *[int(v) for v in r]] for p, r in wide.iterrows()]
    rows.append(["合計", *[int(v) for v in wide.sum()]])
    add_table(slide, ["年度", *list(ITEMS)], rows, MARGIN, Inches(1.25), Inches(5.6),
              Inches(2.6), size=11, first_width=0.24, name=f"表 {snapshot}",
              what=f"事業項目別・実施（予定）時期別の保険者数（{snapshot}現在）")
    labels = item_labels(short=True)
    legend = [f"{labels[k]}" for k in ITEMS]
    add_text(slide, MARGIN, Inches(4.0), Inches(5.6), Inches(2.1), legend, 9, colour=MUTED_RGB,
             name="事業項目", space_after=0)
    shares = shares_by_snapshot(t)
    shares = shares[shares["snapshot"] == snapshot]
    counts = shares.pivot_table(index="item", columns="period", values="insurers", observed=True).astype(int)
    counts = counts.loc[list(ITEMS)]
    spec = _stacked(counts, [labels[k] for k in ITEMS])
    chart = add_chart(slide, spec, Inches(6.2), Inches(1.15), Inches(6.7), Inches(5.0), name=f"グラフ {snapshot}")
    set_alt_text(chart, f"グラフ {snapshot}", timing_alt_text(f"事業項目別の実施（予定）時期の割合（{snapshot}現在）", spec))
    add_text(slide, MARGIN, Inches(6.3), CONTENT_WIDTH, Inches(0.7), [SOURCE, "※端数整理のため、合計が100%にならない場合がある。"],
             9, colour=MUTED_RGB, name="出典", space_after=0)
    notes(slide, [SOURCE, f"{snapshot}現在（保険者数、n={TOTAL_INSURERS}）",
                  *[", ".join(str(x) for x in r) for r in rows]])
    return slide


def _change_slide(prs: Presentation, ctx: DeckContext, t: TimingTables) -> Slide:
    first, last = ITEM_SNAPSHOTS
    slide = new_slide(prs, ctx, f"参考：事業項目別の増減（{first}→{last}）")
    change = change_between_snapshots(t)
    rows = [[str(col), *[fmt_change(v) for v in change.loc[list(ITEMS), col]]] for col in change.columns]
    add_table(slide, ["増減", *list(ITEMS)], rows, MARGIN, Inches(1.3), CONTENT_WIDTH,
              Inches(1.6), size=13, first_width=0.2, name="表 増減",
              what=f"事業項目別・実施（予定）時期別の保険者数の増減（{first}→{last}）")
    labels = item_labels()
    add_text(slide, MARGIN, Inches(3.2), CONTENT_WIDTH, Inches(2.6), [labels[k] for k in ITEMS], 11,
             colour=MUTED_RGB, name="事業項目", space_after=0)
    add_text(slide, MARGIN, Inches(5.9), CONTENT_WIDTH, Inches(1.0),
             [f"{last}現在の保険者数から{first}現在の保険者数を引いた値（▲は減少）。「未定」は資料に印刷されていない行です"
              "（3行の合計は0）。", SOURCE], 9, colour=MUTED_RGB, name="出典", space_after=0)
    notes(slide, [SOURCE, *[", ".join(r) for r in rows]])
    return slide


def add_timing_slides(prs: Presentation, ctx: DeckContext, tables: TimingTables | None = None) -> list[Slide]:
    """Append the timing slides (programme, each item snapshot, 増減) to a deck."""
    t = tables if tables is not None else load_timing()
    out = [_programme_slide(prs, ctx, t)]
    out += [_snapshot_slide(prs, ctx, t, s) for s in ITEM_SNAPSHOTS]
    out.append(_change_slide(prs, ctx, t))
    for s in out:
        title = s.shapes.title
        assert title is not None, "new_slide gives every slide a title"
        title.text_frame.paragraphs[0].runs[0].font.size = Pt(22)
    return out


"""Single-choice questions: one 100% stacked bar per comparison scope.

The focus is pink: in a municipality's report the option it chose is framed in pink in every bar;
in prefecture mode the prefecture's bar is framed in pink and its label is pink.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from zaitaku.report.charts import frame as fr
from zaitaku.report.charts.canvas import (
    Canvas,
    draw_legend,
    legend_height,
    legend_rows,
    lines_height,
)
from zaitaku.report.charts.style import (
    FS,
    FS_SMALL,
    GRID,
    MUTED,
    NA_COLOUR,
    OKABE_ITO,
    PINK,
    TEXT,
    WHO,
    WIDTH_PX,
    house_style,
    text_colour,
)
from zaitaku.report.charts.text import block_width, text_width, wrap

BAR_H = 30.0
PAD = 8.0


def option_colours(opts: list[tuple[str, str]]) -> dict[str, str]:
    """Okabe–Ito per option in order; 未回答 grey."""
    out, k = {}, 0
    for oid, _ in opts:
        if oid == "na":
            out[oid] = NA_COLOUR
        else:
            out[oid] = OKABE_ITO[k % len(OKABE_ITO)]
            k += 1
    return out


def percent_axis(c: Canvas, x0: float, x1: float, top: float, bottom: float) -> None:
    """Grid lines at 0, 25, 50, 75, 100% between ``top`` and ``bottom``, labels under them."""
    for k in range(5):
        x = x0 + (x1 - x0) * k / 4
        c.line([x, x], [top, bottom], colour=GRID, lw=0.8)
        c.text(x, bottom + 4, f"{k * 25}%", size=FS_SMALL, colour=MUTED, ha="center", va="top")


def single_bars(df: pd.DataFrame, selected: list[str] | None, focus_scope: str, width: float = WIDTH_PX) -> Figure:
    """100% stacked bars, one per comparison scope; the focus's answer (or bar) framed in pink.

    Named option groups (if the frame has them) are written under the legend: 「計：… 島根県 63.2%、全国 55.0%」.
    """
    p = fr.parse(df)
    scopes, opts = p.scopes, p.options
    colours = option_colours(opts)
    chosen = set(selected or [])
    labels = [wrap(s.caption(), 230, FS) for s in scopes]
    label_w = min(max((block_width(lab, FS) for lab in labels), default=0.0), 240) + 14
    x0, x1 = PAD + label_w, width - PAD - 20  # room for the centred 「100%」
    row_hs = [max(BAR_H + 14, lines_height(len(lab)) + 8) for lab in labels]
    items = [(colours[o], lab) for o, lab in opts]
    if chosen:
        items.append((PINK, f"ピンクの枠：{WHO}の回答"))
    legend = legend_rows(items, width - 2 * PAD, FS_SMALL)
    bars_h = sum(row_hs)
    totals = [wrap(f"計：{lab}　" + "、".join(f"{sc.label} {p.get(sc.label, '', oid)[1]}" for sc in scopes),
                   width - 2 * PAD, FS_SMALL) for oid, lab in p.groups]  # named option groups, if any
    height = (PAD + bars_h + 24 + 10 + legend_height(legend, FS_SMALL) + PAD
              + sum(lines_height(len(t), FS_SMALL) + 2 for t in totals))
    with house_style():
        c = Canvas(height, width)
        percent_axis(c, x0, x1, PAD, PAD + bars_h)
        y = PAD
        for scope, lab, rh in zip(scopes, labels, row_hs, strict=True):
            yc = y + rh / 2
            focus = scope.kind == focus_scope
            c.text(PAD, yc, lab, colour=PINK if focus else TEXT, bold=focus)
            left = x0
            for oid, _ in opts:
                share, text, present = p.get(scope.label, "", oid)
                if not present:
                    continue
                w = (x1 - x0) * share
                c.rect(left, yc - BAR_H / 2, w, BAR_H, fill=colours[oid], edge="white", lw=0.8)
                if oid in chosen:
                    c.rect(left, yc - BAR_H / 2 - 3, w, BAR_H + 6, edge=PINK, lw=3)
                if w >= text_width(text, FS_SMALL) + 8:
                    c.text(left + w / 2, yc, text, size=FS_SMALL, colour=text_colour(colours[oid]), ha="center")
                left += w
            if focus:
                c.rect(x0 - 3, yc - BAR_H / 2 - 4, x1 - x0 + 6, BAR_H + 8, edge=PINK, lw=3)
            y += rh
        y = draw_legend(c, PAD, PAD + bars_h + 34, legend, FS_SMALL, outline=PINK)
        for t in totals:
            c.text(PAD, y + 2, t, size=FS_SMALL, va="top")
            y += lines_height(len(t), FS_SMALL) + 2
    return c.fig

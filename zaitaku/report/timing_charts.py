"""Charts of the implementation-timing tables (one prefecture's 156 insurers), in the house style.

Each function takes :class:`zaitaku.reference.timing.TimingTables` and returns a Figure laid out in
pixels like the report's charts (inline SVG via :func:`zaitaku.report.charts.svg_tag`, text ≥ 12 px):
100% stacked bars of the start period (the programme at three snapshots, each item (ア)～(ク) at
平成28年1月 and 平成28年7月), the 増減 between the two item snapshots, and the items left to the legal
deadline 平成30年4月. Colours are Okabe–Ito; the deadline is vermillion, 未定 grey.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from zaitaku.reference.timing import (
    BEFORE_DEADLINE_LABEL,
    DEADLINE,
    ITEM_SNAPSHOTS,
    TOTAL_INSURERS,
    TimingTables,
    change_between_snapshots,
    left_to_deadline,
    load_items,
)
from zaitaku.report.charts.canvas import (
    Canvas,
    draw_legend,
    legend_height,
    legend_rows,
    lines_height,
)
from zaitaku.report.charts.stacked import percent_axis
from zaitaku.report.charts.style import (
    FS,
    FS_SMALL,
    GRID,
    MUTED,
    NA_COLOUR,
    OKABE_ITO,
    TEXT,
    WIDTH_PX,
    house_style,
    text_colour,
)
from zaitaku.report.charts.text import block_width, text_width, wrap

BLUE, ORANGE, GREEN, SKY, VERMILLION = OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[2], OKABE_ITO[3], OKABE_ITO[4]
PERIOD_COLOURS: dict[str, str] = {
    "平成27年度": BLUE,
    "平成28年度": SKY,
    "平成29年度": GREEN,
    "平成30年4月": VERMILLION,
    "平成30年度": VERMILLION,
    "未定": NA_COLOUR,
}
"""Colour per start period; 平成30年度 (programme tables) = 平成30年4月 (item tables)."""
CHANGE_COLOURS = {BEFORE_DEADLINE_LABEL: BLUE, DEADLINE: VERMILLION, "未定": "#888888"}
PAD = 8.0


def _short_title(title: str) -> str:
    return title.replace("在宅医療・介護連携", "連携").replace("医療・介護関係者", "関係者")


def item_labels(short: bool = False) -> dict[str, str]:
    """「（ア）地域の医療・介護の資源の把握」 per kana (shortened for narrow axes if ``short``)."""
    return {it.kana: f"（{it.kana}）{_short_title(it.title) if short else it.title}" for it in load_items()}


def _period_legend(periods: list[str], width: float) -> list:
    items = [(PERIOD_COLOURS[p], f"{p}（期限）" if p in (DEADLINE, "平成30年度") else p) for p in periods]
    return legend_rows(items, width, FS_SMALL)


def stacked_rows(c: Canvas, counts: pd.DataFrame, labels: list[tuple[str, ...]], x0: float, x1: float, top: float,
                 row_h: float, counts_in_label: bool = True, tags: list[str] | None = None) -> float:
    """100% stacked bars, one per row of ``counts`` (columns = periods, in order), from ``top``; returns the bottom.

    A segment shows 「76（48.7%）」 (or only the percent) when the text fits inside it.
    """
    bar = min(30.0, row_h - 10)
    y = top
    for i, ((_, row), lab) in enumerate(zip(counts.iterrows(), labels, strict=True)):
        yc = y + row_h / 2
        pair = i + 1 < len(labels) and labels[i + 1] == ("",)  # a label shared with the next bar
        c.text(PAD, yc + (row_h / 2 if pair else 0), lab)
        if tags:
            c.text(x0 - 8, yc, tags[i], size=FS_SMALL, colour=MUTED, ha="right")
        total = float(row.sum())
        left = x0
        for period, n in row.items():
            w = (x1 - x0) * (float(n) / total if total else 0.0)
            colour = PERIOD_COLOURS[str(period)]
            c.rect(left, yc - bar / 2, w, bar, fill=colour, edge="white", lw=0.8)
            share = float(n) / total if total else 0.0
            text = f"{int(n)}（{share * 100:.1f}%）" if counts_in_label else f"{share * 100:.0f}%"
            if text_width(text, FS_SMALL) + 8 > w:
                text = f"{share * 100:.0f}%"
            if w >= text_width(text, FS_SMALL) + 8:
                c.text(left + w / 2, yc, text, size=FS_SMALL, colour=text_colour(colour), ha="center")
            left += w
        y += row_h
    return y


def _stacked_chart(counts: pd.DataFrame, labels: list[str], title: str, counts_in_label: bool = True,
                   tags: list[str] | None = None, width: float = WIDTH_PX) -> Figure:
    wrapped = [wrap(lab, 260, FS) for lab in labels]
    label_w = min(max(block_width(w, FS) for w in wrapped), 270) + 14
    label_w += max(text_width(t, FS_SMALL) for t in tags) + 12 if tags else 0
    row_h = max(44.0, max(lines_height(len(w)) for w in wrapped) + 8)
    legend = _period_legend([str(p) for p in counts.columns], width - 2 * PAD)
    title_lines = wrap(title, width - 2 * PAD, FS) if title else ()
    top = PAD + (lines_height(len(title_lines)) + 8 if title else 0)
    bars_h = row_h * len(counts)
    height = top + bars_h + 26 + legend_height(legend, FS_SMALL) + 10 + PAD
    x0, x1 = PAD + label_w, width - PAD - 20
    with house_style():
        c = Canvas(height, width)
        if title:
            c.text(PAD, PAD, title_lines, va="top", bold=True)
        percent_axis(c, x0, x1, top, top + bars_h)
        stacked_rows(c, counts, wrapped, x0, x1, top, row_h, counts_in_label, tags)
        draw_legend(c, PAD, top + bars_h + 34, legend, FS_SMALL)
    return c.fig


def programme_chart(tables: TimingTables) -> Figure:
    """The programme's start period (any one item or more) at 平成27年4月, 平成28年1月, 平成28年7月."""
    w = tables.programme_start.pivot_table(index="snapshot", columns="period", values="insurers",
                                           observed=True).astype(int)
    labels = [f"{s}現在（n={int(w.loc[s].sum())}）" for s in w.index.astype(str)]
    return _stacked_chart(w, labels, "在宅医療・介護連携推進事業の実施（予定）時期（保険者数の割合）")


def _item_wide(tables: TimingTables, snapshot: str) -> pd.DataFrame:
    d = tables.item_start[tables.item_start["snapshot"] == snapshot]
    w = d.pivot_table(index="item", columns="period", values="insurers", observed=True).astype(int)
    w.index = w.index.astype(str)
    return w


def items_chart(tables: TimingTables) -> Figure:
    """Each item's start period at 平成28年1月 and 平成28年7月: two bars per item (100% stacked)."""
    labels = item_labels(short=True)
    jan, jul = (_item_wide(tables, s) for s in ITEM_SNAPSHOTS)
    rows, names, tags = [], [], []
    for kana in jan.index:
        for snap, w in zip(ITEM_SNAPSHOTS, (jan, jul), strict=True):
            rows.append(w.loc[kana].rename(f"{kana}{snap}"))
            names.append(labels[kana] if snap == ITEM_SNAPSHOTS[0] else "")
            tags.append(snap)
    counts = pd.DataFrame(rows)
    return _stacked_chart(counts, names, f"事業項目別の実施（予定）時期（保険者数の割合、n={TOTAL_INSURERS}）",
                          counts_in_label=False, tags=tags)


def item_chart(tables: TimingTables, kana: str) -> Figure:
    """One item: its start period at 平成28年1月 and 平成28年7月."""
    counts = pd.DataFrame([_item_wide(tables, s).loc[kana] for s in ITEM_SNAPSHOTS],
                          index=[f"{s}現在" for s in ITEM_SNAPSHOTS])
    return _stacked_chart(counts, [f"{s}現在" for s in ITEM_SNAPSHOTS], "")


def fmt_change(v: int) -> str:
    """増減 as printed in the source: ▲ for minus, + for plus, ±0 for no change."""
    v = int(v)
    return f"▲{-v}" if v < 0 else (f"+{v}" if v > 0 else "±0")


def _hbars(values: list[list[float]], colours: list[str], names: list[str], labels: list[str], texts: list[list[str]],
           lo: float, hi: float, axis_label: str, width: float = WIDTH_PX) -> Figure:
    """Grouped horizontal bars (one group per label, one bar per series) on a linear axis from ``lo`` to ``hi``."""
    wrapped = [wrap(lab, 260, FS) for lab in labels]
    label_w = min(max(block_width(w, FS) for w in wrapped), 270) + 14
    pitch, bar = 17.0, 14.0
    nser = len(colours)
    group_h = [max(nser * pitch, lines_height(len(w))) + 12 for w in wrapped]
    legend = legend_rows(list(zip(colours, names, strict=True)), width - 2 * PAD, FS_SMALL)
    top = PAD + legend_height(legend, FS_SMALL) + 6
    bars_h = sum(group_h)
    height = top + bars_h + 26 + lines_height(1, FS_SMALL) + PAD
    x0, x1 = PAD + label_w + 40, width - PAD - 70

    def px(v: float) -> float:
        return x0 + (x1 - x0) * (v - lo) / (hi - lo)

    with house_style():
        c = Canvas(height, width)
        draw_legend(c, PAD, PAD, legend, FS_SMALL)
        step = 10 if hi - lo <= 120 else 20
        for v in range(int(lo) - int(lo) % step, int(hi) + 1, step):
            if lo <= v <= hi:
                c.line([px(v), px(v)], [top, top + bars_h], colour=TEXT if v == 0 else GRID, lw=1 if v == 0 else 0.8)
                c.text(px(v), top + bars_h + 4, str(v), size=FS_SMALL, colour=MUTED, ha="center", va="top")
        c.text((x0 + x1) / 2, top + bars_h + 22, axis_label, size=FS_SMALL, colour=MUTED, ha="center", va="top")
        y = top
        for lab, gh, vals, txts in zip(wrapped, group_h, values, texts, strict=True):
            c.text(PAD, y + gh / 2 - 6, lab)
            for k, (value, t, colour) in enumerate(zip(vals, txts, colours, strict=True)):
                yb = y + k * pitch + (gh - 12 - nser * pitch) / 2 + (pitch - bar) / 2
                left, right = sorted((px(0 if lo < 0 else lo), px(value)))
                c.rect(left, yb, right - left, bar, fill=colour)
                if value >= 0:
                    c.text(right + 4, yb + bar / 2, t, size=FS_SMALL)
                else:
                    c.text(left - 4, yb + bar / 2, t, size=FS_SMALL, ha="right")
            y += gh
    return c.fig


def change_chart(tables: TimingTables) -> Figure:
    """増減 (平成28年7月 − 平成28年1月) per item: before the deadline, at the deadline, 未定."""
    ch = change_between_snapshots(tables)
    labels = item_labels(short=True)
    cols = [BEFORE_DEADLINE_LABEL, DEADLINE, "未定"]
    names = [f"{c}（増減の表にない値）" if c == "未定" else c for c in cols]
    values = [[float(ch.loc[k, c]) for c in cols] for k in ch.index]
    lim = max(abs(ch[cols].to_numpy()).max() + 6, 10)
    return _hbars(values, [CHANGE_COLOURS[c] for c in cols], names, [labels[k] for k in ch.index],
                  [[fmt_change(int(v)) for v in row] for row in values], -lim, lim,
                  "保険者数の増減（平成28年7月現在 − 平成28年1月現在）")


def deadline_chart(tables: TimingTables, snapshot: str = ITEM_SNAPSHOTS[-1]) -> Figure:
    """Items ranked by the insurers that plan to start them only at 平成30年4月 (the legal deadline).

    Per item two bars: ``snapshot`` (default 平成28年7月, vermillion) and the other snapshot (grey).
    """
    other = next(s for s in ITEM_SNAPSHOTS if s != snapshot)
    now = left_to_deadline(tables, snapshot)
    before = left_to_deadline(tables, other).set_index("item")["insurers"]
    labels = item_labels(short=True)
    values = [[float(r["insurers"]), float(before[r["item"]])] for _, r in now.iterrows()]
    texts = [[f"{int(a)}（{a / TOTAL_INSURERS * 100:.1f}%）", f"{int(b)}（{b / TOTAL_INSURERS * 100:.1f}%）"]
             for a, b in values]
    return _hbars(values, [VERMILLION, "#8C8C8C"], [f"{snapshot}現在", f"{other}現在"],
                  [f"{int(r)}. {labels[k]}" for r, k in zip(now["rank"], now["item"], strict=True)], texts,
                  0, TOTAL_INSURERS * 0.68, f"平成30年4月から実施を予定している保険者数（n={TOTAL_INSURERS}）")

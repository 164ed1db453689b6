"""The charts an analyst adapts: ordinary matplotlib Axes (bar containers, tick labels, a legend).

:meth:`zaitaku.report.section.Section.chart` returns one of these; the reports keep the fast
pixel-laid-out SVG of :mod:`.canvas` (same figures: a test compares both with the Section's table)::

    fig = s.chart()
    ax = fig.axes[0]
    ax.containers          # one BarContainer per option (single) or per comparison scope (others)
    ax.get_legend()        # the legend (scopes or options), its texts and handles
    fig.suptitle("問3 委託の状況（音威子府村・北海道）")   # Japanese titles: no glyph warning

Every text artist is created inside :func:`~zaitaku.report.charts.style.house_style`, so it keeps
the Japanese font when the figure is drawn later outside it; the figure's title, the Axes' title and
axis labels exist (empty) from the start, so setting them keeps the font too. New text an analyst
adds (``ax.text``, a new legend) takes the current rcParams: use ``with house_style():`` around it,
or :func:`~zaitaku.report.charts.style.use_house_style` once in the notebook.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, PercentFormatter

from zaitaku.reference.codebook import NO_ANSWER
from zaitaku.report.charts import frame as fr
from zaitaku.report.charts.matrix import shade
from zaitaku.report.charts.stacked import option_colours
from zaitaku.report.charts.style import (
    FS,
    FS_SMALL,
    MUTED,
    PINK,
    PT_PER_INCH,
    TEXT,
    WHO,
    WIDTH_PX,
    house_style,
    text_colour,
)
from zaitaku.report.charts.text import text_width, wrap

BLUE = "#0072B2"


class AnalystFigure(Figure):
    """A Figure that shows itself in a notebook as PNG, also where pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        from zaitaku.report.charts.svg import figure_png

        return figure_png(self, scale=1.0)


def _figure(height_px: float) -> tuple[AnalystFigure, Any]:
    fig = AnalystFigure(figsize=(WIDTH_PX / PT_PER_INCH, height_px / PT_PER_INCH), dpi=PT_PER_INCH,
                        layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle("")  # created now, in the house font: fig.suptitle("…") later only changes its text
    ax.set_title("")
    ax.set_xlabel("")
    ax.set_ylabel("")
    return fig, ax


def _lines(text: str, width: float, size: float = FS) -> str:
    return "\n".join(wrap(text, width, size))


def _percent_x(ax: Any, right: float = 100.0) -> None:
    ax.set_xlim(0, right)
    ax.xaxis.set_major_locator(FixedLocator([0, 25, 50, 75, 100]))
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.tick_params(axis="x", labelsize=FS_SMALL, colors=MUTED)
    ax.grid(axis="x", color="#D9D9D9", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _single(ax: Any, p: fr.Parsed, chosen: set[str], focus_scope: str) -> None:
    """100% stacked bars per scope; one BarContainer per option (the legend)."""
    scopes, colours = p.scopes, option_colours(p.options)
    y = np.arange(len(scopes))
    left = np.zeros(len(scopes))
    for oid, label in p.options:
        figs = [p.get(s.label, "", oid) for s in scopes]
        widths = np.array([f[0] * 100 if f[2] else 0.0 for f in figs])
        mine = oid in chosen
        bars = ax.barh(y, widths, left=left, height=0.6, color=colours[oid], label=label,
                       edgecolor=PINK if mine else "white", linewidth=3 if mine else 0.8, gid=f"option:{oid}")
        texts = [f[1] if f[2] and text_width(f[1], FS_SMALL) + 8 <= w * 7.5 else "" for f, w in zip(figs, widths, strict=True)]
        ax.bar_label(bars, labels=texts, label_type="center", fontsize=FS_SMALL,
                     color=text_colour(colours[oid]))
        left += widths
    ax.set_yticks(y, [_lines(s.caption(), 230) for s in scopes])
    for tick, s in zip(ax.get_yticklabels(), scopes, strict=True):
        if s.kind == focus_scope:
            tick.set_color(PINK)
    ax.invert_yaxis()
    _percent_x(ax)
    totals = ["計：" + lab + "　" + "、".join(f"{s.label} {p.get(s.label, '', oid)[1]}" for s in scopes)
              for oid, lab in p.groups]
    if totals:
        ax.set_xlabel("\n".join(_lines(t, WIDTH_PX - 40, FS_SMALL) for t in totals), fontsize=FS_SMALL, loc="left")
    title = f"ピンクの枠：{WHO}の回答" if chosen else None
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12 if not totals else -0.3), ncols=min(len(p.options), 4),
              fontsize=FS_SMALL, title=title, title_fontsize=FS_SMALL, alignment="left")


def _grouped(ax: Any, p: fr.Parsed, entries: list[tuple[str, str, str]], focus_scope: str,
             marked: set[str]) -> None:
    """Per entry (row, option, label), one bar per scope; one BarContainer per scope (the legend)."""
    scopes = p.scopes
    nsc = max(len(scopes), 1)
    h = 0.8 / nsc
    y = np.arange(len(entries))
    for k, s in enumerate(scopes):
        figs = [p.get(s.label, rid, oid) for rid, oid, _ in entries]
        bars = ax.barh(y - 0.4 + h * (k + 0.5), [f[0] * 100 if f[2] else 0.0 for f in figs], height=h * 0.9,
                       color=s.colour(focus_scope), label=s.caption(), gid=f"scope:{s.kind}")
        ax.bar_label(bars, labels=[f[1] for f in figs], padding=3, fontsize=FS_SMALL,
                     color=PINK if s.kind == focus_scope else TEXT)
    ax.set_yticks(y, [_lines(label, 280) for _, _, label in entries])
    for tick, (rid, oid, _) in zip(ax.get_yticklabels(), entries, strict=True):
        if (rid or oid) in marked:
            tick.set_color(PINK)
    ax.set_ylim(len(entries) - 0.5, -0.5)
    _percent_x(ax, 112.0)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(nsc, 3), fontsize=FS_SMALL)


def _multi(ax: Any, p: fr.Parsed, chosen: set[str], focus_scope: str) -> None:
    entries = [("", o, ("● " if o in chosen else "") + lab) for o, lab in p.options]
    entries += [("", o, f"計：{lab}") for o, lab in p.groups]
    _grouped(ax, p, entries, focus_scope, chosen)
    if chosen:
        ax.set_xlabel(f"●：{WHO}が選んだ選択肢", fontsize=FS_SMALL, color=PINK, loc="left")


def _yes_no(ax: Any, p: fr.Parsed, selected: dict[str, list[str]] | None, focus_scope: str) -> None:
    yes, _no = yes_no_options_of(p)
    labels = dict(p.options)
    entries, does = [], set()
    for rid, label in p.rows:
        text = label
        if selected is not None and focus_scope == "municipality":
            chosen = selected.get(rid) or []
            if not chosen:
                answer = "対象外"
            elif chosen[0] == NO_ANSWER:
                answer = "未回答"
            else:
                answer = ("● " if yes in chosen else "○ ") + labels.get(chosen[0], chosen[0])
                if yes in chosen:
                    does.add(rid)
            text = f"{label}（{WHO}：{answer}）"
        entries.append((rid, yes, text))
    _grouped(ax, p, entries, focus_scope, does)
    ax.set_xlabel(f"「{labels[yes]}」の割合", fontsize=FS_SMALL, color=MUTED, loc="left")


def yes_no_options_of(p: fr.Parsed) -> tuple[str, str]:
    opts = [o for o, _ in p.options if o != NO_ANSWER]
    return opts[0], opts[1]


def _matrix(fig: Figure, ax: Any, p: fr.Parsed, selected: dict[str, list[str]] | None, focus_scope: str) -> None:
    """Rows × options: the main scope's share as colour and large figure, the other scopes small."""
    scopes = p.scopes
    main = next((s for s in scopes if s.kind == "prefecture"), scopes[0])
    others = [s for s in scopes if s is not main]
    base = PINK if main.kind == focus_scope else BLUE
    shares = np.array([[p.get(main.label, rid, oid)[0] if p.get(main.label, rid, oid)[2] else np.nan
                        for oid, _ in p.options] for rid, _ in p.rows])
    cmap = LinearSegmentedColormap.from_list("zaitaku", ["#FFFFFF", shade(1.0, base)])  # the report's shading
    image = ax.imshow(shares, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i, (rid, _) in enumerate(p.rows):
        for j, (oid, _) in enumerate(p.options):
            share, text, _present = p.get(main.label, rid, oid)
            ink = text_colour(shade(share, base))
            small = [f"{s.short()} {p.get(s.label, rid, oid)[1]}" for s in others]
            ax.text(j, i, "\n".join([text, *small]), ha="center", va="center", color=ink, fontsize=FS_SMALL,
                    linespacing=1.2, gid=f"cell:{rid}:{oid}")
            if oid in set((selected or {}).get(rid) or []):
                ax.add_patch(Rectangle((j - 0.47, i - 0.47), 0.94, 0.94, fill=False, edgecolor=PINK, linewidth=3))
    ax.set_xticks(range(len(p.options)), [_lines(lab, 120, FS_SMALL) for _, lab in p.options], fontsize=FS_SMALL)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(p.rows)), [_lines(lab, 250) for _, lab in p.rows])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    caption = [f"色と大きな数字：{main.caption()}"]
    caption += [f"小さな数字：{'、'.join(s.caption() for s in others)}"] if others else []
    if selected:
        caption.append(f"ピンクの枠：{WHO}の回答")
    ax.set_xlabel(_lines("。".join(caption), WIDTH_PX - 40, FS_SMALL), fontsize=FS_SMALL, color=MUTED, loc="left")
    fig.colorbar(image, ax=ax, shrink=0.8, format=PercentFormatter(1, decimals=0), label=f"{main.label}の割合")


def axes_chart(kind: str, df: pd.DataFrame, selected: dict[str, list[str] | None], focus_scope: str) -> Figure:
    """The Figure with Axes of one chart kind (``single``, ``multi``, ``yesno``, ``matrix``), house style."""
    p = fr.parse(df)
    if not p.scopes:
        raise ValueError("グラフにする比較の範囲がありません")
    sel = {r: v or [] for r, v in selected.items()} if selected else None
    chosen = set((selected or {}).get("") or [])
    n = {"single": len(p.scopes), "multi": (len(p.options) + len(p.groups)) * len(p.scopes),
         "yesno": len(p.rows) * len(p.scopes), "matrix": len(p.rows) * 2.2}[kind]
    per = {"single": 48, "multi": 20, "yesno": 22, "matrix": 32}[kind]
    with house_style():
        fig, ax = _figure(140 + per * n)
        if kind == "single":
            _single(ax, p, chosen, focus_scope)
        elif kind == "multi":
            _multi(ax, p, chosen, focus_scope)
        elif kind == "yesno":
            _yes_no(ax, p, sel, focus_scope)
        else:
            _matrix(fig, ax, p, sel, focus_scope)
        for axis in (ax.xaxis, ax.yaxis):  # ticks made now keep the house font when drawn later
            axis.get_major_ticks()
    return fig

"""Charts of the implementation-timing tables (one prefecture's 156 insurers), in the house style.

Each function takes :class:`zaitaku.reference.timing.TimingTables` and returns a Figure: 100% stacked bars
of the start period (the programme at three snapshots, each item (ア)～(ク) at 平成28年1月 and
平成28年7月), the 増減 between the two item snapshots, and the items left to the legal deadline
平成30年4月. Colours are Okabe–Ito with hatching (readable in black and white); the deadline is
vermillion, 未定 grey. Call :func:`zaitaku.report.charts.use_house_style` first.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

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
from zaitaku.report.charts import HATCHES, NA_COLOUR, OKABE_ITO

BLUE, ORANGE, GREEN, SKY, VERMILLION = OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[2], OKABE_ITO[3], OKABE_ITO[4]
PERIOD_STYLE: dict[str, tuple[str, str]] = {
    "平成27年度": (BLUE, HATCHES[0]),
    "平成28年度": (SKY, HATCHES[1]),
    "平成29年度": (GREEN, HATCHES[2]),
    "平成30年4月": (VERMILLION, HATCHES[3]),
    "平成30年度": (VERMILLION, HATCHES[3]),
    "未定": (NA_COLOUR, HATCHES[0]),
}
"""Colour and hatch per start period; 平成30年度 (programme tables) = 平成30年4月 (item tables)."""
CHANGE_STYLE = {BEFORE_DEADLINE_LABEL: (BLUE, ""), DEADLINE: (VERMILLION, "xx"), "未定": ("#888888", "..")}


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


def _short_title(title: str) -> str:
    return title.replace("在宅医療・介護連携", "連携").replace("医療・介護関係者", "関係者")


def item_labels(short: bool = False) -> dict[str, str]:
    """「（ア）地域の医療・介護の資源の把握」 per kana (shortened for narrow axes if ``short``)."""
    return {it.kana: f"（{it.kana}）{_short_title(it.title) if short else it.title}" for it in load_items()}


def _legend_handles(periods: list[str]) -> list[Patch]:
    handles = []
    for p in periods:
        colour, hatch = PERIOD_STYLE[p]
        label = f"{p}（期限）" if p in (DEADLINE, "平成30年度") else p
        handles.append(Patch(facecolor=colour, hatch=hatch, edgecolor="white", label=label))
    return handles


def stacked_bars(ax: Axes, counts: pd.DataFrame, *, label_min: float = 0.06, counts_in_label: bool = True) -> None:
    """100% stacked horizontal bars: one bar per row of ``counts`` (columns = periods, in order).

    Segments show 「76（48.7%）」 (or only the percent) when wide enough; the first row is on top.
    """
    y = np.arange(len(counts))[::-1]
    totals = counts.sum(axis=1).to_numpy()
    for yi, (_, row), total in zip(y, counts.iterrows(), totals, strict=True):
        left = 0.0
        for period, n in row.items():
            w = float(n) / total if total else 0.0
            colour, hatch = PERIOD_STYLE[str(period)]
            ax.barh(yi, w, left=left, color=colour, hatch=hatch, edgecolor="white", linewidth=0.8, height=0.66)
            if w >= label_min:
                text = f"{int(n)}（{w * 100:.1f}%）" if counts_in_label and w >= 0.16 else f"{w * 100:.0f}%"
                ax.text(left + w / 2, yi, text, ha="center", va="center", fontsize=7.5, color="black",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
            left += w
    ax.set_yticks(y)
    ax.set_yticklabels([str(i) for i in counts.index])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.tick_params(axis="y", length=0)


def _legend_below(fig: Figure, ax: Axes, periods: list[str], ncol: int = 5) -> None:
    ax.legend(handles=_legend_handles(periods), loc="upper center", bbox_to_anchor=(0.5, -0.14),
              ncol=min(ncol, len(periods)), fontsize=7.5, handlelength=2.2)


def programme_chart(tables: TimingTables) -> Figure:
    """The programme's start period (any one item or more) at 平成27年4月, 平成28年1月, 平成28年7月."""
    w = tables.programme_start.pivot_table(index="snapshot", columns="period", values="insurers",
                                           observed=True).astype(int)
    w.index = [f"{s}現在\n(n={int(w.loc[s].sum())})" for s in w.index.astype(str)]
    periods = [str(c) for c in w.columns]
    fig, ax = plt.subplots(figsize=(7.6, 2.7))
    stacked_bars(ax, w)
    _legend_below(fig, ax, periods)
    ax.set_title("在宅医療・介護連携推進事業の実施（予定）時期（保険者数の割合）", loc="left")
    fig.tight_layout()
    return fig


def _item_wide(tables: TimingTables, snapshot: str) -> pd.DataFrame:
    d = tables.item_start[tables.item_start["snapshot"] == snapshot]
    w = d.pivot_table(index="item", columns="period", values="insurers", observed=True).astype(int)
    w.index = w.index.astype(str)
    return w


def items_chart(tables: TimingTables) -> Figure:
    """Each item's start period, side by side for 平成28年1月 and 平成28年7月 (100% stacked)."""
    labels = item_labels(short=True)
    fig, axes = plt.subplots(1, 2, figsize=(9.2, 4.6), sharey=True)
    for ax, snap in zip(axes, ITEM_SNAPSHOTS, strict=True):
        w = _item_wide(tables, snap)
        w.index = [_wrap(labels[k], 15) for k in w.index]
        stacked_bars(ax, w, label_min=0.07, counts_in_label=False)
        ax.set_title(f"{snap}現在（n={TOTAL_INSURERS}）", fontsize=9.5)
    periods = [str(c) for c in _item_wide(tables, ITEM_SNAPSHOTS[0]).columns]
    fig.legend(handles=_legend_handles(periods), loc="lower center", ncol=len(periods), fontsize=7.5,
               handlelength=2.2, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle("事業項目別の実施（予定）時期（保険者数の割合）", x=0.01, ha="left", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def item_chart(tables: TimingTables, kana: str) -> Figure:
    """One item: its start period at 平成28年1月 and 平成28年7月."""
    rows = []
    for snap in ITEM_SNAPSHOTS:
        w = _item_wide(tables, snap)
        rows.append(w.loc[kana].rename(f"{snap}現在"))
    counts = pd.DataFrame(rows)
    periods = [str(c) for c in counts.columns]
    fig, ax = plt.subplots(figsize=(7.6, 2.1))
    stacked_bars(ax, counts, label_min=0.05)
    _legend_below(fig, ax, periods)
    fig.tight_layout()
    return fig


def change_chart(tables: TimingTables) -> Figure:
    """増減 (平成28年7月 − 平成28年1月) per item: before the deadline, at the deadline, 未定."""
    ch = change_between_snapshots(tables)
    labels = item_labels(short=True)
    cols = [BEFORE_DEADLINE_LABEL, DEADLINE, "未定"]
    fig, ax = plt.subplots(figsize=(7.6, 4.8))
    y = np.arange(len(ch))[::-1]
    h = 0.26
    for k, col in enumerate(cols):
        colour, hatch = CHANGE_STYLE[col]
        pos = y + h - k * h
        vals = ch[col].to_numpy()
        name = f"{col}（増減の表にない値）" if col == "未定" else col
        ax.barh(pos, vals, height=h * 0.92, color=colour, hatch=hatch, edgecolor="white", label=name)
        for p, v in zip(pos, vals, strict=True):
            ax.text(v + (0.6 if v >= 0 else -0.6), p, fmt_change(v), va="center",
                    ha="left" if v >= 0 else "right", fontsize=7)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(labels[k], 15) for k in ch.index])
    lim = max(abs(ch.to_numpy()).max() + 6, 10)
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("保険者数の増減（平成28年7月現在 − 平成28年1月現在）")
    ax.tick_params(axis="y", length=0)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=7.5)
    fig.tight_layout()
    return fig


def deadline_chart(tables: TimingTables, snapshot: str = ITEM_SNAPSHOTS[-1]) -> Figure:
    """Items ranked by the insurers that plan to start them only at 平成30年4月 (the legal deadline).

    Bars: ``snapshot`` (default 平成28年7月); the outlined bar behind: the other snapshot.
    """
    other = [s for s in ITEM_SNAPSHOTS if s != snapshot][0]
    now = left_to_deadline(tables, snapshot)
    before = left_to_deadline(tables, other).set_index("item")["insurers"]
    labels = item_labels(short=True)
    fig, ax = plt.subplots(figsize=(7.6, 3.9))
    y = np.arange(len(now))[::-1]
    ax.barh(y, [before[k] for k in now["item"]], height=0.78, color="none", edgecolor="#777777",
            linewidth=1.0, linestyle="--", label=f"{other}現在")
    ax.barh(y, now["insurers"], height=0.56, color=VERMILLION, hatch=HATCHES[3], edgecolor="white",
            label=f"{snapshot}現在")
    for yi, (_, r) in zip(y, now.iterrows(), strict=True):
        ax.text(max(r["insurers"], before[r["item"]]) + 1.5, yi,
                f"{int(r['insurers'])}（{r['share'] * 100:.1f}%）", va="center", fontsize=7.5)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{int(r)}. {_wrap(labels[k], 18)}" for r, k in zip(now["rank"], now["item"], strict=True)])
    ax.set_xlim(0, TOTAL_INSURERS * 0.68)
    ax.set_xlabel(f"平成30年4月から実施を予定している保険者数（n={TOTAL_INSURERS}）")
    ax.tick_params(axis="y", length=0)
    ax.legend(loc="lower right", fontsize=7.5)
    fig.tight_layout()
    return fig


def fmt_change(v: int) -> str:
    """増減 as printed in the source: ▲ for minus, + for plus, ±0 for no change."""
    v = int(v)
    return f"▲{-v}" if v < 0 else (f"+{v}" if v > 0 else "±0")

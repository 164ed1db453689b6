"""Charts in one house style: the focus (pink, as in the prefectural decks) against prefecture and nation.

Colour-blind-safe Okabe–Ito colours for options, hatching so that segments stay apart in black
and white, Japanese text in IPAexGothic (shipped by ``matplotlib-fontja``, nothing downloaded).
Every chart function takes a :func:`zaitaku.analysis.aggregate.comparison` frame and returns a Figure.
"""

from __future__ import annotations

import base64
import io
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib_fontja  # noqa: E402,F401  (registers IPAexGothic)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from zaitaku.report.format import SMALL_N  # noqa: E402
from zaitaku.report.format import cell as _pct  # noqa: E402

PINK = "#E4007F"
PINK_LIGHT = "#F8C3DE"
GREY = "#BBBBBB"
NA_COLOUR = "#DDDDDD"
# Okabe & Ito (2008), colour-universal design; yellow last (weak on white)
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#CC79A7", "#000000", "#F0E442"]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++", "**", "||", "OO", "//.", "x."]
FONT = "IPAexGothic"
PNG_DPI = 84


def use_house_style() -> None:
    """Reset matplotlib to defaults, then apply the house style (safe to call in every run)."""
    matplotlib.rcdefaults()
    plt.rcParams.update({
        "font.family": FONT,
        "axes.unicode_minus": False,
        "figure.dpi": 100,
        "savefig.dpi": 84,
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "hatch.linewidth": 0.6,
        "hatch.color": "#FFFFFF",
        "legend.frameon": False,
    })


def _wrap(text: str, width: int = 18) -> str:
    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


def _bar_label(scope_label: str, n_base: object) -> str:
    if "n=" in scope_label:  # e.g. 「全国（公表値, n=1,717）」 already states its n
        return scope_label
    n = "–" if pd.isna(n_base) else f"{int(n_base):,}"
    return f"{scope_label}\n(n={n})"


def single_bars(df: pd.DataFrame, selected: list[str] | None, focus_scope: str) -> Figure:
    """100% stacked bars, one per comparison scope; the focus's answer outlined in pink."""
    scopes = df[df["scope"] != "municipality"]
    order = scopes.drop_duplicates("scope_label")
    opts = df.drop_duplicates("option_id")[["option_id", "option_label"]].to_numpy().tolist()
    fig, ax = plt.subplots(figsize=(7.6, 0.6 * len(order) + 1.7))
    y = np.arange(len(order))[::-1]
    for yi, (_, srow) in zip(y, order.iterrows(), strict=True):
        sub = scopes[scopes["scope_label"] == srow["scope_label"]].set_index("option_id")
        left = 0.0
        small = bool(sub["n_base"].max() < SMALL_N) if sub["n_base"].notna().any() else False
        for k, (oid, _label) in enumerate(opts):
            if oid not in sub.index:
                continue
            r = sub.loc[oid]
            w = 0.0 if pd.isna(r["share"]) else float(r["share"])
            colour = NA_COLOUR if oid == "na" else OKABE_ITO[k % len(OKABE_ITO)]
            ax.barh(yi, w, left=left, color=colour, hatch=HATCHES[k % len(HATCHES)],
                    edgecolor="white", linewidth=0.8, height=0.62)
            if selected and oid in selected:
                ax.add_patch(Rectangle((left, yi - 0.36), w, 0.72, fill=False, edgecolor=PINK, linewidth=2.4))
            if w >= 0.06 or (small and w > 0):
                ax.text(left + w / 2, yi, _pct(r["n_selected"], r["n_base"], w), ha="center", va="center",
                        fontsize=8, color="white" if colour in OKABE_ITO[:1] + OKABE_ITO[4:7] else "black",
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75}
                        if colour not in OKABE_ITO[:1] + OKABE_ITO[4:7] else None)
            left += w
    ax.set_yticks(y)
    labels = [_bar_label(r["scope_label"], r["n_base"]) for _, r in order.iterrows()]
    ax.set_yticklabels(labels)
    for tick, (_, r) in zip(ax.get_yticklabels(), order.iterrows(), strict=True):
        if r["scope"] == focus_scope:
            tick.set_color(PINK)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    handles = [Patch(facecolor=NA_COLOUR if oid == "na" else OKABE_ITO[k % len(OKABE_ITO)],
                     hatch=HATCHES[k % len(HATCHES)], edgecolor="white", label=_wrap(f"{lab}", 22))
               for k, (oid, lab) in enumerate(opts)]
    if selected:
        handles.append(Patch(facecolor="none", edgecolor=PINK, linewidth=2, label="回答した選択肢"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.45, -0.12),
              ncol=min(3, len(handles)), fontsize=7.5, handlelength=2.2)
    fig.tight_layout()
    return fig


def option_bars(df: pd.DataFrame, selected: list[str] | None, focus_scope: str) -> Figure:
    """Multi-select: horizontal bars per option, one per scope; options the focus chose in pink."""
    scopes = df[df["scope"] != "municipality"]
    labels = scopes.drop_duplicates("scope_label")[["scope_label", "scope"]].to_numpy().tolist()
    opts = scopes.drop_duplicates("option_id")[["option_id", "option_label"]].to_numpy().tolist()
    nsc = len(labels)
    height = 0.8 / nsc
    fig, ax = plt.subplots(figsize=(7.6, 0.21 * len(opts) * max(nsc, 2) + 1.0))
    y = np.arange(len(opts))[::-1]
    for s, (slabel, scope) in enumerate(labels):
        sub = scopes[scopes["scope_label"] == slabel].set_index("option_id")
        n_base = sub["n_base"].max()
        colour = PINK if scope == focus_scope else [GREY, "#0072B2", "#56B4E9"][s % 3]
        vals = [float(sub.loc[o, "share"]) if o in sub.index and pd.notna(sub.loc[o, "share"]) else 0.0
                for o, _ in opts]
        pos = y + 0.4 - height * (s + 0.5)
        ax.barh(pos, vals, height=height * 0.92, color=colour, hatch=HATCHES[s % 3] if s else "",
                edgecolor="white", label=_bar_label(slabel, n_base).replace("\n", " "))
        for p, (o, _), v in zip(pos, opts, vals, strict=True):
            if o in sub.index:
                r = sub.loc[o]
                ax.text(v + 0.01, p, _pct(r["n_selected"], r["n_base"], v), va="center", fontsize=7)
            else:  # no figure for this option in this scope (e.g. not published): not a zero
                ax.text(0.01, p, "–", va="center", fontsize=7, color="#555555")
    ax.set_yticks(y)
    chosen = set(selected or [])
    ax.set_yticklabels([("● " if o in chosen else "") + _wrap(lab, 24) for o, lab in opts])
    for tick, (o, _) in zip(ax.get_yticklabels(), opts, strict=True):
        if o in chosen:
            tick.set_color(PINK)
    ax.set_xlim(0, 1.12)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(loc="lower right", fontsize=7.5)
    fig.tight_layout()
    return fig


def matrix_grid(df: pd.DataFrame, selected: dict[str, list[str]] | None, focus_scope: str) -> Figure:
    """Matrices: rows × options; each cell the focus-area share (large) and the nation's (small).

    The municipality's own answer in each row is outlined in pink.
    """
    rows = df.drop_duplicates("row_id")[["row_id", "row_label"]].to_numpy().tolist()
    opts = df.drop_duplicates("option_id")[["option_id", "option_label"]].to_numpy().tolist()
    main = df[df["scope"] == "prefecture"]
    nation = df[df["scope"] == "nation"]
    row_ids, opt_ids = [r for r, _ in rows], [o for o, _ in opts]

    def cells(part: pd.DataFrame) -> tuple[np.ndarray, list[list[str]]]:
        if part.empty:
            return np.full((len(row_ids), len(opt_ids)), np.nan), [["–"] * len(opt_ids) for _ in row_ids]
        idx = part.set_index(["row_id", "option_id"])
        share = idx["share"].astype(float).unstack().reindex(index=row_ids, columns=opt_ids)
        text = [[_pct(*idx.loc[(r, o), ["n_selected", "n_base", "share"]]) if (r, o) in idx.index else "–"
                 for o in opt_ids] for r in row_ids]
        return share.to_numpy(), text

    grid, top = cells(main)
    _, bottom = cells(nation)
    fig, ax = plt.subplots(figsize=(7.6, 0.5 * len(rows) + 1.6))
    ax.imshow(np.nan_to_num(grid), cmap="Blues", vmin=0, vmax=1.25, aspect="auto")
    for i, rid in enumerate(row_ids):
        for k, oid in enumerate(opt_ids):
            dark = not np.isnan(grid[i, k]) and grid[i, k] > 0.6
            ax.text(k, i - 0.12, top[i][k], ha="center", va="center", fontsize=8.5, color="white" if dark else "black")
            ax.text(k, i + 0.22, f"全国 {bottom[i][k]}", ha="center", va="center", fontsize=6.5,
                    color="white" if dark else "#333333")
            if selected and oid in selected.get(rid, []):
                ax.add_patch(Rectangle((k - 0.48, i - 0.48), 0.96, 0.96, fill=False, edgecolor=PINK, linewidth=2.6))
    ax.set_xticks(range(len(opts)))
    ax.set_xticklabels([_wrap(lab, 9) for _, lab in opts], fontsize=7.5)
    ax.xaxis.tick_top()
    n_by_row = main.groupby("row_id")["n_base"].max()
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{_wrap(lab, 16)} (n={int(n_by_row.get(rid, 0)) if pd.notna(n_by_row.get(rid)) else '–'})"
                        for rid, lab in rows], fontsize=8)
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    scope_name = main["scope_label"].iloc[0] if len(main) else ""
    caption = f"セルの大きな数字: {scope_name}" + (f"、小さな数字: {nation['scope_label'].iloc[0]}" if len(nation) else "")
    if selected:
        caption += "。ピンクの枠: 回答した選択肢"
    ax.set_xlabel(caption, fontsize=7.5, color=PINK if focus_scope == "municipality" else "black")
    fig.tight_layout()
    return fig


def figure_png(fig: Figure, max_colours: int = 40) -> bytes:
    """Compact PNG: drawn once by Agg, then palette-quantized (flat charts lose nothing visible)."""
    from PIL import Image

    fig.set_dpi(PNG_DPI)
    fig.canvas.draw()
    img = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    plt.close(fig)
    out = io.BytesIO()
    img.quantize(colors=max_colours, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()


def img_tag(fig: Figure, alt: str) -> str:
    """An inline ``<img>`` with alt text (reports are single files that are e-mailed)."""
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    alt = alt.replace('"', "&quot;")
    return f'<img class="chart" alt="{alt}" src="data:image/png;base64,{data}">'

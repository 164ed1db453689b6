"""Other matrices (e.g. 問2 団体 × A–E): a grid of rows × options, each cell the main scope's share (large)
and every other scope's (small: the same kind nationwide, then the nation, as the bars of the other
kinds), shaded by the main share.

Column headers are wrapped at phrase boundaries inside their column, so they never run into each
other. The focus is pink: the municipality's answer in each row is framed in pink; in prefecture
mode the prefecture's figures (the large numbers) are pink.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from zaitaku.report.charts import frame as fr
from zaitaku.report.charts.canvas import Canvas, lines_height
from zaitaku.report.charts.style import (
    FS,
    FS_SMALL,
    GRID,
    MUTED,
    PINK,
    WHO,
    WIDTH_PX,
    house_style,
    text_colour,
)
from zaitaku.report.charts.text import block_width, wrap

PAD = 8.0
BIG = 15.0


def shade(share: float, base: str = "#0072B2") -> str:
    """White to ``base`` by share (Okabe–Ito blue; pink for the focus in prefecture mode)."""
    t = min(max(share, 0.0), 1.0) * 0.85
    rgb = [round(255 + (int(base[i:i + 2], 16) - 255) * t) for i in (1, 3, 5)]
    return "#" + "".join(f"{v:02X}" for v in rgb)


def matrix_grid(df: pd.DataFrame, selected: dict[str, list[str]] | None, focus_scope: str,
                width: float = WIDTH_PX) -> Figure:
    """Rows × options; each cell the main scope's share (large) and the nation's (small); the focus in pink."""
    p = fr.parse(df)
    scopes = p.scopes
    main = next((s for s in scopes if s.kind == "prefecture"), scopes[0] if scopes else None)
    others = [s for s in scopes if s is not main]  # the same kind, the nation: small figures under the large one
    rows, opts = p.rows, p.options
    labels = [wrap(lab, 250, FS) for _, lab in rows]
    label_w = min(max((block_width(lab, FS) for lab in labels), default=0.0), 260) + 14
    col_w = (width - 2 * PAD - label_w) / max(len(opts), 1)
    heads = [wrap(lab, col_w - 10, FS_SMALL) for _, lab in opts]
    head_h = lines_height(max((len(h) for h in heads), default=1), FS_SMALL) + 10  # no options: no figures held
    small_h = FS_SMALL * 1.25
    row_hs = [max(34.0 + small_h * len(others), lines_height(len(lab)) + 10) for lab in labels]
    caption = []
    if main is not None:
        caption.append(f"大きな数字：{main.caption()}")
    if others:
        caption.append(f"小さな数字：{'、'.join(s.caption() for s in others)}")
    cap = "、".join(caption) + (f"。ピンクの枠：{WHO}の回答" if selected else "")
    cap_lines = wrap(cap, width - 2 * PAD, FS_SMALL)
    top = PAD + head_h
    height = top + sum(row_hs) + 8 + lines_height(len(cap_lines), FS_SMALL) + PAD
    x0 = PAD + label_w
    focus_main = main is not None and main.kind == focus_scope
    base = PINK if focus_main else "#0072B2"
    key_w = 0.0
    if main is not None and focus_main:  # a pink key: the shading is the prefecture's own figures
        cap = f"色の濃さ：{main.label}の割合。{cap}"
        key_w = 20.0
        cap_lines = wrap(cap, width - 2 * PAD - key_w, FS_SMALL)
    with house_style():
        c = Canvas(height, width)
        for k, head in enumerate(heads):
            c.text(x0 + col_w * (k + 0.5), top - 6, head, size=FS_SMALL, ha="center", va="bottom")
        y = top
        for (rid, _), lab, rh in zip(rows, labels, row_hs, strict=True):
            c.line([PAD, width - PAD], [y, y], colour=GRID, lw=0.8)
            c.text(PAD, y + rh / 2, lab)
            chosen = set((selected or {}).get(rid) or [])
            for k, (oid, _) in enumerate(opts):
                x = x0 + col_w * k
                share, text, present = p.get(main.label, rid, oid) if main else (0.0, "–", False)
                fill = shade(share, base) if present else "#FFFFFF"
                c.rect(x + 2, y + 2, col_w - 4, rh - 4, fill=fill)
                ink = text_colour(fill)
                block = BIG * 1.2 + small_h * len(others)
                top_y = y + rh / 2 - block / 2
                c.text(x + col_w / 2, top_y + BIG * 0.6, text, size=BIG, colour=ink, ha="center")
                for k, other in enumerate(others):
                    _, ntext, _ = p.get(other.label, rid, oid)
                    c.text(x + col_w / 2, top_y + BIG * 1.2 + small_h * (k + 0.5), f"{other.short()} {ntext}",
                           size=FS_SMALL, colour=MUTED if ink == "#000000" and share < 0.25 else ink, ha="center")
                if oid in chosen:
                    c.rect(x + 3, y + 3, col_w - 6, rh - 6, edge=PINK, lw=3.5)
            y += rh
        c.line([PAD, width - PAD], [y, y], colour=GRID, lw=0.8)
        if key_w:
            c.rect(PAD, y + 10, 13, 13, fill=PINK)
        c.text(PAD + key_w, y + 8, cap_lines, size=FS_SMALL, colour=MUTED, va="top")
    return c.fig

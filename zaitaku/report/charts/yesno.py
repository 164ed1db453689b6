"""Yes/no matrices (e.g. 問5 ①-1: each row 取り組んでいる / 取り組んでいない) as bars of the share that does.

Per row, one bar per comparison scope (the prefecture, the same kind, the nation) of the share
choosing the first option; the focus is pink: the prefecture's bars in prefecture mode, the
municipality's own answer (● does / ○ does not) in pink beside its row in a municipality's report.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from zaitaku.reference.codebook import NO_ANSWER
from zaitaku.report.charts import frame as fr
from zaitaku.report.charts.canvas import (
    Canvas,
    draw_legend,
    legend_height,
    legend_rows,
    lines_height,
)
from zaitaku.report.charts.options import BAR, PITCH, VALUE_W, scope_bar
from zaitaku.report.charts.stacked import percent_axis
from zaitaku.report.charts.style import FS, FS_SMALL, MUTED, PINK, TEXT, WHO, WIDTH_PX, house_style
from zaitaku.report.charts.text import block_width, text_width, wrap

PAD = 8.0


def yes_no_options(df: pd.DataFrame) -> tuple[str, str] | None:
    """(does, does-not) option ids when the frame's options are exactly two besides 未回答, else None."""
    opts = [o for o in dict.fromkeys(df.loc[~fr.is_group(df), "option_id"].astype(str)) if o != NO_ANSWER]
    return (opts[0], opts[1]) if len(opts) == 2 else None


def yes_shares(df: pd.DataFrame) -> pd.DataFrame:
    """The drawn figures: one row per matrix row × scope with the share choosing the first option."""
    pair = yes_no_options(df)
    if pair is None:
        raise ValueError("not a yes/no matrix: it needs exactly two options besides 未回答")
    d = df[(df["option_id"] == pair[0]) & (df["scope"] != "municipality")]
    return d[["row_id", "row_label", "scope", "scope_label", "n_selected", "n_base", "share"]].reset_index(drop=True)


def yes_no_bars(df: pd.DataFrame, selected: dict[str, list[str]] | None, focus_scope: str,
                width: float = WIDTH_PX) -> Figure:
    """Per row, bars of the share that does (first option) per scope; the focus in pink."""
    pair = yes_no_options(df)
    if pair is None:
        raise ValueError("not a yes/no matrix: it needs exactly two options besides 未回答")
    yes, _no = pair
    p = fr.parse(df)
    opt_labels = dict(p.options)
    yes_label = opt_labels[yes]
    scopes, rows = p.scopes, p.rows
    answers: dict[str, str] = {}
    if selected is not None and focus_scope == "municipality":
        for rid, _ in rows:
            chosen = selected.get(rid) or []
            if not chosen:
                answers[rid] = "対象外"
            elif chosen[0] == NO_ANSWER:
                answers[rid] = "未回答"
            else:
                answers[rid] = ("● " if yes in chosen else "○ ") + opt_labels.get(chosen[0], chosen[0])
    labels = [wrap(lab, 300, FS) for _, lab in rows]
    label_w = min(max((block_width(lab, FS) for lab in labels), default=0.0), 310) + 14
    ans_w = (max(text_width(a, FS) for a in [*answers.values(), f"{WHO}の回答"]) + 16) if answers else 0.0
    x0, x1 = PAD + label_w + ans_w, width - PAD - VALUE_W
    nsc = max(len(scopes), 1)
    row_hs = [max(nsc * PITCH, lines_height(len(lab))) + 12 for lab in labels]
    legend = legend_rows([(s.colour(focus_scope), s.caption()) for s in scopes], width - 2 * PAD, FS_SMALL)
    head_y = PAD + legend_height(legend, FS_SMALL) + 4
    top = head_y + FS_SMALL * 1.3 + 6
    bars_h = sum(row_hs)
    height = top + bars_h + 24 + PAD
    with house_style():
        c = Canvas(height, width)
        draw_legend(c, PAD, PAD, legend, FS_SMALL)
        if answers:
            c.text(PAD + label_w, head_y, f"{WHO}の回答", size=FS_SMALL, colour=PINK, va="top", bold=True)
        c.text(x0, head_y, f"「{yes_label}」の割合", size=FS_SMALL, colour=MUTED, va="top")
        percent_axis(c, x0, x1, top, top + bars_h)
        y = top
        for (rid, _), lab, rh in zip(rows, labels, row_hs, strict=True):
            c.text(PAD, y + rh / 2 - 6, lab, colour=TEXT)
            if answers:
                c.text(PAD + label_w, y + rh / 2 - 6, answers[rid], colour=PINK, bold=answers[rid].startswith("●"))
            for k, scope in enumerate(scopes):
                yb = y + k * PITCH + (rh - 12 - nsc * PITCH) / 2 + (PITCH - BAR) / 2
                scope_bar(c, x0, x1, yb, scope, focus_scope, *p.get(scope.label, rid, yes))
            y += rh
    return c.fig

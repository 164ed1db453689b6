"""Multiple-choice questions: per option, one bar per comparison scope.

The focus is pink: the options the municipality chose carry a pink 「●」 and a pink label; in
prefecture mode the prefecture's bars are pink. Named option groups (if the frame has them) follow
the options under a rule, labelled 「計：…」.
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
from zaitaku.report.charts.stacked import percent_axis
from zaitaku.report.charts.style import (
    FS,
    FS_SMALL,
    GRID,
    MUTED,
    PINK,
    TEXT,
    WHO,
    WIDTH_PX,
    house_style,
)
from zaitaku.report.charts.text import block_width, wrap

PITCH = 17.0  # one bar and the gap to the next (value labels are 12 px: they never touch)
BAR = 14.0
PAD = 8.0
VALUE_W = 56.0  # room right of a full bar for 「100.0%」



def scope_bar(c: Canvas, x0: float, x1: float, yb: float, scope: fr.Scope, focus_scope: str,
              share: float, text: str, present: bool) -> None:
    """One scope's bar with its value; 「–」 where the scope has no figure (e.g. not published): not a zero."""
    if not present:
        c.text(x0 + 4, yb + BAR / 2, "–", size=FS_SMALL, colour=MUTED)
        return
    w = (x1 - x0) * share
    c.rect(x0, yb, w, BAR, fill=scope.colour(focus_scope))
    c.text(x0 + w + 4, yb + BAR / 2, text, size=FS_SMALL, colour=PINK if scope.kind == focus_scope else TEXT)

def option_bars(df: pd.DataFrame, selected: list[str] | None, focus_scope: str, width: float = WIDTH_PX) -> Figure:
    """Multi-select: horizontal bars per option, one per scope; options the focus chose in pink."""
    p = fr.parse(df)
    scopes = p.scopes
    entries = [(o, lab, False) for o, lab in p.options]
    entries += [(o, f"計：{lab}", True) for o, lab in p.groups]
    chosen = set(selected or [])
    labels = [wrap(("● " if o in chosen else "") + lab, 270, FS) for o, lab, _ in entries]
    label_w = min(max((block_width(lab, FS) for lab in labels), default=0.0), 280) + 14
    x0, x1 = PAD + label_w, width - PAD - VALUE_W
    nsc = max(len(scopes), 1)
    group_hs = [max(nsc * PITCH, lines_height(len(lab))) + 10 for lab in labels]
    items = [(s.colour(focus_scope), s.caption()) for s in scopes]
    if chosen:
        items.append((PINK, f"●：{WHO}が選んだ選択肢"))
    legend = legend_rows(items, width - 2 * PAD, FS_SMALL)
    top = PAD + legend_height(legend, FS_SMALL) + 6
    bars_h = sum(group_hs) + (8 if p.groups else 0)
    height = top + bars_h + 24 + PAD
    with house_style():
        c = Canvas(height, width)
        draw_legend(c, PAD, PAD, legend, FS_SMALL)
        percent_axis(c, x0, x1, top, top + bars_h)
        y, in_groups = top, False
        for (oid, _lab, group), lab, gh in zip(entries, labels, group_hs, strict=True):
            if group and not in_groups:  # a rule between the options and their named groups
                c.line([PAD, width - PAD], [y + 2, y + 2], colour=GRID, lw=1)
                y, in_groups = y + 8, True
            mine = oid in chosen
            c.text(PAD, y + gh / 2 - 5, lab, colour=PINK if mine else TEXT, bold=mine)
            for k, scope in enumerate(scopes):
                yb = y + k * PITCH + (gh - 10 - nsc * PITCH) / 2 + (PITCH - BAR) / 2
                scope_bar(c, x0, x1, yb, scope, focus_scope, *p.get(scope.label, "", oid))
            y += gh
    return c.fig

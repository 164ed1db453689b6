"""A Figure laid out in pixels: the chart kinds place every bar and label themselves (no ``tight_layout``).

:class:`Canvas` wraps a plain :class:`matplotlib.figure.Figure` (no pyplot, no backend switch) with one
axes spanning it in pixel coordinates, origin top left. Artists are not clipped (no clip paths in the SVG).
Create it inside :func:`zaitaku.report.charts.style.house_style` so that text takes the house font.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.artist import Artist
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Transform

from zaitaku.report.charts.style import FONT, FS, LINE, PT_PER_INCH, TEXT, WIDTH_PX

BASELINE = 0.36  # the baseline sits this many ems below the middle of a line of Japanese text
_ANCHOR = {"left": "start", "center": "middle", "right": "end"}


class Label(Artist):
    """Lines of text placed from the label lengths, not measured: in SVG one ``<text>`` per line with
    ``text-anchor`` (the browser aligns it in the page's font); other renderers (PNG, the inline backend)
    draw ordinary :class:`~matplotlib.text.Text` at the same place."""

    zorder = 3

    def __init__(self, x: float, y: float, lines: tuple[str, ...], size: float, colour: str, ha: str, va: str,
                 transform: Transform, bold: bool = False) -> None:
        super().__init__()
        self.x, self.y, self.lines, self.size, self.colour, self.ha, self.va = x, y, lines, size, colour, ha, va
        self.bold = bold
        self.set_transform(transform)

    def baselines(self) -> list[float]:
        """The baseline of each line in px (top-origin)."""
        lh = self.size * LINE
        block = lh * len(self.lines)
        top = {"top": self.y, "bottom": self.y - block}.get(self.va, self.y - block / 2)
        return [top + lh * (i + 0.5) + BASELINE * self.size for i in range(len(self.lines))]

    def get_text(self) -> str:
        return "\n".join(self.lines)

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        tr = self.get_transform()
        svg = renderer  # print_svg wraps RendererSVG in a MixedModeRenderer, which hands on writer and height
        if isinstance(svg, RendererSVG) or callable(getattr(getattr(svg, "writer", None), "element", None)):
            style = f"font-size:{self.size:g}px"
            if self.colour.upper() != TEXT:
                style += f";fill:{self.colour}"
            if self.bold:  # IPAexGothic has no bold face: the browser emboldens it
                style += ";font-weight:bold"
            if self.ha != "left":
                style += f";text-anchor:{_ANCHOR[self.ha]}"
            for line, base in zip(self.lines, self.baselines(), strict=True):
                x, y = tr.transform((self.x, base))
                svg.writer.element("text", line, x=f"{x:.1f}", y=f"{svg.height - y:.1f}", style=style)
            return
        for line, base in zip(self.lines, self.baselines(), strict=True):
            t = Text(self.x, base, line, fontsize=self.size, color=self.colour, ha=self.ha, va="baseline",
                     fontfamily=FONT, transform=tr, figure=self.figure)
            t.draw(renderer)


class Canvas:
    """``width`` × ``height`` px; ``rect``, ``text`` and ``line`` in pixel coordinates (origin top left).

    Artists belong to the Figure itself (no Axes: nothing to lay out, no clip paths).
    """

    def __init__(self, height: float, width: float = WIDTH_PX) -> None:
        self.width, self.height = float(width), float(round(height))
        self.fig = Figure(figsize=(self.width / PT_PER_INCH, self.height / PT_PER_INCH), dpi=PT_PER_INCH)
        self.px = (Affine2D().scale(1 / PT_PER_INCH, -1 / PT_PER_INCH).translate(0, self.height / PT_PER_INCH)
                   + self.fig.dpi_scale_trans)

    def _add(self, artist: Artist) -> None:
        artist.set_transform(self.px)
        artist.set_clip_on(False)
        self.fig.add_artist(artist)

    def rect(self, x: float, y: float, w: float, h: float, fill: str = "none", edge: str = "none",
             lw: float = 0.0) -> Rectangle:
        r = Rectangle((x, y), w, h, facecolor=fill, edgecolor=edge, linewidth=lw)
        self._add(r)
        return r

    def text(self, x: float, y: float, s: str | Sequence[str], size: float = FS, colour: str = TEXT,
             ha: str = "left", va: str = "center", bold: bool = False) -> Label:
        """Text at (x, y); a sequence is one line each (line height :data:`LINE` × size)."""
        lines = (s,) if isinstance(s, str) else tuple(s)
        label = Label(x, y, lines, size, colour, ha, va, self.px, bold)
        self.fig.add_artist(label)
        return label

    def line(self, xs: Sequence[float], ys: Sequence[float], colour: str = TEXT, lw: float = 1.0,
             dashed: bool = False) -> Line2D:
        ln = Line2D(xs, ys, color=colour, linewidth=lw, linestyle="--" if dashed else "-", zorder=0.5)
        self._add(ln)
        return ln


def lines_height(n_lines: int, size: float = FS) -> float:
    """Height in px of ``n_lines`` lines of text."""
    return max(n_lines, 1) * size * LINE


Entry = tuple[str, tuple[str, ...]]  # colour, label lines


def legend_rows(items: Sequence[tuple[str, str]], width: float, size: float, swatch: float = 14,
                gap: float = 22) -> list[list[tuple[float, str, tuple[str, ...]]]]:
    """Legend entries (colour, label) placed left to right in rows of ``width`` px: [[(x, colour, lines)]].

    A label longer than half the width is wrapped at phrase boundaries.
    """
    from zaitaku.report.charts.text import block_width, wrap

    rows: list[list[tuple[float, str, tuple[str, ...]]]] = [[]]
    x = 0.0
    for colour, label in items:
        lines = wrap(label, width / 2 - swatch - 6, size)
        w = swatch + 6 + block_width(lines, size)
        if rows[-1] and x + w > width:
            rows.append([])
            x = 0.0
        rows[-1].append((x, colour, lines))
        x += w + gap
    return rows


def legend_height(rows: list[list[tuple[float, str, tuple[str, ...]]]], size: float) -> float:
    return sum(max(len(e[2]) for e in row) * size * LINE + 6 for row in rows if row)


def draw_legend(c: Canvas, x0: float, y0: float, rows: list[list[tuple[float, str, tuple[str, ...]]]],
                size: float, swatch: float = 14, outline: str | None = None) -> float:
    """Draw legend rows from (x0, y0) (top); returns the y below them. ``outline`` entries are drawn as frames."""
    y = y0
    for row in rows:
        if not row:
            continue
        row_h = max(len(e[2]) for e in row) * size * LINE + 6
        for x, colour, lines in row:
            top = y + 3 + size * LINE / 2
            if colour == outline:
                c.rect(x0 + x + 1, top - swatch / 2 + 1, swatch - 2, swatch - 2, edge=colour, lw=2.5)
            else:
                c.rect(x0 + x, top - swatch / 2, swatch, swatch, fill=colour)
            c.text(x0 + x + swatch + 6, y + 3, lines, size=size, va="top")
        y += row_h
    return y

"""A Figure as inline SVG (text kept as text, deterministic bytes), or as a 2× PNG for files.

The SVG is written by matplotlib's SVG backend (``svg.fonttype: none``, fixed ``svg.hashsalt``, no
date), then trimmed: no XML prolog, DOCTYPE or metadata, coordinates to 0.1 px, no unreferenced ids,
the font stack named once on the root, ``role="img"`` with a ``<title>`` and ``aria-label``.
"""

from __future__ import annotations

import io
import re

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from zaitaku.report.charts.style import FONT_STACK, house_style
from zaitaku.report.format import esc

_NUM = re.compile(r"(?<![#\w])(-?\d+\.\d{2,})")
_FONT_FAMILY = re.compile(r"font-family: [^;\"]*;? ?")
_ID = re.compile(r' id="([^"]+)"')
_EMPTY_G = re.compile(r"<g>\s*</g>\s*")


def _round(m: re.Match[str]) -> str:
    v = round(float(m.group(1)), 1)
    return f"{v:.1f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


def _strip_ids(svg: str) -> str:
    """Drop ids nothing refers to (matplotlib names every group; many charts share one page)."""
    used = set(re.findall(r"(?:url\(#|href=\"#)([^\")]+)", svg))
    return _ID.sub(lambda m: m.group(0) if m.group(1) in used else "", svg)


def _unwrap_groups(svg: str) -> str:
    """Remove ``<g>`` wrappers without attributes (left once the ids are gone), innermost first."""
    pattern = re.compile(r"<g>\s*((?:(?!<g[ >])(?!</g>).)*?)\s*</g>", re.S)
    prev = None
    while prev != svg:
        prev = svg
        svg = pattern.sub(r"\1", svg)
    return svg


def figure_svg(fig: Figure) -> str:
    """The SVG document of ``fig`` (trimmed, without ``role``/title: see :func:`svg_markup`)."""
    out = io.StringIO()
    with house_style():
        FigureCanvasSVG(fig).print_svg(out, metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>\s*", "", svg, flags=re.S)
    svg = _FONT_FAMILY.sub("", svg)
    svg = svg.replace('style=""', "").replace(' transform="rotate(-0 ', ' data-r="')
    svg = re.sub(r' data-r="[^"]*"', "", svg)
    svg = _strip_ids(svg)
    svg = _unwrap_groups(svg)
    svg = _NUM.sub(_round, svg)
    svg = re.sub(r' d="([^"]*)"', lambda m: ' d="' + re.sub(r"\s*([MLCQZz])\s*", r"\1", m.group(1)).strip() + '"', svg)
    svg = re.sub(r' style="([^"]*)"', lambda m: ' style="' + re.sub(r"([:;]) ", r"\1", m.group(1)) + '"', svg)
    svg = re.sub(r"\n\s*", "\n", svg)
    return svg.strip()


def svg_markup(svg: str, alt: str, width: float) -> str:
    """Inline ``<svg>`` for an HTML page: scales down with the column, never up; ``role="img"`` and title."""
    a = esc(alt)
    head_end = svg.index(">") + 1
    head = svg[:head_end]
    head = re.sub(r' (width|height)="[^"]*"', "", head)
    head = re.sub(r' xmlns:xlink="[^"]*"', "", head) if "xlink:" not in svg[head_end:] else head
    head = head.replace("<svg ", f'<svg class="chart" role="img" aria-label="{a}" '
                                 f'style="width:100%;max-width:{width:.0f}px;height:auto;'
                                 f"font-family:{esc(FONT_STACK)}\" ", 1)
    return f"{head}<title>{a}</title>{svg[head_end:]}"


def figure_png(fig: Figure, scale: float = 2.0) -> bytes:
    """A PNG at ``scale`` × the chart's pixel size (sharp on high-density screens and in print)."""
    out = io.BytesIO()
    with house_style():
        fig.savefig(out, format="png", dpi=fig.dpi * scale, metadata={"Software": None})
    return out.getvalue()

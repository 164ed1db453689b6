"""Charts in one house style: the focus in pink (as in the prefectural decks) against prefecture, kind and nation.

Importing this package changes nothing in matplotlib (no backend switch, no rcParams): each chart is
drawn on its own :class:`~matplotlib.figure.Figure` inside :func:`house_style` (seaborn's white style,
IPAexGothic, Okabe–Ito colours), laid out in pixels from the labels' lengths, and embedded as inline SVG
with text kept as text (≥ 11 px at 100% zoom in the report column).

Kinds (:func:`chart_kind`): ``single`` (100% stacked bars), ``multi`` (bars per option), ``yesno``
(matrices of does/doesn't: bars of the share that does per row), ``matrix`` (a grid of shares).
:func:`chart_markup` draws a kind once per distinct content (see :mod:`.cache`).
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from zaitaku.report.charts.cache import cached, chart_cache_stats, clear_chart_cache, content_key
from zaitaku.report.charts.matrix import matrix_grid
from zaitaku.report.charts.options import option_bars
from zaitaku.report.charts.stacked import single_bars
from zaitaku.report.charts.style import (
    FONT_STACK,
    GREY,
    HATCHES,
    NA_COLOUR,
    OKABE_ITO,
    PINK,
    WIDTH_PX,
    house_style,
    use_house_style,
)
from zaitaku.report.charts.svg import figure_png, figure_svg, svg_markup
from zaitaku.report.charts.yesno import yes_no_bars, yes_no_options

__all__ = [
    "FONT_STACK", "GREY", "HATCHES", "NA_COLOUR", "OKABE_ITO", "PINK", "WIDTH_PX",
    "chart_cache_stats", "chart_kind", "chart_markup", "clear_chart_cache", "draw", "figure_png",
    "figure_svg", "house_style", "img_tag", "matrix_grid", "option_bars", "single_bars", "svg_tag", "use_house_style",
    "yes_no_bars",
]

Selected = dict[str, list[str] | None]  # row id ("" outside matrices) -> options chosen; None = not asked


def chart_kind(question_type: str, df: pd.DataFrame) -> str:
    """``single``, ``multi``, ``yesno`` or ``matrix`` for a question type (codebook) and its figures."""
    if question_type.startswith("matrix"):
        if question_type == "matrix-single" and yes_no_options(df) is not None:
            return "yesno"
        return "matrix"
    return "multi" if question_type == "multi" else "single"


def draw(kind: str, df: pd.DataFrame, selected: Selected, focus_scope: str) -> Figure:
    """The Figure of one chart kind."""
    if kind in ("yesno", "matrix"):
        sel = {r: v or [] for r, v in selected.items()} if selected else None
        return (yes_no_bars if kind == "yesno" else matrix_grid)(df, sel, focus_scope)
    chosen = selected.get("") if selected else None
    return (option_bars if kind == "multi" else single_bars)(df, chosen, focus_scope)


def _selected_key(selected: Selected) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    return tuple(sorted((r, tuple(v) if v is not None else None) for r, v in (selected or {}).items()))


def chart_markup(kind: str, df: pd.DataFrame, selected: Selected, focus_scope: str, alt: str) -> str:
    """Inline SVG of a chart with ``alt`` as its title; the drawing is made once per distinct content."""
    key = content_key(kind, df, _selected_key(selected), focus_scope, WIDTH_PX)
    svg = cached(key, lambda: figure_svg(draw(kind, df, selected, focus_scope)))
    return svg_markup(svg, alt, WIDTH_PX)


def svg_tag(fig: Figure, alt: str) -> str:
    """``fig`` as inline ``<svg role="img">`` with ``alt`` as its title (reports are single files that are e-mailed)."""
    return svg_markup(figure_svg(fig), alt, fig.get_figwidth() * fig.dpi)


img_tag = svg_tag
"""Former name (charts were ``<img>`` PNGs), kept for benchmarks/bench_charts.py, which times old and new."""

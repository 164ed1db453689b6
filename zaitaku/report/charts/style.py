"""The house style: colours, sizes in pixels, the Japanese font, applied only while a chart is drawn.

Nothing here runs at import: :func:`house_style` is a context (``matplotlib.rc_context`` over
seaborn's ``white`` style) entered by the chart functions themselves, so an analyst's own
rcParams and backend stay as they were.

Sizes are in CSS pixels at the width the report draws a chart (:data:`WIDTH_PX`): a figure is
``WIDTH_PX / 72`` inches wide and SVG user units are points, so one unit of the SVG's viewBox is one
pixel on screen and a 12-pt font is 12 px at 100% zoom.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import matplotlib

PINK = "#E4007F"  # the focus, as in the prefectural decks
PINK_LIGHT = "#F8C3DE"
GREY = "#BBBBBB"
NA_COLOUR = "#DDDDDD"
TEXT = "#222222"
MUTED = "#555555"
GRID = "#D9D9D9"
# Okabe & Ito (2008), colour-universal design; yellow last (weak on white)
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#CC79A7", "#000000", "#F0E442"]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++", "**", "||", "OO", "//.", "x."]
"""Kept for callers that still hatch; the house charts no longer do (colour + labels suffice)."""
SCOPE_COLOURS = {"prefecture": "#0072B2", "peer": "#009E73", "type": "#56B4E9", "nation": "#8C8C8C"}
"""Bar colour of a comparison scope that is not the focus (the focus is :data:`PINK`)."""

FONT = "IPAexGothic"
FONT_STACK = ('"IPAexGothic", "IPAexゴシック", "Hiragino Kaku Gothic ProN", "Hiragino Sans", '
              '"Yu Gothic", "Meiryo", "Noto Sans CJK JP", sans-serif')
"""The page's Japanese font stack; charts name it once on the ``<svg>`` (the report CSS uses the same)."""

WHO = "この市町村"  # charts do not name the municipality: one drawing serves all that answered alike
WIDTH_PX = 940  # the report column (62rem minus padding) holds a chart at 100%
PT_PER_INCH = 72
FS = 13.0  # body text of charts (px at WIDTH_PX)
FS_SMALL = 12.0  # the smallest chart text (legends, secondary figures): ≥ 11 px at 100% zoom
LINE = 1.3  # line height as a multiple of the font size


def _register_font() -> None:
    """Make IPAexGothic known to matplotlib (from matplotlib-fontja's file) without importing that package.

    Importing ``matplotlib_fontja`` would set ``font.family`` globally; here only its font file is added.
    """
    from matplotlib import font_manager

    if any(f.name == FONT for f in font_manager.fontManager.ttflist):
        return
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec and spec.submodule_search_locations:
        ttf = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"
        if ttf.is_file():
            font_manager.fontManager.addfont(str(ttf))


@functools.cache
def _house_rc() -> tuple[tuple[str, object], ...]:
    return tuple(house_rc().items())


def house_rc() -> dict[str, object]:
    """The rcParams of the house style: seaborn's ``white`` axes style with the Japanese font and fixed SVG output."""
    import seaborn as sns

    rc: dict[str, object] = dict(sns.axes_style("white"))
    rc.update({
        "font.family": [FONT],
        "font.sans-serif": [FONT, "DejaVu Sans"],
        "font.size": FS,
        "axes.unicode_minus": False,
        "text.color": TEXT,
        "axes.edgecolor": MUTED,
        "figure.dpi": PT_PER_INCH,
        "savefig.dpi": PT_PER_INCH,
        "svg.fonttype": "none",  # text stays text: searchable, sharp, in the page's font
        "svg.hashsalt": "zaitaku",  # deterministic ids: warm output equals fresh output
        "svg.image_inline": True,
        "path.simplify": True,
        "hatch.linewidth": 0.6,
        "legend.frameon": False,
    })
    return rc


@contextlib.contextmanager
def house_style() -> Iterator[None]:
    """Apply the house style while drawing; the caller's rcParams are restored on exit."""
    _register_font()
    with matplotlib.rc_context(dict(_house_rc())):  # type: ignore[arg-type]  # stubs want Literal rc names
        yield




def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill`` (WCAG relative luminance)."""
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


def use_house_style() -> None:
    """Put the house style and its Japanese font on every figure drawn afterwards in this kernel.

    An explicit opt-in, one line in a notebook (``from zaitaku.report.charts import use_house_style;
    use_house_style()``): zaitaku changes no rcParams at import. For one figure only, draw it inside
    ``with house_style():``; ``matplotlib.rcdefaults()`` undoes this.
    """
    _register_font()
    matplotlib.rcParams.update(dict(_house_rc()))  # type: ignore[arg-type]  # stubs want Literal rc names

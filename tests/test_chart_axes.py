"""`Section.chart()`: a Figure with real Axes an analyst adapts, with the same figures as the report's SVG.

The independent check is the Section's own table (``s.table()``, the formatted cells 「73.7%（14/19）」 or
「3/4」 under the small-n rule): every figure it lists must be a bar (or grid cell) of the Axes chart and of the
report's pixel-laid-out drawing, and nothing else.
"""

from __future__ import annotations

import io
import re
import warnings
from collections import Counter

import matplotlib
import pytest
from IPython.core.formatters import DisplayFormatter
from matplotlib.container import BarContainer
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from zaitaku.analysis.aggregate import focus_of, load_processed
from zaitaku.report.charts import GREY, house_style
from zaitaku.report.charts.style import GRID, use_house_style
from zaitaku.report.section import build_section

CASES = [("q1", "single"), ("q4_1_2_2", "multi"), ("q5_1_1", "yesno"), ("q2", "matrix")]


@pytest.fixture(scope="module")
def data(processed_dir):
    return load_processed(processed_dir)


def table_values(s) -> dict[tuple[str, ...], float]:
    """(項目…, scope label) -> percentage, read from the table's text (「42.1%（8/19）」, 「3/4」); 「–」 skipped."""
    out = {}
    t = s.table()
    for idx, row in t.iterrows():
        key = idx if isinstance(idx, tuple) else (idx,)
        for scope, text in row.items():
            m = re.match(r"^([\d.]+)%", text)
            frac = re.match(r"^(\d+)/(\d+)$", text)
            if m:
                out[(*key, scope)] = float(m.group(1))
            elif frac:
                out[(*key, scope)] = round(100 * int(frac.group(1)) / int(frac.group(2)), 1)
    return out


def axes_values(fig, kind: str, s) -> dict[tuple[str, ...], float]:
    """The same keys read from the Axes: bar widths (single, multi, yes/no) or the grid cells' large figures."""
    ax = fig.axes[0]
    out = {}
    scopes = list(dict.fromkeys(s.figures.loc[s.figures["scope"] != "municipality", "scope_label"]))
    if kind == "matrix":
        rows = dict(zip(s.figures["row_id"], s.figures["row_label"], strict=True))
        opts = dict(zip(s.figures["option_id"], s.figures["option_label"], strict=True))
        for t in ax.texts:
            gid = t.get_gid() or ""
            if gid.startswith("cell:"):
                _, rid, oid = gid.split(":", 2)
                first = t.get_text().split("\n")[0]
                m = re.match(r"^([\d.]+)%", first)
                frac = re.match(r"^(\d+)/(\d+)$", first)
                value = float(m.group(1)) if m else (round(100 * int(frac.group(1)) / int(frac.group(2)), 1)
                                                    if frac else None)
                if value is not None:
                    out[(rows[rid], opts[oid], "島根県")] = value
        return out
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]
    ticks = [t.get_text().replace("\n", "") for t in ax.get_yticklabels()]
    for c in containers:
        for i, bar in enumerate(c.patches):
            if kind == "single":
                key = (c.get_label(), scopes[i])
            else:
                scope = scopes[containers.index(c)]
                label = re.sub(r"（この市町村：.*）$", "", ticks[i].removeprefix("● "))
                key = (label, scope) if kind == "multi" else (label, s.question.option_label("1"), scope)
            out[key] = round(bar.get_width(), 1)
    return out


def canvas_values(fig) -> Counter:
    """The report drawing's bars as percentages of the 0–100% grid (a multiset: its rectangles carry no names)."""
    grid = [ln for ln in fig.artists if isinstance(ln, Line2D) and ln.get_color().upper() == GRID
            and ln.get_xdata()[0] == ln.get_xdata()[1]]
    xs = sorted(ln.get_xdata()[0] for ln in grid)
    x0, x1 = xs[0], xs[-1]
    top, bottom = min(min(ln.get_ydata()) for ln in grid), max(max(ln.get_ydata()) for ln in grid)
    bars = [r for r in fig.artists if isinstance(r, Rectangle) and r.get_fill() and r.get_facecolor()[3] > 0
            and top <= r.get_y() <= bottom]
    return Counter(round(100 * r.get_width() / (x1 - x0), 1) for r in bars)


@pytest.mark.parametrize(("qid", "kind"), CASES)
def test_chart_has_axes_with_the_tables_figures(data, qid, kind):
    s = build_section(data, qid, focus_of(data, "322016"))  # 松江市: 中核市, 島根県, the demo covers the nation
    fig = s.chart()
    assert fig.axes, "s.chart() must have Axes to adapt"
    expected = table_values(s)
    groups = set(s.figures.loc[s.figures["is_group"], "option_label"])
    if kind == "matrix":  # named option groups (協力している（A+B+C）) are in the table, not in the grid
        expected = {k: v for k, v in expected.items() if k[1] not in groups}
    got = axes_values(fig, kind, s)
    if kind == "matrix":
        expected = {k: v for k, v in expected.items() if k[-1] == "島根県"}
    if kind == "yesno":  # the bars are the share that does (the first option)
        expected = {k: v for k, v in expected.items() if k[1] == s.question.option_label("1")}
    assert expected and got == pytest.approx(expected, abs=0.051)
    if kind != "single":
        assert fig.axes[0].get_legend() is not None or kind == "matrix"


@pytest.mark.parametrize(("qid", "kind"), [c for c in CASES if c[1] != "matrix"])
def test_report_drawing_shows_the_same_figures(data, qid, kind):
    s = build_section(data, qid, focus_of(data, "322016"))
    yes = s.question.option_label("1")
    in_table = Counter(round(v, 1) for k, v in table_values(s).items()
                       if not k[0].startswith("計") and (kind != "yesno" or k[1] == yes))
    drawn = canvas_values(s.report_figure())
    assert drawn == in_table
    assert Counter(round(v, 1) for v in axes_values(s.chart(), kind, s).values()) == in_table


def test_legend_and_bars_are_artists_to_restyle(data):
    s = build_section(data, "q4_1_2_2", focus_of(data, "322016"))
    fig = s.chart()
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["島根県（n=19）", "全国の中核市（n=62）", "全国（n=1,741）"]
    for c in ax.containers:
        for bar in c:
            bar.set_color(GREY)
    assert all(b.get_facecolor()[:3] == matplotlib.colors.to_rgb(GREY) for c in ax.containers for b in c)


def test_adapting_a_japanese_title_gives_no_glyph_warning(data):
    s = build_section(data, "q3", focus_of(data, "014702"))  # 音威子府村（北海道）
    with matplotlib.rc_context(matplotlib.rcParamsDefault), warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = s.chart()
        fig.suptitle("問3 委託の状況（音威子府村・北海道）")
        ax = fig.axes[0]
        ax.set_title("委託している割合")
        ax.set_xlabel("割合（％）")
        ax.images[0].set_cmap("Greys")  # q3 is a grid: its colours are an image
        fig.savefig(io.BytesIO(), format="png")
        fig.savefig(io.BytesIO(), format="svg")
    assert matplotlib.rcParams["font.family"] == matplotlib.rcParamsDefault["font.family"]


def test_figure_shows_itself_inline(data):
    s = build_section(data, "q1", focus_of(data, "322016"))
    data_, _ = DisplayFormatter().format(s.chart())
    assert data_["image/png"][:8] == b"\x89PNG\r\n\x1a\n"


def test_opt_in_for_own_figures():
    """The house style on an analyst's own figures: a context, or one explicit line; never at import."""
    from matplotlib.figure import Figure

    with matplotlib.rc_context(matplotlib.rcParamsDefault), warnings.catch_warnings():
        warnings.simplefilter("error")
        with house_style():
            fig = Figure()
            fig.add_subplot().set_title("自分のグラフ")
        fig.savefig(io.BytesIO(), format="png")
        use_house_style()
        fig = Figure()
        ax = fig.add_subplot()
        ax.bar(["松江市", "出雲市"], [1, 2])
        t = ax.text(0, 1, "注記")
        fig.savefig(io.BytesIO(), format="png")
        assert isinstance(t, Text) and t.get_fontname() == "IPAexGothic"
    assert matplotlib.rcParams["font.family"] == matplotlib.rcParamsDefault["font.family"]

"""Native PowerPoint charts of one Section (data embedded; staff restyle them in PowerPoint).

Single-choice questions (and each row of a single-choice matrix) are 100% stacked bars: one bar
per comparison scope, one segment per option. Multi-select questions (and each row of a
multi-select matrix) are clustered bars: one group per option, one bar per scope. The focus — the
municipality, or the prefecture in prefecture mode — is pink; n is in the category (stacked) or
series (clustered) labels; data labels are percentages, or 「3/4」 under the small-n rule
(:mod:`zaitaku.report.format`).

In a municipality deck the municipality's own answer is the first bar (stacked: its option in
pink; clustered: a pink bar at 100% on each option it chose), labelled 「<名前>の回答」.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_TICK_LABEL_POSITION,
)
from pptx.shapes.graphfrm import GraphicFrame
from pptx.slide import Slide
from pptx.util import Emu, Pt

from zaitaku.analysis.records import records
from zaitaku.reference.codebook import NO_ANSWER
from zaitaku.report import format as fmt
from zaitaku.report.charts.style import text_colour
from zaitaku.report.deck import xml
from zaitaku.report.deck.style import (
    COMPARISON_RGB,
    FONT,
    GREY_RGB,
    NA_RGB,
    NATION_RGB,
    OPTION_RGB,
    PINK_RGB,
    TEXT_RGB,
)
from zaitaku.report.section import Section

LABEL_MIN_SHARE = 0.04
"""Stacked segments narrower than this carry no data label (the value stays in the chart data)."""
PERCENT_FORMAT = '0.0"%"'
ANSWERED = "回答"


@dataclass
class SeriesSpec:
    """One series: name, values (None = no figure), per-point label override and colours."""

    name: str
    values: list[float | None]
    colour: object
    labels: dict[int, str] = field(default_factory=dict)  # point index -> custom text ("" = none)
    focus: bool = False  # the whole series is the focus (clustered)
    pink_points: set[int] = field(default_factory=set)  # points filled pink (the municipality's answer)
    outlined_points: set[int] = field(default_factory=set)  # points outlined pink (the focus bar)


@dataclass
class ChartSpec:
    """What a native chart holds: its kind, categories (two levels for matrices) and series."""

    kind: str  # "stacked" or "clustered"
    categories: list[tuple[str, str]]  # (row label or "", category label)
    series: list[SeriesSpec]
    keys: list[tuple[str, str]]  # per category: (row_id, scope or option id) — for tests and notes

    @property
    def labels(self) -> list[str]:
        """Category labels as embedded: a matrix row's label on a line above its first scope or option."""
        out, previous = [], None
        sep = "\n" if len(self.categories) <= 12 else "："  # crowded charts: one line per bar
        for row, label in self.categories:
            out.append(f"{row}{sep}{label}" if row and row != previous else label)
            previous = row
        return out


def _n_suffix(label: str, n_base: object) -> str:
    if "n=" in label:  # 「全国（公表値, n=1,717）」 already states its n
        return label
    return f"{label}（n={fmt.n_label(n_base)}）"


def _small_label(r: Mapping[str, Any]) -> str | None:
    """「3/4」 (small n) or 「–」 (no base), else None: the number format shows the percentage."""
    if pd.isna(r["share"]):
        return ""
    text = fmt.cell(r["n_selected"], r["n_base"], r["share"])
    return None if text == fmt.pct(r["share"]) else text


def _short(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _value(r: Mapping[str, Any] | None) -> float | None:
    if r is None or pd.isna(r["share"]):
        return None
    return round(float(r["share"]) * 100, 6)


def drawn_figures(section: Section, figures: list[dict] | None = None) -> list[dict]:
    """The figures a chart draws, as plain records: the options, not the named option groups (those are
    sums of options; a stacked bar would count them twice; the groups stay in the speaker notes).
    ``figures``: the Section's figures as :func:`records` (read from the Section when None)."""
    return [r for r in (records(section.figures) if figures is None else figures) if not r.get("is_group")]


def _scope_records(records: list[dict]) -> list[dict]:
    """The first record of each scope label, in order (the chart's scopes)."""
    seen: dict[object, dict] = {}
    for r in records:
        seen.setdefault(r["scope_label"], r)
    return list(seen.values())


def largest_base(records: list[dict], by: list[str]) -> dict:
    """The largest n of each group of records (by the values of ``by``; None where none is known)."""
    out: dict[Any, Any] = {}
    for r in records:
        key = tuple(r[k] for k in by) if len(by) > 1 else r[by[0]]
        n = r["n_base"]
        if fmt.is_missing(n):
            out.setdefault(key, None)
        elif out.get(key) is None or n > out[key]:
            out[key] = n
    return out


def _firsts(records: list[dict], key: str, label: str) -> list[list[Any]]:
    """[id, label] of each distinct ``key`` in first-seen order (``drop_duplicates`` over records)."""
    seen: dict[Any, list[Any]] = {}
    for r in records:
        seen.setdefault(r[key], [r[key], r[label]])
    return list(seen.values())


def stacked_spec(section: Section, figures: list[dict] | None = None) -> ChartSpec:
    """100% stacked bars: categories (row ×) scope, series = options (未回答 last). ``figures``: as
    :func:`drawn_figures`."""
    focus = section.focus
    focus_scope = section.focus_scope
    records = drawn_figures(section, figures)
    opts, rows = _firsts(records, "option_id", "option_label"), _firsts(records, "row_id", "row_label")
    cell = {(r["row_id"], r["scope"], r["option_id"]): r for r in records}
    base = largest_base(records, ["row_id", "scope"])
    categories, keys = [], []
    for row_id, row_label in rows:
        for s in _scope_records([r for r in records if r["row_id"] == row_id]):
            n = base[(row_id, s["scope"])]
            if s["scope"] == "municipality":
                asked = section.selected.get(row_id) is not None
                label = f"{focus.name}の{ANSWERED}" if asked else f"{focus.name}（対象外）"
            else:
                label = _n_suffix(s["scope_label"], n)
            categories.append((row_label, label))
            keys.append((row_id, s["scope"]))
    series = []
    for k, (oid, olabel) in enumerate(opts):
        colour = NA_RGB if oid == NO_ANSWER else OPTION_RGB[k % len(OPTION_RGB)]
        spec = SeriesSpec(olabel, [], colour)
        for i, (row_id, scope) in enumerate(keys):
            r = cell.get((row_id, scope, oid))
            spec.values.append(_value(r))
            if scope == "municipality":
                chosen = r is not None and r["n_selected"] == 1
                if chosen:
                    spec.pink_points.add(i)
                spec.labels[i] = f"{ANSWERED}：{_short(olabel)}" if chosen else ""
                continue
            if scope == focus_scope:
                spec.outlined_points.add(i)
            if r is None or pd.isna(r["share"]):
                spec.labels[i] = "" if r is None else fmt.MISSING
                continue
            small = _small_label(r)
            if small is not None:
                spec.labels[i] = small
            elif float(r["share"]) < LABEL_MIN_SHARE:
                spec.labels[i] = ""
        series.append(spec)
    return ChartSpec("stacked", categories, series, keys)


def clustered_spec(section: Section, figures: list[dict] | None = None) -> ChartSpec:
    """Clustered bars: categories (row ×) option, series = scopes (the focus pink)."""
    focus = section.focus
    focus_scope = section.focus_scope
    records = drawn_figures(section, figures)
    opts, rows = _firsts(records, "option_id", "option_label"), _firsts(records, "row_id", "row_label")
    categories = [(row_label, olabel) for _, row_label in rows for _, olabel in opts]
    keys = [(row_id, oid) for row_id, _ in rows for oid, _ in opts]
    cell = {(r["scope"], r["row_id"], r["option_id"]): r for r in records}
    base = largest_base(records, ["scope"])
    series, others = [], 0
    for s in _scope_records(records):
        scope = s["scope"]
        n = base[scope]
        if scope == "municipality":
            name, colour = f"{focus.name}の{ANSWERED}", PINK_RGB
        else:
            name = _n_suffix(s["scope_label"], n)
            if scope == focus_scope:
                colour = PINK_RGB
            elif scope == "nation":
                colour = NATION_RGB
            else:
                colour, others = COMPARISON_RGB[others % len(COMPARISON_RGB)], others + 1
        spec = SeriesSpec(name, [], colour, focus=scope == focus_scope)
        for i, (row_id, oid) in enumerate(keys):
            r = cell.get((scope, row_id, oid))
            spec.values.append(_value(r))
            if scope == "municipality":
                spec.labels[i] = ANSWERED if r is not None and r["n_selected"] == 1 else ""
            elif r is None:
                spec.labels[i] = fmt.MISSING  # e.g. an option without a published figure
            else:
                small = _small_label(r)
                if small is not None:
                    spec.labels[i] = small
        series.append(spec)
    return ChartSpec("clustered", categories, series, keys)


def chart_spec(section: Section, figures: list[dict] | None = None) -> ChartSpec:
    """The chart of a Section: stacked for single-choice (incl. matrix rows), clustered for multi."""
    return clustered_spec(section, figures) if section.question.is_multi else stacked_spec(section, figures)


# --------------------------------------------------------------------------------------------
# drawing


def _chart_data(spec: ChartSpec) -> CategoryChartData:
    cd = CategoryChartData(number_format=PERCENT_FORMAT)
    cd.categories = spec.labels
    for s in spec.series:
        cd.add_series(s.name, s.values, number_format=PERCENT_FORMAT)
    return cd


def _font_everywhere(chart_element, size: float) -> None:
    """Chart-wide text properties: house font (Latin and East Asian) and size."""
    from pptx.chart.chart import Chart

    chart: Chart = chart_element
    chart.font.size = Pt(size)
    chart.font.name = FONT
    chart.font.color.rgb = TEXT_RGB
    xml.set_east_asian(chart.font, FONT)


def _style_points(plot: Any, spec: ChartSpec, label_size: float) -> None:
    position = XL_LABEL_POSITION.CENTER if spec.kind == "stacked" else XL_LABEL_POSITION.OUTSIDE_END
    for s, ser in zip(spec.series, plot.series, strict=True):
        ink = label_rgb(s.colour) if spec.kind == "stacked" else TEXT_RGB  # inside a segment / beside a bar
        key = (spec.kind, str(s.colour), label_size)
        style = _SERIES_STYLES.get(key)
        if style is not None:
            xml.copy_series_style(ser, style)
        else:
            _style_series(ser, spec.kind, s.colour, ink, label_size, position)
            _SERIES_STYLES[key] = xml.series_style(ser)
        for i in s.pink_points:
            point = ser.points[i]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = PINK_RGB
            point.format.line.color.rgb = PINK_RGB
        for i in s.outlined_points:
            point = ser.points[i]
            point.format.fill.solid()  # a point's own spPr replaces the series' (fill included)
            point.format.fill.fore_color.rgb = s.colour
            point.format.line.color.rgb = PINK_RGB
            point.format.line.width = Pt(2.5)
        for i, text in sorted(s.labels.items()):
            if text == "":
                xml.hide_point_label(ser, i)
                continue
            colour = _white() if i in s.pink_points else ink
            label_key = (spec.kind, str(colour), label_size)
            model = _LABELS.get(label_key)
            if model is not None and text.isprintable():
                xml.copy_point_label(ser, model, i, text)
                continue
            dl = ser.points[i].data_label
            tf = dl.text_frame
            tf.text = text
            tf.word_wrap = False  # wrap="none" on a:bodyPr
            run = tf.paragraphs[0].runs[0]
            run.font.size = Pt(label_size)
            run.font.name = FONT
            run.font.color.rgb = colour
            xml.set_east_asian(run.font, FONT)
            dl.position = position
            if text.isprintable():
                _LABELS[label_key] = xml.point_label(ser, i)


_SERIES_STYLES: dict[tuple[str, str, float], tuple[Any, ...]] = {}
"""The first series of each kind, colour and label size styled through python-pptx, as copied XML
(:func:`xml.series_style`); the same for every deck, a few dozen at most."""
_LABELS: dict[tuple[str, str, float], Any] = {}
"""The first point label of each kind, text colour and size written through python-pptx (a detached copy
of its ``c:dLbl``, :func:`xml.point_label`); every other label with one line of text copies it."""


def _style_series(ser: Any, kind: str, colour: Any, ink: RGBColor, label_size: float, position: Any) -> None:
    """A whole series' fill, outline and labels, through python-pptx's API."""
    ser.format.fill.solid()
    ser.format.fill.fore_color.rgb = colour
    ser.invert_if_negative = False
    if kind == "stacked":
        ser.format.line.color.rgb = _white()
        ser.format.line.width = Pt(0.75)
    # series-level labels override the plot's: state them in full
    dls = ser.data_labels
    dls.show_value = True
    dls.number_format = PERCENT_FORMAT
    dls.number_format_is_linked = False
    dls.position = position
    dls.font.size = Pt(label_size)
    dls.font.name = FONT
    dls.font.color.rgb = ink
    xml.set_east_asian(dls.font, FONT)


def label_rgb(fill: object) -> RGBColor:
    """White or black on a segment's fill, whichever contrasts more (WCAG relative luminance; ≥ 4.58:1)."""
    return RGBColor.from_string(text_colour(f"#{fill}").lstrip("#"))


def _white():
    from pptx.dml.color import RGBColor

    return RGBColor(0xFF, 0xFF, 0xFF)


def add_chart(slide: Slide, spec: ChartSpec, left: int, top: int, width: int, height: int,
              *, name: str = "グラフ") -> GraphicFrame:
    """Draw a ChartSpec as a native bar chart (categories top to bottom, legend below)."""
    kind = XL_CHART_TYPE.BAR_STACKED_100 if spec.kind == "stacked" else XL_CHART_TYPE.BAR_CLUSTERED
    # python-pptx 1.0.2 annotates add_chart as taking ChartData (a subclass of CategoryChartData) and
    # returning a Chart; it takes any chart data and returns the GraphicFrame, as its docstring says.
    frame = cast(GraphicFrame, slide.shapes.add_chart(kind, Emu(left), Emu(top), Emu(width), Emu(height),
                                                      _chart_data(spec)))  # type: ignore[arg-type]
    frame.name = name
    chart = frame.chart
    n_points = len(spec.categories) * (1 if spec.kind == "stacked" else len(spec.series))
    size = 10 if n_points <= 24 else 9 if n_points <= 40 else 8
    _font_everywhere(chart, size)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(size)
    plot = chart.plots[0]
    plot.gap_width = 45 if spec.kind == "stacked" else 35
    if spec.kind == "stacked":
        plot.overlap = 100
    else:
        plot.overlap = 0
    plot.has_data_labels = True
    dl = plot.data_labels
    dl.number_format = PERCENT_FORMAT
    dl.number_format_is_linked = False
    dl.font.size = Pt(size - 1)
    dl.position = XL_LABEL_POSITION.CENTER if spec.kind == "stacked" else XL_LABEL_POSITION.OUTSIDE_END
    _style_points(plot, spec, size - 1)
    cat = chart.category_axis
    cat.reverse_order = True  # first category on top, as read
    cat.tick_labels.font.size = Pt(size)
    cat.format.line.color.rgb = GREY_RGB
    cat.has_major_gridlines = False
    xml.show_every_label(cat)
    val = chart.value_axis
    # a 100% stacked axis runs 0–1 whatever the data; clustered values are percentages
    val.minimum_scale = 0
    val.maximum_scale = 1 if spec.kind == "stacked" else 100
    val.major_unit = 0.25 if spec.kind == "stacked" else 20
    val.has_major_gridlines = True
    val.major_gridlines.format.line.color.rgb = NA_RGB
    val.tick_labels.font.size = Pt(size - 1)
    val.tick_labels.number_format = "0%" if spec.kind == "stacked" else '0"%"'
    val.tick_labels.number_format_is_linked = False
    val.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    val.format.line.fill.background()
    return frame

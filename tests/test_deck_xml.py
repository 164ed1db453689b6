"""zaitaku/report/deck/xml.py: each reach into python-pptx's element tree, checked on the saved file's XML
(read with zipfile and lxml, not through python-pptx), so a python-pptx release that moves an element fails here."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
from pptx.util import Inches, Pt

from zaitaku.report.deck import xml

NS = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
      "p": "http://schemas.openxmlformats.org/presentationml/2006/main"}


def _deck():
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1))
    run = box.text_frame.paragraphs[0].add_run()
    run.text = "連携の状況"
    run.font.name = "Arial"
    data = CategoryChartData()
    data.categories = ["松江市", "島根県", "全国"]
    data.add_series("実施", (0.5, 0.4, 0.3))
    frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(1), Inches(2), Inches(6), Inches(4), data)
    return prs, slide, box, run, frame


def _xml(prs, part: str) -> etree._Element:
    buf = io.BytesIO()
    prs.save(buf)
    with zipfile.ZipFile(buf) as z:
        name = next(n for n in z.namelist() if n.startswith(part))
        return etree.fromstring(z.read(name))


def test_set_east_asian_puts_a_ea_after_a_latin_once():
    prs, _, _, run, _ = _deck()
    xml.set_east_asian(run.font, "IPAexGothic")
    xml.set_east_asian(run.font, "IPAexGothic")  # replaced, not repeated
    rpr = _xml(prs, "ppt/slides/slide1.xml").find(".//a:r/a:rPr", NS)
    assert [etree.QName(e).localname for e in rpr] == ["latin", "ea"]
    assert rpr.find("a:ea", NS).get("typeface") == "IPAexGothic"
    assert rpr.find("a:latin", NS).get("typeface") == "Arial"


def test_hide_point_label_deletes_one_label_and_keeps_the_value():
    prs, _, _, _, frame = _deck()
    series = frame.chart.plots[0].series[0]
    series.data_labels.show_value = True
    xml.hide_point_label(series, 1)
    chart = _xml(prs, "ppt/charts/chart")
    dlbl = chart.find(".//c:ser/c:dLbls/c:dLbl", NS)
    assert dlbl.find("c:idx", NS).get("val") == "1"
    assert dlbl.find("c:delete", NS).get("val") == "1"
    assert [v.text for v in chart.findall(".//c:ser/c:val//c:v", NS)] == ["0.5", "0.4", "0.3"]


def _labelled(series, index: int, text: str) -> None:
    """A point label written through python-pptx's API, as zaitaku's charts write the first of a colour."""
    label = series.points[index].data_label
    label.text_frame.text = text
    label.text_frame.word_wrap = False
    label.text_frame.paragraphs[0].runs[0].font.size = Pt(9)
    label.position = XL_LABEL_POSITION.OUTSIDE_END


def test_a_copied_point_label_is_the_label_python_pptx_writes():
    """Truth: every label written through python-pptx's API; the copies must give the same chart XML."""
    prs_api, _, _, _, frame_api = _deck()
    prs_copy, _, _, _, frame_copy = _deck()
    by_api, by_copy = frame_api.chart.plots[0].series[0], frame_copy.chart.plots[0].series[0]
    for series in (by_api, by_copy):
        series.data_labels.show_value = True
    _labelled(by_api, 0, "50%<")
    xml.hide_point_label(by_api, 1)
    _labelled(by_api, 2, "30% & 一部")
    _labelled(by_copy, 0, "50%<")
    model = xml.point_label(by_copy, 0)
    xml.hide_point_label(by_copy, 1)
    xml.copy_point_label(by_copy, model, 2, "30% & 一部")
    chart_api, chart_copy = _xml(prs_api, "ppt/charts/chart"), _xml(prs_copy, "ppt/charts/chart")
    assert etree.tostring(chart_copy) == etree.tostring(chart_api)
    assert [e.get("val") for e in chart_copy.findall(".//c:dLbls/c:dLbl/c:idx", NS)] == ["0", "1", "2"]
    with pytest.raises(ValueError):
        xml.copy_point_label(by_copy, model, 2, "again")  # a point has one label
    with pytest.raises(ValueError):
        xml.copy_point_label(by_copy, model, 3, "two\nlines")  # python-pptx would write two paragraphs


def _style_by_api(series) -> None:
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = RGBColor(0x1F, 0x4E, 0x79)
    series.format.line.width = Pt(0.75)
    series.invert_if_negative = False
    series.data_labels.show_value = True
    series.data_labels.font.size = Pt(9)
    series.data_labels.position = XL_LABEL_POSITION.CENTER


def test_a_copied_series_style_is_the_style_python_pptx_writes():
    """Truth: both series of a chart styled through python-pptx's API; the copy must give the same XML."""
    def two_series_deck():
        prs = Presentation()
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        data = CategoryChartData()
        data.categories = ["松江市", "島根県", "全国"]
        data.add_series("実施", (0.5, 0.4, 0.3))
        data.add_series("未実施", (0.5, 0.6, 0.7))
        frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_STACKED_100, Inches(1), Inches(1), Inches(6), Inches(4), data)
        return prs, frame.chart.plots[0].series

    prs_api, (a1, a2) = two_series_deck()
    prs_copy, (c1, c2) = two_series_deck()
    for series in (a1, a2, c1):
        _style_by_api(series)
    _labelled(c1, 0, "50%")  # a point label of the model is not part of its style
    style = xml.series_style(c1)
    xml.copy_series_style(c2, style)
    xml.copy_series_style(c2, style)  # replaced, not repeated
    _labelled(a1, 0, "50%")
    chart_api, chart_copy = _xml(prs_api, "ppt/charts/chart"), _xml(prs_copy, "ppt/charts/chart")
    assert etree.tostring(chart_copy) == etree.tostring(chart_api)
    second = chart_copy.findall(".//c:ser", NS)[1]
    assert [etree.QName(e).localname for e in second][:6] == ["idx", "order", "tx", "spPr", "invertIfNegative", "dLbls"]


def test_a_label_copied_out_of_order_is_put_in_index_order():
    prs, _, _, _, frame = _deck()
    series = frame.chart.plots[0].series[0]
    _labelled(series, 1, "40%")
    model = xml.point_label(series, 1)
    xml.copy_point_label(series, model, 2, "30%")
    xml.copy_point_label(series, model, 0, "50%")
    labels = _xml(prs, "ppt/charts/chart").findall(".//c:ser/c:dLbls/c:dLbl", NS)
    assert [(d.find("c:idx", NS).get("val"), d.find(".//a:t", NS).text) for d in labels] == [
        ("0", "50%"), ("1", "40%"), ("2", "30%")]


def test_show_every_label_sets_tick_label_skip_in_schema_order():
    prs, _, _, _, frame = _deck()
    xml.show_every_label(frame.chart.category_axis)
    xml.show_every_label(frame.chart.category_axis)
    ax = _xml(prs, "ppt/charts/chart").find(".//c:catAx", NS)
    names = [etree.QName(e).localname for e in ax]
    assert names.count("tickLblSkip") == 1
    assert ax.find("c:tickLblSkip", NS).get("val") == "1"
    after = [n for n in ("crossAx", "crosses", "auto", "lblAlgn", "lblOffset") if n in names]
    assert names.index("tickLblSkip") > max(names.index(n) for n in after)


def test_set_alt_text_on_a_chart_and_a_text_box():
    prs, _, box, _, frame = _deck()
    xml.set_alt_text(frame, "図1", "松江市 50%、島根県 40%、全国 30%")
    xml.set_alt_text(box, "見出し", "連携の状況")
    assert xml.alt_text(frame) == ("図1", "松江市 50%、島根県 40%、全国 30%")
    slide = _xml(prs, "ppt/slides/slide1.xml")
    chart_pr = slide.find(".//p:graphicFrame/p:nvGraphicFramePr/p:cNvPr", NS)
    box_pr = slide.find(".//p:sp/p:nvSpPr/p:cNvPr", NS)
    assert (chart_pr.get("title"), chart_pr.get("descr")) == ("図1", "松江市 50%、島根県 40%、全国 30%")
    assert (box_pr.get("title"), box_pr.get("descr")) == ("見出し", "連携の状況")


def test_text_frame_word_wrap_false_is_wrap_none():
    """The public property the deck uses for data labels instead of a:bodyPr (was an element reach)."""
    prs, _, box, _, _ = _deck()
    box.text_frame.word_wrap = False
    body = _xml(prs, "ppt/slides/slide1.xml").find(".//p:sp/p:txBody/a:bodyPr", NS)
    assert body.get("wrap") == "none"


DECORATIVE = {"adec": "http://schemas.microsoft.com/office/drawing/2017/decorative"}


def test_decorative_mark_is_the_office_extension_once():
    from pptx.enum.shapes import MSO_SHAPE

    prs, slide, _, _, _ = _deck()
    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, Inches(1), Inches(1))
    other = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, Inches(1), Inches(1))
    xml.set_decorative(bar)
    xml.set_decorative(bar)  # twice: still one mark
    assert xml.is_decorative(bar) and not xml.is_decorative(other)
    root = _xml(prs, "ppt/slides/slide1.xml")
    marks = root.findall(".//p:cNvPr/a:extLst/a:ext/adec:decorative", {**NS, **DECORATIVE})
    assert len(marks) == 1 and marks[0].get("val") == "1"
    assert marks[0].getparent().get("uri") == "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
    assert marks[0].getparent().getparent().getparent().get("name") == bar.name


def test_move_to_end_changes_reading_order():
    prs, _, box, _, frame = _deck()
    xml.move_to_end(box)
    names = [e.get("name") for e in _xml(prs, "ppt/slides/slide1.xml").iterfind("./p:cSld/p:spTree/*/*[1]/p:cNvPr", NS)]
    assert names[-2:] == [frame.name, box.name]

"""The deck's XML helpers, checked in the saved file read back with zipfile and lxml (not python-pptx).

If a python-pptx release moves the shape's element or its ``p:cNvPr``, these fail loudly.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE
from pptx.util import Inches

from zaitaku.report.deck.xml import (
    alt_text,
    is_decorative,
    move_to_end,
    set_alt_text,
    set_decorative,
)

NS = {"p": "http://schemas.openxmlformats.org/presentationml/2006/main",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "adec": "http://schemas.microsoft.com/office/drawing/2017/decorative"}


def _slide_xml(prs) -> etree._Element:
    buf = io.BytesIO()
    prs.save(buf)
    with zipfile.ZipFile(buf) as z:
        return etree.fromstring(z.read("ppt/slides/slide1.xml"))


@pytest.fixture
def slide():
    prs = Presentation()
    s = prs.slides.add_slide(prs.slide_layouts[5])
    return prs, s


def test_alt_text_is_written_as_descr_of_each_kind_of_shape(slide):
    prs, s = slide
    box = s.shapes.add_textbox(0, 0, Inches(1), Inches(1))
    rect = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, Inches(1), Inches(1))
    cd = CategoryChartData()
    cd.categories = ["A", "B"]
    cd.add_series("s", (1, 2))
    chart = s.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, 0, 0, Inches(3), Inches(2), cd)
    table = s.shapes.add_table(2, 2, 0, 0, Inches(2), Inches(1))
    set_alt_text(box, "文字の箱")
    set_alt_text(rect, "四角 & <記号>")
    set_alt_text(chart, "問1 協議会の設置のグラフ。島根県（n=19）：設置している 73.7%", title="問1")
    set_alt_text(table, "表の説明")
    assert alt_text(chart).endswith("73.7%")
    root = _slide_xml(prs)
    descr = {e.get("name"): e.get("descr") for e in root.iterfind(".//p:cNvPr", NS)}
    assert descr[box.name] == "文字の箱"
    assert descr[rect.name] == "四角 & <記号>"
    assert descr[chart.name] == "問1 協議会の設置のグラフ。島根県（n=19）：設置している 73.7%"
    assert descr[table.name] == "表の説明"
    frame = next(e for e in root.iterfind(".//p:graphicFrame/p:nvGraphicFramePr/p:cNvPr", NS)
                 if e.get("name") == chart.name)
    assert frame.get("title") == "問1"
    # the title placeholder was not given one
    assert descr[s.shapes.title.name] is None


def test_decorative_mark_is_the_office_extension(slide):
    prs, s = slide
    bar = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, Inches(1), Inches(1))
    other = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, Inches(1), Inches(1))
    set_decorative(bar)
    set_decorative(bar)  # twice: still one mark
    assert is_decorative(bar) and not is_decorative(other)
    root = _slide_xml(prs)
    marks = root.findall(".//p:cNvPr/a:extLst/a:ext/adec:decorative", NS)
    assert len(marks) == 1 and marks[0].get("val") == "1"
    assert marks[0].getparent().get("uri") == "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
    assert marks[0].getparent().getparent().getparent().get("name") == bar.name


def test_move_to_end_changes_reading_order(slide):
    prs, s = slide
    first = s.shapes.add_textbox(0, 0, Inches(1), Inches(1))
    first.name = "一"
    second = s.shapes.add_textbox(0, 0, Inches(1), Inches(1))
    second.name = "二"
    move_to_end(first)
    names = [e.get("name") for e in _slide_xml(prs).iterfind("./p:cSld/p:spTree/*/*[1]/p:cNvPr", NS)]
    assert names[-2:] == ["二", "一"]


def test_not_a_shape_fails_loudly():
    with pytest.raises(TypeError, match="XML 要素"):
        set_alt_text(object(), "x")

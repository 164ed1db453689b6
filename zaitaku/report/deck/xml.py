"""The few things python-pptx has no public property for, done on its element tree.

python-pptx's maintainer documents the element tree (``shape._element``, ``font._rPr``) as the way to
reach what the API does not cover; every such reach of zaitaku is in this module (ruff's SLF001 is
switched off for this file only), and each function has a test (tests/test_deck_xml.py) that fails
loudly when a python-pptx release moves the element it uses.
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree
from pptx.oxml.ns import qn


def _element(obj: Any) -> Any:
    """The lxml element behind a python-pptx shape, series or axis."""
    element = getattr(obj, "_element", None)
    if element is None:
        raise TypeError(f"python-pptx {type(obj).__name__} has no element tree (_element): update zaitaku/report/deck/xml.py")
    return element


def set_east_asian(font: Any, name: str) -> None:
    """Give a run's or paragraph's font (python-pptx ``Font``) the East Asian typeface ``name``:
    ``a:ea`` right after ``a:latin`` in its ``a:rPr`` (``Font.name`` sets only ``a:latin``)."""
    rpr = font._rPr
    for old in rpr.findall(qn("a:ea")):
        rpr.remove(old)
    ea = etree.SubElement(rpr, qn("a:ea"))
    ea.set("typeface", name)
    latin = rpr.find(qn("a:latin"))
    if latin is not None:
        latin.addnext(ea)


def hide_point_label(series: Any, index: int) -> None:
    """Hide one point's data label (``c:dLbl`` with ``c:delete``), keeping its value in the data."""
    label = etree.Element(qn("c:dLbl"))
    etree.SubElement(label, qn("c:idx")).set("val", str(index))
    etree.SubElement(label, qn("c:delete")).set("val", "1")
    _insert_label(_element(series).get_or_add_dLbls(), label, index)


def point_label(series: Any, index: int) -> Any:
    """A copy of the ``c:dLbl`` of point ``index`` (written through python-pptx's ``Point.data_label``;
    detached, so it does not hold the chart), the model for :func:`copy_point_label`; it must hold its text
    as one run of one paragraph."""
    dlbls = _element(series).get_or_add_dLbls()
    for label in dlbls.iterfind(qn("c:dLbl")):
        if label.find(qn("c:idx")).get("val") == str(index):
            if len(label.findall(_LABEL_RUN)) != 1 or len(label.findall(_LABEL_RUN + "/" + qn("a:t"))) != 1:
                raise ValueError(f"点 {index} のデータラベルは一つの段落の一つの文字列ではありません")
            return copy.deepcopy(label)
    raise ValueError(f"python-pptx: 点 {index} のデータラベル (c:dLbl) がありません: update zaitaku/report/deck/xml.py")


_LABEL_RUN = f"{qn('c:tx')}/{qn('c:rich')}/{qn('a:p')}/{qn('a:r')}"


def copy_point_label(series: Any, model: Any, index: int, text: str) -> None:
    """Label point ``index`` as ``model`` (a :func:`point_label` of the same kind) is labelled, with
    ``text`` instead of its text: the same XML python-pptx writes, at a tenth of the cost (a deck has
    thousands of labels). ``text`` must be one printable line (python-pptx turns line breaks and tabs
    into elements of their own)."""
    if not text.isprintable():
        raise ValueError(f"データラベル {text!r} は一行の印字できる文字列ではありません")
    label = copy.deepcopy(model)
    label.find(qn("c:idx")).set("val", str(index))
    label.find(_LABEL_RUN + "/" + qn("a:t")).text = text
    _insert_label(_element(series).get_or_add_dLbls(), label, index)


def _insert_label(dlbls: Any, label: Any, index: int) -> None:
    """Put ``label`` among the ``c:dLbl`` of ``dlbls`` in index order (before the series-wide settings),
    as python-pptx does; a point has one label."""
    existing = dlbls.findall(qn("c:dLbl"))
    for other in reversed(existing):  # labels are added in index order: the last is usually smaller
        other_index = int(other.find(qn("c:idx")).get("val"))
        if other_index == index:
            raise ValueError(f"点 {index} にはもうデータラベルがあります")
        if other_index < index:
            other.addnext(label)
            return
    if existing:
        existing[0].addprevious(label)
    else:
        dlbls.insert(0, label)


_SERIES_STYLE = ("c:spPr", "c:invertIfNegative", "c:dLbls")
"""What styles a bar series as a whole: its fill and outline, no inversion, its labels' settings."""
_SERIES_RANK = {qn(tag): rank for rank, tag in enumerate((
    "c:idx", "c:order", "c:tx", "c:spPr", "c:invertIfNegative", "c:pictureOptions", "c:dPt", "c:dLbls",
    "c:trendline", "c:errBars", "c:cat", "c:val", "c:shape", "c:extLst"))}
"""The children of a bar chart's ``c:ser`` in schema order (ECMA-376 CT_BarSer)."""


def series_style(series: Any) -> tuple[Any, ...]:
    """Copies of the elements that style ``series`` as a whole (:data:`_SERIES_STYLE`; labels of single
    points left out), written through python-pptx's API, for :func:`copy_series_style`."""
    ser = _element(series)
    style = []
    for tag in _SERIES_STYLE:
        element = ser.find(qn(tag))
        if element is None:
            raise ValueError(f"python-pptx: 系列に {tag} がありません: update zaitaku/report/deck/xml.py")
        element = copy.deepcopy(element)
        for label in element.findall(qn("c:dLbl")):
            element.remove(label)
        style.append(element)
    return tuple(style)


def copy_series_style(series: Any, style: tuple[Any, ...]) -> None:
    """Style ``series`` as the series :func:`series_style` copied: the same XML the API writes, at a
    fraction of the cost (a deck has about two hundred series). Call it before labelling single points:
    it replaces the series' ``c:dLbls``."""
    ser = _element(series)
    for element in style:
        for old in ser.findall(element.tag):
            ser.remove(old)
        rank = _SERIES_RANK[element.tag]
        later = next((child for child in ser if _SERIES_RANK.get(child.tag, -1) > rank), None)
        if later is not None:
            later.addprevious(copy.deepcopy(element))
        else:
            ser.append(copy.deepcopy(element))


def show_every_label(axis: Any) -> None:
    """Show every category label of ``axis`` (``c:tickLblSkip`` 1; viewers skip crowded ones otherwise)."""
    ax = _element(axis)
    for old in ax.findall(qn("c:tickLblSkip")):
        ax.remove(old)
    skip = etree.Element(qn("c:tickLblSkip"))
    skip.set("val", "1")
    # schema order: ... crossAx, crosses, auto, lblAlgn, lblOffset, tickLblSkip, tickMarkSkip, noMultiLvlLbl
    found = (ax.find(qn(tag)) for tag in ("c:lblOffset", "c:lblAlgn", "c:auto", "c:crosses", "c:crossAx"))
    anchor = next((e for e in found if e is not None), None)
    if anchor is not None:
        anchor.addnext(skip)
    else:
        ax.append(skip)


def set_alt_text(shape: Any, title: str, descr: str) -> None:
    """Alternative text of a shape, picture or chart (PowerPoint's 「代替テキスト」): ``title`` and
    ``descr`` on its ``p:cNvPr`` (python-pptx reads ``name`` there but has no property for these)."""
    cnvpr = _element(shape).find(".//" + qn("p:cNvPr"))
    if cnvpr is None:
        raise ValueError(f"python-pptx {type(shape).__name__}: no p:cNvPr for alt text: update zaitaku/report/deck/xml.py")
    cnvpr.set("title", title)
    cnvpr.set("descr", descr)


def alt_text(shape: Any) -> tuple[str, str]:
    """The ``(title, descr)`` :func:`set_alt_text` wrote ('' where absent)."""
    cnvpr = _element(shape).find(".//" + qn("p:cNvPr"))
    return ("", "") if cnvpr is None else (cnvpr.get("title", ""), cnvpr.get("descr", ""))


DECORATIVE_EXT_URI = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
"""The ``a:ext`` of Office's 「装飾用にする」 mark (ECMA-376 extension list, Office 2019 and later)."""
DECORATIVE_NS = "http://schemas.microsoft.com/office/drawing/2017/decorative"


def _c_nv_pr(shape: Any) -> Any:
    cnvpr = _element(shape).find(".//" + qn("p:cNvPr"))
    if cnvpr is None:
        raise ValueError(f"python-pptx {type(shape).__name__}: no p:cNvPr: update zaitaku/report/deck/xml.py")
    return cnvpr


def set_decorative(shape: Any) -> None:
    """Mark a shape decorative (screen readers skip it; PowerPoint's checker asks it no alt text)."""
    cnvpr = _c_nv_pr(shape)
    ext_lst = cnvpr.find(qn("a:extLst"))
    if ext_lst is None:
        ext_lst = etree.SubElement(cnvpr, qn("a:extLst"))
    for ext in ext_lst.findall(qn("a:ext")):
        if ext.get("uri") == DECORATIVE_EXT_URI:
            ext_lst.remove(ext)
    ext = etree.SubElement(ext_lst, qn("a:ext"))
    ext.set("uri", DECORATIVE_EXT_URI)
    etree.SubElement(ext, f"{{{DECORATIVE_NS}}}decorative", nsmap={"adec": DECORATIVE_NS}).set("val", "1")


def is_decorative(shape: Any) -> bool:
    for ext in _c_nv_pr(shape).iterfind(f"{qn('a:extLst')}/{qn('a:ext')}"):
        if ext.get("uri") == DECORATIVE_EXT_URI:
            return any(m.get("val") == "1" for m in ext.iterfind(f"{{{DECORATIVE_NS}}}decorative"))
    return False


def move_to_end(shape: Any) -> None:
    """Move a shape to the end of its slide's shape tree: last in reading order (and on top)."""
    element = _element(shape)
    parent = element.getparent()
    if parent is None:
        raise ValueError("図形がスライドにありません")
    parent.remove(element)
    parent.append(element)

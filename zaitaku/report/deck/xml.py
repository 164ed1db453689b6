"""The few things python-pptx has no public property for, done on its element tree.

python-pptx's maintainer documents the element tree (``shape._element``, ``font._rPr``) as the way to
reach what the API does not cover; every such reach of zaitaku is in this module (ruff's SLF001 is
switched off for this file only), and each function has a test (tests/test_deck_xml.py) that fails
loudly when a python-pptx release moves the element it uses.
"""

from __future__ import annotations

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
    dlbls = _element(series).get_or_add_dLbls()
    dlbl = dlbls.get_or_add_dLbl_for_point(index)
    for child in list(dlbl):
        if child.tag != qn("c:idx"):
            dlbl.remove(child)
    etree.SubElement(dlbl, qn("c:delete")).set("val", "1")


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

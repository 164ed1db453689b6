"""The python-pptx XML the deck reaches for where python-pptx has no public API, in one place.

python-pptx 1.0 exposes no alternative text, "decorative" mark or reading order. Its documented
route is the shape's element tree (``shape.element``, the public face of ``shape._element``): a shape's non-visual properties
(``p:nvSpPr``, ``p:nvGraphicFramePr``, ``p:nvPicPr`` …) start with ``p:cNvPr``, whose ``descr``
attribute is the alternative text PowerPoint shows under 「代替テキスト」, and the order of the
shapes in ``p:spTree`` is the reading order screen readers follow. Every helper goes through
:func:`_c_nv_pr` or :func:`_element`, which fail loudly when a python-pptx release moves them
(``tests/test_deck_xml.py`` checks the attributes in the saved file, read back without python-pptx).
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from pptx.oxml.ns import qn

DECORATIVE_EXT_URI = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
"""The ``a:ext`` of Office's 「装飾用にする」 mark (ECMA-376 extension list, Office 2019 and later)."""
DECORATIVE_NS = "http://schemas.microsoft.com/office/drawing/2017/decorative"


def _element(shape: Any) -> etree._Element:
    """The shape's XML element (``p:sp``, ``p:graphicFrame``, ``p:pic`` …)."""
    element = getattr(shape, "element", None)
    if not isinstance(element, etree._Element):
        raise TypeError(f"python-pptx の図形 {type(shape).__name__} に XML 要素（element）がありません")
    return element


def _c_nv_pr(shape: Any) -> etree._Element:
    """The shape's ``p:cNvPr`` (first child of its non-visual properties)."""
    nv = _element(shape)[0] if len(_element(shape)) else None
    found = nv[0] if nv is not None and len(nv) else None
    if found is None or found.tag != qn("p:cNvPr"):
        raise TypeError(f"図形 {type(shape).__name__} に p:cNvPr が見つかりません（python-pptx の版が変わった可能性）")
    return found


def set_alt_text(shape: Any, text: str, title: str | None = None) -> None:
    """Set a shape's alternative text (``descr``; PowerPoint's 代替テキスト) and optionally its ``title``."""
    c_nv_pr = _c_nv_pr(shape)
    c_nv_pr.set("descr", text)
    if title is not None:
        c_nv_pr.set("title", title)


def alt_text(shape: Any) -> str:
    """A shape's alternative text ('' when it has none)."""
    return str(_c_nv_pr(shape).get("descr", ""))


def set_decorative(shape: Any) -> None:
    """Mark a shape as decorative (a screen reader skips it; PowerPoint's checker asks no alt text)."""
    c_nv_pr = _c_nv_pr(shape)
    ext_lst = c_nv_pr.find(qn("a:extLst"))
    if ext_lst is None:
        ext_lst = etree.SubElement(c_nv_pr, qn("a:extLst"))
    for ext in ext_lst.findall(qn("a:ext")):
        if ext.get("uri") == DECORATIVE_EXT_URI:
            ext_lst.remove(ext)
    ext = etree.SubElement(ext_lst, qn("a:ext"))
    ext.set("uri", DECORATIVE_EXT_URI)
    mark = etree.SubElement(ext, f"{{{DECORATIVE_NS}}}decorative", nsmap={"adec": DECORATIVE_NS})
    mark.set("val", "1")


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

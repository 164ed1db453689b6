"""The deck's house style: slide size, colours, fonts, and text boxes with Japanese fonts set.

PowerPoint picks a run's font by script: Latin text uses ``a:latin``, Japanese uses ``a:ea``.
python-pptx's ``font.name`` sets only the Latin one, so :func:`set_font` writes both. The default
face is Meiryo (on every Windows PC, where the deck is edited); where it is missing (LibreOffice on
Linux) the viewer substitutes a Japanese gothic face such as IPAexGothic.
"""

from __future__ import annotations

from collections.abc import Iterable

from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.shapes.autoshape import Shape
from pptx.slide import Slide
from pptx.text.text import Font
from pptx.util import Emu, Inches, Pt

from zaitaku.report.charts import GREY, NA_COLOUR, OKABE_ITO, PINK
from zaitaku.report.deck import xml

SLIDE_WIDTH = Emu(12_192_000)  # 13.333 in: PowerPoint's own 16:9 size
SLIDE_HEIGHT = Emu(6_858_000)  # 7.5 in
FONT = "Meiryo"
"""Latin and East Asian typeface of every run and chart (present on Windows; substituted elsewhere)."""

PINK_RGB = RGBColor.from_string(PINK.lstrip("#"))
GREY_RGB = RGBColor.from_string(GREY.lstrip("#"))
NA_RGB = RGBColor.from_string(NA_COLOUR.lstrip("#"))
TEXT_RGB = RGBColor(0x22, 0x22, 0x22)
MUTED_RGB = RGBColor(0x55, 0x55, 0x55)
BANNER_FILL = RGBColor(0xFF, 0xF0, 0xF7)
OPTION_RGB = [RGBColor.from_string(c.lstrip("#")) for c in OKABE_ITO]
COMPARISON_RGB = [RGBColor.from_string(c.lstrip("#")) for c in ("#0072B2", "#56B4E9")]
"""Bars of the other comparison scopes (prefecture or same kind, when they are not the focus)."""

MARGIN = Inches(0.45)
CONTENT_WIDTH = Emu(SLIDE_WIDTH - 2 * MARGIN)

SYNTHETIC_TEXT = ("⚠ デモ用の架空データ（synthetic）です。実在の市区町村の回答ではありません。"
                  "数値を業務に用いないでください。")
SYNTHETIC_FOOTER = "デモ用の架空データ（synthetic）"


def set_font(font: Font, size: float | None = None, *, bold: bool | None = None,
             colour: RGBColor | None = None, name: str = FONT) -> None:
    """Size, weight, colour and both the Latin and the East Asian typeface of a run or paragraph."""
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if colour is not None:
        font.color.rgb = colour
    font.name = name
    xml.set_east_asian(font, name)


def write_paragraphs(frame_owner: Shape, lines: Iterable[str], size: float, *, bold: bool = False,
                     colour: RGBColor = TEXT_RGB, space_after: float = 4, bullet: str = "") -> None:
    """Replace a shape's text with one paragraph per line, all in the house font."""
    tf = frame_owner.text_frame
    tf.word_wrap = True
    first = True
    for line in lines:
        p = tf.paragraphs[0] if first else tf.add_paragraph()
        first = False
        p.space_after = Pt(space_after)
        run = p.add_run()
        run.text = f"{bullet}{line}"
        set_font(run.font, size, bold=bold, colour=colour)


def add_text(slide: Slide, left: int, top: int, width: int, height: int, lines: Iterable[str] | str,
             size: float = 14, *, bold: bool = False, colour: RGBColor = TEXT_RGB, name: str = "",
             align: PP_ALIGN | None = None, anchor: MSO_ANCHOR = MSO_ANCHOR.TOP, bullet: str = "",
             space_after: float = 4) -> Shape:
    """An ordinary, editable text box (word-wrapped, house font)."""
    box = slide.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
    if name:
        box.name = name
    tf = box.text_frame
    tf.vertical_anchor = anchor
    for side in ("margin_left", "margin_right"):
        setattr(tf, side, Inches(0.08))
    write_paragraphs(box, [lines] if isinstance(lines, str) else lines, size, bold=bold, colour=colour,
                     space_after=space_after, bullet=bullet)
    if align is not None:
        for p in tf.paragraphs:
            p.alignment = align
    return box


def title_size(text: str) -> float:
    """A title on one line where it fits: 26 pt up to 34 characters, smaller for longer ones."""
    n = len(text)
    return 26 if n <= 34 else 22 if n <= 40 else 19 if n <= 47 else 16 if n <= 56 else 14


def set_title(slide: Slide, text: str, *, top: int = Inches(0.25), height: int = Inches(0.75),
              size: float | None = None) -> Shape:
    """Fill and place the slide's title placeholder (the slide keeps a real title for outlines)."""
    title = slide.shapes.title
    if title is None:
        raise ValueError("slide layout has no title placeholder")
    title.left, title.top, title.width, title.height = MARGIN, Emu(top), CONTENT_WIDTH, Emu(height)
    tf = title.text_frame
    tf.clear()
    tf.word_wrap = True
    tf.vertical_anchor = MSO_ANCHOR.MIDDLE
    p = tf.paragraphs[0]
    p.alignment = PP_ALIGN.LEFT
    run = p.add_run()
    run.text = text
    set_font(run.font, size or title_size(text), bold=True, colour=TEXT_RGB)
    return title


def accent_bar(slide: Slide, top: int, height: int, left: int = Inches(0.25)) -> Shape:
    """The pink bar beside a title or a commentary line."""
    from pptx.enum.shapes import MSO_SHAPE

    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Emu(left), Emu(top), Inches(0.08), Emu(height))
    bar.fill.solid()
    bar.fill.fore_color.rgb = PINK_RGB
    bar.line.fill.background()
    bar.name = "アクセント"
    return bar


def synthetic_banner(slide: Slide, top: int, height: int = Inches(0.7)) -> Shape:
    """A pink-bordered box saying that the data is synthetic (title slide)."""
    from pptx.enum.shapes import MSO_SHAPE

    box = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, MARGIN, Emu(top), CONTENT_WIDTH, Emu(height))
    box.name = "架空データの注意"
    box.fill.solid()
    box.fill.fore_color.rgb = BANNER_FILL
    box.line.color.rgb = PINK_RGB
    box.line.width = Pt(3)
    write_paragraphs(box, [SYNTHETIC_TEXT], 16, bold=True, colour=TEXT_RGB)
    box.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    return box


def synthetic_footer(slide: Slide) -> Shape:
    """A small pink note at the foot of every slide of a synthetic deck."""
    box = add_text(slide, Inches(8.8), Inches(7.1), Inches(4.3), Inches(0.32), SYNTHETIC_FOOTER, 10,
                   bold=True, colour=PINK_RGB, name="架空データの表示", align=PP_ALIGN.RIGHT)
    return box

"""zaitaku/report/deck/parts.py: the part names handed out from memory are python-pptx's own.

Truth: the same presentation built by python-pptx alone (its ``OpcPackage.next_partname`` walking the
package each time), compared by the saved file's member names and their bytes."""

from __future__ import annotations

import io
import zipfile

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

from zaitaku.report.deck.parts import number_parts_as_added


def _build(fast: bool, calls: list[str] | None = None) -> bytes:
    prs = Presentation()
    if fast:
        number_parts_as_added(prs)
        if calls is not None:  # count what python-pptx asks for
            ours = prs.part.package.next_partname

            def counted(tmpl: str):
                calls.append(tmpl)
                return ours(tmpl)

            prs.part.package.next_partname = counted
    for i in range(7):
        slide = prs.slides.add_slide(prs.slide_layouts[6 if i % 2 else 5])
        for j in range(1 + i % 3):
            data = CategoryChartData()
            data.categories = ["松江市", "島根県", "全国"]
            data.add_series("実施", (0.1 * i, 0.2, 0.3 + j / 10))
            slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(1), Inches(1 + j), Inches(6), Inches(2), data)
        if i != 3:
            slide.notes_slide.notes_text_frame.text = f"ノート {i}"
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {n: z.read(n) for n in z.namelist() if not n.endswith("core.xml")}


def test_part_names_from_memory_are_python_pptx_own():
    calls: list[str] = []
    fast, plain = _members(_build(True, calls)), _members(_build(False))
    assert list(fast) == list(plain)
    assert sum(n.startswith("ppt/charts/chart") for n in fast) == 13
    assert sum(n.startswith("ppt/notesSlides/notesSlide") and n.endswith(".xml") for n in fast) == 6
    different = [n for n in fast if fast[n] != plain[n] and not n.startswith("ppt/embeddings/")]
    assert different == []  # every relationship points at the same names
    # python-pptx still asks the package for each new chart, workbook and notes page: the shortcut is used
    assert calls.count("/ppt/charts/chart%d.xml") == 13
    assert calls.count("/ppt/notesSlides/notesSlide%d.xml") == 6
    assert any(c.startswith("/ppt/embeddings/") for c in calls)

"""Accessible decks: alternative text on every chart, table and picture, unique slide titles, reading
order title → chart → commentary. The decks are written to disk and their slide XML read back with
zipfile and lxml; the expected sentences and figures come from :func:`build_section` (what the HTML
report shows), formatted here by hand.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from zaitaku.analysis.aggregate import focus_of, load_processed
from zaitaku.report.blocks import deck_blocks, subset_section
from zaitaku.report.deck.build import build_deck, write_deck
from zaitaku.report.section import build_section

NS = {"p": "http://schemas.openxmlformats.org/presentationml/2006/main",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "adec": "http://schemas.microsoft.com/office/drawing/2017/decorative"}
IZUMO = "322032"
DECORATIVE_URI = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"


@pytest.fixture(scope="module")
def data(processed_dir):
    return load_processed(processed_dir)


@pytest.fixture(scope="module")
def decks(data, tmp_path_factory):
    """{key: (focus, [slide XML in presentation order])} for the 島根県 deck (with timing) and 出雲市's."""
    out = tmp_path_factory.mktemp("a11y_decks")
    result = {}
    for key, code in (("pref", ""), ("muni", IZUMO)):
        focus = focus_of(data, code, "島根県")
        path = write_deck(data, focus, out, "computed", timing=key == "pref")
        result[key] = (focus, _slides(path))
    return result


def _slides(path: Path) -> list[etree._Element]:
    """Slide XML in the order of presentation.xml's slide list (not file names)."""
    with zipfile.ZipFile(path) as z:
        pres = etree.fromstring(z.read("ppt/presentation.xml"))
        rels = etree.fromstring(z.read("ppt/_rels/presentation.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels}
        ids = [s.get(f"{{{NS['r']}}}id") for s in pres.iterfind("p:sldIdLst/p:sldId", NS)]
        return [etree.fromstring(z.read("ppt/" + target[i])) for i in ids]


def _shapes(slide: etree._Element) -> list[etree._Element]:
    return list(slide.find("p:cSld/p:spTree", NS))[2:]  # after nvGrpSpPr and grpSpPr


def _c_nv_pr(shape: etree._Element) -> etree._Element:
    return shape.find("*/p:cNvPr", NS)


def _decorative(shape: etree._Element) -> bool:
    return any(e.getparent().get("uri") == DECORATIVE_URI and e.get("val") == "1"
               for e in _c_nv_pr(shape).iterfind("a:extLst/a:ext/adec:decorative", NS))


def _is_title(shape: etree._Element) -> bool:
    ph = shape.find("p:nvSpPr/p:nvPr/p:ph", NS)
    return ph is not None and ph.get("type") in ("title", "ctrTitle")


def _title(slide: etree._Element) -> str:
    shape = next(s for s in _shapes(slide) if _is_title(s))
    return "".join(shape.itertext()).strip()


def _is_text_box(shape: etree._Element) -> bool:
    return shape.find("p:nvSpPr/p:cNvSpPr[@txBox='1']", NS) is not None


def _is_chart(shape: etree._Element) -> bool:
    return shape.tag == f"{{{NS['p']}}}graphicFrame" and shape.find(
        ".//a:graphicData[@uri='http://schemas.openxmlformats.org/drawingml/2006/chart']", NS) is not None


@pytest.mark.parametrize("key", ["pref", "muni"])
def test_every_chart_table_picture_and_shape_has_alt_text_or_is_decorative(decks, key):
    _, slides = decks[key]
    graphics = 0
    for i, slide in enumerate(slides):
        for shape in _shapes(slide):
            if shape.find("p:nvSpPr/p:nvPr/p:ph", NS) is not None or _is_text_box(shape):
                continue  # placeholders and text boxes are read as their text
            graphics += 1
            name = _c_nv_pr(shape).get("name")
            descr = _c_nv_pr(shape).get("descr") or ""
            assert descr.strip() or _decorative(shape), f"slide {i + 1}: {name} has no alternative text"
    assert graphics > 40


def _expected_value(row: pd.Series) -> str:
    if pd.isna(row["share"]):
        return "–"
    if 0 < row["n_base"] < 5:
        return f"{int(row['n_selected'])}/{int(row['n_base'])}"
    return f"{row['share'] * 100:.1f}%"


@pytest.mark.parametrize("key", ["pref", "muni"])
def test_chart_alt_text_is_the_reports_sentence_and_the_figures(decks, data, key):
    focus, slides = decks[key]
    checked = 0
    for i, block in enumerate(deck_blocks(data.codebook)):
        charts = [s for s in _shapes(slides[2 + i]) if _is_chart(s)]
        sections = [subset_section(build_section(data, p.question_id, focus, "computed"), p) for p in block.parts]
        shown = [s for s in sections if (s.figures["scope"] != "municipality").any()]
        assert len(charts) == len(shown), block.label
        for chart, s in zip(charts, shown, strict=True):
            descr = _c_nv_pr(chart).get("descr")
            # the report's alt text, less its pointer to the table under the chart
            assert descr.startswith(s.alt.removesuffix("数値は下の表にあります。")), block.label
            f = s.figures[~s.figures["is_group"].fillna(False).astype(bool)]
            for row_label in f["row_label"].drop_duplicates():
                if row_label:
                    assert f"［{row_label}］" in descr
            rows = f[f["scope"] != "municipality"]
            for _, r in rows.iterrows():
                assert f"{r['option_label']} {_expected_value(r)}" in descr, (block.label, r["option_label"])
                checked += 1
            if focus.code:
                own = f[(f["scope"] == "municipality") & (f["n_selected"] == 1)]
                for label in own["option_label"]:
                    assert label in descr.split("。")[1] or f"の回答：{label}" in descr
    assert checked > 500


def test_timing_charts_and_tables_are_described(decks):
    _, slides = decks["pref"]
    timing = [s for s in slides if _title(s).startswith("参考：")]
    assert len(timing) == 4
    # 平成28年1月 item snapshot: the chart's text names every item and the shares per period
    jan = next(s for s in timing if "平成28年1月" in _title(s))
    chart = next(s for s in _shapes(jan) if _is_chart(s))
    descr = _c_nv_pr(chart).get("descr")
    assert "n=156" in descr and "（ア）" in descr and "（ク）" in descr and "%" in descr
    tables = [s for s in _shapes(jan) if s.find(".//a:tbl", NS) is not None]
    assert tables and "保険者数" in _c_nv_pr(tables[0]).get("descr")


@pytest.mark.parametrize("key", ["pref", "muni"])
def test_slide_titles_are_unique(decks, key):
    titles = [_title(s) for s in decks[key][1]]
    assert all(titles) and len(set(titles)) == len(titles)


def test_a_repeated_title_is_numbered(data, tmp_path):
    template = tmp_path / "closing.txt.j2"
    template.write_text("まとめ\nありがとうございました。\n", encoding="utf-8")
    focus = focus_of(data, "", "島根県")
    path = tmp_path / "deck.pptx"
    prs, _ = build_deck(data, focus, "computed", closing_template=template)
    prs.save(str(path))
    titles = [_title(s) for s in _slides(path)]
    assert titles[-2:] == ["まとめ", "まとめ（2）"]


@pytest.mark.parametrize("key", ["pref", "muni"])
def test_reading_order_is_title_chart_commentary(decks, data, key):
    _, slides = decks[key]
    for n, slide in enumerate(slides):
        shapes = _shapes(slide)
        names = [_c_nv_pr(s).get("name") for s in shapes]
        assert _is_title(shapes[0]), (n, names)
        # ornaments and the synthetic-data footer come after everything that carries content
        tail = [s for s in shapes if _decorative(s) or _c_nv_pr(s).get("name") == "架空データの表示"]
        assert shapes[len(shapes) - len(tail):] == tail, (n, names)
    for i, _block in enumerate(deck_blocks(data.codebook)):
        shapes = _shapes(slides[2 + i])
        names = [_c_nv_pr(s).get("name") for s in shapes]
        charts = [k for k, s in enumerate(shapes) if _is_chart(s)]
        comment = names.index("コメント")
        assert names.index("設問文") < min(charts, default=comment) and max(charts, default=0) < comment, names

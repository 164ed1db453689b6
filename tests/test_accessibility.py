"""Accessibility kept by tests.

* WCAG contrast, computed here from the WCAG 2.x definition (not with zaitaku's helpers): every
  text-on-fill pair the chart palette can produce ≥ 4.5:1, bars that carry meaning ≥ 3:1 against
  the page, in the reports' charts and in the decks' native charts; the text colours drawn in real
  charts are among the checked ones.
* The focus (the municipality or prefecture in pink) shown by more than colour: an outline, a mark
  or bold type, and a legend line saying so; keyboard focus drawn as an outline.
* axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa) in Debian's Chromium over one page of every kind of a
  rendered batch (``zaitaku render --check-accessibility``: its ``accessibility.json``) and over the
  explorer notebook exported as the reports are: 0 violations. Skipped only where chromium is missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from zaitaku.analysis.aggregate import focus_of, load_processed
from zaitaku.files import provenance
from zaitaku.report.charts import style
from zaitaku.report.charts.matrix import shade
from zaitaku.report.deck import charts as deck_charts
from zaitaku.report.deck import style as deck_style
from zaitaku.report.section import build_section

CHROMIUM = Path("/usr/bin/chromium")
PROJECT = Path(__file__).resolve().parents[1]
WHITE = "#FFFFFF"


def _luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour ``#RRGGBB``."""
    channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_on_known_pairs():
    assert contrast("#000000", WHITE) == pytest.approx(21.0)
    assert contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.01)  # the classic just-too-light grey
    assert contrast("#0072B2", WHITE) == pytest.approx(5.19, abs=0.01)


# --------------------------------------------------------------------------------------------
# the reports' charts (inline SVG)


def test_stacked_segment_labels_on_every_option_fill():
    """100% stacked bars print each segment's share on the option's colour (未回答 included), and the
    timing report's on each period's colour."""
    from zaitaku.report.timing_charts import PERIOD_COLOURS

    fills = [*style.OKABE_ITO, style.NA_COLOUR, *PERIOD_COLOURS.values()]
    for fill in fills:
        ink = style.text_colour(fill)
        assert contrast(ink, fill) >= 4.5, (fill, ink)


@pytest.mark.parametrize("base", ["#0072B2", style.PINK])
def test_matrix_cell_text_on_every_shade(base):
    """Matrix cells: the share's shade of blue (pink for the focus) under the large and the small figure."""
    for k in range(0, 101):
        share = k / 100
        fill = shade(share, base)
        ink = style.text_colour(fill)
        small = style.MUTED if ink == "#000000" and share < 0.25 else ink
        assert contrast(ink, fill) >= 4.5, (base, share, fill, ink)
        assert contrast(small, fill) >= 4.5, (base, share, fill, small)


def test_text_on_the_page_and_bars_against_the_page():
    for ink in (style.TEXT, style.MUTED, style.PINK):  # labels, axes, the focus's labels
        assert contrast(ink, WHITE) >= 4.5, ink
    # bar charts: a bar's length is the figure, so each scope's bar must stand out from the page
    for kind, colour in {**style.SCOPE_COLOURS, "focus": style.PINK}.items():
        assert contrast(colour, WHITE) >= 3.0, (kind, colour)


@pytest.fixture(scope="module")
def data(processed_dir):
    return load_processed(processed_dir)


QUESTIONS = {"single": "q1", "multi": "q7", "yesno": "q5_1_1", "matrix": "q2"}


def _svg_text_colours(svg: str) -> set[str]:
    return {c.upper() for c in re.findall(r"<text[^>]*style=\"[^\"]*fill: ?(#[0-9a-fA-F]{6})", svg)} | {
        c.upper() for c in re.findall(r"<g [^>]*style=\"fill: ?(#[0-9a-fA-F]{6})\"[^>]*>\s*<text", svg)}


def test_text_drawn_in_real_charts_uses_the_checked_colours(data):
    """Every text colour in the charts of a municipality and a prefecture is one of those checked above
    (or black/white as picked per fill)."""
    allowed = {style.TEXT, style.MUTED, style.PINK, "#000000", WHITE}
    seen: set[str] = set()
    for code in ("322016", ""):
        focus = focus_of(data, code, "島根県")
        for qid in QUESTIONS.values():
            svg = build_section(data, qid, focus, "computed").chart_html()
            seen |= _svg_text_colours(svg)
    assert seen, "no text colours found in the SVG"
    assert seen <= {c.upper() for c in allowed}, seen - allowed


def test_focus_is_shown_by_more_than_colour(data):
    """Municipality: its answer framed (stacked), marked ●/○ (multi, yes/no) and said in the legend;
    prefecture mode: the prefecture's label in bold."""
    muni = focus_of(data, "322016", "島根県")
    single = build_section(data, QUESTIONS["single"], muni, "computed").chart_html()
    assert re.search(r"stroke: ?#e4007f; ?stroke-width: ?[3-9]", single, re.I), "no pink outline"
    assert "ピンクの枠" in single
    multi = build_section(data, QUESTIONS["multi"], muni, "computed").chart_html()
    assert "●" in multi and "選んだ選択肢" in multi
    yesno = build_section(data, QUESTIONS["yesno"], muni, "computed").chart_html()
    assert "●" in yesno or "○" in yesno
    pref = build_section(data, QUESTIONS["single"], focus_of(data, "", "島根県"), "computed").chart_html()
    assert re.search(r"font-weight[:=] ?\"?(bold|700)", pref), "prefecture label not bold"


# --------------------------------------------------------------------------------------------
# the decks' native charts


def test_deck_chart_labels_and_bars():
    """Stacked segments' labels (white or dark, as the deck picks) on each option colour and on the pink
    of the municipality's answer; clustered bars of each scope against the slide."""
    fills = [*deck_style.OPTION_RGB, deck_style.NA_RGB]
    for fill in fills:
        ink = deck_charts.label_rgb(fill)
        assert contrast(f"#{ink}", f"#{fill}") >= 4.5, (fill, ink)
    assert contrast(WHITE, f"#{deck_style.PINK_RGB}") >= 4.5
    for colour in (deck_style.PINK_RGB, deck_style.NATION_RGB, *deck_style.COMPARISON_RGB):
        assert contrast(f"#{colour}", WHITE) >= 3.0, colour


# --------------------------------------------------------------------------------------------
# axe-core in Chromium


def test_vendored_axe_matches_its_provenance():
    from zaitaku.render.accessibility import AXE_JS, axe_version

    assert provenance.check(AXE_JS) == []
    assert re.fullmatch(r"4\.\d+\.\d+", axe_version())
    assert (AXE_JS.parent / "axe-core.LICENSE").read_text(encoding="utf-8").startswith("Mozilla Public License")


KINDS = {"一覧（トップ）", "都道府県の一覧", "市町村のページ", "実施時期の報告書",
         *(f"市町村の報告書（{g}）" for g in ("partnerships", "pdca_indicators", "four_scenes", "prefectural_support")),
         *(f"都道府県の報告書（{g}）" for g in ("partnerships", "pdca_indicators", "four_scenes", "prefectural_support"))}


def _violations(record_pages) -> list[str]:
    return [f"{p['path']}: {v['id']} ({v['impact']}) {v['nodes'][0]['html'] if v['nodes'] else ''}"
            for p in record_pages for v in p["violations"]]


@pytest.fixture(scope="module")
def checked_batch(processed_dir, tmp_path_factory):
    """松江市 and 島根県 (prefecture mode), all four reports, the timing report: rendered and checked."""
    from zaitaku.paths import NOTEBOOKS_DIR
    from zaitaku.render.batch import render_batch
    from zaitaku.render.scope import DEFAULT_GROUPS, Scope

    out = tmp_path_factory.mktemp("a11y_batch")
    notebooks = {g: NOTEBOOKS_DIR / f"{g}.ipynb" for g in DEFAULT_GROUPS}
    scopes = [Scope("32", "島根県", "322016", "松江市", "マツエシ"), Scope("32", "島根県")]
    summary = render_batch(scopes, notebooks=notebooks, out=out, data_dir=processed_dir, national="computed",
                           workers=1, progress=False, timing_notebooks=NOTEBOOKS_DIR, check_accessibility=True)
    return out / "R3", summary


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed (apt-get install chromium)")
def test_axe_finds_no_violation_on_any_page_kind(checked_batch):
    out_year, summary = checked_batch
    assert summary.ok
    path, violations = summary.accessibility
    assert path == out_year / "accessibility.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["tool"]["name"] == "axe-core" and record["tool"]["version"].startswith("4.")
    assert set(record["rule_set"]["tags"]) >= {"wcag2a", "wcag2aa"}
    assert {p["kind"] for p in record["pages"]} == KINDS
    assert all(p["passes"] > 5 for p in record["pages"])  # axe really ran its rules on each page
    assert _violations(record["pages"]) == [] and violations == 0 and record["violations_total"] == 0
    top = (out_year / "index.html").read_text(encoding="utf-8")
    assert 'href="accessibility.json"' in top


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed (apt-get install chromium)")
def test_axe_catches_a_violation(tmp_path):
    """The same check on a page with an unlabelled image and grey-on-white text reports both."""
    from zaitaku.render.accessibility import check_pages

    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="ja"><head><title>t</title></head><body><main>'
                    '<img src="x.png"><p style="color:#AAAAAA">薄い文字</p></main></body></html>', encoding="utf-8")
    results, _ = check_pages([("bad", page)], tmp_path)
    assert {v["id"] for v in results[0].violations} >= {"image-alt", "color-contrast"}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed (apt-get install chromium)")
def test_keyboard_focus_is_drawn_as_an_outline(checked_batch):
    from playwright.sync_api import sync_playwright

    from zaitaku.render.accessibility import CHROMIUM_ARGS

    out_year, _ = checked_batch
    page_path = out_year / "32_島根県" / "322016_松江市" / "partnerships.html"
    with sync_playwright() as pw:
        browser_ = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser_.new_page()
            page.goto(page_path.as_uri())
            page.keyboard.press("Tab")
            style_ = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth),
                        s.textDecorationLine]; }""")
        finally:
            browser_.close()
    tag, outline, width, decoration = style_
    assert tag == "A" and outline not in ("none", "") and width >= 2, style_
    assert "underline" in decoration  # a link is more than its colour


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed (apt-get install chromium)")
def test_axe_on_the_explorer_exported_as_the_reports_are(processed_dir, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    from zaitaku.paths import NOTEBOOKS_DIR
    from zaitaku.render.accessibility import check_pages
    from zaitaku.render.html import export_report, make_exporter

    nb = nbformat.read(NOTEBOOKS_DIR / "explorer.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace("Explorer()", f"Explorer(r{str(processed_dir)!r})")
    NotebookClient(nb, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}).execute()
    html, _title, _toc = export_report(make_exporter(), nb, fallback_title="調査結果エクスプローラー")
    page = tmp_path / "explorer.html"
    page.write_text(html, encoding="utf-8")
    results, _ = check_pages([("エクスプローラー", page)], tmp_path)
    assert results[0].passes > 5
    assert _violations([{"path": r.path, "violations": r.violations} for r in results]) == []
